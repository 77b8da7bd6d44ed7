import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildScenario, buildScenarioImage } from '../../cli/fixtures/factory.js';
import { buildImage, EMPTY_CONFIG, PLATFORMS, tarArchive } from '../../cli/fixtures/image.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { generateNotationChain } from '../../cli/fixtures/notation.js';
import { DEMO_SCENARIOS, demoPolicy, type Scenario, SOURCE_REPOSITORY } from '../../cli/fixtures/scenarios.js';
import { ConflictError, NotFoundError } from '../../lambdas/domain/errors.js';
import { type Descriptor, ImageIndexSchema, ImageManifestSchema } from '../../lambdas/domain/oci.js';
import { PolicyDocumentSchema } from '../../lambdas/domain/policy/schema.js';
import type { FetchedManifest, RegistryWriter } from '../../lambdas/domain/ports.js';
import { sha256, sha256Hex } from '../support/digest.js';

// ---------------------------------------------------------------------------------------------
// Independent helpers: nothing below reuses the factory's own hashing, PAE or JSON code.

/** A RegistryWriter in memory that stores what it is given and hashes manifests itself. */
class MemoryRegistry implements RegistryWriter {
  public readonly location = 'memory:';
  public readonly blobs = new Map<string, Uint8Array>();
  public readonly manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>();
  public readonly tags = new Map<string, string>();

  public async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repository}:${reference}`);
    const found = digest === undefined ? undefined : this.manifests.get(`${repository}@${digest}`);
    if (digest === undefined || found === undefined) throw new NotFoundError(`${repository}:${reference}`);
    return { digest, mediaType: found.mediaType, bytes: found.bytes };
  }

  public async getBlob(repository: string, digest: string): Promise<Uint8Array> {
    const blob = this.blobs.get(`${repository}@${digest}`);
    if (blob === undefined) throw new NotFoundError(`${repository}@${digest}`);
    return blob;
  }

  public async listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const [key, m] of this.manifests) {
      const [repo, digest] = key.split('@');
      if (repo !== repository || digest === undefined) continue;
      const parsed = ImageManifestSchema.safeParse(JSON.parse(Buffer.from(m.bytes).toString('utf8')));
      if (parsed.success && parsed.data.subject?.digest === subjectDigest) {
        out.push({
          mediaType: m.mediaType,
          digest,
          size: m.bytes.length,
          ...(parsed.data.artifactType === undefined ? {} : { artifactType: parsed.data.artifactType }),
        });
      }
    }
    return out;
  }

  public async hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.blobs.has(`${repository}@${digest}`);
  }

  public async putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(`${repository}@${digest}`, bytes);
  }

  public async mountBlob(): Promise<boolean> {
    return false;
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<string> {
    const digest = sha256(bytes);
    this.manifests.set(`${repository}@${digest}`, { bytes, mediaType });
    if (tag !== undefined) {
      const existing = this.tags.get(`${repository}:${tag}`);
      if (existing !== undefined && existing !== digest) throw new ConflictError(`${repository}:${tag}`);
      this.tags.set(`${repository}:${tag}`, digest);
    }
    return digest;
  }

  public async moveTag(repository: string, tag: string, digest: string): Promise<void> {
    this.tags.set(`${repository}:${tag}`, digest);
  }

  public async listTags(repository: string): Promise<string[]> {
    return [...this.tags.keys()]
      .filter((k) => k.startsWith(`${repository}:`))
      .map((k) => k.slice(repository.length + 1));
  }

  public json(repository: string, reference: string): unknown {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repository}:${reference}`);
    const m = this.manifests.get(`${repository}@${digest}`);
    if (m === undefined) throw new Error(`no manifest ${repository} ${reference}`);
    return JSON.parse(Buffer.from(m.bytes).toString('utf8'));
  }

  public blobJson(repository: string, digest: string): unknown {
    const b = this.blobs.get(`${repository}@${digest}`);
    if (b === undefined) throw new Error(`no blob ${repository}@${digest}`);
    return JSON.parse(Buffer.from(b).toString('utf8'));
  }
}

/** DSSE protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
function independentPae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `, 'utf8'), body]);
}

const SignatureLayerSchema = z.object({
  mediaType: z.literal('application/vnd.dev.cosign.simplesigning.v1+json'),
  digest: z.string(),
  annotations: z.object({ 'dev.cosignproject.cosign/signature': z.string().min(1) }),
});
const SimpleSigningSchema = z.object({
  critical: z.object({
    identity: z.object({ 'docker-reference': z.string() }),
    image: z.object({ 'docker-manifest-digest': z.string() }),
    type: z.literal('cosign container image signature'),
  }),
  optional: z.null(),
});
const EnvelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
});
const StatementSchema = z.object({
  _type: z.literal('https://in-toto.io/Statement/v1'),
  subject: z.array(z.object({ name: z.string(), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.string(),
  predicate: z.record(z.string(), z.unknown()),
});
const ConfigSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  config: z.object({ Labels: z.record(z.string(), z.string()) }),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(z.string()).min(1) }),
});
const SbomSchema = z.object({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.literal('1.6'),
  serialNumber: z.string().regex(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  metadata: z.object({ properties: z.array(z.object({ name: z.string(), value: z.string() })) }),
  components: z.array(z.object({ name: z.string(), version: z.string(), purl: z.string().optional() })),
});

const BundleSchema = z.object({
  mediaType: z.literal('application/vnd.dev.sigstore.bundle.v0.3+json'),
  verificationMaterial: z.object({ publicKey: z.object({ hint: z.string().min(1) }) }),
  dsseEnvelope: EnvelopeSchema,
});
const JwsSchema = z.object({
  payload: z.string(),
  protected: z.string(),
  header: z.object({ x5c: z.array(z.string()).min(1) }),
  signature: z.string(),
});
const JwsHeaderSchema = z.object({ alg: z.string(), crit: z.array(z.string()), cty: z.string() });
const TargetSchema = z.object({
  targetArtifact: z.object({
    mediaType: z.string(),
    digest: z.string(),
    size: z.number(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

interface Attestation {
  predicateType: string;
  annotation: string | undefined;
  envelope: z.infer<typeof EnvelopeSchema>;
  statement: z.infer<typeof StatementSchema>;
}

function signatureLayers(reg: MemoryRegistry, repository: string, digest: string) {
  const manifest = ImageManifestSchema.parse(reg.json(repository, `${digest.replace(':', '-')}.sig`));
  return manifest.layers.map((layer) => {
    const parsed = SignatureLayerSchema.parse(layer);
    const payload = reg.blobs.get(`${repository}@${parsed.digest}`);
    if (payload === undefined) throw new Error('missing signature payload blob');
    return {
      payload,
      signature: Buffer.from(parsed.annotations['dev.cosignproject.cosign/signature'], 'base64'),
      simple: SimpleSigningSchema.parse(JSON.parse(Buffer.from(payload).toString('utf8'))),
    };
  });
}

function attestations(reg: MemoryRegistry, repository: string, digest: string): Attestation[] {
  const manifest = ImageManifestSchema.parse(reg.json(repository, `${digest.replace(':', '-')}.att`));
  return manifest.layers.map((layer) => {
    expect(layer.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
    const envelope = EnvelopeSchema.parse(reg.blobJson(repository, layer.digest));
    const statement = StatementSchema.parse(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
    return {
      predicateType: statement.predicateType,
      annotation: layer.annotations?.predicateType,
      envelope,
      statement,
    };
  });
}

/** The one referrer of `digest` with `artifactType`: its manifest and its single layer's bytes. */
const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const NOTARY_SIGNATURE = 'application/vnd.cncf.notary.signature';

/** Builds the named demo scenario's image into a fresh in-memory registry. */
async function builtScenario(name: string) {
  const reg = new MemoryRegistry();
  return { reg, built: await buildScenarioImage(reg, scenario(name), keys) };
}

async function signatureReferrer(reg: MemoryRegistry, repository: string, digest: string, artifactType: string) {
  const listed = (await reg.listReferrers(repository, digest)).filter((d) => d.artifactType === artifactType);
  expect(listed).toHaveLength(1);
  const manifest = ImageManifestSchema.parse(reg.json(repository, listed[0]?.digest ?? ''));
  expect(manifest.layers).toHaveLength(1);
  const layer = reg.blobs.get(`${repository}@${manifest.layers[0]?.digest}`);
  if (layer === undefined) throw new Error('referrer layer blob missing');
  return { digest: listed[0]?.digest, manifest, layer };
}

function bundleOf(layer: Uint8Array) {
  const bundle = BundleSchema.parse(JSON.parse(Buffer.from(layer).toString('utf8')));
  const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  return {
    bundle,
    payload,
    statement: StatementSchema.parse(JSON.parse(payload.toString('utf8'))),
    sig: Buffer.from(bundle.dsseEnvelope.signatures[0]?.sig ?? '', 'base64'),
  };
}

function jwsOf(layer: Uint8Array) {
  const jws = JwsSchema.parse(JSON.parse(Buffer.from(layer).toString('utf8')));
  return {
    jws,
    header: JwsHeaderSchema.parse(JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'))),
    target: TargetSchema.parse(JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'))).targetArtifact,
    leaf: new X509Certificate(Buffer.from(jws.header.x5c[0] ?? '', 'base64')),
  };
}

/** RFC 7515 §5.2 with RFC 7518 §3.4 (ES256: raw r‖s). */
function jwsVerifies(protectedB64: string, payloadB64: string, signature: string, leaf: X509Certificate): boolean {
  return verify(
    'sha256',
    Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'),
    { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

function sbomOf(reg: MemoryRegistry, repository: string, digest: string) {
  const referrer = ImageManifestSchema.parse(reg.json(repository, digest));
  const [layer] = referrer.layers;
  if (layer === undefined) throw new Error('SBOM referrer without layer');
  return { referrer, sbom: SbomSchema.parse(reg.blobJson(repository, layer.digest)) };
}

/** Reads a ustar archive per POSIX: names, sizes, contents; checks every header checksum. */
function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) =>
      header
        .subarray(start, start + len)
        .toString('ascii')
        .replace(/\0.*$/s, '');
    const stored = Number.parseInt(field(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
    expect(sum).toBe(stored);
    expect(field(257, 6)).toBe('ustar');
    const name = field(0, 100);
    const size = Number.parseInt(field(124, 12), 8);
    files.set(name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function scenario(name: string): Scenario {
  const found = DEMO_SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
}

const keys: FixtureKeys = await generateFixtureKeys();

// ---------------------------------------------------------------------------------------------

describe('Function: buildScenarioImage', () => {
  describe('when building the good scenario', () => {
    it('stores every blob and manifest under the sha256 of its bytes', async () => {
      // Prepare
      const reg = new MemoryRegistry();

      // Act
      await buildScenarioImage(reg, scenario('good'), keys);

      // Assess
      expect(reg.blobs.size).toBeGreaterThan(5);
      for (const [key, bytes] of reg.blobs) expect(sha256(bytes)).toBe(key.split('@')[1]);
      for (const [key, m] of reg.manifests) expect(sha256(m.bytes)).toBe(key.split('@')[1]);
    });

    it('writes a manifest whose gunzipped layer hashes to rootfs.diff_ids[0] and holds the app files', async () => {
      // Act
      const { reg, built } = await builtScenario('good');

      // Assess
      const manifest = ImageManifestSchema.parse(reg.json('demo/good', '1.4.0'));
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest.annotations?.['org.opencontainers.image.base.name']).toBe(
        'docker.io/library/node:22-bookworm-slim',
      );
      expect(manifest.annotations?.['org.opencontainers.image.base.digest']).toMatch(/^sha256:[a-f0-9]{64}$/);
      const config = ConfigSchema.parse(reg.blobJson('demo/good', manifest.config.digest));
      expect(config.config.Labels['org.opencontainers.image.revision']).toBe(built.gitCommit);
      const [layer] = manifest.layers;
      const gz = layer === undefined ? undefined : reg.blobs.get(`demo/good@${layer.digest}`);
      if (gz === undefined) throw new Error('layer blob missing');
      const tar = gunzipSync(gz);
      expect(sha256(tar)).toBe(config.rootfs.diff_ids[0]);
      const files = readTar(tar);
      expect([...files.keys()]).toEqual(
        expect.arrayContaining([
          'app/package.json',
          'app/package-lock.json',
          'app/prompt-template.txt',
          'app/guardrails.json',
        ]),
      );
      const lockfile = files.get('app/package-lock.json');
      expect(lockfile === undefined ? undefined : sha256(lockfile)).toBe(built.lockfileDigest);
    });

    it('signs the image digest with the trusted signing key (cosign simple signing)', async () => {
      // Act
      const { reg, built } = await builtScenario('good');

      // Assess
      const [sig, ...more] = signatureLayers(reg, 'demo/good', built.digest);
      expect(more).toHaveLength(0);
      if (sig === undefined) throw new Error('no signature layer');
      expect(sig.simple.critical.image['docker-manifest-digest']).toBe(built.digest);
      expect(sig.simple.critical.identity['docker-reference']).toBe('demo/good');
      expect(verify('sha256', sig.payload, keys.signing.publicKey, sig.signature)).toBe(true);
      expect(verify('sha256', sig.payload, keys.untrusted.publicKey, sig.signature)).toBe(false);
      const tampered = Buffer.from(sig.payload);
      tampered[tampered.length - 2] = 0x20;
      expect(verify('sha256', tampered, keys.signing.publicKey, sig.signature)).toBe(false);
    });

    it('attaches provenance, SBOM and eval DSSE envelopes whose PAE verifies and whose subject is the image', async () => {
      // Act
      const { reg, built } = await builtScenario('good');

      // Assess
      const atts = attestations(reg, 'demo/good', built.digest);
      expect(atts.map((a) => a.predicateType)).toEqual([
        'https://slsa.dev/provenance/v1',
        'https://cyclonedx.org/bom',
        'https://release-gate.dev/eval-results/v1',
      ]);
      for (const att of atts) {
        expect(att.annotation).toBe(att.predicateType);
        expect(att.envelope.payloadType).toBe('application/vnd.in-toto+json');
        const message = independentPae(att.envelope.payloadType, Buffer.from(att.envelope.payload, 'base64'));
        const [signature] = att.envelope.signatures;
        const sig = Buffer.from(signature?.sig ?? '', 'base64');
        expect(verify('sha256', message, keys.attestation.publicKey, sig)).toBe(true);
        expect(verify('sha256', message, keys.signing.publicKey, sig)).toBe(false);
        expect(att.statement.subject).toEqual([{ name: 'demo/good', digest: { sha256: built.digest.slice(7) } }]);
      }
    });

    it('writes SLSA v1 provenance that names the builder, source, lockfile and base image', async () => {
      // Act
      const { reg, built } = await builtScenario('good');

      // Assess
      const provenance = attestations(reg, 'demo/good', built.digest).find(
        (a) => a.predicateType === 'https://slsa.dev/provenance/v1',
      );
      const predicate = z
        .object({
          buildDefinition: z.object({
            buildType: z.string(),
            externalParameters: z.object({ workflow: z.object({ repository: z.string(), ref: z.string() }) }),
            resolvedDependencies: z.array(
              z.object({
                uri: z.string().optional(),
                name: z.string().optional(),
                digest: z.record(z.string(), z.string()),
                annotations: z.record(z.string(), z.string()).optional(),
              }),
            ),
          }),
          runDetails: z.object({ builder: z.object({ id: z.string() }) }),
        })
        .parse(provenance?.statement.predicate);
      expect(predicate.runDetails.builder.id).toBe(
        'https://github.com/acme/release-gate-builders/.github/workflows/build.yml@refs/tags/v1',
      );
      expect(predicate.buildDefinition.buildType).toBe('https://actions.github.io/buildtypes/workflow/v1');
      expect(predicate.buildDefinition.externalParameters.workflow.repository).toBe(SOURCE_REPOSITORY);
      const deps = predicate.buildDefinition.resolvedDependencies;
      expect(deps[0]).toEqual({
        uri: 'git+https://github.com/acme/mangaassist@refs/heads/main',
        digest: { gitCommit: built.gitCommit },
      });
      const lockDep = deps.find((d) => d.annotations?.['release-gate.dev/role'] === 'lockfile');
      expect(`sha256:${lockDep?.digest.sha256}`).toBe(built.lockfileDigest);
      const baseDep = deps.find((d) => d.annotations?.['release-gate.dev/role'] === 'base-image');
      const manifest = ImageManifestSchema.parse(reg.json('demo/good', built.digest));
      expect(`sha256:${baseDep?.digest.sha256}`).toBe(manifest.annotations?.['org.opencontainers.image.base.digest']);
      expect(baseDep?.uri).toBe('pkg:docker/node@22-bookworm-slim');
    });

    it('attaches a CycloneDX 1.6 SBOM as an OCI 1.1 referrer of the image', async () => {
      // Act
      const { reg, built } = await builtScenario('good');

      // Assess
      const listed = await reg.listReferrers('demo/good', built.digest);
      expect(listed.map((d) => d.artifactType)).toEqual(['application/vnd.cyclonedx+json']);
      const { referrer, sbom } = sbomOf(reg, 'demo/good', built.sbomReferrer ?? '');
      expect(referrer.config).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      });
      expect(Buffer.from(reg.blobs.get(`demo/good@${referrer.config.digest}`) ?? []).toString()).toBe('{}');
      expect(referrer.subject?.digest).toBe(built.digest);
      expect(referrer.subject?.size).toBe(reg.manifests.get(`demo/good@${built.digest}`)?.bytes.length);
      const purls = sbom.components.map((c) => c.purl);
      expect(purls).toEqual(
        expect.arrayContaining([
          'pkg:npm/express@4.21.2',
          'pkg:npm/zod@3.24.1',
          'pkg:npm/%40aws-sdk/client-bedrock-runtime@3.734.0',
          'pkg:deb/debian/openssl@3.0.15-1~deb12u1?distro=debian-12',
        ]),
      );
      expect(sbom.metadata.properties).toContainEqual({
        name: 'release-gate.dev:lockfile-digest',
        value: built.lockfileDigest,
      });
    });
  });

  describe('when the same scenario is built twice', () => {
    it('gives the same image, layer and SBOM digests', async () => {
      // Prepare
      const first = new MemoryRegistry();
      const second = new MemoryRegistry();

      // Act
      const a = await buildScenarioImage(first, scenario('good'), keys);
      const b = await buildScenarioImage(second, scenario('good'), await generateFixtureKeys());

      // Assess
      expect(b.digest).toBe(a.digest);
      expect(b.sbomReferrer).toBe(a.sbomReferrer);
      expect(b.lockfileDigest).toBe(a.lockfileDigest);
      expect(b.signatureTag).toBe(a.signatureTag);
    });

    it('gives different digests for different tags of one repository', async () => {
      // Prepare
      const reg = new MemoryRegistry();

      // Act
      const a = await buildScenarioImage(reg, { ...scenario('good'), tag: '1.4.0' }, keys);
      const b = await buildScenarioImage(reg, { ...scenario('good'), tag: '1.4.1' }, keys);

      // Assess
      expect(b.digest).not.toBe(a.digest);
    });
  });

  describe('when the same scenario is built again into the same registry', () => {
    it('keeps the existing .sig and .att tags when the keys are the same', async () => {
      // Prepare
      const reg = new MemoryRegistry();
      const first = await buildScenarioImage(reg, scenario('good'), keys);
      const sigBefore = reg.tags.get(`demo/good:${first.signatureTag}`);
      const attBefore = reg.tags.get(`demo/good:${first.attestationTag}`);

      // Act
      const second = await buildScenarioImage(reg, scenario('good'), keys);

      // Assess
      expect(second.digest).toBe(first.digest);
      expect(reg.tags.get(`demo/good:${second.signatureTag}`)).toBe(sigBefore);
      expect(reg.tags.get(`demo/good:${second.attestationTag}`)).toBe(attBefore);
    });

    it('throws a ConflictError when the existing signature was made with other keys', async () => {
      // Prepare
      const reg = new MemoryRegistry();
      await buildScenarioImage(reg, scenario('good'), keys);

      // Act / Assess
      await expect(buildScenarioImage(reg, scenario('good'), await generateFixtureKeys())).rejects.toThrow(
        ConflictError,
      );
    });
  });

  describe('when the scenario is unsigned', () => {
    it('pushes no .sig tag but still the SBOM and attestations', async () => {
      // Act
      const { reg, built } = await builtScenario('unsigned');

      // Assess
      const tags = await reg.listTags('demo/unsigned');
      expect(tags).not.toContain(`${built.digest.replace(':', '-')}.sig`);
      expect(tags).toContain(`${built.digest.replace(':', '-')}.att`);
      expect(built.signatureTag).toBeUndefined();
      expect(await reg.listReferrers('demo/unsigned', built.digest)).toHaveLength(1);
    });
  });

  describe('when the scenario is signed by an unknown key', () => {
    it('signs the right digest with the untrusted key only', async () => {
      // Act
      const { reg, built } = await builtScenario('unknown-key');

      // Assess
      const [sig] = signatureLayers(reg, 'demo/unknown-key', built.digest);
      if (sig === undefined) throw new Error('no signature layer');
      expect(sig.simple.critical.image['docker-manifest-digest']).toBe(built.digest);
      expect(verify('sha256', sig.payload, keys.untrusted.publicKey, sig.signature)).toBe(true);
      expect(verify('sha256', sig.payload, keys.signing.publicKey, sig.signature)).toBe(false);
    });
  });

  describe('when the signature names a different digest', () => {
    it('is a valid trusted signature over a payload naming another image', async () => {
      // Act
      const { reg, built } = await builtScenario('wrong-digest');

      // Assess
      const [sig] = signatureLayers(reg, 'demo/wrong-digest', built.digest);
      if (sig === undefined) throw new Error('no signature layer');
      expect(sig.simple.critical.image['docker-manifest-digest']).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(sig.simple.critical.image['docker-manifest-digest']).not.toBe(built.digest);
      expect(verify('sha256', sig.payload, keys.signing.publicKey, sig.signature)).toBe(true);
    });
  });

  describe('when the image is signed with a Sigstore bundle', () => {
    it('attaches a cosign v3 style bundle referrer whose DSSE statement names the image, signed by the trusted key', async () => {
      // Act
      const { reg, built } = await builtScenario('sigstore-bundle');

      // Assess
      const { digest, manifest, layer } = await signatureReferrer(
        reg,
        'demo/sigstore-bundle',
        built.digest,
        SIGSTORE_BUNDLE,
      );
      expect(built.signatureReferrer).toBe(digest);
      expect(built.signatureTag).toBeUndefined();
      expect(await reg.listTags('demo/sigstore-bundle')).not.toContain(`${built.digest.replace(':', '-')}.sig`);
      expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
      expect(manifest.layers[0]?.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(manifest.subject?.digest).toBe(built.digest);
      expect(manifest.annotations).toMatchObject({
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      });
      const { bundle, payload, statement, sig } = bundleOf(layer);
      expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
      expect(statement.predicateType).toBe('https://sigstore.dev/cosign/sign/v1');
      expect(statement.subject).toEqual([{ name: 'demo/sigstore-bundle', digest: { sha256: built.digest.slice(7) } }]);
      const message = independentPae(bundle.dsseEnvelope.payloadType, payload);
      expect(verify('sha256', message, keys.signing.publicKey, sig)).toBe(true);
      expect(verify('sha256', message, keys.untrusted.publicKey, sig)).toBe(false);
      const spki = keys.signing.publicKey.export({ type: 'spki', format: 'der' });
      expect(bundle.verificationMaterial.publicKey.hint).toBe(createHash('sha256').update(spki).digest('base64'));
    });

    it('alters the signed statement of the tampered variant after signing, with the trusted key', async () => {
      // Act
      const { reg, built } = await builtScenario('sigstore-bundle-tampered');

      // Assess
      const { layer } = await signatureReferrer(reg, 'demo/sigstore-bundle-tampered', built.digest, SIGSTORE_BUNDLE);
      const { bundle, payload, statement, sig } = bundleOf(layer);
      expect(statement.predicateType).toBe('https://sigstore.dev/cosign/sign/v1');
      expect(statement.subject[0]?.digest.sha256).toBe(built.digest.slice(7));
      const type = bundle.dsseEnvelope.payloadType;
      expect(verify('sha256', independentPae(type, payload), keys.signing.publicKey, sig)).toBe(false);
      // Undoing the alteration restores the exact bytes the trusted key signed.
      const { 'release-gate.dev/tampered': marker, ...predicate } = statement.predicate;
      expect(marker).toBe(true);
      // Key order as stored (zod reorders parsed objects): replace the predicate in place.
      const stored = z.record(z.string(), z.unknown()).parse(JSON.parse(payload.toString('utf8')));
      const restored = Buffer.from(
        JSON.stringify(
          Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, k === 'predicate' ? predicate : v])),
        ),
      );
      expect(verify('sha256', independentPae(type, restored), keys.signing.publicKey, sig)).toBe(true);
    });
  });

  describe('when the image is signed with Notation', () => {
    it('attaches a Notation signature referrer whose JWS targets the image and verifies with the chain leaf', async () => {
      // Act
      const { reg, built } = await builtScenario('notation');

      // Assess
      const { digest, manifest, layer } = await signatureReferrer(reg, 'demo/notation', built.digest, NOTARY_SIGNATURE);
      expect(built.signatureReferrer).toBe(digest);
      expect(built.signatureTag).toBeUndefined();
      expect(manifest.layers[0]?.mediaType).toBe('application/jose+json');
      expect(manifest.subject?.digest).toBe(built.digest);
      const { jws, header, target, leaf } = jwsOf(layer);
      const image = reg.manifests.get(`demo/notation@${built.digest}`);
      expect(target).toEqual({ mediaType: image?.mediaType, digest: built.digest, size: image?.bytes.length });
      expect(header).toMatchObject({ alg: 'ES256', cty: 'application/vnd.cncf.notary.payload.v1+json' });
      expect(header.crit).toContain('io.cncf.notary.signingScheme');
      expect(jws.header.x5c.map((c) => Buffer.from(c, 'base64'))).toEqual(
        keys.notation.chain.map((c) => Buffer.from(c.der)),
      );
      expect(leaf.subject.split('\n').join(', ')).toBe(keys.notation.leafSubject);
      expect(jwsVerifies(jws.protected, jws.payload, jws.signature, leaf)).toBe(true);
    });

    it('alters the signed payload of the tampered variant after signing, with the trusted leaf', async () => {
      // Act
      const { reg, built } = await builtScenario('notation-tampered');

      // Assess
      const { layer } = await signatureReferrer(reg, 'demo/notation-tampered', built.digest, NOTARY_SIGNATURE);
      const { jws, target, leaf } = jwsOf(layer);
      expect(target.digest).toBe(built.digest);
      expect(leaf.raw).toEqual(Buffer.from(keys.notation.leaf.der));
      expect(jwsVerifies(jws.protected, jws.payload, jws.signature, leaf)).toBe(false);
      // Undoing the alteration restores the exact payload the trusted leaf signed.
      const { annotations, ...untouched } = target;
      expect(annotations).toEqual({ 'release-gate.dev/tampered': 'true' });
      const restored = Buffer.from(JSON.stringify({ targetArtifact: untouched })).toString('base64url');
      expect(jwsVerifies(jws.protected, restored, jws.signature, leaf)).toBe(true);
    });
  });

  describe('when provenance is missing', () => {
    it('attaches the SBOM and eval attestations only', async () => {
      // Act
      const { reg, built } = await builtScenario('missing-provenance');

      // Assess
      expect(attestations(reg, 'demo/missing-provenance', built.digest).map((a) => a.predicateType)).toEqual([
        'https://cyclonedx.org/bom',
        'https://release-gate.dev/eval-results/v1',
      ]);
    });
  });

  describe('when the image ships a critical CVE', () => {
    it('lists minimist 1.2.5, which the vendored advisory marks affected and CRITICAL', async () => {
      // Prepare
      const reg = new MemoryRegistry();
      const advisory = z
        .object({
          id: z.string(),
          database_specific: z.object({ severity: z.string() }),
          affected: z.array(
            z.object({
              package: z.object({ ecosystem: z.string(), name: z.string() }),
              ranges: z.array(z.object({ events: z.array(z.record(z.string(), z.string())) })),
            }),
          ),
        })
        .parse(JSON.parse(readFileSync('cli/fixtures/advisories/GHSA-xvch-5gv4-984h.json', 'utf8')));

      // Act
      const built = await buildScenarioImage(reg, scenario('critical-cve'), keys);

      // Assess
      const { sbom } = sbomOf(reg, 'demo/critical-cve', built.sbomReferrer ?? '');
      expect(sbom.components.map((c) => c.purl)).toContain('pkg:npm/minimist@1.2.5');
      expect(advisory.database_specific.severity).toBe('CRITICAL');
      const fixes = advisory.affected
        .filter((a) => a.package.ecosystem === 'npm' && a.package.name === 'minimist')
        .flatMap((a) => a.ranges.flatMap((r) => r.events.map((e) => e.fixed)));
      expect(fixes).toContain('1.2.6');
    });
  });

  describe('when the scenario has a promoted baseline', () => {
    it('builds a regressed eval against the baseline (eval-regression)', async () => {
      // Prepare
      const reg = new MemoryRegistry();
      const precision = (atts: Attestation[]) =>
        z
          .object({ metrics: z.array(z.object({ name: z.string(), value: z.number(), threshold: z.number() })) })
          .parse(atts.find((a) => a.predicateType === 'https://release-gate.dev/eval-results/v1')?.statement.predicate)
          .metrics.find((m) => m.name === 'recommendation_precision_at_5');

      // Act
      const { previous, current } = await buildScenario(reg, scenario('eval-regression'), keys);

      // Assess
      if (previous === undefined) throw new Error('no baseline built');
      expect(previous.digest).not.toBe(current.digest);
      const before = precision(attestations(reg, 'demo/eval-regression', previous.digest));
      const after = precision(attestations(reg, 'demo/eval-regression', current.digest));
      expect(before?.value).toBe(0.84);
      expect(after?.value).toBe(0.78);
      expect(after?.value ?? 0).toBeGreaterThan(after?.threshold ?? 1);
      expect((before?.value ?? 0) - (after?.value ?? 0)).toBeGreaterThan(0.02);
    });

    it('keeps the lockfile digest but changes express (lockfile-drift)', async () => {
      // Prepare
      const reg = new MemoryRegistry();
      const express = (purls: (string | undefined)[]) => purls.filter((p) => p?.startsWith('pkg:npm/express@'));

      // Act
      const { previous, current } = await buildScenario(reg, scenario('lockfile-drift'), keys);

      // Assess
      if (previous === undefined) throw new Error('no baseline built');
      expect(current.lockfileDigest).toBe(previous.lockfileDigest);
      const before = sbomOf(reg, 'demo/lockfile-drift', previous.sbomReferrer ?? '').sbom;
      const after = sbomOf(reg, 'demo/lockfile-drift', current.sbomReferrer ?? '').sbom;
      expect(express(before.components.map((c) => c.purl))).toEqual(['pkg:npm/express@4.21.2']);
      expect(express(after.components.map((c) => c.purl))).toEqual(['pkg:npm/express@4.21.1']);
      expect(after.metadata.properties).toEqual(before.metadata.properties);
    });
  });

  describe('when a multi-arch image is requested', () => {
    it('pushes an OCI index of amd64 and arm64 manifests and signs the index digest', async () => {
      // Prepare
      const reg = new MemoryRegistry();

      // Act
      const built = await buildScenarioImage(
        reg,
        { ...scenario('good'), repository: 'demo/multi', platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64] },
        keys,
      );

      // Assess
      const index = ImageIndexSchema.parse(reg.json('demo/multi', built.digest));
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
      for (const entry of index.manifests) {
        const child = ImageManifestSchema.parse(reg.json('demo/multi', entry.digest));
        const config = ConfigSchema.parse(reg.blobJson('demo/multi', child.config.digest));
        expect(config.architecture).toBe(entry.platform?.architecture);
      }
      expect(built.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64/v8']);
      const [sig] = signatureLayers(reg, 'demo/multi', built.digest);
      expect(sig?.simple.critical.image['docker-manifest-digest']).toBe(built.digest);
    });
  });
});

describe('Function: generateNotationChain (the demo chain)', () => {
  describe('when called with the defaults', () => {
    it('returns a root → intermediate → leaf chain meeting the Notary certificate requirements', async () => {
      // Act
      const chain = await generateNotationChain({ caName: 'Release Gate Demo' });

      // Assess
      const [leaf, intermediate, root] = chain.chain.map((c) => new X509Certificate(Buffer.from(c.der)));
      if (leaf === undefined || intermediate === undefined || root === undefined) throw new Error('short chain');
      expect(root.verify(root.publicKey)).toBe(true);
      expect(intermediate.verify(root.publicKey)).toBe(true);
      expect(leaf.verify(intermediate.publicKey)).toBe(true);
      expect(leaf.verify(root.publicKey)).toBe(false);
      expect(intermediate.checkIssued(root)).toBe(true);
      expect(leaf.checkIssued(intermediate)).toBe(true);
      expect([root.ca, intermediate.ca, leaf.ca]).toEqual([true, true, false]);
      expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
      expect(leaf.subject.split('\n')).toEqual(['C=US', 'ST=WA', 'O=Release Gate Demo', 'CN=ci']);
      expect(leaf.publicKey.equals(createPublicKey(chain.leafKey))).toBe(true);
      expect(new Date(leaf.validFrom).getTime()).toBeLessThan(Date.now());
      expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now());
      expect(new X509Certificate(chain.root.pem).raw).toEqual(Buffer.from(chain.root.der));
      expect(chain.leaf.sha256).toBe(sha256Hex(chain.leaf.der));
    });
  });

  describe('when called twice', () => {
    it('gives two unrelated chains', async () => {
      // Act
      const a = await generateNotationChain({ caName: 'Release Gate Demo' });
      const b = await generateNotationChain({ caName: 'Other CA' });

      // Assess
      const leafA = new X509Certificate(Buffer.from(a.leaf.der));
      expect(leafA.verify(new X509Certificate(Buffer.from(b.intermediate.der)).publicKey)).toBe(false);
      expect(new X509Certificate(b.root.pem).subject).toContain('O=Other CA');
    });
  });
});

describe('Function: buildImage', () => {
  describe('when called twice with the same spec', () => {
    it('returns byte-identical manifests and layers', () => {
      // Prepare
      const spec = { files: [{ path: 'app/' }, { path: 'app/a.txt', content: 'a' }], labels: { x: 'y' } };

      // Act
      const a = buildImage(spec);
      const b = buildImage(spec);

      // Assess
      expect(Buffer.from(b.root.bytes).equals(Buffer.from(a.root.bytes))).toBe(true);
      expect(Buffer.from(b.layerTar).equals(Buffer.from(a.layerTar))).toBe(true);
      expect(b.root.digest).toBe(sha256(a.root.bytes));
    });
  });
});

describe('Function: tarArchive', () => {
  describe('when given files and a directory', () => {
    it('writes valid ustar headers, 512-byte blocks and the file contents', () => {
      // Act
      const tar = Buffer.from(tarArchive([{ path: 'app/' }, { path: 'app/x.txt', content: 'hello' }]));

      // Assess
      expect(tar.length % 512).toBe(0);
      const files = readTar(tar);
      expect(files.get('app/x.txt')?.toString()).toBe('hello');
      expect(String.fromCharCode(tar[156] ?? 0)).toBe('5');
    });
  });

  describe('when a path is longer than 100 bytes', () => {
    it('throws instead of truncating', () => {
      // Act / Assess
      expect(() => tarArchive([{ path: `app/${'x'.repeat(100)}` }])).toThrow(/longer than 100/);
    });
  });
});

describe('Constant: EMPTY_CONFIG', () => {
  it('is the image-spec empty descriptor', () => {
    // Assess
    expect(EMPTY_CONFIG.digest).toBe(sha256('{}'));
    expect(EMPTY_CONFIG.digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('Function: demoPolicy', () => {
  describe('when given the fixture keys', () => {
    it('is a valid policy trusting exactly the trusted keys, builder and source', () => {
      // Act
      const policy = PolicyDocumentSchema.parse(demoPolicy(keys));

      // Assess
      const [rule] = policy.rules;
      expect(rule?.signature.keys.map((k) => k.publicKey)).toEqual([keys.signing.publicKeyPem]);
      expect(rule?.attestations.keys.map((k) => k.publicKey)).toEqual([keys.attestation.publicKeyPem]);
      expect(JSON.stringify(policy)).not.toContain(keys.untrusted.publicKeyPem.split('\n')[1]);
      expect(rule?.provenance.builders).toEqual([
        'https://github.com/acme/release-gate-builders/.github/workflows/build.yml@refs/tags/v1',
      ]);
      expect(rule?.provenance.sourceRepositories).toEqual(['https://github.com/acme/mangaassist']);
      expect(rule?.promotion.targetRepository).toBe('prod/{repository}');
    });

    it('trusts the Notation test root as the only anchor and its leaf subject as the only identity', () => {
      // Act
      const policy = PolicyDocumentSchema.parse(demoPolicy(keys));

      // Assess
      const notation = policy.rules[0]?.signature.notation;
      expect(notation?.trustAnchors.map((a) => new X509Certificate(a.certificate).raw)).toEqual([
        Buffer.from(keys.notation.root.der),
      ]);
      expect(notation?.trustedIdentities).toEqual(['x509.subject: C=US, ST=WA, O=Release Gate Demo, CN=ci']);
      expect(notation?.awsSignerProfiles).toEqual([]);
      expect(policy.rules[0]?.signature.accept).toEqual(['cosign', 'sigstore-bundle', 'notation']);
    });
  });
});

describe('Constant: DEMO_SCENARIOS', () => {
  it('uses one repository per scenario and says why each quarantined one fails', () => {
    // Assess
    const repositories = DEMO_SCENARIOS.map((s) => s.repository);
    expect(new Set(repositories).size).toBe(repositories.length);
    for (const s of DEMO_SCENARIOS.filter((x) => x.expect === 'QUARANTINED')) {
      expect(s.expectKind).toBeDefined();
      expect(s.expectReason).toBeTruthy();
    }
    expect(DEMO_SCENARIOS.map((s) => s.name)).toEqual([
      'good',
      'unsigned',
      'unknown-key',
      'wrong-digest',
      'critical-cve',
      'sbom-override',
      'index-overflow',
      'layout-fifo',
      'eval-regression',
      'eval-self-graded',
      'missing-provenance',
      'lockfile-drift',
      'sigstore-bundle',
      'sigstore-bundle-tampered',
      'notation',
      'notation-tampered',
    ]);
  });

  it('promotes one image per signature format and quarantines a tampered one of each new format', () => {
    // Assess
    const outcome = (name: string) => {
      const s = scenario(name);
      return { signature: s.signature, expect: s.expect, expectKind: s.expectKind };
    };
    expect(outcome('sigstore-bundle')).toEqual({
      signature: 'sigstore-bundle',
      expect: 'PROMOTED',
      expectKind: undefined,
    });
    expect(outcome('notation')).toEqual({ signature: 'notation', expect: 'PROMOTED', expectKind: undefined });
    expect(outcome('sigstore-bundle-tampered')).toEqual({
      signature: 'sigstore-bundle-tampered',
      expect: 'QUARANTINED',
      expectKind: 'signature',
    });
    expect(outcome('notation-tampered')).toEqual({
      signature: 'notation-tampered',
      expect: 'QUARANTINED',
      expectKind: 'signature',
    });
  });
});
