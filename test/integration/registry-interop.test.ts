/**
 * Third-party interop: layouts built by `umoci` are readable by OciLayoutRegistry, and what our
 * adapters write is readable by `skopeo` (containers/image), both from a docker-registry and from
 * an `oci:` layout. The tools are Debian packages (`apt-get install -y umoci skopeo docker-registry`);
 * a missing tool fails these tests.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { ImageManifestSchema, MediaTypes } from '../../lambdas/domain/oci.js';
import { copyImage } from '../../lambdas/domain/promotion/copy.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../support/images.js';
import { type RegistryServer, startRegistryServer } from '../support/registry-server.js';

const run = promisify(execFile);

const SkopeoInspectSchema = z.object({
  Digest: z.string(),
  Architecture: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
  Layers: z.array(z.string()).nullable().optional(),
});

const ImageConfigSchema = z.object({
  config: z.object({ Labels: z.record(z.string(), z.string()).optional() }).optional(),
});

let dir: string;
let server: RegistryServer;
let registry: DistributionRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interop-'));
  server = await startRegistryServer();
  registry = new DistributionRegistry({ baseUrl: server.url });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function skopeoInspect(reference: string): Promise<z.infer<typeof SkopeoInspectSchema>> {
  const { stdout } = await run('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', reference]);
  return SkopeoInspectSchema.parse(JSON.parse(stdout));
}

/** umoci init + new + insert one file + config label: a layout written entirely by umoci. */
async function buildWithUmoci(layout: string): Promise<void> {
  const rootfs = join(dir, 'umoci-src');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc', 'release'), 'release-gate interop\n');
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:base`]);
  await run('umoci', [
    'insert',
    '--rootless',
    '--image',
    `${layout}:base`,
    join(rootfs, 'etc', 'release'),
    '/etc/release',
  ]);
  await run('umoci', ['config', '--image', `${layout}:base`, '--config.label', 'org.example.gate=yes', '--tag', 'v1']);
}

describe('Interop: umoci → OciLayoutRegistry', () => {
  describe('when umoci built the layout', () => {
    it('reads its tags, manifest, config and layer with verified digests', async () => {
      // Prepare
      const layout = join(dir, 'umoci-layout');
      await buildWithUmoci(layout);
      const reader = OciLayoutRegistry.single(layout);

      // Act
      const tags = await reader.listTags('anything');
      const fetched = await reader.getManifest('anything', 'v1');
      const manifest = ImageManifestSchema.parse(JSON.parse(new TextDecoder().decode(fetched.bytes)));
      const config = ImageConfigSchema.parse(
        JSON.parse(new TextDecoder().decode(await reader.getBlob('anything', manifest.config.digest, 1_000_000))),
      );
      const layers = await Promise.all(manifest.layers.map((l) => reader.getBlob('anything', l.digest, 10_000_000)));

      // Assess
      expect(tags).toEqual(['base', 'v1']);
      expect(fetched.mediaType).toBe(MediaTypes.ociManifest);
      expect(config.config?.Labels).toEqual({ 'org.example.gate': 'yes' });
      expect(layers).toHaveLength(1);
      expect(layers[0]?.byteLength).toBe(manifest.layers[0]?.size);
    });
  });

  describe('when copyImage promotes the umoci image to docker-registry', () => {
    it('is readable by skopeo inspect with the same digest', async () => {
      // Prepare
      const layout = join(dir, 'umoci-promote');
      await buildWithUmoci(layout);
      const source = OciLayoutRegistry.single(layout);
      const { digest } = await source.getManifest('app', 'v1');

      // Act
      await copyImage({
        source,
        target: registry,
        sourceRepository: 'app',
        targetRepository: 'interop/umoci',
        digest,
        tag: 'v1',
      });
      const inspected = await skopeoInspect(`docker://${server.host}/interop/umoci:v1`);

      // Assess
      expect(inspected.Digest).toBe(digest);
      expect(inspected.Labels).toEqual({ 'org.example.gate': 'yes' });
    });
  });
});

describe('Interop: our writes → skopeo', () => {
  describe('when copyImage wrote an image with referrers to docker-registry', () => {
    it('skopeo inspects it with the same digest and layers', async () => {
      // Prepare
      const staging = OciLayoutRegistry.single(join(dir, 'ours-staging'));
      const image = oneFileImage('skopeo reads this').root;
      await pushManifest(staging, 'app', image, 'build');
      await pushManifest(
        staging,
        'app',
        payloadArtifact({ artifactType: MediaTypes.cyclonedxJson, payload: '{}', subject: image.descriptor }),
      );

      // Act
      await copyImage({
        source: staging,
        target: registry,
        sourceRepository: 'app',
        targetRepository: 'interop/ours',
        digest: image.digest,
        tag: 'v1',
      });
      const inspected = await skopeoInspect(`docker://${server.host}/interop/ours:v1`);

      // Assess
      expect(inspected.Digest).toBe(image.digest);
      expect(inspected.Architecture).toBe('amd64');
      expect(inspected.Layers).toEqual([image.blobs[1]?.digest]);
    });
  });

  describe('when skopeo copies a layout we wrote (with untagged referrer entries) to another oci: layout', () => {
    it('succeeds and preserves the digest', async () => {
      // Prepare
      const layoutDir = join(dir, 'ours-layout');
      const ours = OciLayoutRegistry.single(layoutDir);
      const image = oneFileImage('layout for skopeo').root;
      await pushManifest(ours, 'app', image, 'v1');
      await pushManifest(
        ours,
        'app',
        payloadArtifact({ artifactType: MediaTypes.spdxJson, payload: '{}', subject: image.descriptor }),
      );
      const destination = join(dir, 'skopeo-dest');

      // Act
      await run('skopeo', [
        '--insecure-policy',
        'copy',
        '--preserve-digests',
        `oci:${layoutDir}:v1`,
        `oci:${destination}:copied`,
      ]);
      const copied = await OciLayoutRegistry.single(destination).getManifest('app', 'copied');

      // Assess
      expect(copied.digest).toBe(image.digest);
    });
  });

  describe('when skopeo copies an index layout we wrote with --all', () => {
    it('keeps the index digest', async () => {
      // Prepare
      const layoutDir = join(dir, 'ours-index');
      const ours = OciLayoutRegistry.single(layoutDir);
      const index = indexOf([oneFileImage('hello', PLATFORMS.linuxAmd64), oneFileImage('hello', PLATFORMS.linuxArm64)]);
      await pushManifest(ours, 'app', index, 'multi');
      const destination = join(dir, 'skopeo-index-dest');

      // Act
      await run('skopeo', [
        '--insecure-policy',
        'copy',
        '--all',
        '--preserve-digests',
        `oci:${layoutDir}:multi`,
        `oci:${destination}:multi`,
      ]);
      const copied = await OciLayoutRegistry.single(destination).getManifest('app', 'multi');

      // Assess
      expect(copied.digest).toBe(index.digest);
      expect(copied.mediaType).toBe(MediaTypes.ociIndex);
    });
  });
});
