/**
 * BuildKit attestations (docs.docker.com/build/metadata/attestations/attestation-storage): for
 * each platform manifest, the image index lists an attestation manifest annotated
 * `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest: <platform
 * manifest digest>`. Its layers of media type `application/vnd.in-toto+json` are bare in-toto
 * statements (annotated `in-toto.io/predicate-type`); other layer media types are ignored.
 *
 * TRUST: these statements are NOT signed. Their only integrity is content addressing: a verified
 * signature over the index digest authenticates the index bytes, which pin each attestation
 * manifest digest, which pins each layer digest (the RegistryReader re-hashes everything it reads
 * by digest). So they are trustworthy only when the INDEX digest itself carries a verified
 * signature. A signature over a platform manifest, or none, makes them worthless. Every
 * attestation found is flagged `signedVia: 'index'`; callers must pass them through
 * `acceptBuildkitAttestations` with the outcome of the index's signature check.
 */
import { describeError, GateError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { type Descriptor, MediaTypes } from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { assertWithinReferrerLimit } from '../referrers.js';
import { type Digest, DigestSchema } from '../types.js';
import { parseInTotoStatementBytes, statementCoversDigest } from './in-toto.js';
import { BuildkitAnnotations, isAttestationManifest, platformLabel, readImage } from './platforms.js';
import type { InTotoStatement } from './types.js';

/** One statement BuildKit attached to a platform manifest of the index. */
export interface BuildkitAttestation {
  /** The platform manifest the statement is about (its subject covers this digest). */
  readonly platformDigest: Digest;
  /** `os/arch[/variant]` of that platform manifest, from the index. */
  readonly platform: string;
  readonly statement: InTotoStatement;
  readonly predicateType: string;
  /** Where it was found, for reasons: `attestation-manifest sha256:… layer 1`. */
  readonly source: string;
  /** Integrity comes only from a verified signature on the index: see the module comment. */
  readonly signedVia: 'index';
  /** The index digest whose signature the caller must have verified. */
  readonly indexDigest: Digest;
  /** The exact statement bytes, stored as raw evidence. */
  readonly bytes: Uint8Array;
}

export interface BuildkitScan {
  readonly attestations: readonly BuildkitAttestation[];
  /** Attestation manifests or layers found but unusable, with the reason. */
  readonly rejected: readonly { source: string; predicateType?: string; reason: string }[];
}

type Rejection = BuildkitScan['rejected'][number];

/**
 * Reads the BuildKit attestations of the index at `indexDigest`. A single-platform manifest has
 * none (BuildKit only writes them into an index): the scan is empty. Only statements whose
 * subject covers the platform manifest their attestation manifest points at are returned; every
 * other statement of a wanted predicate type is rejected with its reason.
 *
 * `predicateTypes` limits the statements read (default: all). Registry errors other than missing
 * or tampered content propagate; an index with more attestation manifests than
 * `Limits.referrers` throws GateError TOO_LARGE.
 */
export async function findBuildkitAttestations(
  registry: RegistryReader,
  repository: string,
  indexDigest: string,
  predicateTypes?: readonly string[],
): Promise<BuildkitScan> {
  const index = DigestSchema.parse(indexDigest);
  const image = await readImage(registry, repository, index);
  if (image.kind !== 'index') return { attestations: [], rejected: [] };

  const entries = image.index.manifests;
  const attestationEntries = entries.filter(isAttestationManifest);
  assertWithinReferrerLimit(`${repository}@${index}`, attestationEntries.length, 'attestation manifests');
  const platforms = new Map(
    entries.filter((e) => !isAttestationManifest(e)).map((e) => [e.digest, platformLabel(e.platform)] as const),
  );
  const wanted = predicateTypes === undefined ? undefined : new Set(predicateTypes);
  const attestations: BuildkitAttestation[] = [];
  const rejected: Rejection[] = [];

  for (const entry of attestationEntries) {
    const source = `attestation-manifest ${entry.digest}`;
    const target = DigestSchema.safeParse(entry.annotations?.[BuildkitAnnotations.referenceDigest]);
    if (!target.success) {
      rejected.push({ source, reason: `${BuildkitAnnotations.referenceDigest} is missing or not a sha256 digest` });
      continue;
    }
    const platform = platforms.get(target.data);
    if (platform === undefined) {
      rejected.push({ source, reason: `refers to ${target.data}, which the index does not list as an image` });
      continue;
    }
    const layers = await readAttestationLayers(registry, repository, entry, source, rejected);
    for (const [i, layer] of layers.entries()) {
      const layerSource = layers.length > 1 ? `${source} layer ${i + 1}` : source;
      const found = await readStatement(registry, repository, layer, layerSource, target.data, wanted, rejected);
      if (found === undefined) continue;
      attestations.push({
        platformDigest: target.data,
        platform,
        statement: found.statement,
        predicateType: found.statement.predicateType,
        source: layerSource,
        signedVia: 'index',
        indexDigest: index,
        bytes: found.bytes,
      });
    }
  }
  return { attestations, rejected };
}

/** The in-toto layers of one attestation manifest; problems are recorded as rejections. */
async function readAttestationLayers(
  registry: RegistryReader,
  repository: string,
  entry: Descriptor,
  source: string,
  rejected: Rejection[],
): Promise<Descriptor[]> {
  try {
    const image = await readImage(registry, repository, entry.digest);
    if (image.kind !== 'manifest') {
      rejected.push({ source, reason: 'is an index, not an attestation manifest' });
      return [];
    }
    return image.manifest.layers.filter((l) => l.mediaType === MediaTypes.inTotoPayload);
  } catch (err) {
    if (isContentProblem(err)) {
      rejected.push({ source, reason: `unreadable: ${describeError(err)}` });
      return [];
    }
    throw err;
  }
}

async function readStatement(
  registry: RegistryReader,
  repository: string,
  layer: Descriptor,
  source: string,
  platformDigest: Digest,
  wanted: ReadonlySet<string> | undefined,
  rejected: Rejection[],
): Promise<{ statement: InTotoStatement; bytes: Uint8Array } | undefined> {
  // The annotation is as authentic as the index (it sits in the attestation manifest), but the
  // statement's own predicateType decides; the annotation only spares fetching unwanted blobs.
  const annotated = layer.annotations?.[BuildkitAnnotations.predicateType];
  if (wanted !== undefined && annotated !== undefined && !wanted.has(annotated)) return undefined;
  const reject = (reason: string, predicateType = annotated): undefined => {
    rejected.push(predicateType === undefined ? { source, reason } : { source, predicateType, reason });
    return undefined;
  };

  if (layer.size > Limits.attestationBytes) {
    return reject(`statement is ${layer.size} bytes, above the limit of ${Limits.attestationBytes} bytes`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await registry.getBlob(repository, layer.digest, Limits.attestationBytes);
  } catch (err) {
    if (isContentProblem(err)) return reject(`statement blob ${layer.digest} unreadable: ${describeError(err)}`);
    throw err;
  }
  let statement: InTotoStatement;
  try {
    statement = parseInTotoStatementBytes(bytes);
  } catch (err) {
    return reject(describeError(err));
  }
  if (wanted !== undefined && !wanted.has(statement.predicateType)) return undefined;
  if (annotated !== undefined && annotated !== statement.predicateType) {
    return reject(`layer is annotated ${annotated} but the statement is ${statement.predicateType}`);
  }
  if (!statementCoversDigest(statement, platformDigest)) {
    const subjects = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, v]) => `${a}:${v}`));
    const shown = subjects.length > 3 ? [...subjects.slice(0, 3), `${subjects.length - 3} more`] : subjects;
    return reject(
      `statement subject (${shown.join(', ')}) does not cover platform manifest ${platformDigest}`,
      statement.predicateType,
    );
  }
  return { statement, bytes };
}

/** Missing, oversized, malformed or tampered content: a bad attestation, not a registry outage. */
function isContentProblem(err: unknown): boolean {
  return (
    err instanceof NotFoundError ||
    err instanceof TooLargeError ||
    (err instanceof GateError &&
      (err.code === 'DIGEST_MISMATCH' || err.code === 'INVALID_INPUT' || err.code === 'UNSUPPORTED_MEDIA_TYPE'))
  );
}

/**
 * Applies the trust rule: BuildKit attestations count only when the caller verified a signature
 * over their index digest (`signedDigests` holds the digests whose signature verified). Otherwise
 * every attestation becomes a rejection that says so.
 */
export function acceptBuildkitAttestations(
  scan: BuildkitScan,
  signedDigests: ReadonlySet<string>,
): { verified: BuildkitAttestation[]; rejected: Rejection[] } {
  const verified: BuildkitAttestation[] = [];
  const rejected: Rejection[] = [...scan.rejected];
  for (const attestation of scan.attestations) {
    if (signedDigests.has(attestation.indexDigest)) {
      verified.push(attestation);
    } else {
      rejected.push({
        source: attestation.source,
        predicateType: attestation.predicateType,
        reason: `BuildKit attestations are unsigned and index ${attestation.indexDigest} carries no verified signature`,
      });
    }
  }
  return { verified, rejected };
}
