import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GATE_METRICS_NAMESPACE, GateMetric, type GateMetricName } from '../adapters/observe/metric-names.js';
import { describeError } from '../domain/errors.js';
import type { Clock, OutcomeEmitter, OutcomeEventType, ReleaseStore } from '../domain/ports.js';
import * as z from '../domain/zod.js';
import type { HandlerDeps } from './aws-deps.js';
import { logger } from './logger.js';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? GATE_METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'release-gate',
});

/**
 * One data point, written at once as its own EMF line (`singleMetric`): each metric has its own
 * dimensions, and nothing is left unflushed when an invocation throws. `by` adds a second,
 * independent dimension set (Decisions by outcome, and by repository). A metric that cannot be
 * written is logged, never thrown: the gate's decision does not depend on its graphs.
 * `POWERTOOLS_METRICS_DISABLED=true` (the test suite) silences them.
 */
function emit(
  name: GateMetricName,
  unit: Unit,
  value: number,
  dimensions: Readonly<Record<string, string>> = {},
  by?: Readonly<Record<string, string>>,
): void {
  try {
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    if (by !== undefined) single.addDimensions({ ...by });
    single.addMetric(name, unit, value);
  } catch (err) {
    logger.warn('metric not emitted', { metric: name, error: describeError(err) });
  }
}

const seconds = (from: string, to: Date): number | undefined => {
  const start = Date.parse(from);
  return Number.isNaN(start) ? undefined : Math.max(0, (to.getTime() - start) / 1000);
};

/** What the handlers know and on-call graphs (names in adapters/observe/metric-names.ts). */
export const gateMetrics = {
  /** An EvaluatePolicy decision, and each evidence kind that did not pass in it. */
  decision(repository: string, outcome: string, failingKinds: readonly string[]): void {
    emit(GateMetric.decisions, MetricUnit.Count, 1, { outcome }, { repository });
    for (const kind of new Set(failingKinds)) emit(GateMetric.failingEvidence, MetricUnit.Count, 1, { kind });
  },
  /** The scan's result reached CollectScan `since` RecordRelease; or WaitForScan timed out. */
  scanWaited(since: string, now: Date): void {
    const wait = seconds(since, now);
    if (wait !== undefined) emit(GateMetric.scanWait, MetricUnit.Seconds, wait);
  },
  scanTimedOut(): void {
    emit(GateMetric.scanTimeouts, MetricUnit.Count, 1);
  },
  promoted(durationMs: number): void {
    emit(GateMetric.promoteDuration, MetricUnit.Milliseconds, durationMs);
  },
  gateError(): void {
    emit(GateMetric.gateErrors, MetricUnit.Count, 1);
  },
  /** One ops API request by route, answered, refused (4xx) or failed (5xx). */
  opsRequest(route: string, status: number): void {
    const outcome = status < 400 ? 'answered' : status < 500 ? 'refused' : 'failed';
    emit(GateMetric.opsRequests, MetricUnit.Count, 1, { route, outcome });
  },
  /** How many approvals wait for an answer, and for how long the oldest has. */
  async pendingApprovals(store: ReleaseStore, clock: Clock): Promise<void> {
    try {
      const pending = await store.listApprovals('PENDING');
      const now = clock.now();
      const ages = pending.map((a) => seconds(a.requestedAt, now) ?? 0);
      emit(GateMetric.pendingApprovals, MetricUnit.Count, pending.length);
      emit(GateMetric.oldestPendingApproval, MetricUnit.Seconds, Math.max(0, ...ages));
    } catch (err) {
      logger.warn('pending approvals not counted', { error: describeError(err) });
    }
  },
};

const DetailSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  approvalId: z.optional(z.string().check(z.minLength(1))),
});

/** The metrics an outcome event stands for; best effort (see `emit`). */
async function outcomeMetrics(
  deps: HandlerDeps,
  type: OutcomeEventType,
  detail: Readonly<Record<string, unknown>>,
): Promise<void> {
  const parsed = DetailSchema.safeParse(detail);
  if (!parsed.success) return;
  const { store, clock } = deps.gate;
  switch (type) {
    case 'Release Promoted':
      emit(GateMetric.outcomes, MetricUnit.Count, 1, { outcome: 'PROMOTED' });
      return;
    case 'Release Quarantined':
      emit(GateMetric.outcomes, MetricUnit.Count, 1, { outcome: 'QUARANTINED' });
      return;
    case 'Release Newly Affected':
      emit(GateMetric.newlyAffected, MetricUnit.Count, 1, { repository: parsed.data.repository });
      return;
    case 'Approval Decided':
    case 'Approval Expired': {
      const id = parsed.data.approvalId;
      const approval = id === undefined ? null : await store.getApproval(id).catch(() => null);
      if (approval !== null) {
        // An expired approval waited until its expiry, whenever the expiry was noticed.
        const end =
          approval.state === 'EXPIRED' ? approval.expiresAt : (approval.decidedAt ?? clock.now().toISOString());
        const wait = seconds(approval.requestedAt, new Date(end));
        if (wait !== undefined) emit(GateMetric.approvalWait, MetricUnit.Seconds, wait, { state: approval.state });
      }
      await gateMetrics.pendingApprovals(store, clock);
      return;
    }
    case 'Approval Requested':
      await gateMetrics.pendingApprovals(store, clock);
      return;
    default:
      return;
  }
}

/**
 * The handler's dependencies with outcome events counted: every place that emits one (the
 * workflow steps, the approval routes, re-validation) feeds the dashboard without the domain
 * knowing about metrics. The event is emitted first; its metrics follow, best effort.
 */
export function withOutcomeMetrics(getDeps: () => Promise<HandlerDeps>): () => Promise<HandlerDeps> {
  return async () => {
    const deps = await getDeps();
    const inner = deps.gate.outcomes;
    const outcomes: OutcomeEmitter = {
      emit: async (type, detail) => {
        await inner.emit(type, detail);
        await outcomeMetrics(deps, type, detail).catch((err: unknown) =>
          logger.warn('outcome metrics not emitted', { event: type, error: describeError(err) }),
        );
      },
    };
    return { ...deps, gate: { ...deps.gate, outcomes } };
  };
}
