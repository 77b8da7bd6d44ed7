/**
 * What `release-gate status` shows, locally and through the ops API (`status --aws`): the releases
 * the gate recorded, newest first, each with its revocation; for a digest (or a prefix of one), its
 * evidence, approval trail and promotions too.
 */
import type { ReleaseStore } from '../ports.js';
import type {
  ApprovalAuditRecord,
  PromotionEntry,
  ReleaseRecord,
  RevocationRecord,
  StoredEvidence,
} from '../records.js';

/** How many of the most recent releases `status` looks at (as `findRelease` looks up prefixes among them). */
export const STATUS_RELEASE_LIMIT = 500;

/** One release as `status` shows it. */
export type ReleaseStatus = ReleaseRecord & {
  readonly revocation: RevocationRecord | null;
  readonly evidence: readonly Pick<StoredEvidence, 'kind' | 'status' | 'reasons' | 'documents'>[];
  readonly approvalTrail: readonly ApprovalAuditRecord[];
  /** The digest's promotions and rollbacks, newest first. */
  readonly promotions: readonly PromotionEntry[];
};

/**
 * The releases whose digest starts with `digest` (every recent release without one). Evidence and
 * the approval trail are read only for a digest; each repository's track is read once.
 */
export async function releaseStatus(
  store: Pick<ReleaseStore, 'listReleases' | 'getRevocation' | 'listEvidence' | 'listApprovalAudit' | 'listPromotions'>,
  digest?: string,
): Promise<ReleaseStatus[]> {
  const releases = (await store.listReleases(STATUS_RELEASE_LIMIT)).filter(
    (r) => digest === undefined || r.digest.startsWith(digest),
  );
  const detailed = digest !== undefined;
  const tracks = new Map<string, Promise<PromotionEntry[]>>();
  const trackOf = (repository: string) => {
    const track = tracks.get(repository) ?? store.listPromotions(repository);
    tracks.set(repository, track);
    return track;
  };
  const out: ReleaseStatus[] = [];
  for (const r of releases) {
    const evidence = detailed ? await store.listEvidence(r.repository, r.digest) : [];
    out.push({
      ...r,
      revocation: await store.getRevocation(r.repository, r.digest),
      evidence: evidence.map((e) => ({ kind: e.kind, status: e.status, reasons: e.reasons, documents: e.documents })),
      approvalTrail: detailed ? await store.listApprovalAudit(r.repository, r.digest) : [],
      promotions: (await trackOf(r.repository)).filter((p) => p.digest === r.digest).reverse(),
    });
  }
  return out;
}
