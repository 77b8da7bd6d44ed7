/**
 * Dead Simple Signing Envelope (DSSE) v1.
 * Spec: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md and envelope.md.
 */
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { parseJsonDocument } from '../document.js';
import { InvalidInputError, VerificationError } from '../errors.js';
import { Limits } from '../limits.js';
import type { TrustedKey } from '../trust-material.js';
import * as z from '../zod.js';

/**
 * Decodes standard or URL-safe base64, padded or not (envelope.md: "Either standard or URL-safe
 * encoding is allowed"). Strict: the text must be `^[A-Za-z0-9+/_-]*={0,2}$` with a length that
 * is not 1 modulo 4 before the padding; anything else throws, where `Buffer.from` would silently
 * skip it. Node's base64 decoder reads both alphabets, so the text (a whole SBOM, in an
 * attestation) is decoded once and not rewritten.
 *
 * The alphabet is checked by the decode itself rather than by a regular expression over the text
 * (which took twice as long as the decode, on megabytes): Node skips (or stops at) an ASCII
 * character outside the alphabet, whitespace and a `=` before the end included, so the bytes come
 * out fewer than the text's length promises, and at lengths other than 1 modulo 4 every character
 * counts.
 * test/unit/dsse.test.ts holds the two to the expression on arbitrary text.
 */
export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === EQUALS) end--;
  // ASCII only (its UTF-8 length is its length): the decoder reads a wider character by its low
  // byte, which can be in the alphabet.
  if (text.length - end > 2 || end % 4 === 1 || Buffer.byteLength(text, 'utf8') !== text.length) {
    throw new InvalidInputError('value is not valid base64');
  }
  const decoded = Buffer.from(text, 'base64');
  // `byteLength` of base64 counts from the length and the trailing `=` alone: what the text
  // promises when every character is in the alphabet.
  if (decoded.byteLength !== Buffer.byteLength(text, 'base64')) {
    throw new InvalidInputError('value is not valid base64');
  }
  // A large decode has an ArrayBuffer of its own: viewed, not copied (an SBOM payload is
  // megabytes). A small one sits in Node's shared pool, and is copied out of it.
  return decoded.byteLength === decoded.buffer.byteLength
    ? new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength)
    : new Uint8Array(decoded);
}

const EQUALS = 0x3d;

export const DsseSignatureSchema = z.object({
  /** Unauthenticated hint only; never used to pick or trust a key. */
  keyid: z.optional(z.string()),
  sig: z.string().check(z.minLength(1)),
});

/** envelope.md: `{payload, payloadType, signatures: [{keyid?, sig}]}`; unknown fields (e.g. `cert`) are ignored. */
export const DsseEnvelopeSchema = z.object({
  payload: z.string(),
  payloadType: z.string(),
  signatures: z.array(DsseSignatureSchema).check(z.minLength(1, 'an envelope needs at least one signature')),
});
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>;

/** A DSSE envelope whose signature verified with a trusted key. */
export interface VerifiedEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  /** `id` of the TrustedKey that verified a signature. */
  readonly signer: string;
}

/**
 * Pre-Authentication Encoding (protocol.md "Signature definition"):
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as ASCII decimal.
 */
export function pae(type: string, body: Uint8Array): Uint8Array {
  const typeBytes = Buffer.from(type, 'utf8');
  const header = Buffer.from(`DSSEv1 ${typeBytes.length} ${type} ${body.length} `, 'utf8');
  return new Uint8Array(Buffer.concat([header, body]));
}

/** Parses the envelope JSON (size checked first). Throws TooLargeError or InvalidInputError. */
export function parseEnvelope(envelopeBytes: Uint8Array): DsseEnvelope {
  return parseJsonDocument(envelopeBytes, DsseEnvelopeSchema, {
    what: 'DSSE envelope',
    maxBytes: Limits.attestationBytes,
  });
}

/**
 * Verifies a DSSE envelope against trusted keys and returns the authenticated payload.
 * Every signature is tried against every key (keyid is an unauthenticated hint: protocol.md says it
 * "MUST NOT be used for security decisions"). Throws VerificationError when none verifies.
 */
export function verifyEnvelope(envelopeBytes: Uint8Array, keys: readonly TrustedKey[]): VerifiedEnvelope {
  return verifyParsedEnvelope(parseEnvelope(envelopeBytes), keys);
}

/**
 * {@link verifyEnvelope} of an envelope `parseEnvelope` already read, with its payload when the
 * caller already decoded it (`decodeBase64(envelope.payload)`): an SBOM's envelope is megabytes.
 */
export function verifyParsedEnvelope(
  envelope: DsseEnvelope,
  keys: readonly TrustedKey[],
  decodedPayload?: Uint8Array,
): VerifiedEnvelope {
  const payload = decodedPayload ?? decodeBase64(envelope.payload);
  if (keys.length === 0) {
    throw new VerificationError('no key is trusted to verify this DSSE envelope');
  }
  const message = pae(envelope.payloadType, payload);
  const signatures: Uint8Array[] = [];
  for (const signature of envelope.signatures) {
    try {
      signatures.push(decodeBase64(signature.sig));
    } catch {
      // A malformed signature cannot verify; another signature of the envelope still may.
    }
  }
  const signer = findSigner(message, signatures, keys);
  if (signer === undefined) {
    throw new VerificationError(
      `no DSSE signature verifies with a trusted key (${envelope.signatures.length} signature(s), trusted: ${keys.map((k) => k.id).join(', ')})`,
    );
  }
  return { payloadType: envelope.payloadType, payload, signer };
}

/** Returns the id of the first trusted key that verifies one of `signatures` over `message`. */
export function findSigner(
  message: Uint8Array,
  signatures: readonly Uint8Array[],
  keys: readonly TrustedKey[],
): string | undefined {
  for (const trusted of keys) {
    const key = importPublicKey(trusted.publicKey);
    if (key === undefined) continue;
    for (const signature of signatures) {
      if (verifyWithKey(key, message, signature)) return trusted.id;
    }
  }
  return undefined;
}

function importPublicKey(pem: string): KeyObject | undefined {
  try {
    return createPublicKey(pem);
  } catch {
    // A key that does not import verifies nothing: fail closed, other keys may still verify.
    return undefined;
  }
}

/**
 * Hashes tried per curve. P-384 signers differ (sigstore-go defaults to SHA-384, cosign before
 * v2.4 signed every ECDSA key with SHA-256), so both are accepted for that curve.
 */
const EC_HASHES: Readonly<Record<string, readonly string[]>> = {
  prime256v1: ['sha256'],
  secp384r1: ['sha384', 'sha256'],
  secp521r1: ['sha512'],
};

const EC_COORDINATE_BYTES: Readonly<Record<string, number>> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

/**
 * Verifies one signature with one key. ECDSA accepts ASN.1 DER (sigstore, cosign) and raw r‖s
 * (IEEE P1363, the DSSE spec test vector); Ed25519 is pure; RSA accepts PKCS#1 v1.5 and PSS with SHA-256.
 */
export function verifyWithKey(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    switch (key.asymmetricKeyType) {
      case 'ec': {
        const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
        const hashes = EC_HASHES[curve] ?? [];
        const raw = signature.length === 2 * (EC_COORDINATE_BYTES[curve] ?? -1);
        return hashes.some(
          (hash) =>
            verify(hash, message, { key, dsaEncoding: 'der' }, signature) ||
            (raw && verify(hash, message, { key, dsaEncoding: 'ieee-p1363' }, signature)),
        );
      }
      case 'ed25519':
        return verify(null, message, key, signature);
      case 'rsa':
        return (
          verify('sha256', message, key, signature) ||
          verify(
            'sha256',
            message,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
            signature,
          )
        );
      case 'rsa-pss':
        return verify('sha256', message, key, signature);
      default:
        return false;
    }
  } catch {
    // Malformed DER and similar: not a valid signature.
    return false;
  }
}
