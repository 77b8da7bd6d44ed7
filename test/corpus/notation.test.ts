/**
 * notation-go / notation-core-go files (test/corpus/data/notation, MANIFEST.md rows "notation/…").
 *
 * Where this verifier's outcome differs from upstream's, the case says why:
 * - RFC 3161 timestamp countersignatures are not verified. A `notary.x509` signature is judged at
 *   verification time, so an expired signing certificate FAILS even with a valid timestamp
 *   (upstream PASSes `jwsExpiredWithTimestamp` with its TSA store), and upstream's
 *   `verifyTimestamp: always` policy, which FAILs `withoutTimestamp`, has no equivalent here.
 * - COSE envelopes are not supported: every COSE file FAILS with UNSUPPORTED_ENVELOPE, including
 *   `coseWithTimestamp`, which upstream PASSes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotationEnvelope } from '../../lambdas/domain/notation/envelope.js';
import {
  NotationError,
  type NotationTarget,
  type NotationVerifyOptions,
  type TrustAnchor,
  verifyNotationSignature,
} from '../../lambdas/domain/notation/verify.js';

const DIR = join(import.meta.dirname, 'data/notation');
const NG = join(DIR, 'notation-go');
const STORE = join(NG, 'truststore/ca-valid-trust-store');
/** Inside every certificate's validity except the deliberately expired / not-yet-valid ones. */
const NOW = new Date('2026-01-01T00:00:00Z');

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(join(NG, path)));

/** The PEM files of ca-valid-trust-store (GlobalSign.der is the DER twin of GlobalSignRootCA.crt). */
const storeAnchors: TrustAnchor[] = [
  'GlobalSignRootCA.crt',
  'NotationTestRoot.pem',
  'TestTimestamp.crt',
  'TestTimestampNotYetValid.crt',
  'wabbit-networks.io.crt',
].map((name) => ({ id: name, certificatePem: readFileSync(join(STORE, name), 'utf8') }));

const options = (overrides: Partial<NotationVerifyOptions> = {}): NotationVerifyOptions => ({
  trustAnchors: storeAnchors,
  trustedIdentities: ['*'],
  now: NOW,
  ...overrides,
});

/** internal/mock/testdata targets (MANIFEST: sha256:60043cf4…d74e, 528 B, docker v2 manifest). */
const MOCK_TARGET: NotationTarget = {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e',
  size: 528,
};
/** verifier/testdata/timestamp/sigEnv targets. */
const TIMESTAMP_TARGET: NotationTarget = {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
  size: 528,
};

describe('Function: verifyNotationSignature (notation-go mock envelopes)', () => {
  describe('when ca_valid_sig_env.json is checked with ca-valid-trust-store', () => {
    it('passes, anchored at NotationTestRoot', async () => {
      // Act
      const verified = await verifyNotationSignature(read('mock/ca_valid_sig_env.json'), MOCK_TARGET, options());

      // Assess
      expect(verified.scheme).toBe('notary.x509');
      expect(verified.trustAnchor).toBe('NotationTestRoot.pem');
      expect(verified.signer).toBe('C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root');
      expect(verified.certificateChainSha256).toHaveLength(2);
    });

    it('passes with the x509.subject identity of its signer', async () => {
      // Prepare
      const opts = options({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=Notary, CN=Notation Test Root'] });

      // Act
      const verified = await verifyNotationSignature(read('mock/ca_valid_sig_env.json'), MOCK_TARGET, opts);

      // Assess
      expect(verified.signer).toContain('O=Notary');
    });

    it('fails for another image digest', async () => {
      // Prepare
      const other = { ...MOCK_TARGET, digest: TIMESTAMP_TARGET.digest };

      // Act / Assess
      await expect(
        verifyNotationSignature(read('mock/ca_valid_sig_env.json'), other, options()),
      ).rejects.toThrowWithCode(NotationError, 'TARGET_MISMATCH');
    });
  });

  describe('when sa_valid_sig_env.json (notary.x509.signingAuthority) is checked', () => {
    it('passes, with the authentic signing time', async () => {
      // Act
      const verified = await verifyNotationSignature(read('mock/sa_valid_sig_env.json'), MOCK_TARGET, options());

      // Assess
      expect(verified.scheme).toBe('notary.x509.signingAuthority');
      expect(verified.signingTime.toISOString()).toBe('2020-11-09T07:00:00.000Z');
    });
  });
});

describe('Function: verifyNotationSignature (notation-go timestamp envelopes)', () => {
  describe('when jwsWithTimestamp.sig is checked', () => {
    it('passes (its certificate is valid at verification time; the timestamp is not used)', async () => {
      // Act
      const verified = await verifyNotationSignature(read('sigEnv/jwsWithTimestamp.sig'), TIMESTAMP_TARGET, options());

      // Assess
      expect(verified.trustAnchor).toBe('TestTimestamp.crt');
    });
  });

  describe('when jwsExpiredWithTimestamp.sig is checked', () => {
    it('fails as expired when its own certificate is the anchor: notary.x509 without TSA verification', async () => {
      // Prepare
      const envelope = read('sigEnv/jwsExpiredWithTimestamp.sig');
      const [leaf] = parseNotationEnvelope(envelope).certificateChain;
      if (leaf === undefined) throw new Error('no x5c');
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(leaf).toString('base64')}\n-----END CERTIFICATE-----\n`;

      // Act / Assess
      await expect(
        verifyNotationSignature(
          envelope,
          TIMESTAMP_TARGET,
          options({ trustAnchors: [{ id: 'pinned', certificatePem: pem }] }),
        ),
      ).rejects.toThrowWithCode(NotationError, 'EXPIRED', /verification time/);
    });
  });

  describe('when withoutTimestamp.sig is checked', () => {
    it('passes: upstream FAILs only under verifyTimestamp=always, which this verifier does not offer', async () => {
      // Act
      const verified = await verifyNotationSignature(read('sigEnv/withoutTimestamp.sig'), TIMESTAMP_TARGET, options());

      // Assess
      expect(verified.scheme).toBe('notary.x509');
    });
  });

  describe.each([
    'sigEnv/timestampAfterNotAfter.sig',
    'sigEnv/coseWithTimestamp.sig',
    'sigEnv/coseExpiredWithTimestamp.sig',
    'cose_signature.sig',
  ])('when the COSE envelope %s is checked', (path) => {
    it('fails: COSE envelopes are not supported', async () => {
      // Prepare
      const bytes = read(path);

      // Act / Assess
      expect(bytes[0]).toBe(0xd2); // CBOR tag 18, COSE_Sign1
      await expect(
        verifyNotationSignature(bytes, TIMESTAMP_TARGET, options({ envelopeMediaType: 'application/cose' })),
      ).rejects.toThrowWithCode(NotationError, 'UNSUPPORTED_ENVELOPE', /COSE envelopes are not supported/);
    });
  });
});

describe('Function: verifyNotationSignature (notation-go envelopes that fail)', () => {
  describe.each([
    [
      'ca_invalid_sig_env.json (padded base64 payload)',
      'fails: upstream "illegal base64 data"',
      'mock/ca_invalid_sig_env.json',
      MOCK_TARGET,
      'MALFORMED_ENVELOPE',
      /base64url/,
    ],
    [
      'ca_expired_sig_env.json',
      'fails: the signature expired on 2022-07-29T23:59:00Z',
      'mock/ca_expired_sig_env.json',
      MOCK_TARGET,
      'EXPIRED',
      /expired on 2022-07-29T23:59:00/,
    ],
    [
      'jwsExpiredWithTimestamp.sig',
      'fails against the vendored trust store, which lacks its signing certificate',
      'sigEnv/jwsExpiredWithTimestamp.sig',
      TIMESTAMP_TARGET,
      'UNTRUSTED_ANCHOR',
      undefined,
    ],
    [
      'timestampBeforeNotBefore.sig (certificate valid from 2099)',
      'fails: the certificate is not yet valid',
      'sigEnv/timestampBeforeNotBefore.sig',
      TIMESTAMP_TARGET,
      'EXPIRED',
      /2099/,
    ],
  ] as const)('when %s is checked', (_when, then, file, target, code, says) => {
    it(then, async () => {
      // Act / Assess
      await expect(verifyNotationSignature(read(file), target, options())).rejects.toThrowWithCode(
        NotationError,
        code,
        says,
      );
    });
  });
});

describe('Function: parseNotationEnvelope (parse-only files)', () => {
  describe('when notation-go jws_signature.sig is parsed', () => {
    it('parses: PS256, notary.x509, one self-signed certificate', () => {
      // Act
      const envelope = parseNotationEnvelope(read('jws_signature.sig'));

      // Assess
      expect(envelope.header.alg).toBe('PS256');
      expect(envelope.header.signingScheme).toBe('notary.x509');
      expect(envelope.header.signingTime?.toISOString()).toBe('2023-03-14T08:10:02.000Z');
      expect(envelope.certificateChain).toHaveLength(1);
      expect(envelope.signingAgent).toBe('Notation/1.0.0');
    });
  });

  describe('when notation-core-go jws-conformance.json is parsed', () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'notation-core-go/jws-conformance.json')));

    it('parses, with its signed extended attributes', () => {
      // Act
      const envelope = parseNotationEnvelope(bytes);

      // Assess
      expect(envelope.header.alg).toBe('ES256');
      expect(envelope.header.expiry?.toISOString()).toBe('2099-08-30T13:50:00.000Z');
      expect(envelope.header.crit).toContain('signedCritKey1');
      expect(envelope.extendedAttributes).toEqual({
        signedCritKey1: 'signedCritValue1',
        signedKey1: 'signedValue1',
        signedKey2: 'signedValue1',
        signedKey3: 'signedValue1',
        signedKey4: 'signedValue1',
      });
    });

    it('fails verification on its unknown critical attribute signedCritKey1', async () => {
      // Act / Assess
      await expect(verifyNotationSignature(bytes, MOCK_TARGET, options())).rejects.toThrowWithCode(
        NotationError,
        'UNKNOWN_CRITICAL_HEADER',
        /signedCritKey1/,
      );
    });
  });
});
