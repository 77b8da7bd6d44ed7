import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type BuiltImage, buildImage, builtManifest, PLATFORMS } from '../../cli/fixtures/image.js';
import { cosignSign, cosignSignatureManifest, cosignTag, simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { sigstoreBundleReferrer, sigstoreImageBundle, tamperSigstoreBundle } from '../../cli/fixtures/sigstore.js';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectProvenance } from '../../lambdas/domain/evidence/provenance.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import { PredicateTypes, StatementTypes } from '../../lambdas/domain/predicate-types.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact, pushImage, pushManifest } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'app/x';
const BUILDER = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const SOURCE = 'https://github.com/org/app';
const LOCK_HEX = 'c'.repeat(64);
const BASE_HEX = 'd'.repeat(64);

interface Signer {
  readonly privateKey: KeyObject;
  readonly trusted: { id: string; publicKey: string };
}

function signer(id: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, trusted: { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

const DEFAULT_DEPENDENCIES = [
  { uri: `git+${SOURCE}@refs/heads/main`, digest: { gitCommit: 'e'.repeat(40) } },
  { uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: { sha256: BASE_HEX } },
  { uri: `${SOURCE}/blob/main/package-lock.json`, digest: { sha256: LOCK_HEX } },
];

function provenanceV1(
  builderId = BUILDER,
  resolvedDependencies: unknown[] = DEFAULT_DEPENDENCIES,
): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: { repository: SOURCE, ref: 'refs/heads/main', path: '.github/workflows/release.yml' },
      },
      resolvedDependencies,
    },
    runDetails: { builder: { id: builderId } },
  };
}

function statement(
  subjectDigest: string,
  predicate: unknown,
  predicateType: string = PredicateTypes.slsaProvenanceV1,
): unknown {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: REPO, digest: { sha256: subjectDigest.replace('sha256:', '') } }],
    predicateType,
    predicate,
  };
}

function envelope(by: Signer, body: unknown, payloadType: string = MediaTypes.inTotoPayload): Uint8Array {
  const payload = new Uint8Array(Buffer.from(JSON.stringify(body)));
  const sig = sign('sha256', pae(payloadType, payload), by.privateKey);
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        payloadType,
        payload: Buffer.from(payload).toString('base64'),
        signatures: [{ keyid: '', sig: sig.toString('base64') }],
      }),
    ),
  );
}

function contextFor(registry: MemoryRegistry, digest: Digest, policy: Record<string, unknown>): CollectContext {
  return {
    subject: { repository: REPO, digest },
    registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['app/*'], ...policy }),
    now: new Date('2026-11-25T00:00:00Z'),
    releases: { getEvidence: async () => null, lastPromotion: async () => null },
    documents: { get: async () => Promise.reject(new Error('not used')) },
    scans: { getFindings: async () => Promise.reject(new Error('not used')) },
  };
}

async function setup(
  policy: Record<string, unknown> = {},
): Promise<{ registry: MemoryRegistry; image: Descriptor; ctx: CollectContext }> {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, REPO, '1.0');
  return { registry, image, ctx: contextFor(registry, image.digest, policy) };
}

const attTag = (digest: string): string => `${digestToTag(digest)}.att`;

async function attachAtt(
  registry: MemoryRegistry,
  image: Pick<Descriptor, 'digest'>,
  bytes: Uint8Array,
  predicateType?: string,
): Promise<Descriptor[]> {
  const { layers } = await pushArtifact(registry, REPO, {
    layers: [
      {
        mediaType: MediaTypes.dsseEnvelope,
        bytes,
        ...(predicateType !== undefined ? { annotations: { predicateType } } : {}),
      },
    ],
    tag: attTag(image.digest),
  });
  return layers;
}

// ---------------------------------------------------------------------------------------------
// Multi-arch images (cli/fixtures buildImage) and BuildKit attestation manifests

const BUILDKIT_BUILDER = 'https://github.com/org/app/actions/runs/1';
const ARM64_LABEL = 'linux/arm64/v8';

interface MultiArch {
  readonly registry: MemoryRegistry;
  readonly image: BuiltImage;
  readonly index: Digest;
  readonly amd64: Digest;
  readonly arm64: Digest;
}

function platformDigest(image: BuiltImage, architecture: string): Digest {
  const found = image.platforms.find((p) => p.platform.architecture === architecture);
  if (found === undefined) throw new Error(`no ${architecture} platform`);
  return found.manifest.digest;
}

function twoPlatformImage(): BuiltImage {
  return buildImage({
    files: [{ path: 'app/server.js', content: 'console.log(1)\n' }],
    platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
  });
}

/** An OCI index of linux/amd64 and linux/arm64/v8, as buildImage makes it. */
async function multiArch(): Promise<MultiArch> {
  const registry = new MemoryRegistry();
  const image = twoPlatformImage();
  const index = await pushManifest(registry, REPO, image.root, '1.0');
  return { registry, image, index, amd64: platformDigest(image, 'amd64'), arm64: platformDigest(image, 'arm64') };
}

/** A bare in-toto v0.1 statement with a SLSA v0.2 predicate, as BuildKit writes it (`mode=max`). */
function buildkitStatement(subject: Digest, builderId: string = BUILDKIT_BUILDER): Uint8Array {
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        _type: StatementTypes.v01,
        subject: [{ name: `pkg:docker/${REPO}@1.0`, digest: { sha256: subject.slice('sha256:'.length) } }],
        predicateType: PredicateTypes.slsaProvenanceV02,
        predicate: {
          builder: { id: builderId },
          buildType: 'https://mobyproject.org/buildkit@v1',
          invocation: { configSource: { uri: `git+${SOURCE}@refs/heads/main`, digest: { sha1: 'f'.repeat(40) } } },
          materials: [{ uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: { sha256: BASE_HEX } }],
        },
      }),
    ),
  );
}

/**
 * The same two platforms in an index that also lists one BuildKit attestation manifest per
 * platform in `attested` (docs.docker.com/build/metadata/attestations/attestation-storage).
 */
async function buildkitImage(attested: readonly string[] = ['amd64', 'arm64']): Promise<MultiArch> {
  const registry = new MemoryRegistry();
  const image = twoPlatformImage();
  const entries: Descriptor[] = [];
  for (const p of image.platforms) {
    await pushManifest(registry, REPO, p.manifest);
    entries.push(p.manifest.descriptor);
  }
  for (const p of image.platforms.filter((q) => attested.includes(q.platform.architecture))) {
    const { descriptor } = await pushArtifact(registry, REPO, {
      configMediaType: MediaTypes.ociConfig,
      layers: [
        {
          mediaType: MediaTypes.inTotoPayload,
          bytes: buildkitStatement(p.manifest.digest),
          annotations: { 'in-toto.io/predicate-type': PredicateTypes.slsaProvenanceV02 },
        },
      ],
    });
    entries.push({
      ...descriptor,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': p.manifest.digest,
      },
    });
  }
  const root = builtManifest({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }, []);
  const index = await pushManifest(registry, REPO, root, '1.0');
  return { registry, image, index, amd64: platformDigest(image, 'amd64'), arm64: platformDigest(image, 'arm64') };
}

/** A cosign signature on `digest` (tag `sha256-….sig`) whose payload names `named`. */
async function signImage(registry: MemoryRegistry, digest: Digest, by: Signer, named: Digest = digest): Promise<void> {
  const signature = cosignSign(by.privateKey, simpleSigningPayload(REPO, named));
  await pushManifest(registry, REPO, cosignSignatureManifest([signature]), cosignTag(digest, 'sig'));
}

describe('Function: collectProvenance', () => {
  const ci = signer('ci');
  const stranger = signer('stranger');
  const allowing = {
    attestations: { keys: [ci.trusted] },
    provenance: { builders: [BUILDER], sourceRepositories: [`git+${SOURCE}.git`] },
  };

  describe('when a trusted SLSA v1 provenance from an allowed builder and source is under the .att tag', () => {
    it('passes with builder, source, lockfile and base image in facts', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const bytes = envelope(ci, statement(image.digest, provenanceV1()));
      await attachAtt(registry, image, bytes, PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        builderId: BUILDER,
        sourceRepository: SOURCE,
        sourceRef: 'refs/heads/main',
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        slsaVersion: 'v1',
        lockfileDigest: `sha256:${LOCK_HEX}`,
        baseImage: { uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: `sha256:${BASE_HEX}` },
        signer: 'ci',
      });
      expect(result.facts).toMatchObject({ resolvedDependencyCount: 3 });
      expect(result.facts.resolvedDependencies).toBeUndefined();
      expect(result.documents).toEqual([{ name: 'provenance.dsse.json', mediaType: MediaTypes.dsseEnvelope, bytes }]);
    });
  });

  describe('when a trusted SLSA v0.2 provenance is an OCI referrer', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const predicate = {
        builder: { id: BUILDER },
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
        invocation: { configSource: { uri: `git+${SOURCE}@refs/tags/v1`, digest: { sha1: 'f'.repeat(40) } } },
        materials: [{ uri: 'yarn.lock', digest: { sha256: LOCK_HEX } }],
      };
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.inTotoPayload,
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: envelope(ci, statement(image.digest, predicate, PredicateTypes.slsaProvenanceV02)),
          },
        ],
        subject: image,
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        slsaVersion: 'v0.2',
        sourceRef: 'refs/tags/v1',
        lockfileDigest: `sha256:${LOCK_HEX}`,
      });
    });
  });

  describe('when roles are given by annotation and the lockfile has no sha256', () => {
    it('records the base image and the lockfile but no lockfileDigest', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const predicate = provenanceV1(BUILDER, [
        { uri: `git+${SOURCE}@refs/heads/main`, digest: { gitCommit: 'e'.repeat(40) } },
        { name: 'deps', digest: { sha1: 'a'.repeat(40) }, annotations: { 'release-gate.dev/role': 'lockfile' } },
        { name: 'base', uri: 'registry.example.com/base:1', annotations: { 'release-gate.dev/role': 'base-image' } },
      ]);
      await attachAtt(registry, image, envelope(ci, statement(image.digest, predicate)));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts.lockfileDigest).toBeUndefined();
      expect(result.facts).toMatchObject({
        lockfile: { name: 'deps', digest: `sha1:${'a'.repeat(40)}` },
        baseImage: { uri: 'registry.example.com/base:1' },
      });
    });
  });

  describe('when the image has no provenance', () => {
    it('is MISSING', async () => {
      // Prepare
      const { ctx } = await setup(allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when only an attestation of another predicate type is attached', () => {
    it('is MISSING, not FAIL', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(stranger, statement(image.digest, {}, PredicateTypes.cyclonedx)));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when the policy trusts no attestation key', () => {
    it('fails with the rejection and the policy gap', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ provenance: allowing.provenance });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toBe(`policy trusts no attestation key for ${REPO}`);
      expect(result.reasons[1]).toContain(`tag ${attTag(image.digest)}: DSSE signature not verified by a trusted key`);
    });
  });

  describe('when the envelope is signed by an untrusted key', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(stranger, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toHaveLength(1);
      expect(result.reasons[0]).toMatch(/DSSE signature not verified by a trusted key: no DSSE signature verifies/);
    });
  });

  describe('when the statement is about another digest', () => {
    it('fails naming the subject', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const other = `sha256:${'9'.repeat(64)}`;
      await attachAtt(registry, image, envelope(ci, statement(other, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: statement subject (${other}) does not cover ${image.digest}`,
      ]);
    });
  });

  describe('when the payloadType is not in-toto', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const bytes = envelope(ci, statement(image.digest, provenanceV1()), 'application/json');
      await attachAtt(registry, image, bytes, PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: payloadType is application/json, not ${MediaTypes.inTotoPayload}`,
      ]);
    });
  });

  describe('when the signed statement breaks an in-toto rule', () => {
    it('fails naming the rule', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const broken = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [],
        predicateType: PredicateTypes.slsaProvenanceV1,
        predicate: {},
      };
      await attachAtt(registry, image, envelope(ci, broken));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('SUBJECT_REQUIRED');
    });
  });

  describe('when the envelope is not a DSSE envelope', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, new Uint8Array(Buffer.from('{"hello":1}')), PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('not a DSSE envelope');
    });
  });

  describe('when the registry serves an envelope that does not hash to its digest', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const [layer] = await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));
      registry.corrupt(
        REPO,
        layer?.digest ?? '',
        envelope(ci, statement(image.digest, provenanceV1('https://evil.example.com'))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('unreadable');
    });
  });

  describe('when the envelope is above the attestation size limit', () => {
    it('fails without reading it', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, new Uint8Array(Limits.attestationBytes + 1), PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('above the limit');
    });
  });

  describe('when the builder is not allowed', () => {
    it('fails naming the builder', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(
        registry,
        image,
        envelope(ci, statement(image.digest, provenanceV1('https://evil.example.com/builder'))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: builder https://evil.example.com/builder is not an allowed builder (UNTRUSTED_BUILDER)`,
      ]);
      expect(result.facts).toMatchObject({ builderId: 'https://evil.example.com/builder' });
    });
  });

  describe('when the source repository is not allowed', () => {
    it('fails naming the source', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        ...allowing,
        provenance: { builders: [BUILDER], sourceRepositories: ['https://github.com/org/other'] },
      });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: source repository ${SOURCE} is not allowed (allowed: https://github.com/org/other) (MISMATCH_SOURCE)`,
      ]);
    });
  });

  describe('when the policy allows no builder and no source', () => {
    it('fails closed but still records the facts', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ attestations: allowing.attestations });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `policy allows no builder for ${REPO}`,
        `policy allows no source repository for ${REPO}`,
      ]);
      expect(result.facts).toMatchObject({ builderId: BUILDER, lockfileDigest: `sha256:${LOCK_HEX}` });
    });
  });

  describe('when the signed predicate is not valid SLSA provenance', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(ci, statement(image.digest, { buildDefinition: {} })));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('SLSA v1 provenance is invalid');
    });
  });

  describe('when the image has more referrers than the limit', () => {
    it('throws TOO_LARGE rather than looking at some of them', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      for (let i = 0; i <= Limits.referrers; i += 1) {
        await pushArtifact(registry, REPO, {
          layers: [{ mediaType: 'text/plain', bytes: new Uint8Array(Buffer.from(String(i))) }],
          subject: image,
        });
      }

      // Act
      const act = collectProvenance(ctx);

      // Assess
      await expect(act).rejects.toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    });
  });

  describe('when the registry fails on the .att tag with something other than not-found', () => {
    it('propagates the error', async () => {
      // Prepare
      const { registry, ctx } = await setup(allowing);
      registry.failOn('getManifest', new RegistryError('registry answered 500'));

      // Act
      const act = collectProvenance(ctx);

      // Assess
      await expect(act).rejects.toThrow(RegistryError);
    });
  });

  describe('when the build ran on another branch than the policy requires', () => {
    it('fails with MISMATCH_BRANCH naming both branches', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        ...allowing,
        provenance: { ...allowing.provenance, sourceRef: { branch: 'release' } },
      });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: source branch is main, policy requires release (MISMATCH_BRANCH)`,
      ]);
    });
  });

  describe('when the policy names workflow inputs', () => {
    const dispatched = (inputs: Record<string, unknown>): Record<string, unknown> => {
      const predicate = provenanceV1();
      return {
        ...predicate,
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: { repository: SOURCE, ref: 'refs/heads/main', path: '.github/workflows/release.yml' },
            inputs,
          },
          internalParameters: { github: { event_name: 'workflow_dispatch' } },
          resolvedDependencies: DEFAULT_DEPENDENCIES,
        },
      };
    };
    const requiring = {
      ...allowing,
      provenance: { ...allowing.provenance, workflowInputs: { environment: 'production' } },
    };

    it('fails with MISMATCH_WORKFLOW_INPUTS when the run had another value', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(requiring);
      await attachAtt(registry, image, envelope(ci, statement(image.digest, dispatched({ environment: 'staging' }))));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: workflow input environment is "staging", policy requires "production" (MISMATCH_WORKFLOW_INPUTS)`,
      ]);
    });

    it('passes when the run had that value', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(requiring);
      await attachAtt(
        registry,
        image,
        envelope(ci, statement(image.digest, dispatched({ environment: 'production', dryRun: 'true' }))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
    });
  });

  describe('when the statement is in-toto v0.1 with a SLSA v0.2 predicate', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const v01 = {
        _type: StatementTypes.v01,
        subject: [{ name: REPO, digest: { sha256: image.digest.slice('sha256:'.length) } }],
        predicateType: PredicateTypes.slsaProvenanceV02,
        predicate: {
          builder: { id: BUILDER },
          buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
          invocation: { configSource: { uri: `git+${SOURCE}@refs/heads/main`, digest: { sha1: 'f'.repeat(40) } } },
        },
      };
      await attachAtt(registry, image, envelope(ci, v01));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ slsaVersion: 'v0.2', sourceRef: 'refs/heads/main' });
    });
  });

  describe('when the provenance lists many long resolved dependencies', () => {
    it('keeps facts under 2 KB with the lockfile digest and base image', async () => {
      // Prepare
      const longBuilder = `${BUILDER.replace('@refs/heads/main', '')}/${'x'.repeat(3000)}`;
      const { registry, image, ctx } = await setup({
        ...allowing,
        provenance: { ...allowing.provenance, builders: [longBuilder] },
      });
      const many = Array.from({ length: 400 }, (_, i) => ({
        uri: `https://example.com/${'d'.repeat(200)}/${i}`,
        digest: { sha256: 'a'.repeat(64) },
      }));
      await attachAtt(
        registry,
        image,
        envelope(ci, statement(image.digest, provenanceV1(longBuilder, [...DEFAULT_DEPENDENCIES, ...many]))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(Buffer.byteLength(JSON.stringify(result.facts))).toBeLessThan(2048);
      expect(result.facts).toMatchObject({
        resolvedDependencyCount: 403,
        lockfileDigest: `sha256:${LOCK_HEX}`,
        baseImage: { digest: `sha256:${BASE_HEX}` },
      });
    });
  });

  describe('when a multi-arch image has provenance for one platform only', () => {
    it('fails naming the platform that is not covered', async () => {
      // Prepare
      const { registry, index, amd64, arm64 } = await multiArch();
      await attachAtt(registry, { digest: amd64 }, envelope(ci, statement(amd64, provenanceV1())));
      const ctx = contextFor(registry, index, allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([`platform ${ARM64_LABEL} (${arm64}) is not covered`]);
      expect(result.facts).toMatchObject({
        missingPlatforms: [ARM64_LABEL],
        platforms: ['linux/amd64', ARM64_LABEL],
        attestationSource: `tag ${attTag(amd64)} (platform manifest ${amd64})`,
      });
    });
  });

  describe('when a multi-arch image has provenance about the index digest', () => {
    it('passes: the index pins every platform manifest', async () => {
      // Prepare
      const { registry, index } = await multiArch();
      const bytes = envelope(ci, statement(index, provenanceV1()));
      await attachAtt(registry, { digest: index }, bytes);
      const ctx = contextFor(registry, index, allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons[1]).toBe(`provenance covers every platform (linux/amd64, ${ARM64_LABEL})`);
      expect(result.documents).toEqual([{ name: 'provenance.dsse.json', mediaType: MediaTypes.dsseEnvelope, bytes }]);
    });
  });

  describe('when each platform manifest of a multi-arch image has its own provenance', () => {
    it('passes and stores both envelopes', async () => {
      // Prepare
      const { registry, index, amd64, arm64 } = await multiArch();
      await attachAtt(registry, { digest: amd64 }, envelope(ci, statement(amd64, provenanceV1())));
      await attachAtt(registry, { digest: arm64 }, envelope(ci, statement(arm64, provenanceV1())));
      const ctx = contextFor(registry, index, allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.documents.map((d) => d.name)).toEqual(['provenance.dsse.json', 'provenance-2.dsse.json']);
    });
  });

  describe('when one platform provenance of a multi-arch image breaks the policy', () => {
    it('fails naming the platform and the violation', async () => {
      // Prepare
      const { registry, index, amd64, arm64 } = await multiArch();
      await attachAtt(registry, { digest: amd64 }, envelope(ci, statement(amd64, provenanceV1())));
      await attachAtt(
        registry,
        { digest: arm64 },
        envelope(ci, statement(arm64, provenanceV1('https://evil.example.com/builder'))),
      );
      const ctx = contextFor(registry, index, allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `platform ${ARM64_LABEL} (${arm64}) is not covered`,
        `tag ${attTag(arm64)} (platform manifest ${arm64}): builder https://evil.example.com/builder is not an allowed builder (UNTRUSTED_BUILDER)`,
      ]);
    });
  });

  describe('when the policy requires a subset of the platforms', () => {
    it('passes when the required platform is covered', async () => {
      // Prepare
      const { registry, index, amd64 } = await multiArch();
      await attachAtt(registry, { digest: amd64 }, envelope(ci, statement(amd64, provenanceV1())));
      const ctx = contextFor(registry, index, {
        ...allowing,
        provenance: { ...allowing.provenance, requiredPlatforms: ['linux/amd64'] },
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons[1]).toBe(
        `provenance covers required platforms linux/amd64 (of linux/amd64, ${ARM64_LABEL})`,
      );
    });

    it('fails when the required platform is not covered (linux/arm64 matches any variant)', async () => {
      // Prepare
      const { registry, index, amd64, arm64 } = await multiArch();
      await attachAtt(registry, { digest: amd64 }, envelope(ci, statement(amd64, provenanceV1())));
      const ctx = contextFor(registry, index, {
        ...allowing,
        provenance: { ...allowing.provenance, requiredPlatforms: ['linux/arm64'] },
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([`required platform ${ARM64_LABEL} (${arm64}) is not covered`]);
    });

    it('fails when the image lacks a required platform', async () => {
      // Prepare
      const { registry, index } = await multiArch();
      await attachAtt(registry, { digest: index }, envelope(ci, statement(index, provenanceV1())));
      const ctx = contextFor(registry, index, {
        ...allowing,
        provenance: { ...allowing.provenance, requiredPlatforms: ['linux/amd64', 'linux/s390x'] },
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([`required platform linux/s390x is not in ${index}`]);
    });
  });

  describe('when a multi-arch image has no provenance anywhere', () => {
    it('is MISSING and says the platform manifests were looked at', async () => {
      // Prepare
      const { registry, index } = await multiArch();
      const ctx = contextFor(registry, index, allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons).toEqual([
        `no SLSA provenance attestation found for ${REPO}@${index} nor for its 2 platform manifest(s)`,
      ]);
    });
  });

  describe('when provenance comes from BuildKit attestation manifests', () => {
    const signing = signer('image-signing');
    const buildkitPolicy = (acceptBuildkit: boolean): Record<string, unknown> => ({
      signature: { keys: [signing.trusted] },
      provenance: { builders: [BUILDER, BUILDKIT_BUILDER], sourceRepositories: [SOURCE], acceptBuildkit },
    });

    it('passes when accepted and the index is signed by a trusted key', async () => {
      // Prepare
      const { registry, index } = await buildkitImage();
      await signImage(registry, index, signing);
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual([
        `built by ${BUILDKIT_BUILDER} from ${SOURCE}@refs/heads/main`,
        `provenance covers every platform (linux/amd64, ${ARM64_LABEL})`,
      ]);
      expect(result.facts).toMatchObject({
        signer: 'index signature (image-signing)',
        slsaVersion: 'v0.2',
        baseImage: { digest: `sha256:${BASE_HEX}` },
      });
      expect(result.documents.map((d) => [d.name, d.mediaType])).toEqual([
        ['provenance.intoto.json', MediaTypes.inTotoPayload],
        ['provenance-2.intoto.json', MediaTypes.inTotoPayload],
      ]);
    });

    it('does not read them when the policy does not accept BuildKit, even on a signed index', async () => {
      // Prepare
      const { registry, index } = await buildkitImage();
      await signImage(registry, index, signing);
      const ctx = contextFor(registry, index, buildkitPolicy(false));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons).toContain(
        'index lists 2 BuildKit attestation manifest(s), not read: policy.provenance.acceptBuildkit is false',
      );
    });

    it('rejects them when the index is unsigned', async () => {
      // Prepare
      const { registry, index } = await buildkitImage();
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toMatch(/^BuildKit attestations not accepted: the index signature is MISSING: /);
      expect(result.reasons.slice(1)).toHaveLength(2);
      for (const reason of result.reasons.slice(1)) {
        expect(reason).toContain(`BuildKit attestations are unsigned and index ${index} carries no verified signature`);
      }
    });

    it('rejects them when the index is signed by an untrusted key', async () => {
      // Prepare
      const { registry, index } = await buildkitImage();
      await signImage(registry, index, signer('stranger'));
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('the index signature is FAIL');
      expect(result.reasons[0]).toContain('not trusted');
    });

    it('rejects them when the trusted signature on the index names another digest', async () => {
      // Prepare
      const { registry, index, amd64 } = await buildkitImage();
      await signImage(registry, index, signing, amd64);
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`signature covers ${amd64} not this image ${index}`);
    });

    it('rejects them when only a platform manifest is signed', async () => {
      // Prepare
      const { registry, index, amd64 } = await buildkitImage();
      await signImage(registry, amd64, signing);
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toMatch(/the index signature is MISSING/);
    });

    it('fails naming the platform BuildKit did not attest', async () => {
      // Prepare
      const { registry, index, arm64 } = await buildkitImage(['amd64']);
      await signImage(registry, index, signing);
      const ctx = contextFor(registry, index, buildkitPolicy(true));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([`platform ${ARM64_LABEL} (${arm64}) is not covered`]);
    });
  });
});

describe('Schema: RepositoryPolicySchema provenance block', () => {
  describe('when the provenance block is absent', () => {
    it('defaults to no builders, no sources, no ref or input constraints, all platforms, no BuildKit', () => {
      // Act
      const policy = RepositoryPolicySchema.parse({ repositories: ['app/*'] });

      // Assess
      expect(policy.provenance).toEqual({ builders: [], sourceRepositories: [], acceptBuildkit: false });
    });
  });

  describe('when an existing policy gives only builders and sources', () => {
    it('parses with acceptBuildkit false', () => {
      // Act
      const policy = RepositoryPolicySchema.parse({
        repositories: ['app/*'],
        provenance: { builders: [BUILDER], sourceRepositories: [SOURCE] },
      });

      // Assess
      expect(policy.provenance).toEqual({ builders: [BUILDER], sourceRepositories: [SOURCE], acceptBuildkit: false });
    });
  });

  describe('when the breadth settings are valid', () => {
    it('keeps them', () => {
      // Prepare
      const provenance = {
        builders: [BUILDER],
        sourceRepositories: [SOURCE],
        sourceRef: { branch: 'main', versionedTag: 'v1.5' },
        workflowInputs: { environment: 'production' },
        requiredPlatforms: ['linux/amd64', 'linux/arm/v7'],
        acceptBuildkit: true,
      };

      // Act
      const policy = RepositoryPolicySchema.parse({ repositories: ['app/*'], provenance });

      // Assess
      expect(policy.provenance).toEqual(provenance);
    });
  });

  describe.each([
    ['a platform without an architecture', { requiredPlatforms: ['amd64'] }],
    ['an empty platform list', { requiredPlatforms: [] }],
    ['a versioned tag that is not vX[.Y[.Z]]', { sourceRef: { versionedTag: '1.5' } }],
    ['an empty branch', { sourceRef: { branch: '' } }],
    ['a non-string workflow input', { workflowInputs: { dryRun: true } }],
    ['a non-boolean acceptBuildkit', { acceptBuildkit: 'yes' }],
  ])('when the policy has %s', (_name, provenance) => {
    it('refuses the policy', () => {
      // Act
      const parsed = RepositoryPolicySchema.safeParse({ repositories: ['app/*'], provenance });

      // Assess
      expect(parsed.success).toBe(false);
    });
  });
});

describe('Function: collectProvenance with Sigstore bundles', () => {
  const attester = signer('ci-attest');
  const policy = {
    attestations: { keys: [attester.trusted] },
    provenance: { builders: [BUILDER], sourceRepositories: [SOURCE] },
  };

  async function withBundle(by: Signer, builderId = BUILDER, tamper = false) {
    const { registry, image, ctx } = await setup(policy);
    let bundle = sigstoreImageBundle(by.privateKey, {
      name: REPO,
      digest: image.digest,
      predicateType: PredicateTypes.slsaProvenanceV1,
      predicate: provenanceV1(builderId),
    });
    if (tamper) bundle = tamperSigstoreBundle(bundle);
    await pushManifest(registry, REPO, sigstoreBundleReferrer(image, bundle, PredicateTypes.slsaProvenanceV1));
    return ctx;
  }

  describe('when SLSA provenance comes in a key-based bundle by a trusted attestation key', () => {
    it('passes and names the bundle as the source', async () => {
      const result = await collectProvenance(await withBundle(attester));
      expect(result.status).toBe('PASS');
      expect(result.documents.map((d) => d.name)).toContain('provenance.sigstore.json');
    });
  });

  describe('when the bundle was altered after signing', () => {
    it('fails with the verification reason', async () => {
      const result = await collectProvenance(await withBundle(attester, BUILDER, true));
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join(' ')).toMatch(/Sigstore bundle/);
    });
  });

  describe('when the bundle is signed by a key the policy does not trust', () => {
    it('does not pass', async () => {
      const result = await collectProvenance(await withBundle(signer('stranger')));
      expect(result.status).not.toBe('PASS');
    });
  });

  describe('when the bundled provenance names a builder the policy does not allow', () => {
    it('fails with UNTRUSTED_BUILDER', async () => {
      const result = await collectProvenance(await withBundle(attester, 'https://evil.example/builder@v1'));
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join(' ')).toContain('UNTRUSTED_BUILDER');
    });
  });
});
