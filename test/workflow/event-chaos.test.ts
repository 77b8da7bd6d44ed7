import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { demoPolicy } from '../../cli/fixtures/scenarios.js';
import { LOCAL_PUSHER, LocalGate, putImageRecord } from '../../cli/local/gate.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { GateError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { digestToTag } from '../../lambdas/domain/oci.js';
import { copyImage } from '../../lambdas/domain/promotion/copy.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { collectContext } from '../../lambdas/domain/workflow/collect-evidence.js';
import { isAttachmentTag } from '../../lambdas/domain/workflow/events.js';
import { executionNameFor } from '../../lambdas/domain/workflow/inputs.js';
import { makeHandler as recordPusher } from '../../lambdas/handlers/record-pusher.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { makeHandler as startRelease } from '../../lambdas/handlers/start-release.js';
import { pushImage } from '../support/images.js';
import { buildGoodRelease, type LocalWorld, lastState, policyOf, postApproval } from '../support/world.js';

/**
 * Event chaos (issue 10): seeded random runs of what EventBridge may deliver, through the real
 * start-release and scan-complete handlers into the ASL on aws-local-stepfunctions, on dynalite,
 * s3rver and an OCI layout. A failing run names its seed and index: `CHAOS_SEED=<seed>` replays
 * the same runs.
 */
const SEED = Number(process.env.CHAOS_SEED ?? 20261206);
const RUNS = Number(process.env.CHAOS_RUNS ?? 200);
/** Runs in flight at once: their waits on dynalite, s3rver and the approval server overlap. */
const SIDE_BY_SIDE = 4;
const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));

const MALFORMED = [
  'push: digest not sha256',
  'push: no repository',
  'push: repository name ECR would never send',
  'push: wrong detail-type',
  'push: not an object',
  'push: over the event size limit',
  'scan: digest not sha256',
  'scan: negative finding count',
  'scan: unknown source',
] as const;
type Malformed = (typeof MALFORMED)[number];

const ImagePlan = fc.record({
  /**
   * `signed`: every piece of evidence, under the demo policy (promotable); `unsigned`: a one-layer
   * image under the demo policy (quarantined); `lite`: that image under a rule that requires only
   * the approval (promotable, and cheap: most runs can take the promotion path).
   */
  kind: fc.oneof(
    { arbitrary: fc.constant('signed' as const), weight: 1 },
    { arbitrary: fc.constant('lite' as const), weight: 3 },
    { arbitrary: fc.constant('unsigned' as const), weight: 2 },
  ),
  approve: fc.boolean(),
  /** The tags it is pushed under; none is a push by digest. */
  tags: fc.constantFrom([], ['1.0.0'], ['1.0.0', 'latest']),
  /** The same digest also pushed into a second repository, gated or not. */
  second: fc.oneof(
    { arbitrary: fc.constant('none' as const), weight: 2 },
    { arbitrary: fc.constant('gated' as const), weight: 1 },
    { arbitrary: fc.constant('ungated' as const), weight: 1 },
  ),
  /** Each push event delivered once or three times. */
  pushCopies: fc.constantFrom(1, 3),
  /** The scan-complete event before any push event of the image (else anywhere among them). */
  scanFirst: fc.boolean(),
  scanCopies: fc.integer({ min: 1, max: 3 }),
  /** Scan events after the release was decided (Inspector rescans, redeliveries). */
  lateScans: fc.integer({ min: 0, max: 2 }),
});
const RunPlan = fc.record({
  images: fc.oneof(
    { arbitrary: fc.tuple(ImagePlan), weight: 4 },
    { arbitrary: fc.tuple(ImagePlan, ImagePlan), weight: 1 },
  ),
  malformed: fc.array(fc.constantFrom(...MALFORMED), { maxLength: 2 }),
  /** Deliver the events all at once rather than one after another. */
  atOnce: fc.boolean(),
  order: fc.array(fc.integer(), { minLength: 64, maxLength: 64 }),
});
type RunPlan = typeof RunPlan extends fc.Arbitrary<infer T> ? T : never;

interface Counts {
  gatedPairs: number;
  ungatedPairs: number;
  events: number;
  malformed: number;
  lateScans: number;
  promoted: number;
}

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** What a gated (repository, digest) must end as. */
interface GatedPair {
  readonly repository: string;
  readonly digest: Digest;
  readonly end: 'Promoted' | 'Quarantined';
  /** The production tags a promotion must set, each once. */
  readonly tags: readonly string[];
}

describe('Workflow: event chaos (issue 10)', () => {
  let dir: string;
  let w: LocalWorld;
  /** Every tag write into a repository, as `<repository>:<tag>`, in order. */
  const tagWrites: string[] = [];
  /** Approval answers by release (`<repository>@<digest>`). */
  const answers = new Map<string, 'approve' | 'reject'>();
  /** Approval answers the approval server did not take. */
  const unanswered: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-chaos-'));
    const keys = await generateFixtureKeys();
    const registry = new OciLayoutRegistry({ root: join(dir, 'registry') });
    // The gate writes through a recorder, so that a production tag set twice is seen.
    const recorded = new Proxy(registry, {
      get: (obj, prop, receiver) => {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (prop !== 'putManifest' || typeof value !== 'function') {
          return typeof value === 'function' ? value.bind(obj) : value;
        }
        return async (repository: string, bytes: Uint8Array, mediaType: string, tag?: string) => {
          const digest = await registry.putManifest(repository, bytes, mediaType, tag);
          if (tag !== undefined) tagWrites.push(`${repository}:${tag}`);
          return digest;
        };
      },
    });
    // An approval that never arrives quarantines in two minutes, not a day: a run fails, not hangs.
    const approval = { approvers: [], timeoutSeconds: 120 };
    const demo = demoPolicy(keys);
    const lite = { repositories: ['lite/**'], stages: { production: { require: ['approval'] } }, approval };
    const gate = await LocalGate.start({
      policy: policyOf({ rules: [...demo.rules.map((r) => ({ ...r, approval })), lite] }),
      advisories: await loadAdvisories(ADVISORIES),
      registry: recorded,
      scanTimeoutSeconds: 60,
    });
    w = { dir, keys, registry, gate, deps: gate.deps, getDeps: async () => gate.deps };
    gate.onOutcome((e) => {
      if (e.type !== 'Approval Requested') return;
      const decision = answers.get(`${String(e.detail.repository)}@${String(e.detail.digest)}`) ?? 'reject';
      void postApproval(String(e.detail.url), { decision, by: 'alice@example.com' }).then(
        async (res) => {
          if (res.status !== 200) unanswered.push(`${e.detail.url}: ${res.status} ${await res.text()}`);
        },
        (err: unknown) => unanswered.push(`${e.detail.url}: ${String(err)}`),
      );
    });
  });
  afterAll(async () => {
    await w?.gate.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps one decision per gated (repository, digest) and promotes nothing twice over ${RUNS} seeded runs`, async () => {
    // Prepare
    const plans = fc.sample(RunPlan, { seed: SEED, numRuns: RUNS });
    const failures: string[] = [];
    const counts: Counts = { gatedPairs: 0, ungatedPairs: 0, events: 0, malformed: 0, lateScans: 0, promoted: 0 };
    const started = performance.now();

    // Act
    let next = 0;
    await Promise.all(
      Array.from({ length: SIDE_BY_SIDE }, async () => {
        while (next < plans.length) {
          const index = next++;
          try {
            const problems = await chaosRun(index, plans[index] as RunPlan, counts);
            for (const p of problems) failures.push(`run ${index} (CHAOS_SEED=${SEED}): ${p}`);
          } catch (err) {
            failures.push(`run ${index} (CHAOS_SEED=${SEED}) threw: ${err instanceof Error ? err.stack : err}`);
          }
        }
      }),
    );
    process.stdout.write(
      `event chaos: ${RUNS} runs (seed ${SEED}) in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(counts)}\n`,
    );

    // Assess: every run kept the invariants, and nothing else was started or recorded.
    expect(failures).toEqual([]);
    expect(unanswered).toEqual([]);
    expect(w.gate.sfn.executions.size).toBe(counts.gatedPairs);
    expect(await w.deps.gate.store.listReleases(10_000)).toHaveLength(counts.gatedPairs);
  }, 600_000);

  /** One run: build its images, deliver its events in its order, then check each pair. */
  async function chaosRun(run: number, plan: RunPlan, counts: Counts): Promise<string[]> {
    const problems: string[] = [];
    const gated: GatedPair[] = [];
    const ungated: { repository: string; digest: Digest }[] = [];
    const first: (() => Promise<void>)[] = [];
    const shuffled: (() => Promise<void>)[] = [];
    const late: (() => Promise<void>)[] = [];
    const start = startRelease(w.getDeps);
    const scan = scanComplete(w.getDeps);

    for (const [i, image] of plan.images.entries()) {
      const home = image.kind === 'lite' ? 'lite' : 'demo';
      const repository = `${home}/chaos-${run}-${i}`;
      const digest = await buildImage(repository, image.kind, image.tags);
      const repositories = [repository];
      if (image.second !== 'none') {
        const other = image.second === 'gated' ? `${repository}-b` : `scratch/chaos-${run}-${i}`;
        await copyImage({
          source: w.registry,
          target: w.registry,
          sourceRepository: repository,
          targetRepository: other,
          digest,
          includeReferrers: false,
          cosignTags: false,
        });
        for (const tag of image.tags) await tagImage(other, digest, tag);
        repositories.push(other);
      }
      for (const [r, repo] of repositories.entries()) {
        const isGated = repo !== `scratch/chaos-${run}-${i}`;
        // Only the first repository holds the signatures and attestations: a signed image's copy
        // is quarantined.
        const passes = image.kind === 'lite' || (image.kind === 'signed' && r === 0);
        const end = passes && image.approve ? 'Promoted' : 'Quarantined';
        if (isGated) {
          answers.set(`${repo}@${digest}`, image.approve ? 'approve' : 'reject');
          gated.push({
            repository: repo,
            digest,
            end,
            tags: image.tags.length > 0 ? image.tags : [`release-${digestToTag(digest)}`],
          });
        } else ungated.push({ repository: repo, digest });
        // CloudTrail's record of who pushed comes first: separation of duties then needs no extra approver.
        first.push(async () => {
          await recordPusher(w.getDeps)(putImageRecord(repo, image.tags[0] ?? digest, digest, LOCAL_PUSHER));
        });
        for (const tag of image.tags.length > 0 ? image.tags : [undefined]) {
          const event = pushEvent(repo, digest, tag);
          for (let c = 0; c < image.pushCopies; c++)
            shuffled.push(() => expectStarted(start, event, isGated, problems));
        }
        const scanEvent = await scanEventFor(repo, digest, isGated);
        for (let c = 0; c < image.scanCopies; c++) {
          (image.scanFirst ? first : shuffled).push(() => expectScanHandled(scan, scanEvent, problems));
        }
        for (let c = 0; c < image.lateScans; c++) {
          const rescan = {
            ...scanEvent,
            id: `rescan-${c}`,
            time: new Date(Date.now() + 60_000 * (c + 1)).toISOString(),
          };
          late.push(async () => {
            const out = await scan(rescan);
            const want = isGated ? 'already-answered' : 'ungated';
            if (out.outcome !== want) problems.push(`late scan of ${repo}: ${out.outcome}, not ${want}`);
          });
        }
      }
    }
    for (const m of plan.malformed) shuffled.push(() => expectRejected(m, start, scan, run, problems));

    // Deliver: the scans that come first, then everything else in the run's order, then late scans.
    const ordered = shuffled
      .map((deliver, k) => ({ deliver, key: plan.order[k % plan.order.length] ?? 0, k }))
      .sort((a, b) => a.key - b.key || a.k - b.k)
      .map((d) => d.deliver);
    for (const deliver of first) await deliver();
    if (plan.atOnce) await Promise.all(ordered.map((deliver) => deliver()));
    else for (const deliver of ordered) await deliver();
    for (const pair of gated) {
      const exec = w.gate.sfn.executions.get(executionNameFor(pair.repository, pair.digest, sha256Hex));
      if (exec === undefined) problems.push(`no execution for ${pair.repository}@${pair.digest}`);
      else await exec.done;
    }
    for (const deliver of late) await deliver();

    for (const pair of gated) problems.push(...(await checkGated(pair)));
    for (const pair of ungated) problems.push(...(await checkUngated(pair)));
    counts.gatedPairs += gated.length;
    counts.ungatedPairs += ungated.length;
    counts.events += first.length + shuffled.length + late.length;
    counts.malformed += plan.malformed.length;
    counts.lateScans += late.length;
    counts.promoted += gated.filter((p) => p.end === 'Promoted').length;
    return problems;
  }

  async function buildImage(repository: string, kind: RunPlan['images'][0]['kind'], tags: readonly string[]) {
    const digest =
      kind === 'signed'
        ? (await buildGoodRelease(w, repository, tags[0] ?? 'built')).digest
        : (await pushImage(w.registry, repository, tags[0], repository)).digest;
    for (const tag of tags.slice(1)) await tagImage(repository, digest, tag);
    return digest;
  }

  async function tagImage(repository: string, digest: Digest, tag: string): Promise<void> {
    const m = await w.registry.getManifest(repository, digest);
    await w.registry.putManifest(repository, m.bytes, m.mediaType, tag);
  }

  /** The scan event ECR sends: from the local scanner for a gated repository, a copy for another. */
  async function scanEventFor(repository: string, digest: Digest, isGated: boolean) {
    if (isGated) {
      // A single-platform image: one scan event, as ECR sends for one image manifest.
      const [event, ...more] = await w.gate.scanner.scan(collectContext(w.deps.gate, { repository, digest }));
      if (event === undefined || more.length > 0) throw new Error(`expected one scan event for ${digest}`);
      return event;
    }
    return {
      version: '0',
      source: 'aws.ecr',
      'detail-type': 'ECR Image Scan',
      detail: { 'scan-status': 'COMPLETE', 'repository-name': repository, 'image-digest': digest },
    };
  }

  async function expectStarted(
    start: ReturnType<typeof startRelease>,
    event: unknown,
    isGated: boolean,
    problems: string[],
  ): Promise<void> {
    const out = await start(event);
    if (out.started !== isGated) problems.push(`push ${JSON.stringify(event).slice(0, 200)}: started ${out.started}`);
  }

  async function expectScanHandled(
    scan: ReturnType<typeof scanComplete>,
    event: Record<string, unknown>,
    problems: string[],
  ): Promise<void> {
    const out = await scan(event);
    if (!['resumed', 'recorded', 'already-answered', 'ungated'].includes(out.outcome)) {
      problems.push(`scan event: outcome ${out.outcome}`);
    }
  }

  /** A malformed event is refused with a clear error naming what is wrong, and records nothing. */
  async function expectRejected(
    m: Malformed,
    start: ReturnType<typeof startRelease>,
    scan: ReturnType<typeof scanComplete>,
    run: number,
    problems: string[],
  ): Promise<void> {
    const repository = `demo/chaos-${run}-malformed`;
    const digest: Digest = `sha256:${sha256Hex(`${run}:${m}`)}`;
    const { event, handler, says } = malformedEvent(m, repository, digest, start, scan);
    const before = w.gate.sfn.executions.size;
    let outcome: unknown;
    try {
      outcome = await handler(event);
    } catch (err) {
      outcome = err;
    }
    const message =
      outcome instanceof GateError
        ? outcome.message
        : outcome !== null && typeof outcome === 'object' && 'started' in outcome && outcome.started === false
          ? String((outcome as { reason?: unknown }).reason)
          : undefined;
    if (message === undefined || !says.test(message)) {
      problems.push(`${m}: not refused with a clear error (${says}): ${String(message ?? JSON.stringify(outcome))}`);
    }
    if ((await w.deps.gate.store.listPushedTags(repository, digest)).length > 0)
      problems.push(`${m}: a tag was recorded`);
    if ((await w.deps.gate.store.getRelease(repository, digest)) !== null)
      problems.push(`${m}: a release was recorded`);
    if (w.gate.sfn.executions.has(executionNameFor(repository, digest, sha256Hex))) {
      problems.push(`${m}: an execution was started (${before} before)`);
    }
  }

  function malformedEvent(
    m: Malformed,
    repository: string,
    digest: Digest,
    start: ReturnType<typeof startRelease>,
    scan: ReturnType<typeof scanComplete>,
  ): { event: unknown; handler: (e: unknown) => Promise<unknown>; says: RegExp } {
    const push = pushEvent(repository, digest, '1.0.0');
    const scanned = {
      version: '0',
      source: 'aws.ecr',
      'detail-type': 'ECR Image Scan',
      detail: { 'scan-status': 'COMPLETE', 'repository-name': repository, 'image-digest': digest },
    };
    switch (m) {
      case 'push: digest not sha256':
        return {
          event: { ...push, detail: { ...push.detail, 'image-digest': 'md5:abc' } },
          handler: start,
          says: /image-digest/,
        };
      case 'push: no repository': {
        const { 'repository-name': _gone, ...detail } = push.detail;
        return { event: { ...push, detail }, handler: start, says: /repository-name/ };
      }
      case 'push: repository name ECR would never send':
        return {
          event: { ...push, detail: { ...push.detail, 'repository-name': `${repository}/../UPPER` } },
          handler: start,
          says: /repository name .* is not valid/,
        };
      case 'push: wrong detail-type':
        return { event: { ...push, 'detail-type': 'ECR Image Push' }, handler: start, says: /detail-type/ };
      case 'push: not an object':
        return { event: JSON.stringify(push), handler: start, says: /ECR Image Action event is invalid/ };
      case 'push: over the event size limit':
        return {
          event: { ...push, resources: ['x'.repeat(Limits.eventBytes)] },
          handler: start,
          says: /above the limit/,
        };
      case 'scan: digest not sha256':
        return {
          event: { ...scanned, detail: { ...scanned.detail, 'image-digest': 'sha256:xyz' } },
          handler: scan,
          says: /image-digest/,
        };
      case 'scan: negative finding count':
        return {
          event: { ...scanned, detail: { ...scanned.detail, 'finding-severity-counts': { CRITICAL: -1 } } },
          handler: scan,
          says: /finding-severity-counts/,
        };
      case 'scan: unknown source':
        return { event: { ...scanned, source: 'evil.scanner' }, handler: scan, says: /source/ };
    }
  }

  /** Exactly one execution, decision and outcome; a promotion's tags set once each. */
  async function checkGated(pair: GatedPair): Promise<string[]> {
    const problems: string[] = [];
    const { repository, digest } = pair;
    const at = `${repository}@${digest.slice(0, 19)}`;
    const exec = w.gate.sfn.executions.get(executionNameFor(repository, digest, sha256Hex));
    if (exec?.status !== 'SUCCEEDED' || lastState(exec) !== pair.end) {
      problems.push(
        `${at}: execution ${exec?.status} in ${exec === undefined ? '-' : lastState(exec)}, not ${pair.end}`,
      );
    }
    const release = await w.deps.gate.store.getRelease(repository, digest);
    if (release?.state !== (pair.end === 'Promoted' ? 'PROMOTED' : 'QUARANTINED')) {
      problems.push(`${at}: release ${release?.state}`);
    }
    if ((await w.deps.gate.store.getDecision(repository, digest)) === null) problems.push(`${at}: no decision`);
    // The release's own outcome, exactly once; the approval events (Requested, Decided, Expired)
    // are about the approval and have their own test (approval-audit.test.ts).
    const outcomes = w.gate.outcomes.filter(
      (o) => o.type.startsWith('Release ') && o.detail.repository === repository && o.detail.digest === digest,
    );
    const want = pair.end === 'Promoted' ? 'Release Promoted' : 'Release Quarantined';
    if (outcomes.length !== 1 || outcomes[0]?.type !== want) {
      problems.push(`${at}: outcome events ${JSON.stringify(outcomes.map((o) => o.type))}, not one ${want}`);
    }
    const notified = w.gate.notifications.filter(
      (n) => n.message.repository === repository && n.message.digest === digest,
    );
    if (notified.filter((n) => /^(Promoted|Quarantined):/.test(n.subject)).length !== 1) {
      problems.push(`${at}: ${notified.length} notifications`);
    }
    const target = `prod/${repository}`;
    const prodWrites = tagWrites.filter((t) => t.startsWith(`${target}:`));
    if (new Set(prodWrites).size !== prodWrites.length) problems.push(`${at}: a production tag was set twice`);
    // The release's own tags; the cosign `.sig`/`.att` tags travel with it as attachments.
    const released = prodWrites.filter((t) => !isAttachmentTag(t.slice(target.length + 1))).sort();
    const expected = pair.end === 'Promoted' ? pair.tags.map((t) => `${target}:${t}`).sort() : [];
    if (JSON.stringify(released) !== JSON.stringify(expected)) {
      problems.push(`${at}: production tags written ${JSON.stringify(released)}, not ${JSON.stringify(expected)}`);
    }
    for (const tag of pair.end === 'Promoted' ? pair.tags : []) {
      const promoted = await w.registry.getManifest(target, tag).catch(() => undefined);
      if (promoted?.digest !== digest) problems.push(`${at}: ${target}:${tag} is ${promoted?.digest}`);
    }
    const quarantineTag = `${repository}:quarantine-${digestToTag(digest)}`;
    const quarantined = tagWrites.filter((t) => t === quarantineTag).length;
    if (quarantined !== (pair.end === 'Quarantined' ? 1 : 0))
      problems.push(`${at}: quarantine tag written ${quarantined} times`);
    return problems;
  }

  /** Nothing at all for a repository no rule gates. */
  async function checkUngated(pair: { repository: string; digest: Digest }): Promise<string[]> {
    const problems: string[] = [];
    const at = `${pair.repository}@${pair.digest.slice(0, 19)}`;
    if (w.gate.sfn.executions.has(executionNameFor(pair.repository, pair.digest, sha256Hex)))
      problems.push(`${at}: started`);
    if ((await w.deps.gate.store.getRelease(pair.repository, pair.digest)) !== null) problems.push(`${at}: recorded`);
    if ((await w.deps.gate.store.listPushedTags(pair.repository, pair.digest)).length > 0)
      problems.push(`${at}: tags recorded`);
    if ((await w.deps.gate.store.listPushers(pair.repository, pair.digest)).length > 0)
      problems.push(`${at}: a pusher recorded`);
    if (tagWrites.some((t) => t.startsWith(`${pair.repository}:`) || t.startsWith(`prod/${pair.repository}:`))) {
      problems.push(`${at}: a tag was written`);
    }
    if (w.gate.outcomes.some((o) => o.detail.repository === pair.repository))
      problems.push(`${at}: an outcome was emitted`);
    return problems;
  }
});

/** The `ECR Image Action` EventBridge delivers for a push (aws-facts.md §1a). */
function pushEvent(repository: string, digest: Digest, tag: string | undefined) {
  return {
    version: '0',
    id: `push-${repository}-${tag ?? 'digest'}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '000000000000',
    time: '2026-12-06T10:00:00Z',
    region: 'local',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      ...(tag === undefined ? {} : { 'image-tag': tag }),
    },
  };
}
