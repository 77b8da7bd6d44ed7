/**
 * The gate's AWS cost per release, on paper: what the README's cost table prints, and what the
 * bench's `cost` section measures the package index against. List prices, us-east-1, December
 * 2026, on-demand; free tiers ignored.
 */

export const PRICES = {
  /** Step Functions Standard, per state transition. */
  transition: 0.025 / 1000,
  /** DynamoDB on-demand, per write request unit (1 KB) and per read request unit (4 KB, strongly consistent). */
  wru: 0.625 / 1_000_000,
  rru: 0.125 / 1_000_000,
  /** Lambda arm64: per request, per GB-second. */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecond: 0.0000133334,
  /** S3 Standard: per PUT and per GET request. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /** EventBridge custom events, per event. */
  event: 1 / 1_000_000,
} as const;

/**
 * What one release costs apart from the package index, as the embedded stack runs the real ASL
 * and handlers (`npm run bench -- --only gate` prints the transitions; the rest is counted from
 * the handlers' calls): a PROMOTED release with one approval.
 */
export const PER_RELEASE = {
  transitions: 16,
  lambdaInvocations: 12,
  /** Average billed duration × memory per invocation, GB-s (evidence collection dominates). */
  lambdaGbSeconds: 12 * 0.35 * 1,
  /** Release, evidence (7), decision, approval, audit, tags, state moves, track, VSA record: WRU. */
  otherWrus: 30,
  otherRrus: 40,
  s3Puts: 12,
  s3Gets: 10,
  events: 4,
} as const;

export interface IndexModelInput {
  /** Package index entries of one release (one per package version, plus source packages). */
  readonly entries: number;
  /** The fraction of entries that change from one release of a repository to the next. */
  readonly changedFraction: number;
  /** Releases per repository over which the first (a full snapshot) is spread. */
  readonly releasesPerRepository: number;
}

/**
 * Write units of the package index per release (package-index.ts): a repository's first release
 * writes a snapshot (one item per entry); each later one writes a delta against the newest
 * complete node, one item per changed entry (an upgrade's item also replaces the old version; a
 * package dropped altogether is a tombstone, one item too), unless that is no cheaper than a
 * snapshot. Every node adds its own item (put, then completed), its link and the repository's
 * head: 6 write units, as the link is one attribute of an item packing the links of 50 seqs
 * (~95 B each), and an UpdateItem bills the whole item: ~3 units on average over a bucket. Each
 * entry item is under 1 KB, so one write unit.
 */
const NODE_WRUS = 6;
export function indexWrusPerRelease(input: IndexModelInput): { snapshot: number; delta: number; average: number } {
  const snapshot = input.entries + NODE_WRUS;
  const changed = Math.round(input.entries * input.changedFraction);
  const delta = Math.min(changed, input.entries) + NODE_WRUS;
  const r = Math.max(1, input.releasesPerRepository);
  return { snapshot, delta, average: (snapshot + (r - 1) * delta) / r };
}

/** US dollars per 1,000 releases: the index at `indexWrus` per release plus everything else. */
export function costPer1000Releases(indexWrus: number): { index: number; other: number; total: number } {
  const p = PER_RELEASE;
  const other =
    p.transitions * PRICES.transition +
    p.lambdaInvocations * PRICES.lambdaRequest +
    p.lambdaGbSeconds * PRICES.lambdaGbSecond +
    p.otherWrus * PRICES.wru +
    p.otherRrus * PRICES.rru +
    // The index also reads the base's entry set and stores its own: one GET and one PUT.
    (p.s3Puts + 1) * PRICES.s3Put +
    (p.s3Gets + 1) * PRICES.s3Get +
    p.events * PRICES.event;
  const index = indexWrus * PRICES.wru;
  return { index: index * 1000, other: other * 1000, total: (index + other) * 1000 };
}
