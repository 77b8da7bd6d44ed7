import { describe, expect, it } from 'vitest';
import { buildImage, PLATFORMS } from '../../cli/fixtures/image.js';
import { createTestSigstore, issueKeylessCertificate, keylessAttestationLayer } from '../../cli/fixtures/keyless.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { sigstoreBundleReferrer, sigstoreImageBundle } from '../../cli/fixtures/sigstore.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectEval, type EvalPredicate } from '../../lambdas/domain/evidence/eval.js';
import { collectSbom } from '../../lambdas/domain/evidence/sbom.js';
import { collectScan } from '../../lambdas/domain/evidence/scan.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { parseTrustedRoot, trustedRootDigest } from '../../lambdas/domain/sigstore/trusted-root.js';
import type { EvidenceResult } from '../../lambdas/domain/types.js';
import { pushArtifact } from '../support/images.js';
import { attTag, COLLECT_NOW, imageContext } from '../support/memory-evidence.js';
import type { MemoryRegistry } from '../support/memory-registry.js';
import { bytesOf, dsseEnvelope, statementAbout, testSigner } from '../support/signers.js';
import { sigstoreTestInstance } from '../support/sigstore-instance.js';

// Issue 10: SBOM and eval evidence accept signed statements from Sigstore bundles (cosign v3
// `attest`) and keyless `.att` layers (cosign 2.x `attest` without a key), as provenance does,
// through one implementation (lambdas/domain/evidence/signed-statements.ts).

const REPO = 'app/x';
const WORKFLOW = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const ACTIONS = 'https://token.actions.githubusercontent.com';
const IDENTITY = { subject: WORKFLOW, issuer: ACTIONS };
const ROOT_FILE = 'sigstore/trusted_root.json';

/** cosign 2.x keyless: Fulcio certificate and Rekor SET in the `.att` layer annotations. */
const tagSigstore = await createTestSigstore();
/** cosign v3 keyless: a Sigstore bundle with a Rekor v2 entry and a TSA timestamp. */
const bundleSigstore = await sigstoreTestInstance();
const ci = testSigner('ci');

const CYCLONEDX = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [{ type: 'library', name: 'express', version: '4.18.2', purl: 'pkg:npm/express@4.18.2' }],
};

function evalResults(accuracy: number, evaluatedAt = '2026-11-24T10:00:00Z'): EvalPredicate {
  return {
    suite: { name: 'support-bot', version: '3' },
    dataset: { name: 'tickets-2026q3', digest: { sha256: '1'.repeat(64) } },
    model: { name: 'small-llm', digest: { sha256: '2'.repeat(64) } },
    promptTemplate: { name: 'answer', digest: { sha256: '3'.repeat(64) } },
    metrics: [{ name: 'accuracy', value: accuracy }],
    evaluatedAt,
  };
}

/** Which Sigstore the policy's pinned root trusts. */
type Root = 'tag' | 'bundle';

/** The image `REPO:1.0` under a policy trusting `ci`'s key and the keyless IDENTITY under `root`. */
async function image(root: Root) {
  const rootBytes = root === 'tag' ? tagSigstore.trustedRootJson : bundleSigstore.trustedRoot();
  const policy = {
    attestations: {
      keys: [ci.trusted],
      sigstore: { identities: [IDENTITY], trustedRoot: { file: ROOT_FILE, sha256: trustedRootDigest(rootBytes) } },
    },
    eval: { metrics: [{ name: 'accuracy', threshold: 0.8, direction: 'higher-is-better' }] },
  };
  const trustedRoots = new Map([[ROOT_FILE, parseTrustedRoot(rootBytes)]]);
  return imageContext(REPO, policy, { trustedRoots, now: COLLECT_NOW });
}

const statementBytes = (
  img: Pick<Descriptor, 'digest'>,
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
) => bytesOf(statementAbout({ name: REPO, digest: img.digest }, predicateType, predicate));

/** cosign 2.x `attest` without a key: the statement in a keyless layer of the `.att` tag. */
async function keylessAtt(
  registry: MemoryRegistry,
  img: Pick<Descriptor, 'digest'>,
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
  subject = WORKFLOW,
): Promise<void> {
  const signer = await issueKeylessCertificate(tagSigstore, { ...IDENTITY, subject });
  const layer = keylessAttestationLayer(
    tagSigstore,
    signer,
    statementBytes(img, predicateType, predicate),
    predicateType,
  );
  await pushArtifact(registry, REPO, { layers: [layer], tag: attTag(img.digest) });
}

/** Attaches a signed statement of `predicate` about `img`. */
type Attach = (
  registry: MemoryRegistry,
  img: Descriptor,
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
) => Promise<void>;

/** cosign v3 `attest --key`: a key-based Sigstore bundle referrer. */
const keyedBundle: Attach = async (registry, img, predicateType, predicate) => {
  const bundle = sigstoreImageBundle(ci.privateKey, { name: REPO, digest: img.digest, predicateType, predicate });
  await pushManifest(registry, REPO, sigstoreBundleReferrer(img, bundle, predicateType));
};

/** cosign v3 `attest` keyless: a Sigstore bundle referrer with a Fulcio certificate. */
const keylessBundle: Attach = async (registry, img, predicateType, predicate) => {
  const bundle = await bundleSigstore.keylessBundle({
    statement: statementBytes(img, predicateType, predicate),
    signedAt: new Date('2026-11-25T11:00:00Z'),
    identity: { san: WORKFLOW, issuer: ACTIONS },
  });
  await pushManifest(registry, REPO, sigstoreBundleReferrer(img, bundle, predicateType));
};

/** A key-signed DSSE statement as a referrer. */
const keyedDsse: Attach = async (registry, img, predicateType, predicate) => {
  const bytes = dsseEnvelope(ci, statementAbout({ name: REPO, digest: img.digest }, predicateType, predicate));
  await pushArtifact(registry, REPO, {
    layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes, annotations: { predicateType } }],
    subject: img,
    artifactType: MediaTypes.inTotoPayload,
  });
};

interface Kind {
  readonly name: string;
  readonly collect: (ctx: CollectContext) => Promise<EvidenceResult>;
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
  readonly document: string;
}

const KINDS: readonly Kind[] = [
  {
    name: 'a CycloneDX SBOM',
    collect: collectSbom,
    predicateType: PredicateTypes.cyclonedx,
    predicate: CYCLONEDX,
    document: 'sbom.intoto.sigstore.json',
  },
  {
    name: 'eval results',
    collect: collectEval,
    predicateType: PredicateTypes.evalResultsV1,
    predicate: evalResults(0.9),
    document: 'eval.sigstore.json',
  },
];

const FORMATS: readonly (readonly [string, Root, Attach, string])[] = [
  ['a keyless .att layer (cosign 2.x)', 'tag', keylessAtt, `${WORKFLOW} (${ACTIONS})`],
  ['a key-based Sigstore bundle (cosign v3 attest --key)', 'bundle', keyedBundle, 'ci'],
  ['a keyless Sigstore bundle (cosign v3 attest)', 'bundle', keylessBundle, `${WORKFLOW} (${ACTIONS})`],
];

describe('Functions: collectSbom and collectEval with Sigstore bundles and keyless attestations (issue 10)', () => {
  describe.each(KINDS.flatMap((kind) => FORMATS.map((f) => [kind.name, f[0], kind, f] as const)))(
    'when %s comes in %s by a trusted signer',
    (_kind, _format, kind, [, root, attach, signer]) => {
      it('passes and stores the signed document', async () => {
        // Prepare
        const { registry, image: img, ctx } = await image(root);
        await attach(registry, img, kind.predicateType, kind.predicate);

        // Act
        const result = await kind.collect(ctx);

        // Assess
        expect(result.reasons.join('\n')).not.toContain('not verified');
        expect(result.status).toBe('PASS');
        expect(result.documents.map((d) => d.name)).toContain(kind.document);
        expect(JSON.stringify(result.facts)).toContain(signer);
      });
    },
  );

  describe.each(KINDS.map((kind) => [kind.name, kind] as const))(
    'when %s is keyless by an identity the policy does not trust',
    (_kind, kind) => {
      it('does not pass, and names the identity', async () => {
        // Prepare
        const { registry, image: img, ctx } = await image('tag');
        await keylessAtt(registry, img, kind.predicateType, kind.predicate, 'https://github.com/evil/x');

        // Act
        const result = await kind.collect(ctx);

        // Assess
        expect(result.status).not.toBe('PASS');
        expect(result.reasons.join('\n')).toMatch(
          /Sigstore bundle in tag sha256-[a-f0-9]{64}\.att \(keyless\): .*certificate identity https:\/\/github\.com\/evil\/x/,
        );
      });
    },
  );

  describe('when each platform of an index carries a keyless SBOM', () => {
    /** A two-platform index; the arm64 SBOM statement is about `armAbout` (arm64 itself by default). */
    async function platformRelease(armAbout: 'arm64' | 'amd64' = 'arm64') {
      const { registry, ctx } = await image('tag');
      const built = buildImage({
        files: [{ path: 'app/app.py', content: 'print(1)\n' }],
        platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
      });
      const index = await pushManifest(registry, REPO, built.root);
      const [amd64, arm64] = built.platforms.map((p) => p.manifest);
      if (amd64 === undefined || arm64 === undefined) throw new Error('two platforms expected');
      await keylessAtt(registry, amd64, PredicateTypes.cyclonedx, CYCLONEDX);
      const signer = await issueKeylessCertificate(tagSigstore, IDENTITY);
      const statement = statementBytes(armAbout === 'arm64' ? arm64 : amd64, PredicateTypes.cyclonedx, CYCLONEDX);
      const layer = keylessAttestationLayer(tagSigstore, signer, statement, PredicateTypes.cyclonedx);
      await pushArtifact(registry, REPO, { layers: [layer], tag: attTag(arm64.digest) });
      return { ...ctx, subject: { repository: REPO, digest: index } };
    }

    it('passes per platform', async () => {
      // Prepare
      const ctx = await platformRelease();

      // Act
      const result = await collectSbom(ctx);

      // Assess
      expect(result.status, result.reasons.join('\n')).toBe('PASS');
      expect(result.facts).toMatchObject({ source: 'platforms', platformCount: 2 });
    });

    it("fails the platform whose SBOM is about another platform's digest", async () => {
      // Prepare
      const ctx = await platformRelease('amd64');

      // Act
      const result = await collectSbom(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join('\n')).toMatch(/platform linux\/arm64.*\(keyless\): .*does not cover/);
    });
  });

  describe('when a keyless SBOM disagrees with a key-signed one', () => {
    it('fails: signed SBOMs that disagree block', async () => {
      // Prepare
      const { registry, image: img, ctx } = await image('tag');
      await keyedDsse(registry, img, PredicateTypes.cyclonedx, CYCLONEDX);
      const other = { ...CYCLONEDX, components: [{ type: 'library', name: 'left-pad', version: '1.3.0' }] };
      await keylessAtt(registry, img, PredicateTypes.cyclonedx, other);

      // Act
      const result = await collectSbom(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('the image carries SBOMs that disagree');
      expect(result.reasons.join('\n')).toMatch(/\.att \(keyless\) signed by .* disagrees with attestation referrer/);
    });
  });

  /** The SBOM numbered `i`: every one a distinct document with the same inventory. */
  const bom = (i: number) => ({ ...CYCLONEDX, serialNumber: `urn:uuid:${i}` });
  describe.each<[string, number, string]>([
    ['more SBOM bundles are attached than SBOM sources are read', Limits.sbomReferrers + 1, 'Sigstore bundles'],
    ['an SBOM bundle and unsigned SBOM referrers together pass the limit', 1, 'SBOM referrers'],
  ])('when %s', (_when, bundles, counted) => {
    it('fails with the limit: bundles count towards Limits.sbomReferrers', async () => {
      // Prepare
      const { registry, image: img, ctx } = await image('bundle');
      for (let i = 0; i < bundles; i++) await keyedBundle(registry, img, PredicateTypes.cyclonedx, bom(i));
      for (let i = bundles; i <= Limits.sbomReferrers; i++) {
        const layers = [{ mediaType: MediaTypes.cyclonedxJson, bytes: bytesOf(bom(i)) }];
        await pushArtifact(registry, REPO, { layers, subject: img });
      }

      // Act
      const result = await collectSbom(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`has ${Limits.sbomReferrers + 1} ${counted}, above the limit`);
    });
  });

  describe('when a keyless evaluation is newer than a key-signed one, and both pass', () => {
    it('reports the newest, whatever signed it', async () => {
      // Prepare
      const { registry, image: img, ctx } = await image('tag');
      await keyedDsse(registry, img, PredicateTypes.evalResultsV1, evalResults(0.85, '2026-11-24T10:00:00Z'));
      await keylessAtt(registry, img, PredicateTypes.evalResultsV1, evalResults(0.9, '2026-11-24T12:00:00Z'));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        signer: `${WORKFLOW} (${ACTIONS})`,
        evaluatedAt: '2026-11-24T12:00:00Z',
        metrics: { accuracy: 0.9 },
      });
    });
  });
});

describe('Function: collectScan, a VEX statement in a keyless .att layer (issue 10)', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');
  const openvex = (productDigest: string) => ({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://example.com/vex/keyless',
    author: 'security@example.com',
    timestamp: '2026-05-01T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2021-44906' },
        products: [{ '@id': `pkg:oci/x@${productDigest.replace(':', '%3A')}` }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
    ],
  });
  const critical = {
    id: 'CVE-2021-44906',
    aliases: [],
    severity: 'CRITICAL' as const,
    packageName: 'minimist',
    packageVersion: '1.2.5',
  };

  async function scanned(subject: string) {
    const rootBytes = tagSigstore.trustedRootJson;
    const policy = {
      attestations: {
        keys: [ci.trusted],
        sigstore: { identities: [IDENTITY], trustedRoot: { file: ROOT_FILE, sha256: trustedRootDigest(rootBytes) } },
      },
      scan: { vex: { maxAgeDays: 90 } },
    };
    const trustedRoots = new Map([[ROOT_FILE, parseTrustedRoot(rootBytes)]]);
    const scans = {
      getFindings: async () => ({
        status: 'COMPLETE' as const,
        scanner: 'ecr-basic',
        completedAt: '2026-05-31T00:00:00.000Z',
        findings: [critical],
      }),
    };
    const { registry, image: img, ctx } = await imageContext(REPO, policy, { trustedRoots, now: NOW, scans });
    await keylessAtt(registry, img, 'https://openvex.dev/ns/v0.2.0', openvex(img.digest), subject);
    return collectScan(ctx);
  }

  describe('when a trusted keyless identity attests the finding not affected', () => {
    it('accepts the finding by that statement and passes', async () => {
      // Act
      const result = await scanned(WORKFLOW);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons.join('\n')).toContain('accepted by VEX');
    });
  });

  describe('when an identity the policy does not trust attests it', () => {
    it('does not suppress the finding, and says why', async () => {
      // Act
      const result = await scanned('https://github.com/mallory/app/.github/workflows/vex.yml@refs/heads/main');

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join('\n')).toMatch(/VEX attestation rejected: .*mallory/);
    });
  });
});
