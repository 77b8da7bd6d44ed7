/**
 * cosign key-based signatures of container images ("simple signing").
 * Spec: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md. The `sha256-<hex>.sig`
 * tag holds an OCI manifest; each layer is a simple-signing payload, and the layer annotation
 * `dev.cosignproject.cosign/signature` is the base64 signature over the exact payload bytes.
 */
import { decodeBase64, findSigner } from '../attest/dsse.js';
import { parseJsonDocument } from '../document.js';
import { InvalidInputError, TooLargeError, UntrustedError, VerificationError } from '../errors.js';
import { Limits } from '../limits.js';
import { Annotations, MediaTypes } from '../oci.js';
import { type ReferenceExpectation, referenceNamesRepository } from '../reference.js';
import type { TrustedKey } from '../trust-material.js';
import * as z from '../zod.js';

/** The only `critical.type` cosign writes for image signatures. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export const SimpleSigningPayloadSchema = z.object({
  critical: z.object({
    identity: z.object({ 'docker-reference': z.string() }),
    image: z.object({ 'docker-manifest-digest': z.string().check(z.minLength(1)) }),
    type: z.literal(COSIGN_SIGNATURE_TYPE),
  }),
  optional: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});
export type SimpleSigningPayload = z.infer<typeof SimpleSigningPayloadSchema>;

/** Parses simple-signing payload bytes (size checked first). Throws TooLargeError or InvalidInputError. */
export function parseSimpleSigningPayload(payload: Uint8Array): SimpleSigningPayload {
  return parseJsonDocument(payload, SimpleSigningPayloadSchema, {
    what: 'simple-signing payload',
    maxBytes: Limits.signaturePayloadBytes,
  });
}

/**
 * Verifies a cosign signature over the exact payload bytes with the trusted keys, then parses the
 * payload. Returns the verified payload and the id of the key that verified it.
 * Throws GateError UNTRUSTED when no key is trusted, VerificationError when no trusted key verifies,
 * InvalidInputError / TooLargeError for a malformed signature or payload.
 */
export function verifyCosignSignature(
  payload: Uint8Array,
  signatureB64: string,
  keys: readonly TrustedKey[],
): { signer: string; payload: SimpleSigningPayload } {
  if (payload.length > Limits.signaturePayloadBytes) {
    throw new TooLargeError('simple-signing payload', payload.length, Limits.signaturePayloadBytes);
  }
  if (keys.length === 0) {
    throw new UntrustedError('no key is trusted to verify this signature');
  }
  const signature = decodeBase64(signatureB64);
  const signer = findSigner(payload, [signature], keys);
  if (signer === undefined) {
    throw new VerificationError(
      `signature does not verify with any trusted key (trusted: ${keys.map((k) => k.id).join(', ')})`,
    );
  }
  return { signer, payload: parseSimpleSigningPayload(payload) };
}

export interface SimpleSigningExpectation extends ReferenceExpectation {
  /** The image digest the signature must cover. */
  readonly digest: string;
}

/**
 * Checks the signed claims against the image under release. Returns the reasons it does not match;
 * an empty list means the claims hold. The tag or digest suffix of `docker-reference` is ignored
 * (cosign signs whatever reference the user typed).
 */
export function checkSimpleSigningClaims(payload: SimpleSigningPayload, expected: SimpleSigningExpectation): string[] {
  const reasons: string[] = [];
  const signedDigest = payload.critical.image['docker-manifest-digest'];
  if (signedDigest !== expected.digest) {
    reasons.push(`signature covers ${signedDigest} not this image ${expected.digest}`);
  }
  const reference = payload.critical.identity['docker-reference'];
  if (!referenceNamesRepository(reference, expected)) {
    reasons.push(`signature identity ${JSON.stringify(reference)} does not match repository ${expected.repository}`);
  }
  return reasons;
}

/** One signature as containers/image stores it in a `signature-N` file. */
export interface ContainersImageSigstoreSignature {
  readonly mimeType: string;
  readonly payload: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
}

const SIGSTORE_JSON_PREFIX = Buffer.from('\x00sigstore-json\n', 'latin1');

const ContainersImageSigstoreSchema = z.object({
  mimeType: z.string(),
  payload: z.string(),
  annotations: z._default(z.record(z.string(), z.string()), {}),
});

/**
 * Parses the containers/image `signature-N` framing for sigstore signatures
 * (`\x00sigstore-json\n` then `{mimeType, payload: base64, annotations}`), i.e. one cosign
 * signature-manifest layer with its annotations (containers/image signature/internal/sigstore_payload.go).
 */
export function parseContainersImageSigstoreSignature(bytes: Uint8Array): ContainersImageSigstoreSignature {
  if (bytes.length > Limits.attestationBytes) {
    throw new TooLargeError('sigstore signature', bytes.length, Limits.attestationBytes);
  }
  const buffer = Buffer.from(bytes);
  if (!buffer.subarray(0, SIGSTORE_JSON_PREFIX.length).equals(SIGSTORE_JSON_PREFIX)) {
    throw new InvalidInputError('not a containers/image sigstore-json signature (missing \\x00sigstore-json prefix)');
  }
  const parsed = parseJsonDocument(buffer.subarray(SIGSTORE_JSON_PREFIX.length), ContainersImageSigstoreSchema, {
    what: 'sigstore-json signature',
    maxBytes: Limits.attestationBytes,
  });
  return { mimeType: parsed.mimeType, payload: decodeBase64(parsed.payload), annotations: parsed.annotations };
}

/** The cosign signature annotation of a layer, if any. */
export function cosignSignatureOf(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  return annotations?.[Annotations.cosignSignature];
}

/** True for the layer media type of a cosign simple-signing payload. */
export function isSimpleSigningLayer(mediaType: string): boolean {
  return mediaType === MediaTypes.cosignSimpleSigning;
}
