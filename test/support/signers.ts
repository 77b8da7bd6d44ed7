/**
 * Signers and signed documents for collector and verifier tests, on the producer side of
 * cli/fixtures (keys.ts, sign.ts): a fixture key pair with the policy entry that trusts it, in-toto
 * statements as values (so a test can break one before signing it), and DSSE envelope bytes.
 */
import type { KeyObject } from 'node:crypto';
import { type FixtureKeyPair, generateFixtureKeyPair } from '../../cli/fixtures/keys.js';
import { envelopeBytes, signBase64, signDsse } from '../../cli/fixtures/sign.js';
import { Annotations, MediaTypes } from '../../lambdas/domain/oci.js';
import type { TrustedKey } from '../../lambdas/domain/policy/schema.js';
import { StatementTypes } from '../../lambdas/domain/predicate-types.js';
import type { Digest } from '../../lambdas/domain/types.js';

/** A P-256 fixture key pair and the policy entry that trusts it. */
export interface TestSigner extends FixtureKeyPair {
  readonly trusted: TrustedKey;
}

/** A fresh P-256 signer named `id` (the name the policy and the collector's facts give it). */
export function testSigner(id: string): TestSigner {
  const pair = generateFixtureKeyPair(id);
  return { ...pair, trusted: { id, publicKey: pair.publicKeyPem } };
}

/** The policy entry trusting a public key of any type: `{ id, publicKey: <SPKI PEM> }`. */
export function trustedKey(id: string, publicKey: KeyObject): TrustedKey {
  return { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** An in-toto statement (v1 unless `type` says otherwise) about one subject, as a plain value. */
export function statementAbout(
  subject: { readonly name: string; readonly digest: Digest | string },
  predicateType: string,
  predicate: unknown,
  type: string = StatementTypes.v1,
): Record<string, unknown> {
  const [algorithm = 'sha256', hex = ''] = subject.digest.split(':');
  return { _type: type, subject: [{ name: subject.name, digest: { [algorithm]: hex } }], predicateType, predicate };
}

/** JSON bytes of a value (bytes are kept as they are). */
export function bytesOf(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : new TextEncoder().encode(JSON.stringify(value));
}

/**
 * DSSE envelope bytes over `body` (its JSON, or the bytes given), signed over the PAE by `by`
 * (cli/fixtures/sign.ts `signDsse`; the keyid is empty, as cosign writes it).
 */
export function dsseEnvelope(
  by: { readonly privateKey: KeyObject },
  body: unknown,
  payloadType: string = MediaTypes.inTotoPayload,
): Uint8Array {
  return envelopeBytes(signDsse(payloadType, bytesOf(body), [{ privateKey: by.privateKey }]));
}

/** A cosign simple-signing layer: the payload bytes with `by`'s signature in the layer annotation. */
export function cosignSignatureLayer(
  by: { readonly privateKey: KeyObject },
  payload: Uint8Array,
): { mediaType: string; bytes: Uint8Array; annotations: Record<string, string> } {
  return {
    mediaType: MediaTypes.cosignSimpleSigning,
    bytes: payload,
    annotations: { [Annotations.cosignSignature]: signBase64(by.privateKey, payload) },
  };
}
