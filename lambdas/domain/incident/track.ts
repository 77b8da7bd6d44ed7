/**
 * Reading the promotion track for incidents: what is live in production now, and which earlier
 * release a rollback would go back to.
 */
import type { PromotionEntry, ReleaseStore } from '../ports.js';
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
