import { describe, expect, it } from 'vitest';
import { type BuiltImage, buildImage, PLATFORMS } from '../../cli/fixtures/image.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { cosignSign, cosignSignatureManifest, cosignTag, simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { sigstoreBundleReferrer, sigstoreImageBundle, tamperSigstoreBundle } from '../../cli/fixtures/sigstore.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import { requiredPlatformsOf } from '../../lambdas/domain/evidence/platforms-policy.js';
import { collectProvenance } from '../../lambdas/domain/evidence/provenance.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import { PredicateTypes, StatementTypes } from '../../lambdas/domain/predicate-types.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact, pushBuildkitIndex } from '../support/images.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { attachAttestation, attTag, collectContext, imageContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { bytesOf, dsseEnvelope, statementAbout, type TestSigner, testSigner } from '../support/signers.js';

const REPO = 'app/x';
const BUILDER = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const EVIL_BUILDER = 'https://evil.example.com/builder';
const SOURCE = 'https://github.com/org/app';
const LOCK_HEX = 'c'.repeat(64);
const BASE_HEX = 'd'.repeat(64);

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

const statement = (subject: string, predicate: unknown, predicateType: string = PredicateTypes.slsaProvenanceV1) =>
  statementAbout({ name: REPO, digest: subject }, predicateType, predicate);

/** SLSA v1 provenance about `subject` by `builderId`, signed by `by`. */
const signedProvenance = (by: TestSigner, subject: string, builderId = BUILDER): Uint8Array =>
  dsseEnvelope(by, statement(subject, provenanceV1(builderId)));

const attach = (registry: MemoryRegistry, subject: Digest, bytes: Uint8Array, predicateType?: string) =>
  attachAttestation(registry, REPO, { digest: subject }, bytes, predicateType);

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

async function pushIndex(registry: MemoryRegistry, image: BuiltImage, root = image.root): Promise<MultiArch> {
  const index = await pushManifest(registry, REPO, root, '1.0');
  return { registry, image, index, amd64: platformDigest(image, 'amd64'), arm64: platformDigest(image, 'arm64') };
}

/** An OCI index of linux/amd64 and linux/arm64/v8, as buildImage makes it. */
async function multiArch(): Promise<MultiArch> {
  return pushIndex(new MemoryRegistry(), twoPlatformImage());
}

/** A bare in-toto v0.1 statement with a SLSA v0.2 predicate, as BuildKit writes it (`mode=max`). */
function buildkitStatement(subject: Digest, builderId: string = BUILDKIT_BUILDER): Uint8Array {
  return bytesOf(
    statementAbout(
      { name: `pkg:docker/${REPO}@1.0`, digest: subject },
      PredicateTypes.slsaProvenanceV02,
      {
        builder: { id: builderId },
        buildType: 'https://mobyproject.org/buildkit@v1',
        invocation: { configSource: { uri: `git+${SOURCE}@refs/heads/main`, digest: { sha1: 'f'.repeat(40) } } },
        materials: [{ uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: { sha256: BASE_HEX } }],
      },
      StatementTypes.v01,
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
  const attestedDigests = image.platforms
    .filter((p) => attested.includes(p.platform.architecture))
    .map((p) => p.manifest.digest);
  const index = await pushBuildkitIndex(registry, REPO, image, (m) =>
    attestedDigests.includes(m.digest)
      ? [{ bytes: buildkitStatement(m.digest), predicateType: PredicateTypes.slsaProvenanceV02 }]
      : [],
  );
  return { registry, image, index, amd64: platformDigest(image, 'amd64'), arm64: platformDigest(image, 'arm64') };
}

/** A cosign signature on `digest` (tag `sha256-….sig`) whose payload names `named`. */
async function signImage(registry: MemoryRegistry, digest: Digest, by: TestSigner, named: Digest = digest) {
  const signature = cosignSign(by.privateKey, simpleSigningPayload(REPO, named));
  await pushManifest(registry, REPO, cosignSignatureManifest([signature]), cosignTag(digest, 'sig'));
}

describe('Function: collectProvenance', () => {
  const ci = testSigner('ci');
  const stranger = testSigner('stranger');
  const allowing = {
    attestations: { keys: [ci.trusted] },
    provenance: { builders: [BUILDER], sourceRepositories: [`git+${SOURCE}.git`] },
  };
  const withProvenance = (provenance: Record<string, unknown>) => ({
    ...allowing,
    provenance: { ...allowing.provenance, ...provenance },
  });

  describe('when a trusted SLSA v1 provenance from an allowed builder and source is under the .att tag', () => {
    it('passes with builder, source, lockfile and base image in facts', async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      const bytes = signedProvenance(ci, image.digest);
      await attach(registry, image.digest, bytes, PredicateTypes.slsaProvenanceV1);

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
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      const predicate = {
        builder: { id: BUILDER },
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
        invocation: { configSource: { uri: `git+${SOURCE}@refs/tags/v1`, digest: { sha1: 'f'.repeat(40) } } },
        materials: [{ uri: 'yarn.lock', digest: { sha256: LOCK_HEX } }],
      };
      const bytes = dsseEnvelope(ci, statement(image.digest, predicate, PredicateTypes.slsaProvenanceV02));
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.inTotoPayload,
        layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes }],
        subject: image,
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expectEvidence(result, {
        status: 'PASS',
        facts: { slsaVersion: 'v0.2', sourceRef: 'refs/tags/v1', lockfileDigest: `sha256:${LOCK_HEX}` },
      });
    });
  });

  describe('when roles are given by annotation and the lockfile has no sha256', () => {
    it('records the base image and the lockfile but no lockfileDigest', async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      const predicate = provenanceV1(BUILDER, [
        { uri: `git+${SOURCE}@refs/heads/main`, digest: { gitCommit: 'e'.repeat(40) } },
        { name: 'deps', digest: { sha1: 'a'.repeat(40) }, annotations: { 'release-gate.dev/role': 'lockfile' } },
        { name: 'base', uri: 'registry.example.com/base:1', annotations: { 'release-gate.dev/role': 'base-image' } },
      ]);
      await attach(registry, image.digest, dsseEnvelope(ci, statement(image.digest, predicate)));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.facts.lockfileDigest).toBeUndefined();
      expectEvidence(result, {
        status: 'PASS',
        facts: {
          lockfile: { name: 'deps', digest: `sha1:${'a'.repeat(40)}` },
          baseImage: { uri: 'registry.example.com/base:1' },
        },
      });
    });
  });

  describe('when a second provenance, also signed by the trusted key, names a builder the policy does not allow', () => {
    it('fails: the passing statement does not outvote the conflicting one', async () => {
      // Prepare: the CI's provenance under the .att tag, and a signed one by another builder as a referrer.
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      await attach(registry, image.digest, signedProvenance(ci, image.digest), PredicateTypes.slsaProvenanceV1);
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.inTotoPayload,
        layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes: signedProvenance(ci, image.digest, EVIL_BUILDER) }],
        subject: image,
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expectEvidence(result, {
        status: 'FAIL',
        reasons: [
          'signed provenance statements disagree: 1 of 2 do not pass',
          expect.stringContaining(`builder ${EVIL_BUILDER} is not an allowed builder (UNTRUSTED_BUILDER)`),
        ],
      });
    });
  });

  /**
   * One image with (at most) one envelope under its `.att` tag. `envelope` makes the layer bytes
   * for the image digest; `reasons` is a function of the `.att` tag and the image digest.
   */
  interface AttCase extends Omit<ExpectedEvidence, 'reasons'> {
    readonly when: string;
    readonly it: string;
    readonly policy?: Record<string, unknown>;
    readonly envelope?: (image: Digest) => Uint8Array;
    readonly predicateType?: string;
    readonly reasons?: (tag: string, image: Digest) => readonly unknown[];
  }

  const OTHER = `sha256:${'9'.repeat(64)}`;
  const dispatched = (inputs: Record<string, unknown>): Record<string, unknown> => ({
    ...provenanceV1(),
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: { repository: SOURCE, ref: 'refs/heads/main', path: '.github/workflows/release.yml' },
        inputs,
      },
      internalParameters: { github: { event_name: 'workflow_dispatch' } },
      resolvedDependencies: DEFAULT_DEPENDENCIES,
    },
  });
  const requiringInputs = withProvenance({ workflowInputs: { environment: 'production' } });
  const longBuilder = `${BUILDER.replace('@refs/heads/main', '')}/${'x'.repeat(3000)}`;

  const ATT_CASES: readonly AttCase[] = [
    { when: 'the image has no provenance', it: 'is MISSING', status: 'MISSING' },
    {
      when: 'only an attestation of another predicate type is attached',
      it: 'is MISSING, not FAIL',
      envelope: (d) => dsseEnvelope(stranger, statement(d, {}, PredicateTypes.cyclonedx)),
      status: 'MISSING',
    },
    {
      when: 'the policy trusts no attestation key',
      it: 'fails with the rejection and the policy gap',
      policy: { provenance: allowing.provenance },
      envelope: (d) => signedProvenance(ci, d),
      status: 'FAIL',
      reasons: (tag) => [
        `policy trusts no attestation key for ${REPO}`,
        expect.stringContaining(`tag ${tag}: DSSE signature not verified by a trusted key`),
      ],
    },
    {
      when: 'the envelope is signed by an untrusted key',
      it: 'fails',
      envelope: (d) => signedProvenance(stranger, d),
      status: 'FAIL',
      reasons: () => [
        expect.stringMatching(/DSSE signature not verified by a trusted key: no DSSE signature verifies/),
      ],
    },
    {
      when: 'the statement is about another digest',
      it: 'fails naming the subject',
      envelope: () => signedProvenance(ci, OTHER),
      status: 'FAIL',
      reasons: (tag, d) => [`tag ${tag}: statement subject (${OTHER}) does not cover ${d}`],
    },
    {
      when: 'the payloadType is not in-toto',
      it: 'fails',
      envelope: (d) => dsseEnvelope(ci, statement(d, provenanceV1()), 'application/json'),
      predicateType: PredicateTypes.slsaProvenanceV1,
      status: 'FAIL',
      reasons: (tag) => [`tag ${tag}: payloadType is application/json, not ${MediaTypes.inTotoPayload}`],
    },
    {
      when: 'the signed statement breaks an in-toto rule',
      it: 'fails naming the rule',
      envelope: () =>
        dsseEnvelope(ci, {
          _type: 'https://in-toto.io/Statement/v1',
          subject: [],
          predicateType: PredicateTypes.slsaProvenanceV1,
          predicate: {},
        }),
      status: 'FAIL',
      reasons: () => [expect.stringContaining('SUBJECT_REQUIRED')],
    },
    {
      when: 'the envelope is not a DSSE envelope',
      it: 'fails',
      envelope: () => bytesOf({ hello: 1 }),
      predicateType: PredicateTypes.slsaProvenanceV1,
      status: 'FAIL',
      reasons: () => [expect.stringContaining('not a DSSE envelope')],
    },
    {
      when: 'the envelope is above the attestation size limit',
      it: 'fails without reading it',
      envelope: () => new Uint8Array(Limits.attestationBytes + 1),
      predicateType: PredicateTypes.slsaProvenanceV1,
      status: 'FAIL',
      reasons: () => [expect.stringContaining('above the limit')],
    },
    {
      when: 'the builder is not allowed',
      it: 'fails naming the builder',
      envelope: (d) => signedProvenance(ci, d, EVIL_BUILDER),
      status: 'FAIL',
      reasons: (tag) => [`tag ${tag}: builder ${EVIL_BUILDER} is not an allowed builder (UNTRUSTED_BUILDER)`],
      facts: { builderId: EVIL_BUILDER },
    },
    {
      when: 'the source repository is not allowed',
      it: 'fails naming the source',
      policy: {
        ...allowing,
        provenance: { builders: [BUILDER], sourceRepositories: ['https://github.com/org/other'] },
      },
      envelope: (d) => signedProvenance(ci, d),
      status: 'FAIL',
      reasons: (tag) => [
        `tag ${tag}: source repository ${SOURCE} is not allowed (allowed: https://github.com/org/other) (MISMATCH_SOURCE)`,
      ],
    },
    {
      when: 'the policy allows no builder and no source',
      it: 'fails closed but still records the facts',
      policy: { attestations: allowing.attestations },
      envelope: (d) => signedProvenance(ci, d),
      status: 'FAIL',
      reasons: () => [`policy allows no builder for ${REPO}`, `policy allows no source repository for ${REPO}`],
      facts: { builderId: BUILDER, lockfileDigest: `sha256:${LOCK_HEX}` },
    },
    {
      when: 'the signed predicate is not valid SLSA provenance',
      it: 'fails',
      envelope: (d) => dsseEnvelope(ci, statement(d, { buildDefinition: {} })),
      status: 'FAIL',
      reasons: () => [expect.stringContaining('SLSA v1 provenance is invalid')],
    },
    {
      when: 'the build ran on another branch than the policy requires',
      it: 'fails with MISMATCH_BRANCH naming both branches',
      policy: withProvenance({ sourceRef: { branch: 'release' } }),
      envelope: (d) => signedProvenance(ci, d),
      status: 'FAIL',
      reasons: (tag) => [`tag ${tag}: source branch is main, policy requires release (MISMATCH_BRANCH)`],
    },
    {
      when: 'the policy names workflow inputs and the run had another value',
      it: 'fails with MISMATCH_WORKFLOW_INPUTS',
      policy: requiringInputs,
      envelope: (d) => dsseEnvelope(ci, statement(d, dispatched({ environment: 'staging' }))),
      status: 'FAIL',
      reasons: (tag) => [
        `tag ${tag}: workflow input environment is "staging", policy requires "production" (MISMATCH_WORKFLOW_INPUTS)`,
      ],
    },
    {
      when: 'the policy names workflow inputs and the run had that value',
      it: 'passes',
      policy: requiringInputs,
      envelope: (d) => dsseEnvelope(ci, statement(d, dispatched({ environment: 'production', dryRun: 'true' }))),
      status: 'PASS',
    },
    {
      when: 'the statement is in-toto v0.1 with a SLSA v0.2 predicate',
      it: 'passes',
      envelope: (d) =>
        dsseEnvelope(
          ci,
          statementAbout(
            { name: REPO, digest: d },
            PredicateTypes.slsaProvenanceV02,
            {
              builder: { id: BUILDER },
              buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
              invocation: {
                configSource: { uri: `git+${SOURCE}@refs/heads/main`, digest: { sha1: 'f'.repeat(40) } },
              },
            },
            StatementTypes.v01,
          ),
        ),
      status: 'PASS',
      facts: { slsaVersion: 'v0.2', sourceRef: 'refs/heads/main' },
    },
    {
      when: 'the provenance lists many long resolved dependencies',
      it: 'keeps facts under 2 KB with the lockfile digest and base image',
      policy: withProvenance({ builders: [longBuilder] }),
      envelope: (d) => {
        const many = Array.from({ length: 400 }, (_, i) => ({
          uri: `https://example.com/${'d'.repeat(200)}/${i}`,
          digest: { sha256: 'a'.repeat(64) },
        }));
        return dsseEnvelope(ci, statement(d, provenanceV1(longBuilder, [...DEFAULT_DEPENDENCIES, ...many])));
      },
      status: 'PASS',
      facts: {
        resolvedDependencyCount: 403,
        lockfileDigest: `sha256:${LOCK_HEX}`,
        baseImage: { digest: `sha256:${BASE_HEX}` },
      },
    },
  ];

  describe.each(ATT_CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, c.policy ?? allowing);
      if (c.envelope !== undefined) await attach(registry, image.digest, c.envelope(image.digest), c.predicateType);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expectEvidence(result, { ...c, reasons: c.reasons?.(attTag(image.digest), image.digest) });
      expect(Buffer.byteLength(JSON.stringify(result.facts))).toBeLessThan(2048);
    });
  });

  describe('when the registry serves an envelope that does not hash to its digest', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      const [layer] = await attach(registry, image.digest, signedProvenance(ci, image.digest));
      registry.corrupt(REPO, layer?.digest ?? '', signedProvenance(ci, image.digest, 'https://evil.example.com'));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('unreadable');
    });
  });

  describe('when the image has more referrers than the limit', () => {
    it('throws TOO_LARGE rather than looking at some of them', async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, allowing);
      for (let i = 0; i <= Limits.referrers; i += 1) {
        await pushArtifact(registry, REPO, {
          layers: [{ mediaType: 'text/plain', bytes: bytesOf(i) }],
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
      const { registry, ctx } = await imageContext(REPO, allowing);
      registry.failOn('getManifest', new RegistryError('registry answered 500'));

      // Act
      const act = collectProvenance(ctx);

      // Assess
      await expect(act).rejects.toThrow(RegistryError);
    });
  });

  /** A multi-arch image whose platform manifests or index carry provenance by `builder` (ci-signed). */
  interface MultiArchCase extends Pick<ExpectedEvidence, 'status'> {
    readonly when: string;
    readonly it: string;
    readonly attested: (m: MultiArch) => readonly (readonly [Digest, string?])[];
    readonly requiredPlatforms?: readonly string[];
    readonly expected: (m: MultiArch) => Omit<ExpectedEvidence, 'status'>;
  }

  const MULTI_ARCH_CASES: readonly MultiArchCase[] = [
    {
      when: 'a multi-arch image has provenance for one platform only',
      it: 'fails naming the platform that is not covered',
      attested: (m) => [[m.amd64]],
      status: 'FAIL',
      expected: (m) => ({
        reasons: [`platform ${ARM64_LABEL} (${m.arm64}) is not covered`],
        facts: {
          missingPlatforms: [ARM64_LABEL],
          platforms: ['linux/amd64', ARM64_LABEL],
          attestationSource: `tag ${attTag(m.amd64)} (platform manifest ${m.amd64})`,
        },
      }),
    },
    {
      when: 'a multi-arch image has provenance about the index digest',
      it: 'passes: the index pins every platform manifest',
      attested: (m) => [[m.index]],
      status: 'PASS',
      expected: () => ({
        reasons: [expect.any(String), `provenance covers every platform (linux/amd64, ${ARM64_LABEL})`],
        documents: ['provenance.dsse.json'],
      }),
    },
    {
      when: 'each platform manifest of a multi-arch image has its own provenance',
      it: 'passes and stores both envelopes',
      attested: (m) => [[m.amd64], [m.arm64]],
      status: 'PASS',
      expected: () => ({ documents: ['provenance.dsse.json', 'provenance-2.dsse.json'] }),
    },
    {
      when: 'one platform provenance of a multi-arch image breaks the policy',
      it: 'fails naming the platform and the violation',
      attested: (m) => [[m.amd64], [m.arm64, EVIL_BUILDER]],
      status: 'FAIL',
      expected: (m) => ({
        reasons: [
          'signed provenance statements disagree: 1 of 2 do not pass',
          `tag ${attTag(m.arm64)} (platform manifest ${m.arm64}): builder ${EVIL_BUILDER} is not an allowed builder (UNTRUSTED_BUILDER)`,
        ],
      }),
    },
    {
      when: 'the policy requires a subset of the platforms and it is covered',
      it: 'passes',
      attested: (m) => [[m.amd64]],
      requiredPlatforms: ['linux/amd64'],
      status: 'PASS',
      expected: () => ({
        reasons: [
          expect.any(String),
          `provenance covers required platforms linux/amd64 (of linux/amd64, ${ARM64_LABEL})`,
        ],
      }),
    },
    {
      when: 'the policy requires a platform that is not covered',
      it: 'fails (linux/arm64 matches any variant)',
      attested: (m) => [[m.amd64]],
      requiredPlatforms: ['linux/arm64'],
      status: 'FAIL',
      expected: (m) => ({ reasons: [`required platform ${ARM64_LABEL} (${m.arm64}) is not covered`] }),
    },
    {
      when: 'the policy requires a platform the image lacks',
      it: 'fails',
      attested: (m) => [[m.index]],
      requiredPlatforms: ['linux/amd64', 'linux/s390x'],
      status: 'FAIL',
      expected: (m) => ({ reasons: [`required platform linux/s390x is not in ${m.index}`] }),
    },
    {
      when: 'a multi-arch image has no provenance anywhere',
      it: 'is MISSING and says the platform manifests were looked at',
      attested: () => [],
      status: 'MISSING',
      expected: (m) => ({
        reasons: [`no SLSA provenance attestation found for ${REPO}@${m.index} nor for its 2 platform manifest(s)`],
      }),
    },
  ];

  describe.each(MULTI_ARCH_CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, async () => {
      // Prepare
      const m = await multiArch();
      const attached: Uint8Array[] = [];
      for (const [subject, builder] of c.attested(m)) {
        attached.push(signedProvenance(ci, subject, builder));
        await attach(m.registry, subject, attached.at(-1) ?? new Uint8Array());
      }
      const policy =
        c.requiredPlatforms === undefined ? allowing : withProvenance({ requiredPlatforms: c.requiredPlatforms });
      const ctx = collectContext({ subject: { repository: REPO, digest: m.index }, registry: m.registry, policy });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      const { documents, ...expected } = c.expected(m);
      expectEvidence(result, { status: c.status, ...expected });
      if (documents !== undefined) {
        expect(result.documents).toEqual(
          documents.map((name, i) => ({ name, mediaType: MediaTypes.dsseEnvelope, bytes: attached[i] })),
        );
      }
    });
  });

  describe('when provenance comes from BuildKit attestation manifests', () => {
    const signing = testSigner('image-signing');

    /** How the index (or a platform manifest) is signed, and what the collector must make of it. */
    interface BuildkitCase extends Pick<ExpectedEvidence, 'status'> {
      readonly it: string;
      readonly attested?: readonly string[];
      readonly acceptBuildkit?: boolean;
      /** Who signs which manifest, naming which digest. @default - nobody signs */
      readonly signed?: (m: MultiArch) => { by: TestSigner; on: Digest; named?: Digest };
      /** The reasons, whole. */
      readonly expected: (m: MultiArch) => unknown;
    }

    /** The reasons after the first when the index signature does not pass: each attestation manifest refused. */
    const unsignedRefused = (m: MultiArch) =>
      [m.amd64, m.arm64].map(() =>
        expect.stringContaining(
          `BuildKit attestations are unsigned and index ${m.index} carries no verified signature`,
        ),
      );

    const BUILDKIT_CASES: readonly BuildkitCase[] = [
      {
        it: 'does not read them when the policy does not accept BuildKit, even on a signed index',
        acceptBuildkit: false,
        signed: (m) => ({ by: signing, on: m.index }),
        status: 'MISSING',
        expected: () =>
          expect.arrayContaining([
            'index lists 2 BuildKit attestation manifest(s), not read: policy.provenance.acceptBuildkit is false',
          ]),
      },
      {
        it: 'rejects them when the index is unsigned',
        status: 'FAIL',
        expected: (m) => [
          expect.stringMatching(/^BuildKit attestations not accepted: the index signature is MISSING: /),
          ...unsignedRefused(m),
        ],
      },
      {
        it: 'rejects them when the index is signed by an untrusted key',
        signed: (m) => ({ by: testSigner('stranger'), on: m.index }),
        status: 'FAIL',
        expected: (m) => [expect.stringMatching(/the index signature is FAIL.*not trusted/), ...unsignedRefused(m)],
      },
      {
        it: 'rejects them when the trusted signature on the index names another digest',
        signed: (m) => ({ by: signing, on: m.index, named: m.amd64 }),
        status: 'FAIL',
        expected: (m) => [
          expect.stringContaining(`signature covers ${m.amd64} not this image ${m.index}`),
          ...unsignedRefused(m),
        ],
      },
      {
        it: 'rejects them when only a platform manifest is signed',
        signed: (m) => ({ by: signing, on: m.amd64 }),
        status: 'FAIL',
        expected: (m) => [
          expect.stringMatching(
            /the index signature is FAIL: .*a signature on a platform manifest does not cover the index/,
          ),
          ...unsignedRefused(m),
        ],
      },
      {
        it: 'fails naming the platform BuildKit did not attest',
        attested: ['amd64'],
        signed: (m) => ({ by: signing, on: m.index }),
        status: 'FAIL',
        expected: (m) => [`platform ${ARM64_LABEL} (${m.arm64}) is not covered`],
      },
    ];

    async function collectBuildkit(c: Pick<BuildkitCase, 'attested' | 'acceptBuildkit' | 'signed'>) {
      const m = await buildkitImage(c.attested);
      const signed = c.signed?.(m);
      if (signed !== undefined) await signImage(m.registry, signed.on, signed.by, signed.named);
      const policy = {
        signature: { keys: [signing.trusted] },
        provenance: {
          builders: [BUILDER, BUILDKIT_BUILDER],
          sourceRepositories: [SOURCE],
          acceptBuildkit: c.acceptBuildkit ?? true,
        },
      };
      const ctx = collectContext({ subject: { repository: REPO, digest: m.index }, registry: m.registry, policy });
      return { m, result: await collectProvenance(ctx) };
    }

    it('passes when accepted and the index is signed by a trusted key', async () => {
      // Act
      const { result } = await collectBuildkit({ signed: (m) => ({ by: signing, on: m.index }) });

      // Assess
      expectEvidence(result, {
        status: 'PASS',
        reasons: [
          `built by ${BUILDKIT_BUILDER} from ${SOURCE}@refs/heads/main`,
          `provenance covers every platform (linux/amd64, ${ARM64_LABEL})`,
        ],
        facts: {
          signer: 'index signature (image-signing)',
          slsaVersion: 'v0.2',
          baseImage: { digest: `sha256:${BASE_HEX}` },
        },
      });
      expect(result.documents.map((d) => [d.name, d.mediaType])).toEqual([
        ['provenance.intoto.json', MediaTypes.inTotoPayload],
        ['provenance-2.intoto.json', MediaTypes.inTotoPayload],
      ]);
    });

    it.each(BUILDKIT_CASES.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Act
      const { m, result } = await collectBuildkit(c);

      // Assess
      expectEvidence(result, { status: c.status, reasons: c.expected(m) });
    });
  });
});

describe('Schema: RepositoryPolicySchema provenance block', () => {
  describe.each([
    ['the provenance block is absent', undefined, { builders: [], sourceRepositories: [], acceptBuildkit: false }],
    [
      'an existing policy gives only builders and sources',
      { builders: [BUILDER], sourceRepositories: [SOURCE] },
      { builders: [BUILDER], sourceRepositories: [SOURCE], acceptBuildkit: false },
    ],
  ])('when %s', (_when, provenance, expected) => {
    it('defaults to no ref or input constraints, all platforms and no BuildKit', () => {
      // Act
      const policy = RepositoryPolicySchema.parse({ repositories: ['app/*'], provenance });

      // Assess
      expect(policy.provenance).toEqual(expected);
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

describe('Schema: RepositoryPolicySchema platforms block (red-team finding 24)', () => {
  describe.each([
    ['only platforms.required', { platforms: { required: ['linux/arm64'] } }, ['linux/arm64']],
    [
      'only the older provenance.requiredPlatforms',
      { provenance: { requiredPlatforms: ['linux/arm64'] } },
      ['linux/arm64'],
    ],
    [
      'both, the same',
      { platforms: { required: ['linux/arm64'] }, provenance: { requiredPlatforms: ['linux/arm64'] } },
      ['linux/arm64'],
    ],
    ['neither', {}, undefined],
  ])('when the rule sets %s', (_when, rule, expected) => {
    it('requires those platforms of every per-platform kind', () => {
      // Act
      const policy = RepositoryPolicySchema.parse({ repositories: ['app/*'], ...rule });

      // Assess
      expect(requiredPlatformsOf(policy)).toEqual(expected);
    });
  });

  describe('when the rule sets both, differently', () => {
    it('refuses the policy and says which key to keep', () => {
      // Act
      const parsed = RepositoryPolicySchema.safeParse({
        repositories: ['app/*'],
        platforms: { required: ['linux/amd64'] },
        provenance: { requiredPlatforms: ['linux/arm64'] },
      });

      // Assess
      expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        [
          'provenance.requiredPlatforms',
          'set platforms.required only (provenance.requiredPlatforms is its older name)',
        ],
      ]);
    });
  });
});

describe('Function: collectProvenance with Sigstore bundles', () => {
  const attester = testSigner('ci-attest');
  const policy = {
    attestations: { keys: [attester.trusted] },
    provenance: { builders: [BUILDER], sourceRepositories: [SOURCE] },
  };

  async function withBundle(by: TestSigner, builderId = BUILDER, tamper = false) {
    const { registry, image, ctx } = await imageContext(REPO, policy);
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

  describe.each([
    [
      'SLSA provenance comes in a key-based bundle by a trusted attestation key',
      'passes and names the bundle as the source',
      [attester],
      (r: Result) => {
        expect(r.status).toBe('PASS');
        expect(r.documents.map((d) => d.name)).toContain('provenance.sigstore.json');
      },
    ],
    [
      'the bundle was altered after signing',
      'fails with the verification reason',
      [attester, BUILDER, true],
      (r: Result) => {
        expect(r.status).toBe('FAIL');
        expect(r.reasons.join(' ')).toMatch(/Sigstore bundle/);
      },
    ],
    [
      'the bundle is signed by a key the policy does not trust',
      'does not pass',
      [testSigner('stranger')],
      (r: Result) => expect(r.status).not.toBe('PASS'),
    ],
    [
      'the bundled provenance names a builder the policy does not allow',
      'fails with UNTRUSTED_BUILDER',
      [attester, 'https://evil.example/builder@v1'],
      (r: Result) => {
        expect(r.status).toBe('FAIL');
        expect(r.reasons.join(' ')).toContain('UNTRUSTED_BUILDER');
      },
    ],
  ] as const)('when %s', (_when, then, bundle, assess) => {
    it(then, async () => {
      // Act
      const [by, builderId, tamper] = bundle;
      const result = await collectProvenance(await withBundle(by, builderId, tamper));

      // Assess
      assess(result);
    });
  });
});

type Result = Awaited<ReturnType<typeof collectProvenance>>;
