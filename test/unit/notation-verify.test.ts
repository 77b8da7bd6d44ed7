import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AWS_SIGNER_FIXTURE,
  awsSignerSignOptions,
  generateNotationChain,
  type NotationSignOptions,
  type NotationTestChain,
  signNotationJws,
} from '../../cli/fixtures/notation.js';
import { parseNotationEnvelope } from '../../lambdas/domain/notation/envelope.js';
import type { RevocationChecker, RevocationQuery } from '../../lambdas/domain/notation/revocation.js';
import {
  matchesAwsSignerProfile,
  NotationError,
  type NotationErrorCode,
  type NotationVerifyOptions,
  verifyNotationSignature,
} from '../../lambdas/domain/notation/verify.js';
import type { Descriptor } from '../../lambdas/domain/oci.js';

const NOW = new Date('2027-01-01T00:00:00Z');
const SIGNED_AT = new Date('2026-11-20T09:00:00Z');
const IMAGE: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 1234,
};
const TRUSTED_SUBJECT = 'x509.subject: C=US, ST=WA, O=Release Gate Demo';

let chain: NotationTestChain;
let otherChain: NotationTestChain;

beforeAll(async () => {
  chain = await generateNotationChain();
  otherChain = await generateNotationChain({ caName: 'Someone Else' });
});

const x509Options = (overrides: Partial<NotationVerifyOptions> = {}): NotationVerifyOptions => ({
  trustAnchors: [{ id: 'test-root', certificatePem: chain.root.pem }],
  trustedIdentities: [TRUSTED_SUBJECT],
  now: NOW,
  ...overrides,
});

const notRevoked: RevocationChecker = { check: async () => ({ revoked: false }) };

const awsOptions = (overrides: Partial<NotationVerifyOptions> = {}): NotationVerifyOptions => ({
  trustAnchors: [{ id: 'aws-signer-ts', certificatePem: chain.root.pem }],
  awsSignerProfiles: [AWS_SIGNER_FIXTURE.profileArn],
  revocation: notRevoked,
  now: NOW,
  ...overrides,
});

/** Options (x509 unless given) whose only trust anchor is `anchor`'s root, named `id`. */
const anchoredAt = (anchor: NotationTestChain, id: string, options = x509Options): NotationVerifyOptions =>
  options({ trustAnchors: [{ id, certificatePem: anchor.root.pem }] });

/** Verifies a notary.x509 signature by a fresh chain made with `options`, anchored at its own root. */
async function verifyOnOwnChain(options: Parameters<typeof generateNotationChain>[0], anchorId: string) {
  const own = await generateNotationChain(options);
  return verifyNotationSignature(sign({}, own), IMAGE, anchoredAt(own, anchorId));
}

/** Verifies `envelope` as a signature of IMAGE, with notary.x509 options unless given. */
const verifyImage = (envelope: Uint8Array, options = x509Options()) =>
  verifyNotationSignature(envelope, IMAGE, options);

const sign = (opts: NotationSignOptions = {}, signer: NotationTestChain = chain): Uint8Array =>
  signNotationJws(signer, IMAGE, { signingTime: SIGNED_AT, ...opts });

/** Rewrites one member of the JSON envelope without re-signing it. */
function tamper(envelope: Uint8Array, edit: (jws: Record<string, unknown>) => void): Uint8Array {
  const json: Record<string, unknown> = JSON.parse(Buffer.from(envelope).toString('utf8'));
  edit(json);
  return new Uint8Array(Buffer.from(JSON.stringify(json)));
}

/**
 * The certificate (base64 DER) with its uncompressed EC point marked as an invalid encoding (0x04 →
 * 0x05, no point encoding at all, after the SPKI BIT STRING header): the certificate still parses, its key does not.
 */
function corruptEcPoint(certificate: string): string {
  const der = Buffer.from(certificate, 'base64');
  // The BIT STRING of an uncompressed P-256 (66 bytes) or P-384 (98 bytes) point.
  const at = Math.max(
    der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])),
    der.indexOf(Buffer.from([0x03, 0x62, 0x00, 0x04])),
  );
  if (at < 0) throw new Error('no P-256 or P-384 public key in the certificate');
  der[at + 3] = 0x05;
  return der.toString('base64');
}

describe('Function: verifyNotationSignature', () => {
  describe('when a notary.x509 signature from the test chain is checked against its root', () => {
    it('returns the signer, scheme, signing time and chain fingerprints', async () => {
      // Prepare
      const envelope = sign();

      // Act
      const verified = await verifyNotationSignature(envelope, IMAGE, x509Options());

      // Assess
      expect(verified.signer).toBe('C=US, ST=WA, O=Release Gate Demo, CN=ci');
      expect(verified.scheme).toBe('notary.x509');
      expect(verified.signingTime.toISOString()).toBe(SIGNED_AT.toISOString());
      expect(verified.certificateChainSha256).toEqual(chain.chain.map((c) => c.sha256));
      expect(verified.trustAnchor).toBe('test-root');
    });
  });

  describe('when the intermediate, not the root, is listed as the trust anchor', () => {
    it('verifies and names that anchor', async () => {
      // Prepare
      const opts = x509Options({
        trustAnchors: [{ id: 'pinned-intermediate', certificatePem: chain.intermediate.pem }],
      });

      // Act
      const verified = await verifyNotationSignature(sign(), IMAGE, opts);

      // Assess
      expect(verified.trustAnchor).toBe('pinned-intermediate');
    });
  });

  describe('when the leaf key is RSA-2048 and the signature PS256', () => {
    it('verifies', async () => {
      // Prepare
      const rsa = await generateNotationChain({ keyType: 'RSA-2048', caName: 'RSA Test' });
      const envelope = sign({}, rsa);

      // Act
      const verified = await verifyNotationSignature(envelope, IMAGE, anchoredAt(rsa, 'rsa-root'));

      // Assess
      expect(verified.trustAnchor).toBe('rsa-root');
    });
  });

  describe('when a signingAuthority signature was made while its now-expired certificate was valid', () => {
    it('verifies, judging validity at the authentic signing time', async () => {
      // Prepare
      const expired = await generateNotationChain({ caName: 'SA', leafNotAfter: new Date('2026-12-01T00:00:00Z') });
      const envelope = sign(awsSignerSignOptions(AWS_SIGNER_FIXTURE, SIGNED_AT), expired);
      const opts = anchoredAt(expired, 'sa-root', awsOptions);

      // Act
      const verified = await verifyNotationSignature(envelope, IMAGE, opts);

      // Assess
      expect(verified.scheme).toBe('notary.x509.signingAuthority');
      expect(verified.signingTime.toISOString()).toBe(SIGNED_AT.toISOString());
    });
  });

  describe('when an AWS Signer signature is checked against its signing-profile ARN', () => {
    it('verifies and reports the profile version as the signer', async () => {
      // Prepare
      const envelope = sign(awsSignerSignOptions());
      const queries: RevocationQuery[] = [];
      const revocation: RevocationChecker = {
        check: async (query) => {
          queries.push(query);
          return { revoked: false };
        },
      };

      // Act
      const verified = await verifyNotationSignature(envelope, IMAGE, awsOptions({ revocation }));

      // Assess
      expect(verified.signer).toBe(AWS_SIGNER_FIXTURE.profileVersionArn);
      expect(verified.awsSigner).toEqual({
        profileVersionArn: AWS_SIGNER_FIXTURE.profileVersionArn,
        jobArn: AWS_SIGNER_FIXTURE.jobArn,
      });
      expect(queries).toHaveLength(1);
      expect(queries[0]?.profileVersionArn).toBe(AWS_SIGNER_FIXTURE.profileVersionArn);
      expect(queries[0]?.jobArn).toBe(AWS_SIGNER_FIXTURE.jobArn);
      expect(queries[0]?.signingTime.toISOString()).toBe(SIGNED_AT.toISOString());
      expect(queries[0]?.certificateChain).toHaveLength(3);
    });
  });

  describe('when the trusted AWS Signer identity is the exact profile version, in other case', () => {
    it('verifies', async () => {
      // Prepare
      const opts = awsOptions({ awsSignerProfiles: [AWS_SIGNER_FIXTURE.profileVersionArn.toUpperCase()] });

      // Act
      const verified = await verifyNotationSignature(sign(awsSignerSignOptions()), IMAGE, opts);

      // Assess
      expect(verified.signer).toBe(AWS_SIGNER_FIXTURE.profileVersionArn);
    });
  });

  describe('when the revocation checker fails', () => {
    it('throws REVOCATION_UNAVAILABLE', async () => {
      // Prepare
      const revocation: RevocationChecker = {
        check: async () => {
          throw new Error('ThrottlingException');
        },
      };

      // Act
      const act = verifyNotationSignature(sign(awsSignerSignOptions()), IMAGE, awsOptions({ revocation }));

      // Assess
      await expect(act).rejects.toThrowWithCode(NotationError, 'REVOCATION_UNAVAILABLE');
      await expect(act).rejects.toMatchObject({ cause: expect.any(Error) });
    });
  });

  /** A signature verifyNotationSignature refuses: the failure code and what the message says. */
  interface Refusal {
    readonly when: string;
    readonly it: string;
    readonly code: NotationErrorCode;
    readonly act: () => Promise<unknown>;
    readonly says?: RegExp;
  }

  const REFUSED: readonly Refusal[] = [
    {
      when: 'the payload is replaced after signing',
      it: 'throws NOTATION_INTEGRITY',
      code: 'NOTATION_INTEGRITY',
      act: () => {
        const forged = Buffer.from(
          JSON.stringify({ targetArtifact: { ...IMAGE, digest: `sha256:${'cd'.repeat(32)}` } }),
        ).toString('base64url');
        const envelope = tamper(sign(), (jws) => {
          jws.payload = forged;
        });
        return verifyNotationSignature(envelope, { ...IMAGE, digest: `sha256:${'cd'.repeat(32)}` }, x509Options());
      },
    },
    {
      when: 'the signature value is altered',
      it: 'throws NOTATION_INTEGRITY',
      code: 'NOTATION_INTEGRITY',
      act: () =>
        verifyImage(
          tamper(sign(), (jws) => {
            const sig = Buffer.from(String(jws.signature), 'base64url');
            sig[5] = (sig[5] ?? 0) ^ 0xff;
            jws.signature = sig.toString('base64url');
          }),
        ),
    },
    {
      when: 'the signed target has another digest',
      it: 'throws TARGET_MISMATCH naming the digest',
      code: 'TARGET_MISMATCH',
      act: () => {
        const image = { ...IMAGE, digest: `sha256:${'ef'.repeat(32)}` };
        return verifyNotationSignature(sign(), image, x509Options());
      },
      says: /digest/,
    },
    {
      when: 'the signed target has another size',
      it: 'throws TARGET_MISMATCH naming the size',
      code: 'TARGET_MISMATCH',
      act: () => verifyNotationSignature(sign(), { ...IMAGE, size: IMAGE.size + 1 }, x509Options()),
      says: /size 1234 ≠ 1235/,
    },
    {
      when: 'the signed target has another media type',
      it: 'throws TARGET_MISMATCH naming the media type',
      code: 'TARGET_MISMATCH',
      act: () => {
        const image = { ...IMAGE, mediaType: 'application/vnd.oci.image.index.v1+json' };
        return verifyNotationSignature(sign(), image, x509Options());
      },
      says: /mediaType/,
    },
    {
      when: 'the chain does not reach any configured anchor',
      it: 'throws UNTRUSTED_ANCHOR',
      code: 'UNTRUSTED_ANCHOR',
      act: () => verifyImage(sign(), anchoredAt(otherChain, 'other-root')),
      says: /other-root/,
    },
    {
      when: 'x5c leaves out the intermediate',
      it: 'throws INVALID_CERTIFICATE_CHAIN',
      code: 'INVALID_CERTIFICATE_CHAIN',
      act: () => verifyImage(sign({ x5c: [chain.leaf, chain.root] })),
      says: /not issued and signed by x5c\[1\]/,
    },
    {
      when: 'the signing certificate carries the serverAuth EKU',
      it: 'throws INVALID_CERTIFICATE_CHAIN',
      code: 'INVALID_CERTIFICATE_CHAIN',
      act: () => verifyOnOwnChain({ caName: 'TLS', leafExtendedKeyUsages: ['1.3.6.1.5.5.7.3.1'] }, 'tls-root'),
      says: /serverAuth/,
    },
    {
      when: 'the signing certificate expired before verification time (notary.x509)',
      it: 'throws EXPIRED',
      code: 'EXPIRED',
      act: () =>
        verifyOnOwnChain({ caName: 'Expired', leafNotAfter: new Date('2026-12-01T00:00:00Z') }, 'expired-root'),
      says: /x5c\[0\]/,
    },
    {
      when: 'the signature is past its io.cncf.notary.expiry',
      it: 'throws EXPIRED',
      code: 'EXPIRED',
      act: () => verifyImage(sign({ expiry: new Date('2026-12-31T00:00:00Z') })),
      says: /signature expired/,
    },
    {
      when: 'a signingAuthority signature claims a time after its certificate expired',
      it: 'throws EXPIRED',
      code: 'EXPIRED',
      act: async () => {
        const expired = await generateNotationChain({ caName: 'SA2', leafNotAfter: new Date('2026-01-01T00:00:00Z') });
        const envelope = sign(awsSignerSignOptions(AWS_SIGNER_FIXTURE, SIGNED_AT), expired);
        const opts = anchoredAt(expired, 'sa-root', awsOptions);
        return verifyImage(envelope, opts);
      },
      says: /authentic signing time/,
    },
    {
      when: 'the protected header has a critical attribute this verifier does not know',
      it: 'throws UNKNOWN_CRITICAL_HEADER naming it',
      code: 'UNKNOWN_CRITICAL_HEADER',
      act: () =>
        verifyImage(sign({ extendedAttributes: { 'com.example.policy': 'v1' }, critical: ['com.example.policy'] })),
      says: /com\.example\.policy/,
    },
    {
      when: 'the signature requires a verification plugin other than AWS Signer',
      it: 'throws UNKNOWN_CRITICAL_HEADER naming the plugin',
      code: 'UNKNOWN_CRITICAL_HEADER',
      act: () =>
        verifyImage(
          sign({
            extendedAttributes: { 'io.cncf.notary.verificationPlugin': 'com.example.plugin' },
            critical: ['io.cncf.notary.verificationPlugin'],
          }),
        ),
      says: /com\.example\.plugin/,
    },
    {
      when: 'the x509 signer is not a trusted identity',
      it: 'throws IDENTITY_MISMATCH',
      code: 'IDENTITY_MISMATCH',
      act: () => verifyImage(sign(), x509Options({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=Someone Else'] })),
      says: /Release Gate Demo/,
    },
    {
      when: 'a trusted identity lacks the required ST attribute',
      it: 'throws POLICY_INVALID',
      code: 'POLICY_INVALID',
      act: () => verifyImage(sign(), x509Options({ trustedIdentities: ['x509.subject: C=US, O=Release Gate Demo'] })),
      says: /ST/,
    },
    {
      when: 'the trusted AWS Signer identity is another version of the same profile',
      it: 'throws IDENTITY_MISMATCH',
      code: 'IDENTITY_MISMATCH',
      act: () => {
        const opts = awsOptions({ awsSignerProfiles: [`${AWS_SIGNER_FIXTURE.profileArn}/Zz99Yy88Xx`] });
        return verifyImage(sign(awsSignerSignOptions()), opts);
      },
    },
    {
      when: 'the trusted AWS Signer profile only shares a name prefix with the signing profile',
      it: 'throws IDENTITY_MISMATCH',
      code: 'IDENTITY_MISMATCH',
      act: () => {
        const opts = awsOptions({
          awsSignerProfiles: ['arn:aws:signer:us-east-1:111122223333:/signing-profiles/release_gate'],
        });
        return verifyImage(sign(awsSignerSignOptions()), opts);
      },
    },
    {
      when: 'only x509 identities are trusted and the signature is AWS Signer',
      it: 'throws IDENTITY_MISMATCH (the profile attribute decides, not the certificate subject)',
      code: 'IDENTITY_MISMATCH',
      act: () => {
        const opts = awsOptions({ awsSignerProfiles: [], trustedIdentities: [TRUSTED_SUBJECT] });
        return verifyImage(sign(awsSignerSignOptions()), opts);
      },
      says: /trusts no AWS Signer profile/,
    },
    {
      when: 'the AWS Signer profile list contains *',
      it: 'throws POLICY_INVALID',
      code: 'POLICY_INVALID',
      act: () => verifyImage(sign(awsSignerSignOptions()), awsOptions({ awsSignerProfiles: ['*'] })),
      says: /wildcard/,
    },
    {
      when: 'the revocation checker reports the signature revoked',
      it: 'throws REVOKED with its reason',
      code: 'REVOKED',
      act: () => {
        const revocation: RevocationChecker = {
          check: async () => ({ revoked: true, reason: 'signing profile version revoked' }),
        };
        return verifyImage(sign(awsSignerSignOptions()), awsOptions({ revocation }));
      },
      says: /signing profile version revoked/,
    },
    {
      when: 'an AWS Signer signature is verified without a revocation checker',
      it: 'throws REVOCATION_UNAVAILABLE',
      code: 'REVOCATION_UNAVAILABLE',
      act: () => {
        const { revocation: _unused, ...withoutRevocation } = awsOptions();
        return verifyImage(sign(awsSignerSignOptions()), withoutRevocation);
      },
      says: /GetRevocationStatus/,
    },
    {
      when: 'an x509 chain publishes a CRL and no revocation checker is configured',
      it: 'throws REVOCATION_UNAVAILABLE',
      code: 'REVOCATION_UNAVAILABLE',
      act: () => verifyOnOwnChain({ caName: 'CRL', leafCrlUrl: 'http://crl.example.com/ca.crl' }, 'crl-root'),
      says: /CRL/,
    },
    {
      when: 'alg does not match the leaf key (ES384 with a P-256 key)',
      it: 'throws ALGORITHM_MISMATCH',
      code: 'ALGORITHM_MISMATCH',
      act: () => verifyImage(sign({ alg: 'ES384' })),
      says: /prime256v1 requires ES256/,
    },
    {
      when: 'the policy requires signingAuthority and the signature is notary.x509',
      it: 'throws SIGNING_SCHEME_MISMATCH',
      code: 'SIGNING_SCHEME_MISMATCH',
      act: () => verifyImage(sign(), x509Options({ signingScheme: 'notary.x509.signingAuthority' })),
    },
    {
      when: 'an intermediate certificate parses but OpenSSL cannot decode its public key (found by fuzzing)',
      it: 'throws INVALID_CERTIFICATE_CHAIN, not the OpenSSL decode error',
      code: 'INVALID_CERTIFICATE_CHAIN',
      act: () =>
        verifyImage(
          tamper(sign(), (jws) => {
            const header = z
              .object({ x5c: z.array(z.string()) })
              .loose()
              .parse(jws.header);
            header.x5c[1] = corruptEcPoint(header.x5c[1] ?? '');
            jws.header = header;
          }),
        ),
      says: /x5c\[1\]: its public key cannot be read/,
    },
    {
      when: 'the envelope is COSE',
      it: 'throws UNSUPPORTED_ENVELOPE',
      code: 'UNSUPPORTED_ENVELOPE',
      act: () => verifyImage(new Uint8Array([0xd2, 0x84]), x509Options({ envelopeMediaType: 'application/cose' })),
      says: /COSE envelopes are not supported/,
    },
    {
      when: 'the envelope is larger than the limit',
      it: 'throws TOO_LARGE before parsing',
      code: 'TOO_LARGE',
      act: () => {
        const huge = new Uint8Array(2 * 1024 * 1024).fill(0x7b);
        return verifyImage(huge);
      },
    },
  ];

  describe.each(REFUSED.map((r) => [r.when, r] as const))('when %s', (_when, r) => {
    it(r.it, async () => {
      // Act & Assess
      await expect(r.act()).rejects.toThrowWithCode(NotationError, r.code, r.says);
    });
  });
});

describe('Function: parseNotationEnvelope', () => {
  describe('when a signingAuthority envelope has AWS Signer attributes', () => {
    it('exposes them as extended attributes and decodes x5c', () => {
      // Act
      const envelope = parseNotationEnvelope(sign(awsSignerSignOptions()));

      // Assess
      expect(envelope.header.signingScheme).toBe('notary.x509.signingAuthority');
      expect(envelope.header.authenticSigningTime?.toISOString()).toBe(SIGNED_AT.toISOString());
      expect(envelope.extendedAttributes['com.amazonaws.signer.signingProfileVersion']).toBe(
        AWS_SIGNER_FIXTURE.profileVersionArn,
      );
      expect(envelope.certificateChain.map((der) => Buffer.from(der).toString('base64'))).toEqual(
        chain.chain.map((c) => Buffer.from(c.der).toString('base64')),
      );
    });
  });

  describe('when the expiry attribute is not marked critical', () => {
    it('throws MALFORMED_ENVELOPE', () => {
      // Prepare
      const envelope = tamper(sign({ expiry: new Date('2030-01-01T00:00:00Z') }), (jws) => {
        const header = JSON.parse(Buffer.from(String(jws.protected), 'base64url').toString('utf8'));
        header.crit = ['io.cncf.notary.signingScheme'];
        jws.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
      });

      // Act
      const act = () => parseNotationEnvelope(envelope);

      // Assess
      expect(act).toThrow(/io\.cncf\.notary\.expiry must be listed in crit/);
    });
  });
});

describe('Function: matchesAwsSignerProfile', () => {
  describe('when the trusted ARN is the profile and the signature a version of it', () => {
    it('matches case-insensitively', () => {
      // Act
      const matched = matchesAwsSignerProfile(
        AWS_SIGNER_FIXTURE.profileArn.toUpperCase(),
        AWS_SIGNER_FIXTURE.profileVersionArn,
      );

      // Assess
      expect(matched).toBe(true);
    });
  });
});
