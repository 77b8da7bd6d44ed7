/**
 * What on-call sees of a handler run: the EMF lines (Powertools Metrics) and the log lines
 * (Powertools Logger) the real handlers write to stdout, read back as CloudWatch would parse them.
 * The test suite silences metrics (POWERTOOLS_METRICS_DISABLED in vitest.config.ts); these tests
 * turn them on and capture stdout.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { GATE_METRICS_NAMESPACE, GateMetric } from '../../lambdas/adapters/observe/metric-names.js';
import { MemoryAdvisoryIndex } from '../../lambdas/adapters/store/memory-advisory-index.js';
import { SCHEDULED_REVALIDATION_INPUT } from '../../lambdas/domain/incident/revalidate-events.js';
import { OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { makeHandler as opsApi } from '../../lambdas/handlers/cli-ops.js';
import { makeHandler as collectEvidence } from '../../lambdas/handlers/collect-evidence.js';
import { makeHandler as evaluatePolicy } from '../../lambdas/handlers/evaluate-policy.js';
import { logger } from '../../lambdas/handlers/logger.js';
import { OPS_ROUTES, opsRouteKey } from '../../lambdas/handlers/ops-routes.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { makeHandler as revalidate } from '../../lambdas/handlers/revalidate.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { httpApiEvent, iamAuthorizer } from '../support/api-events.js';
import { promoteInOrder, recordEvaluatedRelease } from '../support/handler-world.js';
import { pushImage } from '../support/images.js';
import { indexRelease } from '../support/index-release.js';
import { HANDLER_POLICY, type HandlerWorld, handlerWorld, STAGE, WORLD_NOW } from '../support/world.js';

const REPOSITORY = 'team/app';
const DIGEST: Digest = `sha256:${'c0'.repeat(32)}`;
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:release-gate:team-app-c0c0c0c0c0c0-1';

/** One EMF document (the CloudWatch embedded metric format specification). */
const EmfSchema = z.looseObject({
  _aws: z.object({
    Timestamp: z.number(),
    CloudWatchMetrics: z.array(
      z.object({
        Namespace: z.string(),
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.object({ Name: z.string(), Unit: z.string() })),
      }),
    ),
  }),
});
const LogLineSchema = z.looseObject({ message: z.string(), level: z.string() });

interface Point {
  readonly name: string;
  readonly unit: string;
  readonly value: unknown;
  readonly dimensions: Record<string, unknown>;
  readonly dimensionSets: string[][];
}

/** stdout of the handlers, line by line, as the Lambda runtime hands it to CloudWatch Logs. */
function captureStdout() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  const json = () => lines.map((l) => JSON.parse(l) as unknown);
  return {
    spy,
    /** The data points of the EMF lines, each with its dimension values. */
    points: (): Point[] =>
      json().flatMap((doc) => {
        const emf = EmfSchema.safeParse(doc);
        if (!emf.success) return [];
        const record: Record<string, unknown> = emf.data;
        return emf.data._aws.CloudWatchMetrics.flatMap((directive) => {
          expect(directive.Namespace).toBe(GATE_METRICS_NAMESPACE);
          const keys = [...new Set(directive.Dimensions.flat())];
          return directive.Metrics.map((m) => ({
            name: m.Name,
            unit: m.Unit,
            value: record[m.Name],
            dimensions: Object.fromEntries(keys.map((k) => [k, record[k]])),
            dimensionSets: directive.Dimensions,
          }));
        });
      }),
    logs: () => json().flatMap((doc) => (EmfSchema.safeParse(doc).success ? [] : [LogLineSchema.parse(doc)])),
  };
}

describe('Handlers: metrics and log keys on stdout', () => {
  let w: HandlerWorld;
  let stdout: ReturnType<typeof captureStdout>;

  beforeEach(async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    w = handlerWorld();
    await recordEvaluatedRelease(w, REPOSITORY, DIGEST);
    stdout = captureStdout();
  });

  afterEach(() => {
    stdout.spy.mockRestore();
    vi.unstubAllEnvs();
    logger.setLogLevel('WARN');
  });

  const ref = { repository: REPOSITORY, digest: DIGEST, stage: STAGE, executionArn: EXECUTION_ARN };

  describe('when EvaluatePolicy blocks a release without evidence', () => {
    it('counts the decision by outcome and by repository, and each failing evidence kind', async () => {
      // Act
      const result = await evaluatePolicy(w.getDeps)(ref);

      // Assess
      expect(result.decision).toBe('BLOCK');
      const blocking = result.reasons.map((r) => r.split(':')[0]);
      expect(blocking.length).toBeGreaterThan(0);
      const points = stdout.points();
      expect(points.filter((p) => p.name === GateMetric.decisions)).toEqual([
        {
          name: 'Decisions',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'release-gate', outcome: 'BLOCK', repository: REPOSITORY },
          dimensionSets: [
            ['service', 'outcome'],
            ['service', 'repository'],
          ],
        },
      ]);
      const failing = points.filter((p) => p.name === GateMetric.failingEvidence);
      expect(failing.map((p) => p.dimensions.kind).sort()).toEqual([...blocking].sort());
      expect(failing.every((p) => p.value === 1 && p.dimensionSets.length === 1)).toBe(true);
    });
  });

  describe('when WaitForScan timed out before CollectScan ran', () => {
    it('counts a scan timeout and no scan wait', async () => {
      // Act
      await collectEvidence(w.getDeps)({ ...ref, kind: 'scan', scanWait: { Error: 'States.Timeout', Cause: '' } });

      // Assess
      const names = stdout.points().map((p) => p.name);
      expect(names).toContain(GateMetric.scanTimeouts);
      expect(names).not.toContain(GateMetric.scanWait);
    });
  });

  describe('when the scan came two minutes after RecordRelease', () => {
    it('records a scan wait of 120 seconds', async () => {
      // Prepare
      w.clock.advance(120);

      // Act
      await collectEvidence(w.getDeps)({ ...ref, kind: 'scan', scanWait: { output: 'completed' } });

      // Assess
      expect(stdout.points().filter((p) => p.name === GateMetric.scanWait)).toEqual([
        expect.objectContaining({ unit: 'Seconds', value: 120 }),
      ]);
    });
  });

  describe('when an approval is requested and then expires', () => {
    it('gauges the pending approvals, then records the wait, the quarantine and none pending', async () => {
      // Prepare
      const request = {
        ...ref,
        taskToken: 'task-token-1',
        reasons: ['awaiting human approval'],
        policyDigest: HANDLER_POLICY.digest,
        timeoutSeconds: 3600,
      };
      // EvaluatePolicy passed, pending the approval (what sends a release to RequestApproval).
      await w.store.putDecision({
        repository: REPOSITORY,
        digest: DIGEST,
        decision: 'PASS',
        reasons: ['awaiting human approval'],
        policyDigest: HANDLER_POLICY.digest,
        evidence: [],
        decidedAt: WORLD_NOW.toISOString(),
        documentDigest: `sha256:${'0d'.repeat(32)}`,
      });

      // Act
      await requestApproval(w.getDeps)(request);
      const requested = stdout.points();
      w.clock.advance(3600);
      await quarantine(w.getDeps)({ ...ref, failure: { Error: 'States.Timeout', Cause: 'no answer' } });
      const ended = stdout.points().slice(requested.length);

      // Assess
      const values = (points: Point[], name: string) => points.filter((p) => p.name === name).map((p) => p.value);
      expect(values(requested, GateMetric.pendingApprovals)).toEqual([1]);
      expect(values(requested, GateMetric.oldestPendingApproval)).toEqual([0]);
      expect(ended.filter((p) => p.name === GateMetric.approvalWait)).toEqual([
        expect.objectContaining({
          unit: 'Seconds',
          value: 3600,
          dimensions: { service: 'release-gate', state: 'EXPIRED' },
        }),
      ]);
      expect(values(ended, GateMetric.pendingApprovals)).toEqual([0]);
      expect(ended.filter((p) => p.name === GateMetric.outcomes)).toEqual([
        expect.objectContaining({ value: 1, dimensions: { service: 'release-gate', outcome: 'QUARANTINED' } }),
      ]);
    });
  });

  describe('when Promote copies a release to production, and is retried after it did', () => {
    it('records the promote duration once and the PROMOTED outcome each time it is announced', async () => {
      // Prepare: a release gated for staging (no approval), evaluated PASS.
      const image = await pushImage(w.deps.gate.registry, 'team/web', 'v1');
      await recordEvaluatedRelease(w, 'team/web', image.digest, 'staging');
      await w.store.putDecision({
        repository: 'team/web',
        digest: image.digest,
        decision: 'PASS',
        reasons: ['all required evidence passed'],
        policyDigest: HANDLER_POLICY.digest,
        evidence: [],
        decidedAt: WORLD_NOW.toISOString(),
        documentDigest: `sha256:${'0e'.repeat(32)}`,
      });
      const step = { repository: 'team/web', digest: image.digest, stage: 'staging', executionArn: EXECUTION_ARN };

      // Act
      const first = await promote(w.getDeps)(step);
      const retried = await promote(w.getDeps)(step);

      // Assess
      expect([first.alreadyPromoted, retried.alreadyPromoted]).toEqual([false, true]);
      const points = stdout.points();
      const durations = points.filter((p) => p.name === GateMetric.promoteDuration);
      expect(durations).toEqual([expect.objectContaining({ unit: 'Milliseconds', value: expect.any(Number) })]);
      expect(points.filter((p) => p.name === GateMetric.outcomes).map((p) => p.dimensions.outcome)).toEqual([
        'PROMOTED',
        'PROMOTED',
      ]);
    });
  });

  describe('when the daily re-validation finds the live release newly affected', () => {
    it('counts the newly affected release by repository and gauges the pending approvals', async () => {
      // Prepare: team/app is live with lodash 4.17.20; an OSV record says below 4.17.21 is affected.
      await promoteInOrder(w, REPOSITORY, [DIGEST]);
      await indexRelease(w.store, REPOSITORY, DIGEST, ['pkg:npm/lodash@4.17.20']);
      const lodash = OsvRecordSchema.parse({
        id: 'GHSA-35jh-r3h4-6jhm',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'lodash' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
          },
        ],
      });
      const advisories = async () => ({
        bucket: 'evidence',
        isAdvisoryKey: () => true,
        getVersion: async () => ({ record: lodash, etag: 'e1' }),
        all: async () => [lodash],
        reconcile: async () => ({ indexed: 0, invalid: [], remaining: 0 }),
      });

      // Act
      const out = await revalidate(
        w.getDeps,
        advisories,
        async () => new MemoryAdvisoryIndex(),
      )(SCHEDULED_REVALIDATION_INPUT);

      // Assess
      expect(out).toMatchObject({ outcome: 'revalidated', newlyAffected: [{ repository: REPOSITORY }] });
      const points = stdout.points();
      expect(points.filter((p) => p.name === GateMetric.newlyAffected)).toEqual([
        expect.objectContaining({ value: 1, dimensions: { service: 'release-gate', repository: REPOSITORY } }),
      ]);
      expect(points.filter((p) => p.name === GateMetric.pendingApprovals).map((p) => p.value)).toEqual([0]);
    });
  });

  describe('when the ops API answers one request and refuses another', () => {
    it('counts each by route and outcome', async () => {
      // Prepare
      const ops = opsApi(async () => ({
        gate: (await w.getDeps()).gate,
        starter: {
          start: async () => {
            throw new Error('no round is started by status');
          },
        },
        documentUri: (document) => `s3://evidence/${document}`,
      }));
      const status = (query: string) =>
        httpApiEvent(opsRouteKey('status'), OPS_ROUTES.status.path, {
          rawQueryString: query,
          authorizer: iamAuthorizer('arn:aws:iam::111122223333:user/oncall'),
        });

      // Act
      const answered = await ops(status(`digest=${DIGEST}`));
      const refused = await ops(status(`digest=sha256:${'0'.repeat(12)}`));

      // Assess
      expect([answered, refused].map((r) => (typeof r === 'string' ? 0 : r.statusCode))).toEqual([200, 404]);
      expect(stdout.points().filter((p) => p.name === GateMetric.opsRequests)).toEqual([
        expect.objectContaining({
          value: 1,
          dimensions: { route: 'status', outcome: 'answered', service: 'release-gate' },
        }),
        expect.objectContaining({
          value: 1,
          dimensions: { route: 'status', outcome: 'refused', service: 'release-gate' },
        }),
      ]);
    });
  });

  describe('when a handler throws', () => {
    it('counts a gate error and rethrows', async () => {
      // Act
      const act = evaluatePolicy(w.getDeps)({ repository: REPOSITORY });

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'InvalidInputError' });
      expect(stdout.points().filter((p) => p.name === GateMetric.gateErrors)).toEqual([
        expect.objectContaining({ value: 1, dimensions: { service: 'release-gate' } }),
      ]);
    });
  });

  describe('when two invocations run one after the other in one process', () => {
    it('puts repository, digest and executionArn on every line of each, and none of the first on the second', async () => {
      // Prepare
      logger.setLogLevel('INFO');
      const scanEvent = {
        version: '0',
        id: 'e-1',
        'detail-type': 'ECR Image Scan',
        source: 'aws.ecr',
        account: '123456789012',
        time: '2026-11-25T10:02:00Z',
        region: 'eu-west-1',
        resources: [],
        detail: {
          'scan-status': 'COMPLETE',
          'repository-name': 'other/app',
          'image-digest': `sha256:${'d1'.repeat(32)}`,
          'finding-severity-counts': {},
        },
      };

      // Act
      await collectEvidence(w.getDeps)({ ...ref, kind: 'sbom' });
      const first = stdout.logs();
      await scanComplete(w.getDeps)(scanEvent);
      const second = stdout.logs().slice(first.length);

      // Assess
      expect(first.length).toBeGreaterThan(0);
      for (const line of first) {
        expect(line).toMatchObject({ repository: REPOSITORY, digest: DIGEST, executionArn: EXECUTION_ARN });
      }
      expect(second.length).toBeGreaterThan(0);
      for (const line of second) {
        expect(line).toMatchObject({ repository: 'other/app', digest: scanEvent.detail['image-digest'] });
        expect(line).not.toHaveProperty('executionArn');
      }
    });
  });
});
