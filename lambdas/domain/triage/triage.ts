/**
 * Triage: which releases ever gated contain an affected package, what state each is in, and when
 * it was live in production. It reads the package index one partition per package (never every
 * SBOM), matches versions with the scan's own code (an OSV advisory goes through osv/match.ts,
 * the one matcher; a typed range through the ecosystem's ordering), and derives "live" from the
 * promotion track.
 */
import { PackageURL } from 'packageurl-js';
import { InvalidInputError } from '../errors.js';
import { matchRecord, NotEvaluableError } from '../osv/match.js';
import type { OsvRecord } from '../osv/schema.js';
import type { PromotionTrack, ReleaseKey, ReleaseStatus, ReleaseStore } from '../ports.js';
import { requirePurl } from '../purl.js';
import type { IndexNodeLink, PackageIndexEntry, PromotionEntry, ReleaseState } from '../records.js';
import { componentCoordinates } from '../scan/local-scanner.js';
import type { Digest } from '../types.js';
import { advisoryPackages, type UnqueriedPackage } from './advisory-packages.js';
import { type NodeCache, presentEntries, readNodeRanges, repositoriesWithNodes } from './inherit.js';
import { inVersionRange, parseVersionRange, type VersionRange } from './range.js';

/**
 * What triage reads: one Query per package partition; the track of each repository hit, once
 * (which also says which of its releases are PROMOTED); the state (unless the track said) and
 * revocation of the releases hit, in batches (`getReleaseStatuses`); and the parent indexes of a
 * platform manifest (a release not recorded, or COVERED by its index).
 */
export type TriageReader = Pick<
  ReleaseStore,
  | 'findByPackage'
  | 'listIndexNodes'
  | 'findByVulnerability'
  | 'getReleaseStatuses'
  | 'listPromotionsWithStates'
  | 'listParentIndexes'
>;

export type TriageQuestion =
  /** Without a range, every version of the package. */
  | { readonly kind: 'range'; readonly purl: string; readonly range?: string }
  | { readonly kind: 'advisory'; readonly advisory: OsvRecord }
  | { readonly kind: 'vulnerability'; readonly id: string; readonly advisories?: readonly OsvRecord[] };

/** One matched package version in a release. */
export interface TriageMatch {
  /** The package asked about (`pkg:type/namespace/name`): the component's, or its source package's. */
  readonly package: string;
  readonly version: string;
  /** The release's components behind the match: the package itself or the binaries built from it. */
  readonly components: readonly string[];
  /** `range`, the advisory id, or `scan` for a release the gate's own scan reported with the id. */
  readonly by: string;
  readonly fixedIn?: string;
  /** The version could not be ordered: possibly affected (listed, never dropped). */
  readonly notEvaluable?: string;
}

/** A production live window from the promotion track: `to` is the next promotion, or null while live. */
export interface LiveWindow {
  readonly targetRepository: string;
  readonly tag: string;
  readonly from: string;
  readonly to: string | null;
}

export type TriageStatus = 'LIVE' | 'REVOKED' | 'PROMOTED' | ReleaseState | 'UNKNOWN';

export interface TriageRelease {
  readonly repository: string;
  readonly digest: Digest;
  /**
   * LIVE when it is what its production repository serves now (revoked or not: it is serving);
   * else REVOKED, PROMOTED (was live, since replaced) or its state.
   */
  readonly status: TriageStatus;
  /** Set when the release was revoked (incident/revoke.ts). */
  readonly revoked?: { readonly at: string; readonly by: string; readonly reason: string };
  readonly state: ReleaseState | 'UNKNOWN';
  readonly liveNow: boolean;
  readonly windows: readonly LiveWindow[];
  /** The platform manifests the package was found in, when the release is their index. */
  readonly platforms: readonly Digest[];
  readonly matches: readonly TriageMatch[];
}

export interface TriageAnswer {
  readonly question: string;
  /** Index partitions read (one Query each, paged). */
  readonly queries: number;
  readonly releases: readonly TriageRelease[];
  readonly unqueried: readonly UnqueriedPackage[];
}

interface Hit {
  readonly repository: string;
  readonly digest: Digest;
  readonly match: TriageMatch;
}

/** The package index entry's components, or `<identity>@<version>` for an entry without them. */
function entryComponents(base: string, entry: PackageIndexEntry): readonly string[] {
  return entry.components !== undefined && entry.components.length > 0
    ? entry.components
    : [`${base}@${entry.version}`];
}

/**
 * The package asked about at the entry's version, with the component's qualifiers (`distro` for
 * the ecosystem release, `epoch` for rpm): what the scan would have matched (sourceCoordinates).
 */
function coordinatesAt(base: string, version: string, component: string) {
  const identity = PackageURL.fromString(base);
  let qualifiers: Record<string, string> | undefined;
  try {
    const c = PackageURL.fromString(component);
    const { upstream: _upstream, ...rest } = c.qualifiers ?? {};
    qualifiers = rest;
  } catch {
    qualifiers = undefined;
  }
  const purl = new PackageURL(
    identity.type,
    identity.namespace,
    identity.name,
    version,
    qualifiers,
    undefined,
  ).toString();
  return componentCoordinates({ name: identity.name, purl, licenses: [], scope: 'other' });
}

function rangeHits(base: string, entries: readonly PackageIndexEntry[], range: VersionRange | null): Hit[] {
  const hits: Hit[] = [];
  for (const entry of entries) {
    const components = entryComponents(base, entry);
    const coords = coordinatesAt(base, entry.version, components[0] ?? base);
    const version = 'reason' in coords ? entry.version : coords.version;
    const inside = range === null ? true : inVersionRange(range, version);
    if (inside === false) continue;
    hits.push({
      repository: entry.repository,
      digest: entry.digest,
      match: {
        package: base,
        version: entry.version,
        components,
        by: 'range',
        ...(inside === null && { notEvaluable: `not a valid ${range?.comparator.name} version` }),
      },
    });
  }
  return hits;
}

function advisoryHits(base: string, entries: readonly PackageIndexEntry[], record: OsvRecord): Hit[] {
  const hits: Hit[] = [];
  for (const entry of entries) {
    const affected: string[] = [];
    let fixedIn: string | undefined;
    let notEvaluable: string | undefined;
    for (const component of entryComponents(base, entry)) {
      const coords = coordinatesAt(base, entry.version, component);
      // The advisory names this package (its purl), but the component has no OSV ecosystem to
      // match it in: possibly affected, never silently left out.
      if ('reason' in coords) {
        notEvaluable = coords.reason;
        affected.push(component);
        continue;
      }
      try {
        const m = matchRecord(record, coords);
        if (!m.affected) continue;
        fixedIn ??= m.fixedIn;
      } catch (err) {
        if (!(err instanceof NotEvaluableError)) throw err;
        notEvaluable = err.message;
      }
      affected.push(component);
    }
    if (affected.length === 0) continue;
    hits.push({
      repository: entry.repository,
      digest: entry.digest,
      match: {
        package: base,
        version: entry.version,
        components: affected,
        by: record.id,
        ...(fixedIn !== undefined && { fixedIn }),
        ...(notEvaluable !== undefined && { notEvaluable }),
      },
    });
  }
  return hits;
}

/** Tracks read by one triage, each once (`listPromotionsWithStates`). */
type TrackCache = Map<string, Promise<PromotionTrack>>;

/** Reads the tracks of `repositories` not read yet, READ_CONCURRENCY at a time. */
async function readTracks(reader: TriageReader, tracks: TrackCache, repositories: readonly string[]): Promise<void> {
  const unread = repositories.filter((r) => !tracks.has(r));
  await inChunks(unread, async (repository) => {
    const read = reader.listPromotionsWithStates(repository);
    tracks.set(repository, read);
    return read;
  });
}

/**
 * The present entries of each package, every range of nodes of every package read before the
 * tracks of their repositories (inherit.ts: a node's link may move from one to the other).
 */
async function presentOf(
  reader: TriageReader,
  tracks: TrackCache,
  found: readonly (readonly PackageIndexEntry[])[],
): Promise<PackageIndexEntry[][]> {
  const nodes: NodeCache = new Map();
  await Promise.all(found.map((entries) => readNodeRanges(reader, entries, nodes)));
  const repositories = [...new Set(found.flatMap(repositoriesWithNodes))];
  await readTracks(reader, tracks, repositories);
  const moved = new Map<string, readonly IndexNodeLink[]>();
  for (const repository of repositories) moved.set(repository, (await tracks.get(repository))?.links ?? []);
  return Promise.all(found.map((entries) => presentEntries(reader, entries, nodes, moved)));
}

async function hitsOf(
  reader: TriageReader,
  question: TriageQuestion,
  tracks: TrackCache,
): Promise<{ hits: Hit[]; queries: number; unqueried: UnqueriedPackage[] }> {
  if (question.kind === 'range') {
    const { type, base } = requirePurl(question.purl);
    const range = question.range === undefined ? null : parseVersionRange(question.range, type);
    const [entries = []] = await presentOf(reader, tracks, [await reader.findByPackage(base)]);
    return { hits: rangeHits(base, entries, range), queries: 1, unqueried: [] };
  }
  const advisories =
    question.kind === 'advisory'
      ? [question.advisory]
      : (question.advisories ?? []).filter((a) => names(a, question.id));
  const hits: Hit[] = [];
  const unqueried: UnqueriedPackage[] = [];
  const asked: { base: string; advisory: OsvRecord; entries: PackageIndexEntry[] }[] = [];
  for (const advisory of advisories) {
    const packages = advisoryPackages(advisory);
    unqueried.push(...packages.unqueried);
    for (const base of packages.bases) asked.push({ base, advisory, entries: await reader.findByPackage(base) });
  }
  const present = await presentOf(
    reader,
    tracks,
    asked.map((a) => a.entries),
  );
  asked.forEach(({ base, advisory }, i) => {
    hits.push(...advisoryHits(base, present[i] ?? [], advisory));
  });
  let queries = asked.length;
  if (question.kind === 'vulnerability') {
    queries++;
    // CVE ids are upper-case in the index (as scanners report them); other ids keep their case.
    const id = /^cve-/i.test(question.id.trim()) ? question.id.trim().toUpperCase() : question.id.trim();
    for (const r of await reader.findByVulnerability(id)) {
      hits.push({
        repository: r.repository,
        digest: r.digest,
        match: { package: '', version: '', components: [], by: 'scan' },
      });
    }
  }
  return { hits, queries, unqueried };
}

/** Track queries in flight at once: enough to hide round trips, few enough not to throttle a table. */
const READ_CONCURRENCY = 16;

export async function inChunks<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READ_CONCURRENCY) {
    out.push(...(await Promise.all(items.slice(i, i + READ_CONCURRENCY).map(f))));
  }
  return out;
}

export const releaseKey = (repository: string, digest: Digest): string => `${repository}\u0000${digest}`;

/** Whether the advisory is about `id` (its id or an alias; ids compare case-insensitively). */
export function names(advisory: OsvRecord, id: string): boolean {
  const wanted = id.trim().toUpperCase();
  return [advisory.id, ...advisory.aliases].some((a) => a.toUpperCase() === wanted);
}

/** Production windows of `digest`: from its promotion to the next one into the same repository. */
function windowsOf(track: readonly PromotionEntry[], digest: Digest): { windows: LiveWindow[]; liveNow: boolean } {
  const oldestFirst = [...track].reverse();
  const windows: LiveWindow[] = [];
  let liveNow = false;
  oldestFirst.forEach((p, i) => {
    if (p.digest !== digest) return;
    const next = oldestFirst.slice(i + 1).find((q) => q.targetRepository === p.targetRepository);
    windows.push({
      targetRepository: p.targetRepository,
      tag: p.tag,
      from: p.promotedAt,
      to: next?.promotedAt ?? null,
    });
    if (next === undefined) liveNow = true;
  });
  return { windows, liveNow };
}

function describe(question: TriageQuestion): string {
  if (question.kind === 'range')
    return question.range === undefined ? question.purl : `${question.purl} ${question.range}`;
  if (question.kind === 'advisory') return `advisory ${question.advisory.id}`;
  return question.id;
}

/**
 * Answers `question` over every release ever gated. Throws InvalidInputError for a malformed
 * purl or range (naming the field); the store's errors pass through.
 */
export async function triage(reader: TriageReader, question: TriageQuestion): Promise<TriageAnswer> {
  if (question.kind === 'vulnerability' && question.id.trim() === '') {
    throw new InvalidInputError('id: empty vulnerability id');
  }
  const tracks: TrackCache = new Map();
  const { hits, queries, unqueried } = await hitsOf(reader, question, tracks);

  // Every read below is one per distinct release or repository, however many packages match, and
  // nothing read is read again: the track of each repository hit first (an index above a platform
  // manifest is in the same repository), then the statuses of the releases hit in one batched
  // call, those of the indexes above platform manifests in a second one; the states the tracks
  // already gave are not read.
  const hitReleases = [...new Map(hits.map((h) => [releaseKey(h.repository, h.digest), h])).values()];
  const repositories = [...new Set(hitReleases.map((h) => h.repository))];
  await readTracks(reader, tracks, repositories);
  const promoted = new Map<string, ReadonlySet<Digest>>();
  for (const repository of repositories) promoted.set(repository, new Set((await tracks.get(repository))?.promoted));
  const statuses = new Map<string, ReleaseStatus>();
  const readStatuses = async (keys: readonly ReleaseKey[]) => {
    if (keys.length === 0) return;
    for (const status of await reader.getReleaseStatuses(keys, { promoted })) {
      statuses.set(releaseKey(status.repository, status.digest), status);
    }
  };
  await readStatuses(hitReleases);

  // A platform manifest's SBOM is indexed under its own digest; the release is its index.
  const owners = new Map<string, readonly Digest[]>();
  await inChunks(hitReleases, async ({ repository, digest }) => {
    const state = statuses.get(releaseKey(repository, digest))?.state ?? null;
    const parents = state === null || state === 'COVERED' ? await reader.listParentIndexes(repository, digest) : [];
    owners.set(releaseKey(repository, digest), parents.length > 0 ? parents : [digest]);
  });
  const byRelease = new Map<
    string,
    { repository: string; digest: Digest; platforms: Set<Digest>; matches: TriageMatch[]; seen: Set<string> }
  >();
  for (const hit of hits) {
    for (const owner of owners.get(releaseKey(hit.repository, hit.digest)) ?? []) {
      const key = releaseKey(hit.repository, owner);
      const group = byRelease.get(key) ?? {
        repository: hit.repository,
        digest: owner,
        platforms: new Set(),
        matches: [],
        seen: new Set(),
      };
      if (owner !== hit.digest) group.platforms.add(hit.digest);
      const matchKey = JSON.stringify(hit.match);
      if (!group.seen.has(matchKey)) {
        group.seen.add(matchKey);
        group.matches.push(hit.match);
      }
      byRelease.set(key, group);
    }
  }

  const groups = [...byRelease.values()];
  await readStatuses(groups.filter((g) => !statuses.has(releaseKey(g.repository, g.digest))));

  const trackOf = new Map<string, PromotionTrack>();
  for (const [repository, track] of tracks) trackOf.set(repository, await track);
  const releases = groups.map((group): TriageRelease => {
    const stored = statuses.get(releaseKey(group.repository, group.digest));
    const revocation = stored?.revocation ?? null;
    const state = stored?.state ?? 'UNKNOWN';
    const { windows, liveNow } = windowsOf(trackOf.get(group.repository)?.promotions ?? [], group.digest);
    const status: TriageStatus = liveNow
      ? 'LIVE'
      : revocation !== null
        ? 'REVOKED'
        : windows.length > 0
          ? 'PROMOTED'
          : state;
    return {
      repository: group.repository,
      digest: group.digest,
      status,
      ...(revocation === null
        ? {}
        : { revoked: { at: revocation.revokedAt, by: revocation.revokedBy, reason: revocation.reason } }),
      state,
      liveNow,
      windows,
      platforms: [...group.platforms].sort(),
      matches: group.matches,
    };
  });
  releases.sort((a, b) =>
    a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : a.digest < b.digest ? -1 : 1,
  );
  return { question: describe(question), queries, releases, unqueried };
}
