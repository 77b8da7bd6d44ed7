import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEFAULT_NPM_PACKAGES, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { LOCAL_PUSHER, putImageRecord } from '../../cli/local/gate.js';
import { LocalScanner } from '../../cli/local/scanner.js';
import { SlackReceiver } from '../../cli/local/slack-receiver.js';
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { SlackWebApi } from '../../lambdas/adapters/slack/web-api.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { itemKeys } from '../../lambdas/adapters/store/table-schema.js';
import { GateError } from '../../lambdas/domain/errors.js';
import { COMPONENTS_DOCUMENT } from '../../lambdas/domain/evidence/sbom.js';
import type { OsvRecord } from '../../lambdas/domain/osv/schema.js';
import type { LoadedPolicy } from '../../lambdas/domain/policy/load.js';
import type { ApprovalEmail, ApprovalRecord } from '../../lambdas/domain/ports.js';
import { compareCodePoints } from '../../lambdas/domain/records.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { APPROVAL_RECORD_NAME } from '../../lambdas/domain/workflow/approval-audit.js';
import { collectContext } from '../../lambdas/domain/workflow/collect-evidence.js';
import type { GateDeps } from '../../lambdas/domain/workflow/deps.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import {
  FixedClock,
  MemoryLinkSecrets,
  RecordingMailer,
  RecordingNotifier,
  RecordingOutcomes,
  RecordingStarter,
} from '../support/fakes.js';
import { FaultPlan, type SideEffect, sideEffectLabel } from '../support/faults.js';
import { useStandIns } from '../support/stand-ins.js';
import { driveRelease, LiveTokens } from '../support/workflow-driver.js';
import { APPROVAL_BASE_URL, policyOf, STAGE, WORLD_NOW } from '../support/world.js';

const REPOSITORY = 'demo/crash';
/** The image is pushed under both: Promote writes the second tag after copying the image. */
const TAGS = ['1.4.0', 'latest'] as const;
/** Crash runs in flight at once. */
const SIDE_BY_SIDE = 3;
const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));

/**
 * The ends a release that passed can reach, by the approver's answer (or none); the scan event
 * comes after WaitForScan parked its token, or before it (both sides of the scan rendezvous).
 * `evidenceChange`: a finding lands on the stored scan evidence after the first request, under
 * `onEvidenceChange: reapprove` (the approval is superseded, the policy evaluated again, and the
 * second request approved).
 */
const SCENARIOS = [
  {
    name: 'approved and promoted',
    approval: { decision: 'approve', by: 'alice@example.com' },
    scanFirst: false,
    end: 'Promoted',
    evidenceChange: false,
    approvals: ['APPROVED'],
  },
  {
    name: 'rejected and quarantined, scanned before it waited',
    approval: { decision: 'reject', by: 'bob@example.com' },
    scanFirst: true,
    end: 'Quarantined',
    evidenceChange: false,
    approvals: ['REJECTED'],
  },
  {
    name: 'never answered and quarantined at the timeout',
    approval: 'timeout',
    scanFirst: false,
    end: 'Quarantined',
    evidenceChange: false,
    approvals: ['EXPIRED'],
  },
  {
    name: 'approved, superseded when the evidence changed, approved again and promoted',
    approval: { decision: 'approve', by: 'alice@example.com' },
    scanFirst: false,
    end: 'Promoted',
    evidenceChange: true,
    approvals: ['SUPERSEDED', 'APPROVED'],
  },
] as const;
type Scenario = (typeof SCENARIOS)[number];

describe('Workflow: a crash after each side effect, then a redrive (issue 10, crash and retry)', () => {
  const aws = useStandIns();
  const LINK_KEY = randomBytes(32);
  let dir: string;
  let keys: FixtureKeys;
  let policy: LoadedPolicy;
  let reapprovePolicy: LoadedPolicy;
  let advisories: readonly OsvRecord[];
  let digest: Digest;
  let runs = 0;
  const receivers: SlackReceiver[] = [];
  const SLACK_TOKEN = 'xoxb-crash-0123456789abcdef';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-crash-'));
    keys = await generateFixtureKeys();
    policy = policyOf(demoPolicy(keys));
    const demo = demoPolicy(keys);
    reapprovePolicy = policyOf({
      ...demo,
      rules: demo.rules.map((r) => ({ ...r, approval: { ...r.approval, onEvidenceChange: 'reapprove' as const } })),
    });
    advisories = await loadAdvisories(ADVISORIES);
    // One image, built once; every run gets its own copy of the registry, table and bucket.
    const template = new OciLayoutRegistry({ root: join(dir, 'template') });
    const built = await buildScenarioImage(
      template,
      { repository: REPOSITORY, tag: TAGS[0], npmPackages: DEFAULT_NPM_PACKAGES },
      keys,
    );
    digest = built.digest;
    const image = await template.getManifest(REPOSITORY, digest);
    await template.putManifest(REPOSITORY, image.bytes, image.mediaType, TAGS[1]);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  /** A world of its own (table, bucket, registry) whose side effects go through `plan`. */
  async function freshWorld(plan: FaultPlan, scenario: Scenario) {
    runs += 1;
    const name = `crash-${runs}`;
    const { clients } = aws();
    await ensureTableAndBucket(clients, name, name);
    const root = join(dir, name);
    await cp(join(dir, 'template'), root, { recursive: true });
    const registry = new OciLayoutRegistry({ root });
    const store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: name });
    const documents = new S3DocumentStore({ client: clients.s3, bucket: name });
    const scanner = new LocalScanner(documents, advisories);
    const notifier = new RecordingNotifier();
    const outcomes = new RecordingOutcomes();
    const tokens = new LiveTokens();
    const clock = new FixedClock(WORLD_NOW);
    // One link key for every run, so a mail sent again after a crash is the same mail.
    const mailer = new RecordingMailer();
    const secrets = new MemoryLinkSecrets({ current: LINK_KEY });
    // The demo policy posts to #releases: each run has a local Slack of its own.
    const receiver = await SlackReceiver.start({ dir: join(dir, `${name}-slack`), token: SLACK_TOKEN });
    receivers.push(receiver);
    const slack = new SlackWebApi({ token: { getSlackBotToken: async () => SLACK_TOKEN }, baseUrl: receiver.baseUrl });
    const raw: GateDeps = {
      config: { stage: STAGE, scanTimeoutSeconds: 900, approvalBaseUrl: APPROVAL_BASE_URL },
      policy: scenario.evidenceChange ? reapprovePolicy : policy,
      store,
      documents,
      registry,
      scans: scanner,
      tokens,
      notifier,
      outcomes,
      clock,
      approvalLinks: { secrets, mailer },
      slack,
    };
    const deps: HandlerDeps = {
      gate: {
        ...raw,
        store: plan.wrap('store', store),
        documents: plan.wrap('documents', documents),
        registry: plan.wrap('registry', registry),
        tokens: plan.wrap('tokens', tokens),
        notifier: plan.wrap('notifier', notifier),
        outcomes: plan.wrap('outcomes', outcomes),
        approvalLinks: { secrets, mailer: plan.wrap('mailer', mailer) },
        slack: plan.wrap('slack', slack),
      },
      starter: plan.wrap('starter', new RecordingStarter()),
    };
    // ECR scans the image on push (outside the gate: not a side effect of the workflow).
    const [scanEvent] = await scanner.scan(collectContext(raw, { repository: REPOSITORY, digest }));
    // A late finding on the stored scan evidence, outside the gate (not a side effect of the workflow).
    const lateFinding = async (round: number) => {
      if (!scenario.evidenceChange || round !== 0) return;
      await clients.dynamoDocument.send(
        new UpdateCommand({
          TableName: name,
          Key: itemKeys.evidence(REPOSITORY, digest, 'scan'),
          UpdateExpression: 'SET reasons = list_append(reasons, :finding)',
          ExpressionAttributeValues: { ':finding': ['1 LOW finding: CVE-2026-0002 in left-pad 1.3.0'] },
        }),
      );
    };
    return { raw, deps, tokens, notifier, outcomes, mailer, receiver, scanEvent, lateFinding };
  }

  const pushEvent = (tag: string) => ({
    version: '0',
    id: `push-${tag}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    time: WORLD_NOW.toISOString(),
    region: 'local',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': REPOSITORY,
      'image-digest': digest,
      'action-type': 'PUSH',
      'image-tag': tag,
    },
  });

  /** Runs the release once, crashing after side effect `crashAfter` (none when undefined). */
  async function runOnce(scenario: Scenario, crashAfter?: number) {
    const plan = new FaultPlan(crashAfter);
    const world = await freshWorld(plan, scenario);
    const result = await driveRelease({
      deps: world.deps,
      tokens: world.tokens,
      pushEvents: [pushEvent(TAGS[0]), pushEvent(TAGS[1])],
      pusherEvent: putImageRecord(REPOSITORY, TAGS[0], digest, LOCAL_PUSHER),
      scanEvent: world.scanEvent,
      approval: scenario.approval,
      scanFirst: scenario.scanFirst,
      afterRequest: world.lateFinding,
    });
    const approvals = byRound(await world.raw.store.listApprovals()).map((a) => a.state);
    return { plan, result, state: await finalState(world), approvals };
  }

  describe.each(SCENARIOS)('when the release is $name', (scenario) => {
    let baseline: Awaited<ReturnType<typeof runOnce>>;
    beforeAll(async () => {
      baseline = await runOnce(scenario);
    });

    it('makes every kind of side effect the suite crashes after', () => {
      // Assess: the run without faults reaches its end and touches every port that writes.
      expect(baseline.result).toEqual({ end: scenario.end, redriven: [] });
      expect(baseline.approvals).toEqual(scenario.approvals);
      const ports = new Set(baseline.plan.calls.map((c) => c.port));
      expect([...ports].sort()).toEqual([
        'documents',
        'mailer',
        'notifier',
        'outcomes',
        'registry',
        'slack',
        'starter',
        'store',
        'tokens',
      ]);
    });

    it('ends in the state of the run without faults, whichever side effect it crashes after', async () => {
      // Prepare
      const points = baseline.plan.calls;
      const differences: string[] = [];

      // Act: for i in 1..N, crash after side effect i and redrive the step that crashed. Each run has
      // a world of its own, so a few run side by side (their I/O overlaps).
      const crashAt = async (i: number): Promise<void> => {
        const point = `${i} (${sideEffectLabel(points[i - 1] as SideEffect)})`;
        try {
          const crashed = await runOnce(scenario, i);
          if (crashed.plan.crashed === undefined) differences.push(`${point}: the crash was never reached`);
          else if (crashed.result.end !== scenario.end) differences.push(`${point}: ended ${crashed.result.end}`);
          else {
            const diff = firstDifference(baseline.state, crashed.state);
            if (diff !== undefined) differences.push(`${point}: ${diff}`);
          }
        } catch (err) {
          differences.push(
            `${point}: the redrive failed: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`,
          );
        }
      };
      const started = performance.now();
      let next = 1;
      await Promise.all(
        Array.from({ length: SIDE_BY_SIDE }, async () => {
          while (next <= points.length) await crashAt(next++);
        }),
      );
      process.stdout.write(
        `crash-retry (${scenario.name}): ${points.length} crash points in ${Math.round(performance.now() - started)} ms: ${tally(points)}\n`,
      );

      // Assess
      expect(differences).toEqual([]);
    }, 600_000);
  });

  /**
   * Everything a run leaves behind, normalised only for what is random by design (approval ids,
   * task tokens, and what derives from the approval id: audit record ids, the final approval
   * record's digest). Published events are deduplicated on their idempotency key (type, repository,
   * digest): they are at-least-once, and a duplicate must be the same event.
   */
  async function finalState(world: Awaited<ReturnType<typeof freshWorld>>) {
    const { store, documents, registry } = world.raw;
    const release = await store.getRelease(REPOSITORY, digest);
    const evidence = await store.listEvidence(REPOSITORY, digest);
    const decision = await store.getDecision(REPOSITORY, digest);
    // Every stored document reads back and hashes to its reference (nothing half-written).
    const referenced = [
      ...evidence.flatMap((e) => e.documents.map((d) => d.digest)),
      ...(decision === null ? [] : [decision.documentDigest]),
    ];
    const documentBytes: Record<string, number> = {};
    for (const d of referenced) documentBytes[d] = (await documents.get(d)).byteLength;
    const sbom = evidence.find((e) => e.kind === 'sbom')?.documents.find((d) => d.name === COMPONENTS_DOCUMENT);
    const components: { purl?: string }[] =
      sbom === undefined ? [] : JSON.parse(new TextDecoder().decode(await documents.get(sbom.digest))).components;
    const packageIndex: Record<string, unknown> = {};
    for (const { purl } of components) {
      if (purl !== undefined) packageIndex[purl] = await store.findByPackage(purl);
    }
    const target = `prod/${REPOSITORY}`;
    const registryState: Record<string, unknown> = {};
    for (const repository of [REPOSITORY, target]) {
      const tags = await registry.listTags(repository).catch(() => []);
      const tagged: Record<string, string> = {};
      for (const t of tags) tagged[t] = (await registry.getManifest(repository, t)).digest;
      registryState[repository] = {
        tags: tagged,
        referrers: (await registry.listReferrers(repository, digest).catch(() => [])).map((r) => r.digest).sort(),
        manifest: await registry.getManifest(repository, digest).then(
          (m) => m.digest,
          (err: unknown) => (err instanceof GateError ? err.code : String(err)),
        ),
      };
    }
    const approvals = byRound(await store.listApprovals()).map(({ taskToken: _t, tokenHash: _h, ...a }) => a);
    const state = {
      release,
      evidence,
      decision,
      documentBytes,
      packageIndex,
      pushedTags: await store.listPushedTags(REPOSITORY, digest),
      promotions: await store.listPromotions(REPOSITORY),
      approvals,
      // Written once each, whichever step crashed and was retried.
      // Their ids derive from the random approval id, and order records of the same time (the
      // clock is fixed): compared without them, by time, approval (as numbered below) and kind.
      approvalAudit: (await store.listApprovalAudit(REPOSITORY, digest))
        .map(({ id: _id, ...r }) => r)
        .sort(
          (a, b) =>
            compareCodePoints(a.at, b.at) ||
            approvalNumber(approvals, a.approvalId) - approvalNumber(approvals, b.approvalId) ||
            compareCodePoints(a.kind, b.kind),
        ),
      registry: registryState,
      outcomes: once(world.outcomes.events.map((e) => ({ type: e.type, detail: e.detail }))),
      // A crash injected into chat.update is absorbed by design (the decision stands) and reported
      // on the topic instead; that report is the only trace it leaves.
      notifications: once(world.notifier.messages.filter((m) => !m.subject.startsWith('Slack message not updated'))),
      // A crash between a post and its record posts the same message again: at least once.
      slack: once(
        world.receiver.calls.filter((c) => c.response.ok === true).map((c) => ({ method: c.method, body: c.body })),
      ),
      mails: once(world.mailer.sent.map(withReadableToken)),
    };
    let text = JSON.stringify(state);
    for (const [i, a] of approvals.entries()) text = text.replaceAll(a.approvalId, `<approval ${i}>`);
    // Final approval records: in the evidence, and in the events of approvals superseded since.
    const finalRecords = new Set([
      ...evidence.flatMap((e) => e.documents.filter((d) => d.name === APPROVAL_RECORD_NAME).map((d) => d.digest)),
      ...world.outcomes.events.flatMap((e) =>
        typeof e.detail.approvalRecord === 'string' ? [e.detail.approvalRecord] : [],
      ),
    ]);
    for (const [i, d] of [...finalRecords].entries()) text = text.replaceAll(d, `<approval record ${i}>`);
    // A Slack message's ts is the receiver's clock (seconds.sequence).
    text = text.replace(/\b\d{10}\.\d{6}\b/g, '<slack ts>');
    return JSON.parse(text) as unknown;
  }
});

/** The place of an approval among the listed ones: the number its id is replaced with. */
function approvalNumber(approvals: readonly { approvalId: string }[], approvalId: string): number {
  return approvals.findIndex((a) => a.approvalId === approvalId);
}

/**
 * A mail with its link token shown as its claims: the token signs the random approval id, which
 * the state then names by its index like everywhere else (the signature differs with the id).
 */
function withReadableToken(mail: ApprovalEmail): ApprovalEmail {
  const readable = (text: string) =>
    text.replace(/([?&]t=)([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+/g, (_m, at: string, claims: string) => {
      return `${at}${Buffer.from(claims, 'base64url').toString('utf8')}`;
    });
  return { ...mail, link: readable(mail.link), text: readable(mail.text), html: readable(mail.html) };
}

/** Approvals by round: their ids, which order approvals requested at the same instant, are random. */
function byRound(approvals: readonly ApprovalRecord[]): ApprovalRecord[] {
  return [...approvals].sort((a, b) => (a.round ?? 0) - (b.round ?? 0));
}

/** `store.putEvidence ×9, …`: how many side effects of each kind a run makes. */
function tally(points: readonly SideEffect[]): string {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(sideEffectLabel(p), (counts.get(sideEffectLabel(p)) ?? 0) + 1);
  return [...counts].map(([label, n]) => `${label} ×${n}`).join(', ');
}

/** Deduplicates at-least-once deliveries; a redelivery must be byte-identical to the first. */
function once<T>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(createHash('sha256').update(JSON.stringify(item)).digest('hex'), item);
  return [...seen.values()];
}

/** The first path at which two JSON values differ, with both values, or undefined. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
  }
  return `${path}: expected ${JSON.stringify(a)?.slice(0, 300)}, got ${JSON.stringify(b)?.slice(0, 300)}`;
}
