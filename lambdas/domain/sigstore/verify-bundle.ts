/**
 * Verifies one Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, media types v0.1,
 * v0.2 and v0.3) offline with `@sigstore/verify`. This module decides which trust material and
 * thresholds apply and checks what the library leaves to its caller: which identity or key is
 * trusted, and that the bundle binds to the artifact at hand.
 *
 * - Key-based (`verificationMaterial.publicKey`): every trusted key is tried (the bundle's key hint
 *   is unauthenticated and only words the reason). Transparency-log, CT-log and timestamp
 *   thresholds are 0, so a bundle signed offline verifies; any tlog entry or timestamp it does
 *   carry is still checked against the trusted root, and one that does not check out fails.
 * - Keyless (Fulcio certificate): the library's defaults stay (one verified tlog entry, one SCT,
 *   one timestamp). The certificate must chain to a CA of the trusted root and be valid at the
 *   signing time those proofs establish, not now: Fulcio certificates live ten minutes. Its SAN and
 *   OIDC issuer must then match one of the caller's identities.
 * - Transparency logs: a Rekor v1 entry proves inclusion with a promise (SET) over its integrated
 *   time, or with a checkpoint. A Rekor v2 entry has only the checkpoint (signed by the log key in
 *   the root's `tlogs`) and no time, so a keyless Rekor v2 bundle needs an RFC 3161 timestamp from a
 *   TSA of the root. For DSSE, Rekor v2 logs a `hashedrekord` 0.0.2 over Hash(PAE) (rekor-v2 spec
 *   §6.1.4) or, earlier, a `dsse` 0.0.2 entry; `@sigstore/verify` 4 checks both.
 * - Message signatures need the artifact bytes (the signature is over them). DSSE bundles bind to
 *   an artifact through the in-toto statement they carry: a subject must carry its sha256.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { type Bundle, bundleFromJSON, ValidationError } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  type SignedEntity,
  VerificationError as SigstoreLibraryError,
  toSignedEntity,
  toTrustMaterial,
  Verifier,
} from '@sigstore/verify';
import {
  type PredicateInPieces,
  parseInTotoStatement,
  readStatementInPieces,
  statementCoversDigest,
} from '../attest/in-toto.js';
import type { InTotoStatement } from '../attest/types.js';
import { formatIssues, safeParseJsonDocument, safeParseJsonValue } from '../document.js';
import { describeError, ErrorName, GateError, type GateErrorCode, TooLargeError } from '../errors.js';
import { globMatches } from '../glob.js';
import { Limits } from '../limits.js';
import { MediaTypes } from '../oci.js';
import type { TrustedKey } from '../trust-material.js';
import * as z from '../zod.js';
import { emptyTrustedRoot, type TrustedRootDoc } from './trusted-root.js';

/** Bundle media types this verifier accepts (protobuf-specs sigstore_bundle.proto). */
export const SIGSTORE_BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
] as const;

export function isSigstoreBundleMediaType(mediaType: string): boolean {
  return (SIGSTORE_BUNDLE_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/**
 * The predicate type of a cosign v3 image signature: `cosign sign` with the (default) new bundle
 * format signs a DSSE in-toto statement whose subject is the image manifest digest
 * (sigstore/cosign#4634, #4635). Releases before v3.0.5 omit `predicate`.
 */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** Why a bundle was refused. Each maps to one line of the reason. */
export const SIGSTORE_FAILURES = [
  'UNSUPPORTED_MEDIA_TYPE', // not a v0.1/v0.2/v0.3 bundle
  'INVALID_BUNDLE', // not JSON, or a required field is missing or malformed
  'NO_TRUST_ANCHOR', // no key, identity or trusted root configured for this kind of bundle
  'UNTRUSTED_KEY', // key-based: no trusted key verifies the signature
  'SIGNATURE_INVALID', // the signature does not verify over the content: tampered payload
  'DIGEST_MISMATCH', // the bundle signs or names a different artifact
  'ARTIFACT_REQUIRED', // a message signature cannot be checked against a digest alone
  'STATEMENT_INVALID', // the DSSE payload is not a valid in-toto statement
  'WRONG_IDENTITY', // keyless: certificate SAN is not trusted
  'WRONG_ISSUER', // keyless: SAN trusted, but from another OIDC issuer
  'CERTIFICATE_EXPIRED', // keyless: certificate not valid at the proven signing time
  'CERTIFICATE_UNTRUSTED', // keyless: no chain to a trusted CA, or SCT not verified
  'NO_TLOG_ENTRY', // keyless: no transparency log entry
  'TLOG_INVALID', // an inclusion proof, promise or checkpoint does not verify
  'TLOG_INCONSISTENT', // the log entry describes another signature, key or digest
  'TIMESTAMP_INVALID', // no verified signing time, or one that does not verify / is in the future
] as const;
export type SigstoreFailure = (typeof SIGSTORE_FAILURES)[number];

const FAILURE_CODES: Readonly<Record<SigstoreFailure, GateErrorCode>> = {
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INVALID_BUNDLE: 'INVALID_INPUT',
  NO_TRUST_ANCHOR: 'UNTRUSTED',
  UNTRUSTED_KEY: 'UNTRUSTED',
  SIGNATURE_INVALID: 'VERIFICATION_FAILED',
  DIGEST_MISMATCH: 'DIGEST_MISMATCH',
  ARTIFACT_REQUIRED: 'INVALID_INPUT',
  STATEMENT_INVALID: 'INVALID_INPUT',
  WRONG_IDENTITY: 'UNTRUSTED',
  WRONG_ISSUER: 'UNTRUSTED',
  CERTIFICATE_EXPIRED: 'VERIFICATION_FAILED',
  CERTIFICATE_UNTRUSTED: 'UNTRUSTED',
  NO_TLOG_ENTRY: 'VERIFICATION_FAILED',
  TLOG_INVALID: 'VERIFICATION_FAILED',
  TLOG_INCONSISTENT: 'VERIFICATION_FAILED',
  TIMESTAMP_INVALID: 'VERIFICATION_FAILED',
};

/** A bundle that did not verify; `detail` says why, the message says it in words. */
export class SigstoreVerificationError extends GateError<SigstoreFailure> {
  declare public readonly detail: SigstoreFailure;

  public constructor(detail: SigstoreFailure, message: string, options?: { cause?: unknown }) {
    super(FAILURE_CODES[detail], message, { ...options, detail });
    this.name = ErrorName.SigstoreVerification;
  }
}

/** A keyless identity the policy trusts: OIDC issuer (exact) and certificate SAN (exact, or `*` globs). */
export interface TrustedIdentity {
  readonly issuer: string;
  /** Exact SAN, or a glob where `*` matches any run of characters (including `/`). */
  readonly subject: string;
}

export interface VerifyBundleOptions {
  /** Needed for keyless bundles and for key-based bundles that carry tlog entries or timestamps. */
  readonly trustedRoot?: TrustedRootDoc;
  /** Keys trusted for key-based bundles. */
  readonly keys?: readonly TrustedKey[];
  /** Identities trusted for keyless bundles. */
  readonly identities?: readonly TrustedIdentity[];
  /**
   * The verification time. A signing time proven later than this (plus 5 minutes of clock skew)
   * is refused. Certificates are judged at the signing time, never at `now`.
   * @default - the current time
   */
  readonly now?: Date;
}

/** What the bundle is verified against: the artifact itself, or only its sha256 (DSSE bundles). */
export type BundleArtifact = { readonly bytes: Uint8Array } | { readonly digest: string };

/** `R`: what `verifyBundle`'s `inPieces` read of the statement's predicate. */
export interface VerifiedBundle<R = never> {
  readonly mediaType: string;
  readonly content: 'message-signature' | 'dsse-envelope';
  /** TrustedKey id (key-based) or certificate SAN (keyless). */
  readonly signer: string;
  /** OIDC issuer of the certificate (keyless only). */
  readonly issuer?: string;
  /** The verified in-toto statement (DSSE bundles); with `read`, its predicate's array read is empty here. */
  readonly statement?: InTotoStatement;
  /** What `inPieces` made of the statement's predicate array, when it read it. */
  readonly read?: R;
  /** Earliest verified signing time (tlog inclusion promise or RFC 3161 timestamp), ISO 8601. */
  readonly signedAt?: string;
  readonly tlogEntries: number;
}

const CLOCK_SKEW_MS = 5 * 60 * 1000;

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Just enough shape to route the document; the library's parser validates the rest. */
const BundleShape = z.object({
  mediaType: z.string(),
  verificationMaterial: z.record(z.string(), z.unknown()),
  messageSignature: z.optional(z.record(z.string(), z.unknown())),
  dsseEnvelope: z.optional(z.record(z.string(), z.unknown())),
});

/** Node hash names for the message digest algorithms a message signature may declare. */
const NODE_HASHES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

/**
 * Verifies `bundleBytes` for `artifact`. Returns what was verified, or throws
 * SigstoreVerificationError (or TooLargeError above Limits.attestationBytes) naming the failure.
 * `inPieces`: the statement's predicate array read a batch at a time (in-toto.ts
 * `readStatementInPieces`), else the statement is read whole, with the same outcome.
 */
export function verifyBundle<R = never>(
  bundleBytes: Uint8Array,
  artifact: BundleArtifact,
  opts: VerifyBundleOptions,
  inPieces?: PredicateInPieces<R>,
): VerifiedBundle<R> {
  const bundle = parseBundle(bundleBytes);
  const artifactDigest = digestOf(artifact);
  const artifactBytes = 'bytes' in artifact ? Buffer.from(artifact.bytes) : undefined;

  if (bundle.content.$case === 'messageSignature') {
    checkMessageDigest(bundle, artifact);
  }
  const entity = signedEntity(bundle, artifactBytes);
  const { signer, issuer } =
    bundle.verificationMaterial.content.$case === 'publicKey'
      ? verifyKeyed(bundle, entity, opts)
      : verifyKeyless(bundle, entity, opts);
  const signedAt = checkSigningTime(entity, opts.now ?? new Date());

  const base = {
    mediaType: bundle.mediaType,
    signer,
    ...(issuer !== undefined ? { issuer } : {}),
    ...(signedAt !== undefined ? { signedAt } : {}),
    tlogEntries: bundle.verificationMaterial.tlogEntries.length,
  };
  if (bundle.content.$case === 'messageSignature') {
    return { ...base, content: 'message-signature' };
  }
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  const pieces =
    inPieces === undefined || payloadType !== MediaTypes.inTotoPayload
      ? undefined
      : readStatementInPieces(payload, inPieces, (s) => statementCoversDigest(s, artifactDigest));
  if (pieces !== undefined)
    return { ...base, content: 'dsse-envelope', statement: pieces.statement, read: pieces.read };
  const statement = verifiedStatement(payloadType, payload);
  if (!statementCoversDigest(statement, artifactDigest)) {
    const subjects = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, v]) => `${a}:${v}`));
    throw new SigstoreVerificationError(
      'DIGEST_MISMATCH',
      `statement subject (${subjects.slice(0, 3).join(', ')}${subjects.length > 3 ? ', …' : ''}) does not cover ${artifactDigest}`,
    );
  }
  return { ...base, content: 'dsse-envelope', statement };
}

const BUNDLE_LIMITS = { what: 'Sigstore bundle', maxBytes: Limits.attestationBytes } as const;

/** `message-signature` or `dsse-envelope`, read without verifying (for routing only). */
export function peekBundleContent(bundleBytes: Uint8Array): 'message-signature' | 'dsse-envelope' | undefined {
  const shape = safeParseJsonDocument(bundleBytes, BundleShape, BUNDLE_LIMITS);
  if (!shape.success) return undefined;
  if (shape.data.dsseEnvelope !== undefined) return 'dsse-envelope';
  return shape.data.messageSignature !== undefined ? 'message-signature' : undefined;
}

function parseBundle(bytes: Uint8Array): Bundle {
  const parsed = safeParseJsonValue(bytes, BUNDLE_LIMITS);
  if (!parsed.success) {
    if (parsed.error instanceof TooLargeError) throw parsed.error;
    throw new SigstoreVerificationError('INVALID_BUNDLE', parsed.error.message, { cause: parsed.error });
  }
  const json = parsed.data;
  const head = z.object({ mediaType: z.string() }).safeParse(json);
  if (!head.success) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', 'bundle has no mediaType');
  }
  if (!isSigstoreBundleMediaType(head.data.mediaType)) {
    throw new SigstoreVerificationError(
      'UNSUPPORTED_MEDIA_TYPE',
      `bundle media type ${JSON.stringify(head.data.mediaType)} is not a Sigstore bundle v0.1, v0.2 or v0.3`,
    );
  }
  const shape = BundleShape.safeParse(json);
  if (!shape.success) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `${BUNDLE_LIMITS.what}: ${formatIssues(shape.error.issues)}`);
  }
  if ((shape.data.messageSignature === undefined) === (shape.data.dsseEnvelope === undefined)) {
    throw new SigstoreVerificationError(
      'INVALID_BUNDLE',
      'bundle must hold exactly one of messageSignature, dsseEnvelope',
    );
  }
  try {
    // Validates per version: v0.1 needs inclusion promises, v0.2+ inclusion proofs with a checkpoint,
    // v0.3 a single certificate rather than a chain.
    return bundleFromJSON(json);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new SigstoreVerificationError(
        'INVALID_BUNDLE',
        `${err.message}: missing or empty ${err.fields.join(', ')}`,
        { cause: err },
      );
    }
    throw new SigstoreVerificationError('INVALID_BUNDLE', `bundle is invalid: ${describeError(err)}`, { cause: err });
  }
}

function digestOf(artifact: BundleArtifact): string {
  if ('bytes' in artifact) {
    return `sha256:${createHash('sha256').update(artifact.bytes).digest('hex')}`;
  }
  const digest = artifact.digest.toLowerCase();
  if (!SHA256_DIGEST.test(digest)) {
    throw new SigstoreVerificationError(
      'INVALID_BUNDLE',
      `artifact digest ${JSON.stringify(artifact.digest)} is not sha256:<64 hex>`,
    );
  }
  return digest;
}

/** The message digest the bundle declares must be the artifact's (sigstore-go checks the same). */
function checkMessageDigest(bundle: Bundle, artifact: BundleArtifact): void {
  if (bundle.content.$case !== 'messageSignature') return;
  if (!('bytes' in artifact)) {
    throw new SigstoreVerificationError(
      'ARTIFACT_REQUIRED',
      'a message-signature bundle signs the artifact bytes; verify it against the file, not only its digest',
    );
  }
  const { algorithm, digest } = bundle.content.messageSignature.messageDigest;
  const hash = NODE_HASHES[algorithm];
  if (hash === undefined) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `unsupported message digest algorithm ${algorithm}`);
  }
  const actual = createHash(hash).update(artifact.bytes).digest();
  if (!actual.equals(digest)) {
    throw new SigstoreVerificationError(
      'DIGEST_MISMATCH',
      `bundle signs ${hash}:${Buffer.from(digest).toString('hex')}, but the artifact is ${hash}:${actual.toString('hex')}`,
    );
  }
}

function signedEntity(bundle: Bundle, artifact: Buffer | undefined): SignedEntity {
  try {
    return toSignedEntity(bundle, artifact);
  } catch (err) {
    throw new SigstoreVerificationError('INVALID_BUNDLE', `bundle material is malformed: ${describeError(err)}`, {
      cause: err,
    });
  }
}

function verifyKeyed(
  bundle: Bundle,
  entity: SignedEntity,
  opts: VerifyBundleOptions,
): { signer: string; issuer?: undefined } {
  const hint =
    bundle.verificationMaterial.content.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
  const keys = opts.keys ?? [];
  if (keys.length === 0) {
    throw new SigstoreVerificationError(
      'NO_TRUST_ANCHOR',
      `bundle is signed with a key (hint ${JSON.stringify(hint)}) but no key is trusted`,
    );
  }
  const proofs = bundle.verificationMaterial.tlogEntries.length + entity.timestamps.length;
  if (proofs > 0 && opts.trustedRoot === undefined) {
    throw new SigstoreVerificationError(
      'NO_TRUST_ANCHOR',
      'bundle carries transparency log entries or timestamps, but no trusted root was given to check them',
    );
  }
  const root = opts.trustedRoot?.root ?? emptyTrustedRoot();
  for (const trusted of keys) {
    const publicKey = importKey(trusted.publicKey);
    if (publicKey === undefined) continue;
    // The hint is unauthenticated (sigstore_common.proto PublicKeyIdentifier): every key is tried.
    const material = toTrustMaterial(root, () => ({ publicKey, validFor: () => true }));
    const verifier = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    try {
      verifier.verify(entity);
      return { signer: trusted.id };
    } catch (err) {
      if (err instanceof SigstoreLibraryError && err.code === 'SIGNATURE_ERROR') continue;
      throw fromLibraryError(err, entity);
    }
  }
  const named = keys.find((k) => hintNames(hint, k));
  if (named !== undefined) {
    throw new SigstoreVerificationError(
      'SIGNATURE_INVALID',
      `signature does not verify with trusted key ${named.id}, which the bundle names: the signed content was altered`,
    );
  }
  throw new SigstoreVerificationError(
    'UNTRUSTED_KEY',
    `signature does not verify with any trusted key (${keys.map((k) => k.id).join(', ')}); bundle key hint ${JSON.stringify(hint)}`,
  );
}

function verifyKeyless(
  bundle: Bundle,
  entity: SignedEntity,
  opts: VerifyBundleOptions,
): { signer: string; issuer: string } {
  const identities = opts.identities ?? [];
  if (opts.trustedRoot === undefined) {
    throw new SigstoreVerificationError('NO_TRUST_ANCHOR', 'keyless bundle, but no trusted root was given');
  }
  if (identities.length === 0) {
    throw new SigstoreVerificationError('NO_TRUST_ANCHOR', 'keyless bundle, but no certificate identity is trusted');
  }
  // The library requires one verified SCT; say why when the root cannot provide it.
  if (opts.trustedRoot.summary.ctlogs === 0) {
    throw new SigstoreVerificationError(
      'CERTIFICATE_UNTRUSTED',
      'the trusted root lists no CT log, so the certificate transparency (SCT) of a keyless certificate cannot be verified',
    );
  }
  if (bundle.verificationMaterial.tlogEntries.length === 0) {
    throw new SigstoreVerificationError(
      'NO_TLOG_ENTRY',
      'keyless bundle has no transparency log entry; its signing time cannot be proven',
    );
  }
  // Library defaults: at least one verified tlog entry, one SCT and one timestamp.
  const verifier = new Verifier(toTrustMaterial(opts.trustedRoot.root));
  let identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined;
  try {
    identity = verifier.verify(entity).identity;
  } catch (err) {
    throw fromLibraryError(err, entity);
  }
  const san = identity?.subjectAlternativeName;
  const issuer = identity?.extensions?.issuer;
  if (san === undefined || issuer === undefined) {
    throw new SigstoreVerificationError('WRONG_IDENTITY', 'certificate carries no SAN or no OIDC issuer extension');
  }
  if (identities.some((i) => i.issuer === issuer && matchesSubject(i.subject, san))) {
    return { signer: san, issuer };
  }
  const sameSubject = identities.filter((i) => matchesSubject(i.subject, san));
  if (sameSubject.length > 0) {
    throw new SigstoreVerificationError(
      'WRONG_ISSUER',
      `certificate identity ${san} was issued by ${issuer}, but the policy trusts it only from ${sameSubject.map((i) => i.issuer).join(', ')}`,
    );
  }
  throw new SigstoreVerificationError(
    'WRONG_IDENTITY',
    `certificate identity ${san} (issuer ${issuer}) is not trusted; expected ${identities.map((i) => `${i.subject} from ${i.issuer}`).join('; ')}`,
  );
}

/** Exact match, or a glob where `*` matches any run of characters. Anchored at both ends. */
export function matchesSubject(pattern: string, subject: string): boolean {
  if (!pattern.includes('*')) return pattern === subject;
  return globMatches(pattern, subject, { segments: false });
}

function importKey(pem: string): KeyObject | undefined {
  try {
    return createPublicKey(pem);
  } catch {
    // A key that does not import verifies nothing; the others may still.
    return undefined;
  }
}

/** Whether the bundle's key hint names this trusted key: its id or its SPKI sha256 (hex or base64). */
function hintNames(hint: string, key: TrustedKey): boolean {
  if (hint === '') return false;
  if (hint === key.id) return true;
  const publicKey = importKey(key.publicKey);
  if (publicKey === undefined) return false;
  const fingerprint = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
  return hint === fingerprint.toString('hex') || hint === fingerprint.toString('base64');
}

/** Maps the library's error codes to ours, keeping its message and the cause chain. */
function fromLibraryError(err: unknown, entity: SignedEntity): SigstoreVerificationError {
  if (err instanceof PolicyError) {
    return new SigstoreVerificationError('WRONG_IDENTITY', err.message, { cause: err });
  }
  if (!(err instanceof SigstoreLibraryError)) {
    return new SigstoreVerificationError('INVALID_BUNDLE', `verification failed: ${describeError(err)}`, {
      cause: err,
    });
  }
  const detail = describeError(err);
  switch (err.code) {
    case 'SIGNATURE_ERROR':
      return new SigstoreVerificationError(
        'SIGNATURE_INVALID',
        `signature does not verify over the content: ${detail}`,
        {
          cause: err,
        },
      );
    case 'TLOG_ERROR':
      return new SigstoreVerificationError('NO_TLOG_ENTRY', `transparency log entry missing: ${detail}`, {
        cause: err,
      });
    case 'TLOG_BODY_ERROR':
      return new SigstoreVerificationError(
        'TLOG_INCONSISTENT',
        `transparency log entry is inconsistent with the bundle: ${detail}`,
        { cause: err },
      );
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return new SigstoreVerificationError('TLOG_INVALID', `transparency log inclusion not proven: ${detail}`, {
        cause: err,
      });
    case 'TIMESTAMP_ERROR':
      return new SigstoreVerificationError('TIMESTAMP_INVALID', `no verified signing time: ${detail}`, { cause: err });
    case 'PUBLIC_KEY_ERROR':
      return new SigstoreVerificationError('UNTRUSTED_KEY', `signing key not trusted: ${detail}`, { cause: err });
    case 'CERTIFICATE_ERROR':
      return /expired|not valid/i.test(detail)
        ? new SigstoreVerificationError('CERTIFICATE_EXPIRED', expiredMessage(entity, detail), { cause: err })
        : new SigstoreVerificationError('CERTIFICATE_UNTRUSTED', `certificate not trusted: ${detail}`, { cause: err });
    default:
      return new SigstoreVerificationError('INVALID_BUNDLE', `verification failed: ${detail}`, { cause: err });
  }
}

/**
 * Names the signing times the certificate was judged at: a Rekor v1 entry's integrated time (under
 * its promise) or an RFC 3161 timestamp's genTime (Rekor v2 entries carry no time).
 */
function expiredMessage(entity: SignedEntity, detail: string): string {
  const proofs = entity.timestamps.flatMap((t) => {
    if (t.$case === 'timestamp-authority') return [`a timestamp authority (${t.timestamp.signingTime.toISOString()})`];
    if (t.tlogEntry.inclusionPromise === undefined) return [];
    return [`the transparency log (${new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString()})`];
  });
  const at = proofs.length > 0 ? ` at the signing time proven by ${proofs.join(' and ')}` : '';
  return `certificate expired or not yet valid${at}: ${detail}`;
}

/**
 * Earliest verified signing time; refuses one later than `now` (plus skew). Only times the library
 * verified count: RFC 3161 timestamps and the integrated time of entries with an inclusion promise
 * (the SET signs it; an inclusion proof alone does not cover it).
 */
function checkSigningTime(entity: SignedEntity, now: Date): string | undefined {
  const times = entity.timestamps.flatMap((t) => {
    if (t.$case === 'timestamp-authority') return [t.timestamp.signingTime.getTime()];
    return t.tlogEntry.inclusionPromise !== undefined ? [Number(t.tlogEntry.integratedTime) * 1000] : [];
  });
  if (times.length === 0) return undefined;
  const latest = Math.max(...times);
  if (latest > now.getTime() + CLOCK_SKEW_MS) {
    throw new SigstoreVerificationError(
      'TIMESTAMP_INVALID',
      `signing time ${new Date(latest).toISOString()} is after the verification time ${now.toISOString()}`,
    );
  }
  return new Date(Math.min(...times)).toISOString();
}

const JsonObject = z.record(z.string(), z.unknown());

/** The DSSE payload as an in-toto statement (the only payload that can bind an artifact). */
function verifiedStatement(payloadType: string, payload: Buffer): InTotoStatement {
  if (payloadType !== MediaTypes.inTotoPayload) {
    throw new SigstoreVerificationError(
      'STATEMENT_INVALID',
      `DSSE payloadType is ${payloadType}, not ${MediaTypes.inTotoPayload}; only an in-toto statement binds an artifact`,
    );
  }
  const parsed = safeParseJsonValue(payload, { what: 'DSSE payload', maxBytes: Limits.attestationBytes });
  if (!parsed.success) {
    throw new SigstoreVerificationError('STATEMENT_INVALID', parsed.error.message, { cause: parsed.error });
  }
  const json = parsed.data;
  const object = JsonObject.safeParse(json);
  // cosign v3.0.0-3.0.4 image signatures carry no predicate (sigstore/cosign#4634); the type alone says it all.
  const lenient =
    object.success && object.data.predicateType === COSIGN_SIGN_PREDICATE_TYPE && object.data.predicate === undefined
      ? { ...object.data, predicate: {} }
      : json;
  try {
    return parseInTotoStatement(lenient);
  } catch (err) {
    throw new SigstoreVerificationError('STATEMENT_INVALID', describeError(err), { cause: err });
  }
}
