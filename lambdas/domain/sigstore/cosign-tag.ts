/**
 * cosign's keyless signatures and attestations in the tag format (cosign 1.x/2.x default, and how
 * slsa-github-generator publishes container provenance): a `sha256-<hex>.sig` or `.att` manifest
 * whose layers carry the Fulcio certificate, its chain and the Rekor SET bundle as annotations
 * (cosign specs/SIGNATURE_SPEC.md, ATTESTATION_SPEC.md):
 *
 * - `dev.cosignproject.cosign/signature`: base64 signature (over the simple-signing payload for `.sig`;
 *   empty for `.att`, whose DSSE envelope is the layer blob and holds the signature);
 * - `dev.sigstore.cosign/certificate`: PEM Fulcio leaf; `dev.sigstore.cosign/chain`: PEM chain;
 * - `dev.sigstore.cosign/bundle`: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`.
 *
 * That is the material of a Sigstore bundle v0.1 (x509 chain + one tlog entry with an inclusion
 * promise), so it is converted into one and verified by verify-bundle.ts like any other bundle:
 * one verifier for chain, SCT, SET, tlog body and identity. The chain annotation is not used: the
 * path to a CA is built from the trusted root alone, as cosign does with a pinned root.
 *
 * Hand-written here because no library does it: the conversion itself, and one check
 * `@sigstore/verify` leaves out (3.x compares only the signature and the digest of a hashedrekord
 * or intoto body): the certificate or key the log entry records must be the one presented.
 */
import { X509Certificate } from 'node:crypto';
import { decodeBase64, parseEnvelope } from '../attest/dsse.js';
import { safeParseJsonDocument } from '../document.js';
import { describeError } from '../errors.js';
import { Limits } from '../limits.js';
import { Annotations, MediaTypes, sha256Digest } from '../oci.js';
import * as z from '../zod.js';
import { SigstoreVerificationError } from './verify-bundle.js';

/** The bundle media type the tag material becomes: v0.1 allows an inclusion promise without a proof. */
export const COSIGN_TAG_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** One layer of a `.sig` / `.att` manifest: its media type, annotations and blob. */
export interface CosignTagLayer {
  readonly mediaType: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The simple-signing payload (`.sig`) or the DSSE envelope (`.att`). */
  readonly bytes: Uint8Array;
}

/** Whether a layer carries a Fulcio certificate, i.e. is keyless and verified as a bundle. */
export function isKeylessCosignLayer(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return annotations?.[Annotations.cosignCertificate] !== undefined;
}

/** cosign's `dev.sigstore.cosign/bundle` (cosign pkg/cosign/bundle RekorBundle). */
const RekorBundleSchema = z.object({
  SignedEntryTimestamp: z.string().check(z.minLength(1)),
  Payload: z.object({
    body: z.string().check(z.minLength(1)),
    integratedTime: z.number().check(z.int(), z.nonnegative()),
    logIndex: z.number().check(z.int(), z.nonnegative()),
    logID: z.string().check(z.regex(/^[a-f0-9]{64}$/, 'expected the hex sha256 of the log key')),
  }),
});

const BodyHead = z.object({ kind: z.string(), apiVersion: z.string(), spec: z.unknown() });

/** Where each Rekor v1 entry kind records the signer (rekor pkg/types/*; base64 of a PEM). */
const HashedRekordKey = z.object({ signature: z.object({ publicKey: z.object({ content: z.string() }) }) });
const IntotoKeys = z.object({
  content: z.object({ envelope: z.object({ signatures: z.array(z.object({ publicKey: z.string() })) }) }),
});
const DsseKeys = z.object({ signatures: z.array(z.object({ verifier: z.string() })) });

/**
 * The Sigstore bundle (v0.1 JSON bytes) equivalent to a keyless `.sig` or `.att` layer. Throws
 * SigstoreVerificationError INVALID_BUNDLE for missing or malformed material, TLOG_INCONSISTENT
 * when the log entry records another signer than the certificate presented.
 */
export function cosignTagBundle(layer: CosignTagLayer): Uint8Array {
  const annotations = layer.annotations ?? {};
  const leaf = leafCertificate(annotations[Annotations.cosignCertificate]);
  const rekor = rekorBundle(annotations[Annotations.cosignBundle]);
  const body = Buffer.from(rekor.Payload.body, 'base64');
  const head = safeParseJsonDocument(new Uint8Array(body), BodyHead, {
    what: 'transparency log entry body',
    maxBytes: Limits.attestationBytes,
  });
  if (!head.success) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', head.error.message, { cause: head.error });
  }
  checkLoggedSigner(head.data, leaf);

  const tlogEntry = {
    logIndex: String(rekor.Payload.logIndex),
    logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
    kindVersion: { kind: head.data.kind, version: head.data.apiVersion },
    integratedTime: String(rekor.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
    canonicalizedBody: body.toString('base64'),
  };
  const verificationMaterial = {
    x509CertificateChain: { certificates: [{ rawBytes: leaf.raw.toString('base64') }] },
    tlogEntries: [tlogEntry],
    timestampVerificationData: { rfc3161Timestamps: [] },
  };
  const content =
    layer.mediaType === MediaTypes.dsseEnvelope ? dsseContent(layer.bytes) : messageContent(layer, annotations);
  const bundle = { mediaType: COSIGN_TAG_BUNDLE_MEDIA_TYPE, verificationMaterial, ...content };
  return new Uint8Array(Buffer.from(JSON.stringify(bundle)));
}

function leafCertificate(pem: string | undefined): X509Certificate {
  if (pem === undefined) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `layer has no ${Annotations.cosignCertificate} annotation`);
  }
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new SigstoreVerificationError(
      'INVALID_BUNDLE',
      `${Annotations.cosignCertificate} is not a PEM certificate: ${describeError(err)}`,
      { cause: err },
    );
  }
}

function rekorBundle(json: string | undefined): z.infer<typeof RekorBundleSchema> {
  if (json === undefined) {
    throw new SigstoreVerificationError(
      'NO_TLOG_ENTRY',
      `keyless signature has no ${Annotations.cosignBundle} annotation (Rekor SET); its signing time cannot be proven offline`,
    );
  }
  const parsed = safeParseJsonDocument(json, RekorBundleSchema, {
    what: Annotations.cosignBundle,
    maxBytes: Limits.attestationBytes,
  });
  if (!parsed.success) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', parsed.error.message, { cause: parsed.error });
  }
  return parsed.data;
}

/** The PEM (certificate or public key) a log entry records as its signer, by kind. */
function loggedSigners(head: z.infer<typeof BodyHead>): string[] | undefined {
  if (head.kind === 'hashedrekord') {
    const spec = HashedRekordKey.safeParse(head.spec);
    return spec.success ? [spec.data.signature.publicKey.content] : undefined;
  }
  if (head.kind === 'intoto') {
    const spec = IntotoKeys.safeParse(head.spec);
    return spec.success ? spec.data.content.envelope.signatures.map((s) => s.publicKey) : undefined;
  }
  if (head.kind === 'dsse') {
    const spec = DsseKeys.safeParse(head.spec);
    return spec.success ? spec.data.signatures.map((s) => s.verifier) : undefined;
  }
  return undefined;
}

/** The log entry must name the presented certificate (a log entry of someone else's signature does not count). */
function checkLoggedSigner(head: z.infer<typeof BodyHead>, leaf: X509Certificate): void {
  const logged = loggedSigners(head);
  if (logged === undefined) {
    throw new SigstoreVerificationError(
      'TLOG_INCONSISTENT',
      `transparency log entry of kind ${head.kind} ${head.apiVersion} does not record a signer this verifier reads`,
    );
  }
  const names = logged.some((b64) => {
    try {
      return new X509Certificate(Buffer.from(b64, 'base64')).raw.equals(leaf.raw);
    } catch {
      return false; // a public key or garbage: not the presented certificate
    }
  });
  if (!names) {
    throw new SigstoreVerificationError(
      'TLOG_INCONSISTENT',
      `transparency log entry records another signer than the certificate presented (${leaf.subjectAltName ?? leaf.subject})`,
    );
  }
}

function messageContent(
  layer: CosignTagLayer,
  annotations: Readonly<Record<string, string>>,
): { messageSignature: Record<string, unknown> } {
  const signature = annotations[Annotations.cosignSignature];
  if (signature === undefined || signature === '') {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `layer has no ${Annotations.cosignSignature} annotation`);
  }
  let raw: Uint8Array;
  try {
    raw = decodeBase64(signature);
  } catch (err) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `${Annotations.cosignSignature} is not base64`, {
      cause: err,
    });
  }
  const digest = sha256Digest(layer.bytes).slice('sha256:'.length);
  return {
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(digest, 'hex').toString('base64') },
      signature: Buffer.from(raw).toString('base64'),
    },
  };
}

function dsseContent(bytes: Uint8Array): { dsseEnvelope: Record<string, unknown> } {
  try {
    const envelope = parseEnvelope(bytes);
    return {
      dsseEnvelope: {
        payload: envelope.payload,
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
      },
    };
  } catch (err) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `not a DSSE envelope: ${describeError(err)}`, {
      cause: err,
    });
  }
}
