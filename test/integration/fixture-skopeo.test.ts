import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEMO_SCENARIOS, type Scenario } from '../../cli/fixtures/scenarios.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { sha256 } from '../support/digest.js';

/**
 * skopeo (containers/image) is a third-party reader of OCI layouts: if it inspects and copies what
 * the fixture factory wrote through OciLayoutRegistry, the layout, manifests and blobs are valid.
 * `skopeo copy` checks every blob against its digest while copying.
 */

const run = promisify(execFile);

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const InspectSchema = z.object({
  Digest: z.string(),
  Architecture: z.string(),
  Os: z.string(),
  Labels: z.record(z.string(), z.string()),
  Layers: z.array(z.string()),
});

const good: Scenario | undefined = DEMO_SCENARIOS.find((s) => s.name === 'good');
const keys = await generateFixtureKeys();

describe('Function: buildScenarioImage (read back by skopeo)', () => {
  let root = '';
  let scratch = '';

  beforeAll(async () => {
    // skopeo is a required tool of the integration suite (Debian package `skopeo`).
    await skopeo('--version');
    root = await mkdtemp(join(tmpdir(), 'rg-fixture-layout-'));
    scratch = await mkdtemp(join(tmpdir(), 'rg-fixture-copy-'));
  });

  afterAll(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  describe('when the good scenario is written to an OCI layout', () => {
    it('inspects to the same manifest bytes, digest, platform and labels', async () => {
      // Prepare
      if (good === undefined) throw new Error('no good scenario');
      const registry = new OciLayoutRegistry({ root });

      // Act
      const built = await buildScenarioImage(registry, good, keys);
      const raw = await skopeo('inspect', '--raw', `oci:${join(root, good.repository)}:${good.tag}`);
      const inspected = InspectSchema.parse(
        JSON.parse(await skopeo('inspect', `oci:${join(root, good.repository)}:${good.tag}`)),
      );

      // Assess
      expect(sha256(raw)).toBe(built.digest);
      expect(inspected.Digest).toBe(built.digest);
      expect(inspected.Architecture).toBe('amd64');
      expect(inspected.Os).toBe('linux');
      expect(inspected.Labels['org.opencontainers.image.revision']).toBe(built.gitCommit);
      expect(inspected.Layers).toHaveLength(1);
    });

    it('copies the image and its cosign signature manifest, verifying every blob', async () => {
      // Prepare
      if (good === undefined) throw new Error('no good scenario');
      const registry = new OciLayoutRegistry({ root });
      const built = await buildScenarioImage(registry, good, keys);
      const layout = join(root, good.repository);

      // Act
      await skopeo('copy', `oci:${layout}:${good.tag}`, `dir:${join(scratch, 'image')}`);
      await skopeo('copy', `oci:${layout}:${built.signatureTag ?? ''}`, `dir:${join(scratch, 'sig')}`);

      // Assess
      const copied = await readFile(join(scratch, 'image', 'manifest.json'));
      expect(sha256(copied)).toBe(built.digest);
      const sigManifest = z
        .object({ layers: z.array(z.object({ mediaType: z.string() })) })
        .parse(JSON.parse((await readFile(join(scratch, 'sig', 'manifest.json'))).toString('utf8')));
      expect(sigManifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.dev.cosign.simplesigning.v1+json']);
    });
  });

  describe('when a multi-arch image is written to an OCI layout', () => {
    it('copies every platform of the index', async () => {
      // Prepare
      if (good === undefined) throw new Error('no good scenario');
      const registry = new OciLayoutRegistry({ root });
      const scenario = { ...good, repository: 'demo/multi', platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64] };
      const built = await buildScenarioImage(registry, scenario, keys);
      const layout = join(root, scenario.repository);

      // Act
      const raw = await skopeo('inspect', '--raw', `oci:${layout}:${scenario.tag}`);
      await skopeo('copy', '--all', `oci:${layout}:${scenario.tag}`, `dir:${join(scratch, 'multi')}`);

      // Assess
      expect(sha256(raw)).toBe(built.digest);
      const index = z
        .object({ manifests: z.array(z.object({ platform: z.object({ architecture: z.string() }) })) })
        .parse(JSON.parse(raw));
      expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
      expect(sha256(await readFile(join(scratch, 'multi', 'manifest.json')))).toBe(built.digest);
    });
  });
});
