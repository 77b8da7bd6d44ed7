/**
 * Re-validation: the releases live in production now are checked again when something new is
 * known, and one found newly affected raises an alert (`Release Newly Affected` and a
 * notification, with the triage answer attached).
 *
 * What triggers it:
 * - `advisories`: new OSV records arrived (the advisories folder locally, the S3 prefix on AWS);
 * - `inspector`: an Inspector2 finding for one image digest;
 * - `scheduled`: the daily run, over every advisory known today.
 *
 * Live releases are the heads of the promotion tracks (track.ts), revoked ones left out (they are
 * already being handled). An advisory is matched through triage (triage/triage.ts): the package
 * index partitions it names, with the scan's own OSV matcher, so a release matches exactly when
 * the gate's scan would have reported it.
 *
 * "Newly": an alert is recorded once per (release, advisory id) with a conditional write, so a
 * retried or a second trigger does not alert twice; an advisory whose id or alias the gate's own
 * scan already reported for the release (the CVE index) is not news either. The alert record is
 * written before the announcement and marked announced after it: a run that stopped in between
 * leaves an unannounced record, which a run after the lease (`ANNOUNCE_LEASE_MS`) announces (at
 * least once, never lost; a concurrent run within the lease leaves it to the one that wrote it).
 */
import { ConfigError } from '../errors.js';
import { severityOf } from '../osv/match.js';
import type { OsvRecord } from '../osv/schema.js';
import type { PolicyDocument } from '../policy/schema.js';
import type { AlertMatch, AlertRecord, Clock, Notifier, OutcomeEmitter, ReleaseStore } from '../ports.js';
import { advisoryPackages, type UnqueriedPackage } from '../triage/advisory-packages.js';
import {
  inChunks,
  releaseKey,
  type TriageAnswer,
  type TriageMatch,
  type TriageReader,
  triage,
} from '../triage/triage.js';
import type { Digest } from '../types.js';
import { gatedRepositoryOf } from './track.js';

/** One vulnerable package of an Inspector2 finding (`packageVulnerabilityDetails.vulnerablePackages[]`). */
export interface InspectorPackage {
  readonly name: string;
  readonly version: string;
  readonly purl?: string;
  readonly fixedIn?: string;
}

/** An Inspector2 finding about one image, as the handler reads it from the event. */
export interface InspectorFinding {
  /** `packageVulnerabilityDetails.vulnerabilityId`. */
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly severity?: string;
  readonly title?: string;
  readonly packages: readonly InspectorPackage[];
}

export type RevalidationTrigger =
  /** New OSV records arrived; `source` names where from (a file, an S3 key). */
  | { readonly kind: 'advisories'; readonly advisories: readonly OsvRecord[]; readonly source: string }
  /** Inspector found `findings` in the image `repository@digest`. */
  | {
      readonly kind: 'inspector';
      readonly repository: string;
      readonly digest: Digest;
      readonly findings: readonly InspectorFinding[];
    }
  /** The daily run: every advisory known today (`RevalidateDeps.advisories`). */
  | { readonly kind: 'scheduled' };

export type RevalidateStore = TriageReader &
  Pick<
    ReleaseStore,
    'getRevocation' | 'listPromotions' | 'listTrackedRepositories' | 'recordAlert' | 'markAlertAnnounced' | 'listAlerts'
  >;

export interface RevalidateDeps {
  readonly store: RevalidateStore;
  readonly notifier: Notifier;
  readonly outcomes: OutcomeEmitter;
  readonly clock: Clock;
  /**
   * Every advisory known today, for `scheduled` runs (the advisories folder locally, the S3 prefix
   * on AWS).
   * @default - a scheduled run throws ConfigError
   */
  readonly advisories?: () => Promise<readonly OsvRecord[]>;
  /**
   * The policy, to map a production repository an Inspector finding names (`prod/x`) to the gated
   * repository whose track it is.
   * @default - only gated repositories are recognised
   */
  readonly policy?: { readonly document: PolicyDocument };
}

/** A release live in production now: the head of its repository's promotion track. */
export interface LiveRelease {
  readonly repository: string;
  readonly digest: Digest;
  readonly targetRepository: string;
  readonly tag: string;
  /** When it went live (its track entry). */
  readonly since: string;
}

/** A live release an advisory affects. */
export interface AffectedRelease {
  readonly repository: string;
  readonly digest: Digest;
  readonly advisoryId: string;
  readonly aliases: readonly string[];
  readonly matches: readonly AlertMatch[];
  readonly live: LiveRelease;
  /** The alert record: the new one, or the one raised before. Absent when the gate's scan had it. */
  readonly alert?: AlertRecord;
  /** Why it is not news: `alerted` before, or `reported-when-gated` by the gate's own scan. */
  readonly known?: 'alerted' | 'reported-when-gated';
}

export interface RevalidationSummary {
  /** Live releases checked. */
  readonly checked: number;
  readonly newlyAffected: readonly AffectedRelease[];
  readonly alreadyKnown: readonly AffectedRelease[];
  /**
   * `affected[]` entries the package index could not be asked about (an ecosystem without a
   * package URL type), per advisory: they were not checked, and say so. Absent when none.
   */
  readonly unqueried?: readonly (UnqueriedPackage & { readonly advisoryId: string })[];
}

/** At most this many releases of the triage answer travel with an alert (events and SNS stop at 256 KB). */
const TRIAGE_RELEASES_IN_ALERT = 20;
/** At most this many matched components per alert (the record's limit). */
const MATCHES_PER_ALERT = 100;

/**
 * How long an alert recorded but not announced is left to the run that recorded it (which may still
 * be announcing it: a concurrent trigger must not announce it twice). Past it, that run is taken
 * to have stopped (a Lambda runs at most 15 minutes), and the next run announces it.
 */
const ANNOUNCE_LEASE_MS = 15 * 60_000;

function unannouncedSince(alert: AlertRecord, now: Date): boolean {
  if (alert.announcedAt !== undefined) return false;
  const raised = Date.parse(alert.raisedAt);
  return Number.isNaN(raised) || now.getTime() - raised >= ANNOUNCE_LEASE_MS;
}

/** The live release of `repository` (its track's head), or null when none or when it is revoked. */
export async function liveReleaseOf(store: RevalidateStore, repository: string): Promise<LiveRelease | null> {
  const head = (await store.listPromotions(repository))[0];
  if (head === undefined) return null;
  if ((await store.getRevocation(repository, head.digest)) !== null) return null;
  return {
    repository,
    digest: head.digest,
    targetRepository: head.targetRepository,
    tag: head.tag,
    since: head.promotedAt,
  };
}

/** Every release live now, revoked ones left out. */
export async function liveReleases(store: RevalidateStore): Promise<LiveRelease[]> {
  const live = await inChunks(await store.listTrackedRepositories(), (r) => liveReleaseOf(store, r));
  return live.filter((l): l is LiveRelease => l !== null);
}

/** A candidate (release, advisory) before the alert store is asked. */
interface Candidate {
  readonly live: LiveRelease;
  readonly advisoryId: string;
  readonly aliases: readonly string[];
  readonly severity?: string;
  readonly summary?: string;
  readonly matches: readonly AlertMatch[];
  readonly triage: TriageAnswer;
  readonly source: string;
  /** Platform manifests of the release the gate scanned (their CVE index entries count too). */
  readonly scanned: readonly Digest[];
}

/** One OSV event as a comparison: `introduced` ≥, `fixed` <, `last_affected` ≤, `limit` < (osv-schema "Evaluation"). */
function eventText(e: OsvRecord['affected'][number]['ranges'][number]['events'][number]): string {
  if (e.introduced !== undefined) return e.introduced === '0' ? '>=0' : `>=${e.introduced}`;
  if (e.fixed !== undefined) return `<${e.fixed}`;
  if (e.last_affected !== undefined) return `<=${e.last_affected}`;
  return `limit <${e.limit ?? '*'}`;
}

/**
 * Why the advisory matched the package `base` (a `pkg:type/namespace/name` the triage matched):
 * the ranges and listed versions of its `affected[]` entries for that package, as a reader
 * checks them against the component's version.
 */
export function affectedRangesOf(advisory: OsvRecord, base: string): string | undefined {
  const parts: string[] = [];
  for (const entry of advisory.affected) {
    if (!advisoryPackages({ ...advisory, affected: [entry] }).bases.includes(base)) continue;
    const eco = entry.package?.ecosystem ?? '';
    for (const r of entry.ranges) parts.push(`${eco} ${r.type} ${r.events.map(eventText).join(' ')}`);
    if (entry.versions.length > 0) {
      const listed = entry.versions.slice(0, 10).join(', ');
      parts.push(`${eco} versions ${listed}${entry.versions.length > 10 ? `, … (${entry.versions.length})` : ''}`);
    }
  }
  return parts.length === 0 ? undefined : parts.join('; ').slice(0, 500);
}

function alertMatches(matches: readonly TriageMatch[], advisory?: OsvRecord): AlertMatch[] {
  const out: AlertMatch[] = [];
  for (const m of matches) {
    const range = advisory === undefined || m.package === '' ? undefined : affectedRangesOf(advisory, m.package);
    for (const component of m.components) {
      out.push({
        component,
        version: m.version,
        ...(range !== undefined && { range }),
        ...(m.package !== '' && !component.startsWith(`${m.package}@`) && { package: m.package }),
        ...(m.fixedIn !== undefined && { fixedIn: m.fixedIn }),
        ...(m.notEvaluable !== undefined && { notEvaluable: m.notEvaluable }),
      });
    }
  }
  return out.slice(0, MATCHES_PER_ALERT);
}

async function advisoryCandidates(
  store: RevalidateStore,
  live: ReadonlyMap<string, LiveRelease>,
  advisories: readonly OsvRecord[],
  source: string,
  unqueried: (UnqueriedPackage & { advisoryId: string })[],
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const advisory of advisories) {
    if (advisory.withdrawn !== undefined) continue;
    const answer = await triage(store, { kind: 'advisory', advisory });
    unqueried.push(...answer.unqueried.map((u) => ({ ...u, advisoryId: advisory.id })));
    for (const release of answer.releases) {
      const l = live.get(releaseKey(release.repository, release.digest));
      if (l === undefined) continue;
      const severity = severityOf(advisory);
      out.push({
        live: l,
        advisoryId: advisory.id,
        aliases: advisory.aliases,
        ...(severity !== 'UNDEFINED' && { severity }),
        ...(advisory.summary !== undefined && { summary: advisory.summary.slice(0, 1000) }),
        matches: alertMatches(release.matches, advisory),
        triage: answer,
        source,
        scanned: release.platforms,
      });
    }
  }
  return out;
}

/**
 * The live release an Inspector finding about `repository@digest` is about: the release itself, the
 * index that lists it as a platform manifest, or the same through the gated repository when
 * `repository` is a production repository. Null when it is not live.
 */
async function liveReleaseFor(
  deps: RevalidateDeps,
  repository: string,
  digest: Digest,
): Promise<{ live: LiveRelease; platform?: Digest } | null> {
  const repositories = [repository];
  if (deps.policy !== undefined) {
    const gated = await gatedRepositoryOf(deps.policy.document, deps.store, repository);
    if (gated !== null && gated !== repository) repositories.push(gated);
  }
  for (const r of repositories) {
    const live = await liveReleaseOf(deps.store, r);
    if (live === null) continue;
    if (live.digest === digest) return { live };
    if ((await deps.store.listParentIndexes(r, digest)).includes(live.digest)) return { live, platform: digest };
  }
  return null;
}

async function inspectorCandidates(
  deps: RevalidateDeps,
  trigger: Extract<RevalidationTrigger, { kind: 'inspector' }>,
): Promise<{ checked: number; candidates: Candidate[] }> {
  const found = await liveReleaseFor(deps, trigger.repository, trigger.digest);
  if (found === null) return { checked: 0, candidates: [] };
  const candidates: Candidate[] = [];
  for (const finding of trigger.findings) {
    const answer = await triage(deps.store, { kind: 'vulnerability', id: finding.id });
    candidates.push({
      live: found.live,
      advisoryId: finding.id,
      aliases: finding.aliases ?? [],
      ...(finding.severity !== undefined && { severity: finding.severity }),
      ...(finding.title !== undefined && { summary: finding.title.slice(0, 1000) }),
      matches: finding.packages.slice(0, MATCHES_PER_ALERT).map((p) => ({
        component: p.purl ?? `${p.name}@${p.version}`,
        version: p.version,
        ...(p.fixedIn !== undefined && { fixedIn: p.fixedIn }),
      })),
      triage: answer,
      source: `inspector ${trigger.repository}@${trigger.digest}`,
      scanned: found.platform === undefined ? [] : [found.platform],
    });
  }
  return { checked: 1, candidates };
}

const idsOf = (id: string, aliases: readonly string[]) => [id, ...aliases].map((a) => a.trim().toUpperCase());

/** Whether the gate's own scan reported one of `ids` for the release (or a platform manifest of it). */
async function reportedWhenGated(store: RevalidateStore, c: Candidate): Promise<boolean> {
  const digests = new Set<Digest>([c.live.digest, ...c.scanned]);
  for (const id of new Set(idsOf(c.advisoryId, c.aliases))) {
    const entries = await store.findByVulnerability(id);
    if (entries.some((e) => e.repository === c.live.repository && digests.has(e.digest))) return true;
  }
  return false;
}

/** The triage answer as an alert carries it: the first releases, and how many there are. */
function triageInAlert(answer: TriageAnswer, releases = TRIAGE_RELEASES_IN_ALERT) {
  return {
    question: answer.question,
    releases: answer.releases.slice(0, releases).map((r) => ({
      repository: r.repository,
      digest: r.digest,
      status: r.status,
      liveNow: r.liveNow,
      windows: r.windows.slice(-10),
      matches: r.matches.slice(0, 10).map((m) => ({ ...m, components: m.components.slice(0, 5) })),
    })),
    totalReleases: answer.releases.length,
  };
}

/**
 * What an alert's event and notification may weigh: EventBridge and SNS refuse an entry above
 * 256 KiB, and an alert that can never be announced would stay unannounced. The rest is headroom
 * for the subject, source and detail type.
 */
export const ALERT_DETAIL_BYTES = 200_000;

const sizeOf = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value)).byteLength;

/**
 * The alert's detail within ALERT_DETAIL_BYTES: fewer triage releases first, then fewer matches
 * (`moreMatches` says how many were left out; the alert record and the report keep them all).
 */
function fitted<T extends { matches: readonly AlertMatch[]; triage: ReturnType<typeof triageInAlert> }>(
  detail: T,
  answer: TriageAnswer,
): T & { moreMatches?: number } {
  let out: T & { moreMatches?: number } = detail;
  for (let n = detail.triage.releases.length; sizeOf(out) > ALERT_DETAIL_BYTES && n > 0; n = Math.floor(n / 2)) {
    out = { ...out, triage: triageInAlert(answer, Math.floor(n / 2)) };
  }
  const all = detail.matches;
  for (let n = all.length; sizeOf(out) > ALERT_DETAIL_BYTES && n > 0; n = Math.floor(n / 2)) {
    const kept = Math.floor(n / 2);
    out = { ...out, matches: all.slice(0, kept), moreMatches: all.length - kept };
  }
  return out;
}

async function announce(deps: RevalidateDeps, alert: AlertRecord, c: Candidate): Promise<AlertRecord> {
  const detail = {
    repository: alert.repository,
    digest: alert.digest,
    advisoryIds: [alert.advisoryId, ...alert.aliases],
    ...(alert.severity !== undefined && { severity: alert.severity }),
    ...(alert.summary !== undefined && { summary: alert.summary }),
    matches: alert.matches,
    live: { targetRepository: c.live.targetRepository, tag: c.live.tag, from: c.live.since, to: null },
    trigger: alert.trigger,
    source: alert.source,
    raisedAt: alert.raisedAt,
    triage: triageInAlert(c.triage),
  };
  const sized = fitted(detail, c.triage);
  await deps.outcomes.emit('Release Newly Affected', sized);
  await deps.notifier.publish(
    `Newly affected: ${alert.repository}@${alert.digest.slice(0, 19)} by ${alert.advisoryId}`,
    sized,
    'Release Newly Affected',
  );
  return deps.store.markAlertAnnounced(
    alert.repository,
    alert.digest,
    alert.advisoryId,
    deps.clock.now().toISOString(),
  );
}

/**
 * Re-validates the releases live now against what `trigger` brought, and raises one alert per
 * newly affected (release, advisory). Store, notifier and emitter errors pass through (the caller
 * retries; what was announced stays announced, what was not is announced by the retry).
 */
export async function revalidate(deps: RevalidateDeps, trigger: RevalidationTrigger): Promise<RevalidationSummary> {
  let checked: number;
  let candidates: Candidate[];
  const unqueried: (UnqueriedPackage & { advisoryId: string })[] = [];
  const kind = trigger.kind;
  if (trigger.kind === 'inspector') {
    ({ checked, candidates } = await inspectorCandidates(deps, trigger));
  } else {
    const live = await liveReleases(deps.store);
    const byKey = new Map(live.map((l) => [releaseKey(l.repository, l.digest), l]));
    let advisories: readonly OsvRecord[];
    if (trigger.kind === 'advisories') advisories = trigger.advisories;
    else if (deps.advisories === undefined) throw new ConfigError('a scheduled re-validation needs an advisory source');
    else advisories = await deps.advisories();
    checked = live.length;
    candidates =
      byKey.size === 0
        ? []
        : await advisoryCandidates(
            deps.store,
            byKey,
            advisories,
            trigger.kind === 'advisories' ? trigger.source : 'scheduled',
            unqueried,
          );
  }

  const newlyAffected: AffectedRelease[] = [];
  const alreadyKnown: AffectedRelease[] = [];
  const alertsOf = new Map<string, Promise<AlertRecord[]>>();
  for (const c of candidates) {
    const key = releaseKey(c.live.repository, c.live.digest);
    const listed = alertsOf.get(key) ?? deps.store.listAlerts(c.live.repository, c.live.digest);
    alertsOf.set(key, listed);
    const base = {
      repository: c.live.repository,
      digest: c.live.digest,
      advisoryId: c.advisoryId,
      aliases: c.aliases,
      matches: c.matches,
      live: c.live,
    };
    const ids = new Set(idsOf(c.advisoryId, c.aliases));
    // The same vulnerability under another id (a GHSA and its CVE, an Inspector finding) is one alert.
    const earlier = (await listed).find((a) => idsOf(a.advisoryId, a.aliases).some((id) => ids.has(id)));
    if (earlier === undefined && (await reportedWhenGated(deps.store, c))) {
      alreadyKnown.push({ ...base, known: 'reported-when-gated' });
      continue;
    }
    const { record, created } =
      earlier === undefined
        ? await deps.store.recordAlert({
            repository: c.live.repository,
            digest: c.live.digest,
            advisoryId: c.advisoryId,
            aliases: [...new Set(c.aliases)].slice(0, 100),
            raisedAt: deps.clock.now().toISOString(),
            trigger: kind,
            source: c.source.slice(0, 1000),
            ...(c.severity !== undefined && { severity: c.severity.slice(0, 40) }),
            ...(c.summary !== undefined && { summary: c.summary }),
            matches: [...c.matches],
          })
        : { record: earlier, created: false };
    if (created || unannouncedSince(record, deps.clock.now())) {
      // New, or recorded by a run that stopped before announcing it.
      const announced = await announce(deps, record, c);
      if (created) newlyAffected.push({ ...base, alert: announced });
      else alreadyKnown.push({ ...base, alert: announced, known: 'alerted' });
      alertsOf.delete(key); // listed again by the release's next candidate
      continue;
    }
    alreadyKnown.push({ ...base, alert: record, known: 'alerted' });
  }
  return { checked, newlyAffected, alreadyKnown, ...(unqueried.length > 0 && { unqueried }) };
}
