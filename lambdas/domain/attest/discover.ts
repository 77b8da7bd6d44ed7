/**
 * Finds the attestations of an image: DSSE envelopes carrying in-toto statements, attached either as
 * OCI referrers (image-spec v1.1 `subject`) or under cosign's `sha256-<hex>.att` tag
 * (cosign specs/ATTESTATION_SPEC.md). Only envelopes that pass every check are `verified`; every
 * other envelope of a wanted predicate type is `rejected` with its reason.
 */
import { safeParseJsonDocument } from '../document.js';
import { describeError, GateError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  decodeImageManifest,
  digestToTag,
  type ImageManifest,
  isIndexMediaType,
  MediaTypes,
} from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { listReferrersBounded } from '../referrers.js';
import { isKeylessCosignLayer } from '../sigstore/cosign-tag.js';
import type { TrustedKey } from '../trust-material.js';
import type { ImageSubject } from '../types.js';
import * as z from '../zod.js';
import { type DsseEnvelope, decodeBase64, parseEnvelope, verifyParsedEnvelope } from './dsse.js';
import {
  type PredicateInPieces,
  parseInTotoStatementBytes,
  peekWantedPredicateType,
  readStatementInPieces,
  statementCoversDigest,
} from './in-toto.js';
import type { AttestationScan, VerifiedAttestation } from './types.js';

/** Layer annotation cosign sets on each `.att` layer (unauthenticated: used for routing only). */
const PREDICATE_TYPE_ANNOTATION = 'predicateType';

type Rejection = AttestationScan['rejected'][number];

interface ScanState<R> {
  readonly registry: RegistryReader;
  readonly subject: ImageSubject;
  readonly keys: readonly TrustedKey[];
  readonly wanted: ReadonlySet<string>;
  readonly keylessElsewhere: boolean;
  readonly skipPayload: DiscoverOptions['skipPayload'];
  readonly skipEnvelope: DiscoverOptions['skipEnvelope'];
  readonly inPieces: DiscoverOptions<R>['inPieces'];
  readonly verified: VerifiedAttestation<R>[];
  readonly rejected: Rejection[];
}

/** `R`: what `inPieces` makes of a statement's predicate. */
export interface DiscoverOptions<R = never> {
  /**
   * Whether the caller verifies keyless `.att` layers (Fulcio certificate annotation) itself, as
   * Sigstore bundles (sigstore/image-signatures.ts); they are then left out here.
   * @default false - they are rejected: this scan verifies key-signed envelopes only
   */
  readonly keylessElsewhere?: boolean;
  /**
   * Skips, before it is verified or parsed, an envelope whose decoded payload the caller can tell
   * it has no use for (`true`: skip; neither verified nor rejected). `predicateType` is the claimed,
   * unauthenticated one: a filter may only skip what could never count for the caller.
   * @default - nothing is skipped
   */
  readonly skipPayload?: (predicateType: string | undefined, payload: Uint8Array) => boolean;
  /**
   * As `skipPayload`, asked first, with the envelope's bytes as read (not yet parsed) and the
   * layer's `predicateType` annotation (unauthenticated): for a filter that can tell from the raw
   * envelope, so that an envelope it skips is not even parsed.
   * @default - nothing is skipped
   */
  readonly skipEnvelope?: (annotatedPredicateType: string | undefined, envelope: Uint8Array) => boolean;
  /**
   * Reads the predicate's array `member` (an SBOM's `components`) a batch at a time, so that the
   * statement's whole tree never exists (in-toto.ts `parseInTotoStatementInPieces`): once the rest
   * of a statement passed every check, `read` takes the statement (that array empty) and the
   * batches, and what it returns is the attestation's `read`. Should a batch or `read` throw
   * (InvalidInputError, TooLargeError) or the statement not be that shape, it is read whole, as
   * without this option: the same attestations, every refusal worded as ever.
   * @default - every statement is read whole
   */
  readonly inPieces?: PredicateInPieces<R>;
}

/**
 * Looks for attestations of `predicateTypes` on `subject`. Registry errors other than a missing
 * `.att` tag or a vanished referrer propagate (the caller records ERROR evidence); more referrers
 * than Limits.referrers throws GateError TOO_LARGE (treated as an attack, fail closed).
 */
export async function discoverAttestations<R = never>(
  registry: RegistryReader,
  subject: ImageSubject,
  trustedKeys: readonly TrustedKey[],
  predicateTypes: readonly string[],
  opts: DiscoverOptions<R> = {},
): Promise<AttestationScan<R>> {
  const state: ScanState<R> = {
    registry,
    subject,
    keys: trustedKeys,
    wanted: new Set(predicateTypes),
    keylessElsewhere: opts.keylessElsewhere ?? false,
    skipPayload: opts.skipPayload,
    skipEnvelope: opts.skipEnvelope,
    inPieces: opts.inPieces,
    verified: [],
    rejected: [],
  };

  const referrers = await listReferrersBounded(registry, subject.repository, subject.digest);
  for (const referrer of referrers) {
    await scanReferrer(state, referrer);
  }
  await scanAttestationTag(state);
  return { verified: state.verified, rejected: state.rejected };
}

async function scanReferrer<R>(state: ScanState<R>, referrer: Descriptor): Promise<void> {
  if (isIndexMediaType(referrer.mediaType)) return;
  const source = `referrer ${referrer.digest}`;
  const manifest = await readManifest(state, referrer.digest, source);
  // A referrer that is not an image manifest is some other artifact; it is not ours to judge.
  if (manifest === undefined) return;
  // Decide from the manifest itself: the index entry's artifactType is a copy the registry made.
  const envelopeLayers = manifest.layers.filter(
    (l) => l.mediaType === MediaTypes.dsseEnvelope || l.mediaType === MediaTypes.inTotoPayload,
  );
  const layers =
    envelopeLayers.length === 0 && manifest.artifactType === MediaTypes.inTotoPayload
      ? manifest.layers
      : envelopeLayers;
  if (layers.length === 0) return;
  if (manifest.subject?.digest !== state.subject.digest) {
    state.rejected.push({
      source,
      reason: `manifest subject is ${manifest.subject?.digest ?? 'absent'}, not ${state.subject.digest}`,
    });
    return;
  }
  for (const [i, layer] of layers.entries()) {
    await scanLayer(state, layer, layers.length > 1 ? `${source} layer ${i + 1}` : source);
  }
}

async function scanAttestationTag<R>(state: ScanState<R>): Promise<void> {
  const tag = `${digestToTag(state.subject.digest)}.att`;
  const source = `tag ${tag}`;
  let bytes: Uint8Array;
  try {
    bytes = (await state.registry.getManifest(state.subject.repository, tag)).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) return;
    throw err;
  }
  const manifest = parseManifest(bytes);
  if (typeof manifest === 'string') {
    state.rejected.push({ source, reason: manifest });
    return;
  }
  const layers = manifest.layers.filter((l) => l.mediaType === MediaTypes.dsseEnvelope);
  for (const [i, layer] of layers.entries()) {
    await scanLayer(state, layer, layers.length > 1 ? `${source} layer ${i + 1}` : source);
  }
}

async function readManifest<R>(
  state: ScanState<R>,
  digest: string,
  source: string,
): Promise<ImageManifest | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = (await state.registry.getManifest(state.subject.repository, digest)).bytes;
  } catch (err) {
    // Listed a moment ago and gone now (deleted in between): nothing to verify there.
    if (err instanceof NotFoundError) {
      state.rejected.push({ source, reason: `listed as a referrer but not found: ${describeError(err)}` });
      return undefined;
    }
    throw err;
  }
  const manifest = parseManifest(bytes);
  return typeof manifest === 'string' ? undefined : manifest;
}

function parseManifest(bytes: Uint8Array): ImageManifest | string {
  return decodeImageManifest(bytes, Limits.manifestBytes);
}

const PeekStatement = z.object({ predicateType: z.string() });

/**
 * The predicate type a layer claims, from its annotation or its (not yet verified) payload. Used
 * only to skip attestations of other types; never for a trust decision. A payload read in pieces
 * (`inPieces`) is peeked at without parsing its predicate's array when it claims a wanted type.
 */
function claimedPredicateType<R>(
  state: ScanState<R>,
  annotation: string | undefined,
  payloadType: string,
  payload: string,
): string | undefined {
  if (annotation !== undefined) return annotation;
  if (payloadType !== MediaTypes.inTotoPayload) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(payload);
  } catch {
    return undefined; // not base64: verification reports it
  }
  const wanted = state.inPieces && peekWantedPredicateType(bytes, state.inPieces.member, state.wanted);
  if (wanted !== undefined) return wanted;
  const peeked = safeParseJsonDocument(bytes, PeekStatement, {
    what: 'DSSE payload',
    maxBytes: Limits.attestationBytes,
  });
  return peeked.success ? peeked.data.predicateType : undefined;
}

async function scanLayer<R>(state: ScanState<R>, layer: Descriptor, source: string): Promise<void> {
  const annotated = layer.annotations?.[PREDICATE_TYPE_ANNOTATION];
  if (annotated !== undefined && !state.wanted.has(annotated)) return;
  const reject = (reason: string, predicateType?: string): void => {
    state.rejected.push(predicateType === undefined ? { source, reason } : { source, predicateType, reason });
  };
  if (isKeylessCosignLayer(layer.annotations)) {
    if (state.keylessElsewhere) return;
    reject('keyless attestation (Fulcio certificate): no keyless signer is trusted here', annotated);
    return;
  }

  if (layer.size > Limits.attestationBytes) {
    reject(`envelope is ${layer.size} bytes, above the limit of ${Limits.attestationBytes} bytes`, annotated);
    return;
  }
  let envelopeBytes: Uint8Array;
  try {
    envelopeBytes = await state.registry.getBlob(state.subject.repository, layer.digest, Limits.attestationBytes);
  } catch (err) {
    // Missing, oversized or tampered content is a bad attestation; anything else is the registry's fault.
    if (err instanceof NotFoundError || err instanceof TooLargeError || isDigestMismatch(err)) {
      reject(`envelope blob ${layer.digest} unreadable: ${describeError(err)}`, annotated);
      return;
    }
    throw err;
  }

  if (state.skipEnvelope?.(annotated, envelopeBytes) === true) return;
  let claimed: string | undefined;
  let parsed: DsseEnvelope;
  try {
    parsed = parseEnvelope(envelopeBytes);
    claimed = claimedPredicateType(state, annotated, parsed.payloadType, parsed.payload);
  } catch (err) {
    reject(`not a DSSE envelope: ${describeError(err)}`, annotated);
    return;
  }
  if (claimed !== undefined && !state.wanted.has(claimed)) return;
  // Decoded once, for the caller's filter and the verification; a payload that is not base64 is
  // left for the verification to refuse, with its reason.
  let payload: Uint8Array | undefined;
  if (state.skipPayload !== undefined) {
    try {
      payload = decodeBase64(parsed.payload);
    } catch {
      payload = undefined;
    }
    if (payload !== undefined && state.skipPayload(claimed, payload)) return;
  }

  let envelope: ReturnType<typeof verifyParsedEnvelope>;
  try {
    envelope = verifyParsedEnvelope(parsed, state.keys, payload);
  } catch (err) {
    reject(`DSSE signature not verified by a trusted key: ${describeError(err)}`, claimed);
    return;
  }
  if (envelope.payloadType !== MediaTypes.inTotoPayload) {
    reject(`payloadType is ${envelope.payloadType}, not ${MediaTypes.inTotoPayload}`, claimed);
    return;
  }
  const inPieces =
    state.inPieces === undefined
      ? undefined
      : readStatementInPieces(
          envelope.payload,
          state.inPieces,
          (s) => state.wanted.has(s.predicateType) && statementCoversDigest(s, state.subject.digest),
        );
  if (inPieces !== undefined) {
    const { statement, read } = inPieces;
    const { predicateType } = statement;
    state.verified.push({ statement, read, predicateType, signer: envelope.signer, source, envelope: envelopeBytes });
    return;
  }
  let statement: ReturnType<typeof parseInTotoStatementBytes>;
  try {
    statement = parseInTotoStatementBytes(envelope.payload);
  } catch (err) {
    reject(describeError(err), claimed);
    return;
  }
  // Signed, but of a type this caller did not ask for (the annotation or peek was absent or wrong).
  if (!state.wanted.has(statement.predicateType)) return;
  if (!statementCoversDigest(statement, state.subject.digest)) {
    const subjects = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, v]) => `${a}:${v}`));
    const shown = subjects.length > 3 ? [...subjects.slice(0, 3), `${subjects.length - 3} more`] : subjects;
    reject(`statement subject (${shown.join(', ')}) does not cover ${state.subject.digest}`, statement.predicateType);
    return;
  }
  state.verified.push({
    statement,
    predicateType: statement.predicateType,
    signer: envelope.signer,
    source,
    envelope: envelopeBytes,
  });
}

function isDigestMismatch(err: unknown): boolean {
  return err instanceof GateError && err.code === 'DIGEST_MISMATCH';
}
