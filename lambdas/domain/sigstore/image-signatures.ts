/**
 * Verifies the Sigstore bundles attached to an image and keeps those that bind to THIS image digest.
 *
 * - DSSE bundles: the verified in-toto statement must have a subject carrying the image digest.
 *   `cosign sign` (v3, new bundle format by default) writes exactly this: a statement of predicate
 *   type `https://sigstore.dev/cosign/sign/v1` whose subject is the manifest digest. Attestations
 *   (`cosign attest`) have the same shape with their own predicate type.
 * - Message-signature bundles sign raw bytes. For an image the only bytes that identify it are its
 *   manifest: the bundle must sign sha256(manifest) = the image digest, and the signature is verified
 *   over the manifest bytes fetched by digest. A message signature over anything else (e.g. a
 *   simple-signing payload, which the bundle does not carry) cannot be tied to the image and fails.
 *
 * Every bundle found ends up accepted, rejected with its reason, or skipped because it is of a
 * predicate type the caller did not ask for. Nothing found is silently dropped.
 */
import { type PredicateInPieces, peekWantedPredicateType } from '../attest/in-toto.js';
import type { InTotoStatement } from '../attest/types.js';
import { safeParseJsonDocument } from '../document.js';
import { describeError, GateError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { sha256Digest } from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { type ReferenceExpectation, referenceNamesRepository } from '../reference.js';
import * as z from '../zod.js';
import { scanSigstoreBundles } from './discover.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  peekBundleContent,
  type VerifiedBundle,
  type VerifyBundleOptions,
  verifyBundle,
} from './verify-bundle.js';

/** `R`: what `inPieces` makes of a statement's predicate. */
export interface ImageBundleOptions<R = never> extends VerifyBundleOptions {
  /**
   * DSSE bundles count only with one of these statement predicate types; others are skipped.
   * @default - [`https://sigstore.dev/cosign/sign/v1`]: cosign image signatures only
   */
  readonly predicateTypes?: readonly string[];
  /**
   * Whether message-signature bundles (over the image manifest) count.
   * @default true
   */
  readonly messageSignatures?: boolean;
  /**
   * What a cosign signature statement (`cosign/sign/v1`) must name as its subject: the repository
   * under release, as cosign's `docker-reference` must. @default - the subject name is not checked
   */
  readonly reference?: ReferenceExpectation;
  /**
   * At most this many bundles of the wanted predicate types are verified; one more throws
   * GateError TOO_LARGE (e.g. an SBOM, where each one found is compared with the others).
   * @default - only Limits.referrers bounds them
   */
  readonly maxBundles?: number;
  /**
   * A DSSE bundle's statement read with its predicate's array a batch at a time (verify-bundle.ts),
   * and peeked at without it; what `read` returns is the accepted bundle's `read`.
   * @default - every statement is read whole
   */
  readonly inPieces?: PredicateInPieces<R>;
}

export interface AcceptedImageBundle<R = never> {
  /** TrustedKey id or certificate SAN. */
  readonly signer: string;
  readonly source: string;
  readonly content: VerifiedBundle['content'];
  readonly issuer?: string;
  readonly predicateType?: string;
  /** With `read`, the predicate's array `read` was made of is empty here. */
  readonly statement?: InTotoStatement;
  readonly read?: R;
  readonly signedAt?: string;
  readonly mediaType: string;
  /** The exact bundle bytes, to store as raw evidence. */
  readonly bundle: Uint8Array;
}

export interface ImageBundleVerdicts<R = never> {
  readonly accepted: readonly AcceptedImageBundle<R>[];
  readonly rejected: readonly { readonly source: string; readonly reason: string; readonly predicateType?: string }[];
}

/**
 * Finds and verifies the Sigstore bundles of `subject`. Registry errors other than missing
 * content propagate (the caller records ERROR evidence); more referrers than Limits.referrers
 * throws GateError TOO_LARGE.
 */
export async function verifyImageBundles<R = never>(
  registry: RegistryReader,
  subject: { readonly repository: string; readonly digest: string },
  opts: ImageBundleOptions<R>,
): Promise<ImageBundleVerdicts<R>> {
  const wanted = new Set(opts.predicateTypes ?? [COSIGN_SIGN_PREDICATE_TYPE]);
  const withMessages = opts.messageSignatures ?? true;
  const scan = await scanSigstoreBundles(registry, subject.repository, subject.digest);
  const accepted: AcceptedImageBundle<R>[] = [];
  // A keyless `.att` layer that did not convert claims a predicate type: one not asked for is skipped.
  const rejected: { source: string; reason: string; predicateType?: string }[] = scan.unreadable
    .filter((u) => u.predicateType === undefined || wanted.has(u.predicateType))
    .map((u) => ({
      source: u.source,
      reason: u.reason,
      ...(u.predicateType ? { predicateType: u.predicateType } : {}),
    }));
  let manifest: Uint8Array | string | undefined;
  let counted = 0;

  for (const found of scan.found) {
    const content = peekBundleContent(found.bytes);
    if (content === 'message-signature' && !withMessages) continue;
    const claimed = content === 'dsse-envelope' ? peekPredicateType(found.bytes, wanted, opts.inPieces) : undefined;
    if (claimed !== undefined && !wanted.has(claimed)) continue;
    if (opts.maxBundles !== undefined && ++counted > opts.maxBundles) {
      throw new TooLargeError(`${subject.repository}@${subject.digest}`, counted, opts.maxBundles, 'Sigstore bundles');
    }
    const reject = (reason: string): void => {
      rejected.push(
        claimed === undefined
          ? { source: found.source, reason }
          : { source: found.source, reason, predicateType: claimed },
      );
    };

    let artifact: { bytes: Uint8Array } | { digest: string } = { digest: subject.digest };
    if (content === 'message-signature') {
      manifest ??= await imageManifest(registry, subject);
      if (typeof manifest === 'string') {
        reject(manifest);
        continue;
      }
      artifact = { bytes: manifest };
    }

    let verified: VerifiedBundle<R>;
    try {
      verified = verifyBundle(found.bytes, artifact, opts, opts.inPieces);
    } catch (err) {
      if (err instanceof GateError) {
        reject(describeError(err));
        continue;
      }
      throw err;
    }
    const predicateType = verified.statement?.predicateType;
    // Signed, but of a type this caller did not ask for (the unverified peek was absent or lied).
    if (predicateType !== undefined && !wanted.has(predicateType)) continue;
    // A cosign v3 signature names the image it signs, as simple signing's docker-reference does:
    // the same digest signed for another repository is not a signature of this release.
    if (predicateType === COSIGN_SIGN_PREDICATE_TYPE && opts.reference !== undefined && verified.statement) {
      const expected = opts.reference;
      const names = verified.statement.subject
        .filter((s) => s.digest.sha256 !== undefined && `sha256:${s.digest.sha256}` === subject.digest)
        .flatMap((s) => (s.name === undefined ? [] : [s.name]));
      if (!names.some((name) => referenceNamesRepository(name, expected))) {
        reject(
          `the signed statement names ${names.map((n) => JSON.stringify(n)).join(', ') || 'no subject'}, not repository ${expected.repository}`,
        );
        continue;
      }
    }
    accepted.push({
      signer: verified.signer,
      source: found.source,
      content: verified.content,
      mediaType: verified.mediaType,
      bundle: found.bytes,
      ...(verified.issuer !== undefined ? { issuer: verified.issuer } : {}),
      ...(predicateType !== undefined ? { predicateType } : {}),
      ...(verified.statement !== undefined ? { statement: verified.statement } : {}),
      ...(verified.read !== undefined ? { read: verified.read } : {}),
      ...(verified.signedAt !== undefined ? { signedAt: verified.signedAt } : {}),
    });
  }
  return { accepted, rejected };
}

/** The image manifest bytes, checked against the digest; or why they cannot be had. */
async function imageManifest(
  registry: RegistryReader,
  subject: { readonly repository: string; readonly digest: string },
): Promise<Uint8Array | string> {
  let bytes: Uint8Array;
  try {
    bytes = (await registry.getManifest(subject.repository, subject.digest)).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) {
      return `image manifest ${subject.digest} not found, so a message signature cannot be checked`;
    }
    throw err;
  }
  const actual = sha256Digest(bytes);
  return actual === subject.digest ? bytes : `image manifest hashes to ${actual}, not ${subject.digest}`;
}

const PeekedBundle = z.object({ dsseEnvelope: z.object({ payloadType: z.string(), payload: z.string() }) });
const PeekedStatement = z.object({ predicateType: z.string() });

/**
 * The predicate type a DSSE bundle claims, read without verifying: used to skip, never to trust.
 * A statement read in pieces is peeked at without its predicate's array when it claims a wanted
 * type (in-toto.ts `peekWantedPredicateType`).
 */
function peekPredicateType<R>(
  bytes: Uint8Array,
  wanted: ReadonlySet<string>,
  inPieces: PredicateInPieces<R> | undefined,
): string | undefined {
  const limits = { what: 'Sigstore bundle', maxBytes: Limits.attestationBytes };
  const bundle = safeParseJsonDocument(bytes, PeekedBundle, limits);
  if (!bundle.success) return undefined;
  const payload = new Uint8Array(Buffer.from(bundle.data.dsseEnvelope.payload, 'base64'));
  const type = inPieces && peekWantedPredicateType(payload, inPieces.member, wanted);
  if (type !== undefined) return type;
  const statement = safeParseJsonDocument(payload, PeekedStatement, { ...limits, what: 'DSSE payload' });
  return statement.success ? statement.data.predicateType : undefined;
}
