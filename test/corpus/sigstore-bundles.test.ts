import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrustedRoot, VENDORED_TRUSTED_ROOTS } from '../../lambdas/domain/sigstore/trusted-root.js';
import {
  SigstoreVerificationError,
  type TrustedIdentity,
  verifyBundle,
} from '../../lambdas/domain/sigstore/verify-bundle.js';

const DATA = join(import.meta.dirname, 'data');
const PYTHON = join(DATA, 'sigstore-bundles', 'sigstore-python');
const SLSA = join(DATA, 'slsa-provenance', 'slsa-verifier');
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

// The corpus copies of the roots are the inputs; they must also be the vendored, pinned files.
const staging = parseTrustedRoot(
  read(join(DATA, 'trust-roots', 'sigstore-staging.trusted_root.json')),
  VENDORED_TRUSTED_ROOTS.staging,
);
const production = parseTrustedRoot(
  read(join(DATA, 'trust-roots', 'sigstore-public-good-prod.trusted_root.json')),
  VENDORED_TRUSTED_ROOTS.production,
);

const GITHUB_LOGIN = 'https://github.com/login/oauth';
const GITHUB_ACTIONS = 'https://token.actions.githubusercontent.com';
const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows';

/** Artifact digests from the corpus's ARTIFACT_SHA256.txt (`<name> <hex>` lines). */
const ARTIFACT_SHA256 = new Map(
  readFileSync(join(SLSA, 'ARTIFACT_SHA256.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', hex = ''] = line.split(' ');
      return [name, `sha256:${hex}`];
    }),
);

describe('Function: verifyBundle (sigstore-python bundles)', () => {
  // sigstore-python's test_verifier_bundle_artifact uses no identity policy; these are the SANs of
  // the bundles' own certificates, so the identity check runs too.
  describe.each([
    { file: 'bundle.txt', version: 'bundle+json;version=0.1', san: 'a@tny.town' },
    { file: 'bundle_v3.txt', version: 'bundle.v0.3+json', san: 'william@yossarian.net' },
  ])('when $file.sigstore is verified with the staging root', ({ file, version, san }) => {
    it('passes, signed by its certificate identity', () => {
      // Act
      const verified = verifyBundle(
        read(join(PYTHON, `${file}.sigstore`)),
        { bytes: read(join(PYTHON, file)) },
        {
          trustedRoot: staging,
          identities: [{ issuer: GITHUB_LOGIN, subject: san }],
        },
      );

      // Assess
      expect(verified.mediaType).toBe(`application/vnd.dev.sigstore.${version}`);
      expect(verified).toMatchObject({
        content: 'message-signature',
        signer: san,
        issuer: GITHUB_LOGIN,
        tlogEntries: 1,
      });
    });
  });

  describe('when bundle_v3_github.whl.sigstore is verified with the production root and the release workflow identity', () => {
    it('passes', () => {
      // Prepare
      const identity = {
        issuer: GITHUB_ACTIONS,
        subject: 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2',
      };

      // Act
      const verified = verifyBundle(
        read(join(PYTHON, 'bundle_v3_github.whl.sigstore')),
        { bytes: read(join(PYTHON, 'bundle_v3_github.whl')) },
        { trustedRoot: production, identities: [identity] },
      );

      // Assess
      expect(verified).toMatchObject({
        mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
        signer: identity.subject,
        issuer: GITHUB_ACTIONS,
      });
    });
  });

  describe('when bundle_v3_github.whl.sigstore is verified with the staging root', () => {
    it('fails: its certificate does not chain to the staging CA', () => {
      // Act
      const act = () =>
        verifyBundle(
          read(join(PYTHON, 'bundle_v3_github.whl.sigstore')),
          { bytes: read(join(PYTHON, 'bundle_v3_github.whl')) },
          {
            trustedRoot: staging,
            identities: [{ issuer: GITHUB_ACTIONS, subject: '*' }],
          },
        );

      // Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, 'CERTIFICATE_UNTRUSTED');
    });
  });

  describe.each([
    { file: 'bundle_cve_2022_36056.txt', failure: 'TLOG_INCONSISTENT', says: /inconsistent with the bundle/ },
    { file: 'bundle_invalid_version.txt', failure: 'UNSUPPORTED_MEDIA_TYPE', says: /this is completely wrong/ },
    { file: 'bundle_no_cert_v1.txt', failure: 'INVALID_BUNDLE', says: /x509CertificateChain\.certificates/ },
    { file: 'bundle_no_log_entry.txt', failure: 'NO_TLOG_ENTRY', says: /no transparency log entry/ },
    { file: 'bundle_no_checkpoint.txt', failure: 'INVALID_BUNDLE', says: /inclusionProof\.checkpoint/ },
  ])('when $file.sigstore is verified (upstream FAIL)', ({ file, failure, says }) => {
    it(`fails with ${failure}`, () => {
      // Prepare
      const identities: TrustedIdentity[] = [{ issuer: GITHUB_LOGIN, subject: '*' }];
      const act = () =>
        verifyBundle(
          read(join(PYTHON, `${file}.sigstore`)),
          { bytes: read(join(PYTHON, file)) },
          {
            trustedRoot: staging,
            identities,
          },
        );

      // Act & Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, failure, says);
    });
  });
});

describe('Function: verifyBundle (slsa-verifier bundle-wrapped provenance)', () => {
  describe('when the generic generator v2.1.0 provenance (bundle v0.3, DSSE) is verified keyless', () => {
    const bundle = read(join(SLSA, 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl'));
    const digest = ARTIFACT_SHA256.get('gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch') ?? '';

    it('passes with the generator workflow identity and the artifact digest', () => {
      // Act
      const verified = verifyBundle(
        bundle,
        { digest },
        {
          trustedRoot: production,
          identities: [
            { issuer: GITHUB_ACTIONS, subject: `${GENERATOR}/generator_generic_slsa3.yml@refs/tags/v2.1.0` },
          ],
        },
      );

      // Assess
      expect(verified.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(verified.content).toBe('dsse-envelope');
      expect(verified.statement?.predicateType).toBe('https://slsa.dev/provenance/v0.2');
      expect(verified.statement?.subject[0]?.digest.sha256).toBe(digest.replace('sha256:', ''));
    });

    it('fails with an untrusted builder workflow (upstream ErrorUntrustedReusableWorkflow)', () => {
      // Act
      const act = () =>
        verifyBundle(
          bundle,
          { digest },
          {
            trustedRoot: production,
            identities: [{ issuer: GITHUB_ACTIONS, subject: `${GENERATOR}/not-trusted.yml@refs/tags/v2.1.0` }],
          },
        );

      // Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, 'WRONG_IDENTITY');
    });

    it('fails for another artifact digest', () => {
      // Act
      const act = () =>
        verifyBundle(
          bundle,
          { digest: ARTIFACT_SHA256.get('annotated-tag') ?? '' },
          {
            trustedRoot: production,
            identities: [
              { issuer: GITHUB_ACTIONS, subject: `${GENERATOR}/generator_generic_slsa3.yml@refs/tags/v2.1.0` },
            ],
          },
        );

      // Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, 'DIGEST_MISMATCH');
    });
  });

  describe('when the container-based builder v2.1.0 provenance (bundle v0.2, DSSE, SLSA v1) is verified keyless', () => {
    it('passes with the builder workflow identity over the empty artifact', () => {
      // Prepare
      const bundle = read(
        join(SLSA, 'gha_container-based_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.build.slsa'),
      );

      // Act
      const verified = verifyBundle(
        bundle,
        { bytes: new Uint8Array() },
        {
          trustedRoot: production,
          identities: [
            { issuer: GITHUB_ACTIONS, subject: `${GENERATOR}/builder_container-based_slsa3.yml@refs/tags/v2.1.0` },
          ],
        },
      );

      // Assess
      expect(verified.mediaType).toBe('application/vnd.dev.sigstore.bundle+json;version=0.2');
      expect(verified.statement?.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(`sha256:${verified.statement?.subject[0]?.digest.sha256}`).toBe(
        ARTIFACT_SHA256.get('gha_container-based/v2.1.0/binary-linux-amd64-workflow_dispatch'),
      );
    });
  });

  describe('when bundle-wrapped provenance is verified with the staging root', () => {
    it('fails: production certificates do not chain to staging', () => {
      // Act
      const act = () =>
        verifyBundle(
          read(join(SLSA, 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl')),
          { digest: ARTIFACT_SHA256.get('gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch') ?? '' },
          { trustedRoot: staging, identities: [{ issuer: GITHUB_ACTIONS, subject: '*' }] },
        );

      // Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, 'CERTIFICATE_UNTRUSTED');
    });
  });
});
