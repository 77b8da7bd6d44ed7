/**
 * Reading the promotion track for incidents: what is live in production now, and which earlier
 * release a rollback would go back to.
 */
import { NotFoundError } from '../errors.js';
import { policyFor, targetRepositoryFor } from '../policy/rules.js';
import type { PolicyDocument, RepositoryPolicy } from '../policy/schema.js';
import type { PromotionEntry, RegistryReader, ReleaseStore } from '../ports.js';
import type { Digest } from '../types.js';

export type TrackReader = Pick<ReleaseStore, 'listPromotions' | 'getRevocation'>;

export interface RollbackCandidates {
  /** The entry that made the current release live (the most recent one), or null when none. */
  readonly live: PromotionEntry | null;
  /**
   * The release a rollback picks: the most recently live one before `live` that is neither the
   * live one nor revoked (nor `alsoRevoked`), or null when there is none.
   */
  readonly target: PromotionEntry | null;
}

/**
 * The live release of `repository` (the gated repository, which keys its track) and the rollback
 * target. `alsoRevoked` counts as revoked (a revocation being written).
 */
export async function rollbackCandidates(
  reader: TrackReader,
  repository: string,
  alsoRevoked?: Digest,
): Promise<RollbackCandidates> {
  const track = await reader.listPromotions(repository);
  const live = track[0] ?? null;
  const seen = new Set<Digest>(live === null ? [] : [live.digest]);
  for (const entry of track.slice(1)) {
    if (seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    if (entry.digest === alsoRevoked) continue;
    if ((await reader.getRevocation(repository, entry.digest)) !== null) continue;
    return { live, target: entry };
  }
  return { live, target: null };
}

/** What production's channel tag names in the registry, next to what the track says is live. */
export interface LiveTag {
  readonly channelTag: string;
  /** The digest the tag names in `live.targetRepository` now, or null when the tag is absent. */
  readonly digest: Digest | null;
  /** Why the tag and the track disagree (naming both digests), or undefined when they agree. */
  readonly mismatch?: string;
}

/**
 * Reads the channel tag of `live.targetRepository` from the registry. The track is what the gate
 * did; the tag is what deploy systems pull. Anyone with push rights to production can move (or
 * delete) the mutable tag by hand, and then "what is live" according to the track is not what is
 * served: a rollback or a revoke that trusted the track alone would name the wrong release.
 */
export async function readLiveTag(
  registry: Pick<RegistryReader, 'getManifest'>,
  live: PromotionEntry,
  channelTag: string,
): Promise<LiveTag> {
  let digest: Digest | null;
  try {
    digest = (await registry.getManifest(live.targetRepository, channelTag)).digest;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    digest = null;
  }
  if (digest === live.digest) return { channelTag, digest };
  const where = `${live.targetRepository}:${channelTag}`;
  const mismatch =
    digest === null
      ? `the channel tag ${where} is missing from the registry, but the promotion track says ${live.digest} is live: the tag was removed outside the gate`
      : `the channel tag ${where} names ${digest}, but the promotion track says ${live.digest} is live: the tag was moved outside the gate`;
  return { channelTag, digest, mismatch };
}

/**
 * The gated repository whose track production `name` is, for a command given either: `name`
 * itself when it has a track, else the repository whose policy's `promotion.targetRepository`
 * is `name` (`prod/{repository}` read backwards) and that has a track. Null when neither.
 */
export async function gatedRepositoryOf(
  document: PolicyDocument,
  reader: Pick<ReleaseStore, 'listPromotions'>,
  name: string,
): Promise<string | null> {
  if ((await reader.listPromotions(name)).length > 0) return name;
  for (const rule of document.rules) {
    const [prefix, suffix, ...more] = rule.promotion.targetRepository.split('{repository}');
    if (prefix === undefined || suffix === undefined || more.length > 0) continue;
    if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length <= prefix.length + suffix.length) continue;
    const candidate = name.slice(prefix.length, name.length - suffix.length);
    let policy: RepositoryPolicy;
    try {
      policy = policyFor(document, candidate);
    } catch {
      continue; // no rule covers it: not a gated repository
    }
    if (targetRepositoryFor(policy, candidate) !== name) continue;
    if ((await reader.listPromotions(candidate)).length > 0) return candidate;
  }
  return null;
}
