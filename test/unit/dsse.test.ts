import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, pae, verifyEnvelope } from '../../lambdas/domain/attest/dsse.js';
import { InvalidInputError, TooLargeError, VerificationError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { trustedKey } from '../support/signers.js';

type KeyKind = 'p256' | 'p384' | 'ed25519' | 'rsa';

/** A fresh key pair of each kind a DSSE signer may use. */
const KEY_PAIRS: Readonly<Record<KeyKind, () => { privateKey: KeyObject; publicKey: KeyObject }>> = {
  p256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ed25519: () => generateKeyPairSync('ed25519'),
  rsa: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
const keyPair = (kind: KeyKind) => KEY_PAIRS[kind]();

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PAYLOAD = new Uint8Array(Buffer.from('{"hello":"world"}'));

function envelope(
  signatures: readonly { sig: Uint8Array; keyid?: string }[],
  options: { urlSafe?: boolean; payload?: Uint8Array; payloadType?: string } = {},
): Uint8Array {
  const encode = (b: Uint8Array): string => Buffer.from(b).toString(options.urlSafe ? 'base64url' : 'base64');
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        payloadType: options.payloadType ?? PAYLOAD_TYPE,
        payload: encode(options.payload ?? PAYLOAD),
        signatures: signatures.map((s) => ({
          ...(s.keyid !== undefined ? { keyid: s.keyid } : {}),
          sig: encode(s.sig),
        })),
      }),
    ),
  );
}

const message = pae(PAYLOAD_TYPE, PAYLOAD);

describe('Function: pae', () => {
  describe('when the type has multi-byte characters', () => {
    it('counts lengths in bytes', () => {
      // Prepare
      const body = new Uint8Array(Buffer.from('€'));

      // Act
      const encoded = Buffer.from(pae('tÿpe', body)).toString('utf8');

      // Assess
      expect(encoded).toBe('DSSEv1 5 tÿpe 3 €');
    });
  });
});

describe('Function: decodeBase64', () => {
  describe('when the text is URL-safe and unpadded', () => {
    it('decodes it', () => {
      // Prepare
      const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);

      // Act
      const decoded = decodeBase64(bytes.toString('base64url'));

      // Assess
      expect(Buffer.from(decoded).equals(bytes)).toBe(true);
    });
  });

  describe('when the text has characters outside the alphabet', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const text = 'aGVs bG8=';

      // Act
      const act = (): unknown => decodeBase64(text);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });
});

describe('Property: decodeBase64 accepts exactly the base64 of either alphabet', () => {
  /** The rule as written: the alphabet of either kind, at most two `=`, no length 1 modulo 4 before them. */
  const valid = (text: string): boolean =>
    /^[A-Za-z0-9+/_-]*={0,2}$/.test(text) && text.replace(/=+$/, '').length % 4 !== 1;
  const outcome = (text: string): string => {
    try {
      return Buffer.from(decodeBase64(text)).toString('hex');
    } catch (err) {
      return err instanceof InvalidInputError ? 'refused' : 'threw';
    }
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_';
  const inAlphabet = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 });
  // Base64 text with one or two characters of anything else put in, and padding of any length.
  const text = fc
    .tuple(
      inAlphabet,
      fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }))),
      fc.nat(3),
    )
    .map(([base, inserts, padding]) => {
      let t = base;
      for (const [at, s] of inserts.slice(0, 2))
        t = `${t.slice(0, at % (t.length + 1))}${s}${t.slice(at % (t.length + 1))}`;
      return `${t}${'='.repeat(padding)}`;
    });

  it('decodes what the rule accepts, as Buffer does, and refuses the rest', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ maxLength: 12 })), (t) => {
        // Act & Assess
        expect(outcome(t)).toBe(valid(t) ? Buffer.from(t, 'base64').toString('hex') : 'refused');
      }),
      { numRuns: 50_000 },
    );
  });
});

describe('Function: verifyEnvelope', () => {
  describe.each<KeyKind>(['p256', 'p384', 'ed25519', 'rsa'])('when signed by a trusted %s key', (kind) => {
    it('returns the payload and the signer', () => {
      // Prepare
      const { privateKey, publicKey } = keyPair(kind);
      const hash = kind === 'ed25519' ? null : kind === 'p384' ? 'sha384' : 'sha256';
      const sig = sign(hash, message, privateKey);

      // Act
      const verified = verifyEnvelope(envelope([{ sig }]), [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified).toEqual({ payloadType: PAYLOAD_TYPE, payload: PAYLOAD, signer: 'ci' });
    });
  });

  describe('when the ECDSA signature is raw r||s (IEEE P1363) rather than DER', () => {
    it('verifies', () => {
      // Prepare
      const { privateKey, publicKey } = keyPair('p256');
      const sig = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });

      // Act
      const verified = verifyEnvelope(envelope([{ sig }]), [trustedKey('ci', publicKey)]);

      // Assess
      expect(sig).toHaveLength(64);
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when a P-384 key signed with SHA-256 (cosign before v2.4)', () => {
    it('verifies', () => {
      // Prepare
      const { privateKey, publicKey } = keyPair('p384');
      const sig = sign('sha256', message, privateKey);

      // Act
      const verified = verifyEnvelope(envelope([{ sig }]), [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when the RSA signature uses PSS padding', () => {
    it('verifies', () => {
      // Prepare
      const { privateKey, publicKey } = keyPair('rsa');
      const sig = sign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });

      // Act
      const verified = verifyEnvelope(envelope([{ sig }]), [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when payload and signature are URL-safe base64', () => {
    it('verifies', () => {
      // Prepare
      const { privateKey, publicKey } = keyPair('p256');
      const payload = new Uint8Array([0xfb, 0xff, 0xbf]);
      const sig = sign('sha256', pae(PAYLOAD_TYPE, payload), privateKey);

      // Act
      const verified = verifyEnvelope(envelope([{ sig }], { urlSafe: true, payload }), [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified.payload).toEqual(payload);
    });
  });

  describe('when one of several signatures is by a trusted key', () => {
    it('verifies with that key', () => {
      // Prepare
      const stranger = keyPair('p256');
      const ci = keyPair('p256');
      const signatures = [
        { sig: sign('sha256', message, stranger.privateKey) },
        { sig: sign('sha256', message, ci.privateKey) },
      ];

      // Act
      const verified = verifyEnvelope(envelope(signatures), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when the keyid names a trusted key but another key signed', () => {
    it('throws VerificationError (keyid is never trusted)', () => {
      // Prepare
      const stranger = keyPair('p256');
      const ci = keyPair('p256');
      const sig = sign('sha256', message, stranger.privateKey);

      // Act
      const act = (): unknown => verifyEnvelope(envelope([{ sig, keyid: 'ci' }]), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the keyid names another key but a trusted key signed', () => {
    it('verifies (keyid is only a hint)', () => {
      // Prepare
      const ci = keyPair('p256');
      const sig = sign('sha256', message, ci.privateKey);

      // Act
      const verified = verifyEnvelope(envelope([{ sig, keyid: 'someone-else' }]), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when the signature covers the payload without the PAE', () => {
    it('throws VerificationError', () => {
      // Prepare
      const ci = keyPair('p256');
      const sig = sign('sha256', PAYLOAD, ci.privateKey);

      // Act
      const act = (): unknown => verifyEnvelope(envelope([{ sig }]), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the payloadType differs from the signed one', () => {
    it('throws VerificationError', () => {
      // Prepare
      const ci = keyPair('p256');
      const sig = sign('sha256', message, ci.privateKey);

      // Act
      const act = (): unknown =>
        verifyEnvelope(envelope([{ sig }], { payloadType: 'text/plain' }), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when no key is trusted', () => {
    it('throws VerificationError', () => {
      // Prepare
      const ci = keyPair('p256');
      const sig = sign('sha256', message, ci.privateKey);

      // Act
      const act = (): unknown => verifyEnvelope(envelope([{ sig }]), []);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the envelope has no signatures', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const ci = keyPair('p256');

      // Act
      const act = (): unknown => verifyEnvelope(envelope([]), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });

  describe('when the envelope is not JSON', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const ci = keyPair('p256');

      // Act
      const act = (): unknown =>
        verifyEnvelope(new Uint8Array(Buffer.from('not json')), [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });

  describe('when the envelope names its payload twice', () => {
    it('throws InvalidInputError: the signed payload and the read one could differ', () => {
      // Prepare: signed over PAYLOAD; a second "payload" member follows.
      const ci = keyPair('p256');
      const signed = Buffer.from(
        envelope([{ sig: new Uint8Array(sign('sha256', message, ci.privateKey)) }]),
      ).toString();
      const other = Buffer.from('{"evil":true}').toString('base64');
      const doubled = new Uint8Array(Buffer.from(`${signed.slice(0, -1)},"payload":"${other}"}`));

      // Act
      const act = (): unknown => verifyEnvelope(doubled, [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(act).toThrow('DSSE envelope: (root): duplicate member name "payload"');
    });
  });

  describe('when the envelope is above the attestation size limit', () => {
    it('throws TooLargeError before parsing', () => {
      // Prepare
      const ci = keyPair('p256');
      const huge = new Uint8Array(Limits.attestationBytes + 1);

      // Act
      const act = (): unknown => verifyEnvelope(huge, [trustedKey('ci', ci.publicKey)]);

      // Assess
      expect(act).toThrow(TooLargeError);
    });
  });
});
