import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { discoverAttestations } from '../../lambdas/domain/attest/discover.js';
import { parseEnvelope, verifyEnvelope } from '../../lambdas/domain/attest/dsse.js';
import { parseInTotoStatementBytes, statementCoversDigest } from '../../lambdas/domain/attest/in-toto.js';
import { extractBuildTriggerIdentities, extractProvenanceFacts } from '../../lambdas/domain/attest/slsa.js';
import { VerificationError } from '../../lambdas/domain/errors.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { pushImage } from '../support/images.js';
import { attachAttestation, attTag } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { trustedKey } from '../support/signers.js';

const DIR = join(import.meta.dirname, 'data/slsa-provenance');
const read = (path: string): Buffer => readFileSync(join(DIR, path));

/** ARTIFACT_SHA256.txt: `<upstream artifact path> <sha256>` per line. */
const ARTIFACT_SHA256 = new Map(
  read('slsa-verifier/ARTIFACT_SHA256.txt')
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', hex = ''] = line.trim().split(/\s+/);
      return [name, hex] as const;
    }),
);

/** The raw-DSSE `.intoto.jsonl` files and the ARTIFACT_SHA256.txt entry of their artifact. */
const RAW_DSSE_FILES = [
  ['binary-linux-amd64-expired-cert.intoto.jsonl', 'binary-linux-amd64-expired-cert'],
  ['binary-linux-amd64-no-tlog-upload.intoto.jsonl', 'binary-linux-amd64-no-tlog-upload'],
  ['binary-linux-amd64-untrusted-builder.intoto.jsonl', 'binary-linux-amd64-untrusted-builder'],
  [
    'gha_generic_v1.2.1_binary-linux-amd64-workflow_dispatch.intoto.jsonl',
    'gha_generic/v1.2.1/binary-linux-amd64-workflow_dispatch',
  ],
  ['annotated-tag.intoto.jsonl', 'annotated-tag'],
  ['workflow-inputs.intoto.jsonl', 'workflow-inputs'],
] as const;

/** Sigstore bundles whose `dsseEnvelope` is the same kind of envelope. */
const BUNDLE_FILES = [
  [
    'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl',
    'gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch',
  ],
  [
    'gha_container-based_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.build.slsa',
    'gha_container-based/v2.1.0/binary-linux-amd64-workflow_dispatch',
  ],
] as const;

const BundleSchema = z.object({ dsseEnvelope: z.unknown() });
const CertSignatures = z.object({ signatures: z.array(z.object({ cert: z.string() })).min(1) });

function envelopeOf(file: string): Buffer {
  const text = read(`slsa-verifier/${file}`).toString('utf8').trim();
  const bundle = BundleSchema.safeParse(JSON.parse(text));
  return bundle.success && bundle.data.dsseEnvelope !== undefined
    ? Buffer.from(JSON.stringify(bundle.data.dsseEnvelope))
    : Buffer.from(text);
}

function sha256Of(artifact: string): string {
  const hex = ARTIFACT_SHA256.get(artifact);
  if (hex === undefined) throw new Error(`ARTIFACT_SHA256.txt has no entry ${artifact}`);
  return `sha256:${hex}`;
}

describe('Function: extractProvenanceFacts (sigstore-python bare predicates)', () => {
  describe.each([
    [
      'SLSA v0.2',
      'extracts builder, build type and the normalised config source',
      PredicateTypes.slsaProvenanceV02,
      'sigstore-python/slsa_predicate_v0_2.json',
      expect.objectContaining({
        slsaVersion: 'v0.2',
        builderId:
          'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0',
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
        sourceRepository: 'https://github.com/sigstore/sigstore-python',
        sourceRef: 'refs/tags/v3.2.0',
        sourceDigest: 'sha1:fc29ec190575ae345cea23f0953b64ca6f2ab8ba',
      }),
    ],
    [
      'SLSA v1 (GitHub Actions workflow build type)',
      'extracts builder, workflow repository, ref and the commit of the matching dependency',
      PredicateTypes.slsaProvenanceV1,
      'sigstore-python/slsa_predicate_v1_0.json',
      {
        slsaVersion: 'v1',
        builderId: 'https://github.com/octo-org/octo-repo/.github/workflows/docker.yaml@refs/heads/development',
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        sourceRepository: 'https://github.com/octo-org/octo-repo',
        sourceRef: 'refs/tags/1.21.0',
        sourceDigest: 'gitCommit:1ac93ce21ee526b36fd154b9058d97dfaa424c50',
        resolvedDependencies: [
          {
            uri: 'git+https://github.com/octo-org/octo-repo@refs/tags/1.21.0',
            digest: { gitCommit: '1ac93ce21ee526b36fd154b9058d97dfaa424c50' },
          },
        ],
      },
    ],
  ])('when the predicate is %s', (_version, then, predicateType, file, expected) => {
    it(then, () => {
      // Prepare
      const predicate: unknown = JSON.parse(read(file).toString('utf8'));

      // Act
      const facts = extractProvenanceFacts(predicateType, predicate);

      // Assess
      expect(facts).toEqual(expected);
    });
  });
});

describe('Function: verifyEnvelope + parseInTotoStatementBytes (slsa-verifier envelopes)', () => {
  describe.each([...RAW_DSSE_FILES, ...BUNDLE_FILES])('when the file is %s', (file, artifact) => {
    it('parses as DSSE + in-toto with a subject covering the artifact digest', () => {
      // Prepare
      const envelope = parseEnvelope(envelopeOf(file));

      // Act
      const statement = parseInTotoStatementBytes(Buffer.from(envelope.payload, 'base64'));

      // Assess
      expect(envelope.payloadType).toBe(MediaTypes.inTotoPayload);
      expect(statementCoversDigest(statement, sha256Of(artifact))).toBe(true);
      expect(statementCoversDigest(statement, `sha256:${'0'.repeat(64)}`)).toBe(false);
      expect(() => extractProvenanceFacts(statement.predicateType, statement.predicate)).not.toThrow();
    });

    it('is rejected when no key is trusted (keyless verification is not supported)', () => {
      // Prepare
      const bytes = envelopeOf(file);

      // Act
      const act = (): unknown => verifyEnvelope(bytes, []);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe.each(RAW_DSSE_FILES)('when the signing certificate key of %s is trusted as a plain key', (file) => {
    // Shows the rejection above is about trust: the signature itself is intact.
    it('verifies', () => {
      // Prepare
      const bytes = envelopeOf(file);
      const [signature] = CertSignatures.parse(JSON.parse(bytes.toString('utf8'))).signatures;
      const leaf = trustedKey('fulcio-leaf', new X509Certificate(signature?.cert ?? '').publicKey);

      // Act
      const verified = verifyEnvelope(bytes, [leaf]);

      // Assess
      expect(verified.signer).toBe('fulcio-leaf');
    });
  });
});

describe('Function: discoverAttestations (slsa-verifier envelopes in a registry)', () => {
  describe('when a keyless envelope sits under the .att tag and no key is trusted', () => {
    it('rejects it and verifies nothing', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app/x');
      const bytes = envelopeOf('annotated-tag.intoto.jsonl');
      await attachAttestation(registry, 'app/x', image, bytes, PredicateTypes.slsaProvenanceV02);

      // Act
      const scan = await discoverAttestations(
        registry,
        { repository: 'app/x', digest: image.digest },
        [],
        [PredicateTypes.slsaProvenanceV02],
      );

      // Assess
      expect(scan.verified).toEqual([]);
      expect(scan.rejected).toEqual([
        {
          source: `tag ${attTag(image.digest)}`,
          predicateType: PredicateTypes.slsaProvenanceV02,
          reason: expect.stringContaining('DSSE signature not verified by a trusted key'),
        },
      ]);
    });
  });
});

describe('Function: extractBuildTriggerIdentities (sigstore-python bare predicates)', () => {
  describe.each([
    // slsa-github-generator's generic v0.2 records github_actor_id (woodruffw) in its environment.
    [
      'SLSA v0.2 from slsa-github-generator',
      PredicateTypes.slsaProvenanceV02,
      'sigstore-python/slsa_predicate_v0_2.json',
      ['github:3059210'],
    ],
    // GitHub's own workflow buildType records no actor.
    [
      'SLSA v1 with the GitHub Actions workflow build type',
      PredicateTypes.slsaProvenanceV1,
      'sigstore-python/slsa_predicate_v1_0.json',
      [],
    ],
  ] as const)('when the predicate is %s', (_name, predicateType, file, expected) => {
    it('returns the GitHub accounts that started the build (separation of duties)', () => {
      // Act
      const predicate: unknown = JSON.parse(read(file).toString('utf8'));

      // Assess
      expect(extractBuildTriggerIdentities(predicateType, predicate)).toEqual(expected);
    });
  });
});
