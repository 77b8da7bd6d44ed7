import { recollect } from '../domain/incident/recollect.js';
import { RecollectRequestSchema } from '../domain/incident/recollection.js';
import { collectEvidence } from '../domain/workflow/collect-evidence.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import { type CollectRequest, CollectRequestSchema, StatesErrorSchema } from '../domain/workflow/inputs.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { logger } from './logger.js';
import { gateMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { inspectorSboms } from './wiring/inspector.js';
import { registry } from './wiring/registry.js';
import { revocation } from './wiring/revocation.js';
import { store } from './wiring/store.js';
import { trustedRoots } from './wiring/trusted-roots.js';

/** True for ops-write's recollect request (incident/recollection.ts); the ASL's input has no `recollect`. */
const isRecollectRequest = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && 'recollect' in event;

/**
 * One evidence kind per invocation (the ASL's Parallel branches); returns the small summary. A
 * recollect request (rollback and release re-verifying a release) collects one kind again and
 * stores nothing; only the workflow's role and ops-write's may invoke the function.
 */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    if (isRecollectRequest(event)) {
      const request = parseEvent(RecollectRequestSchema, event, 'recollect request');
      const result = await recollect((await getDeps()).gate, request);
      logger.info('evidence collected again (stored nothing)', { kind: request.kind, status: result.status });
      return result;
    }
    const req = parseEvent(CollectRequestSchema, event, 'CollectEvidence input');
    const { gate } = await getDeps();
    const result = await collectEvidence(gate, req);
    logger.info('evidence collected', { kind: req.kind, status: result.status });
    if (req.kind === 'scan' && req.error === undefined) await scanWaitMetrics(gate, req);
    return result;
  });

/** CollectScan runs right after WaitForScan: how long the scan took to come, or that it never did. */
async function scanWaitMetrics(gate: GateDeps, req: CollectRequest): Promise<void> {
  const caught = StatesErrorSchema.safeParse(req.scanWait);
  if (caught.success) {
    if (caught.data.Error === 'States.Timeout') gateMetrics.scanTimedOut();
    return;
  }
  const release = await gate.store.getRelease(req.repository, req.digest).catch(() => null);
  if (release !== null) gateMetrics.scanWaited(release.recordedAt, gate.clock.now());
}

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, registry, revocation, inspectorSboms, trustedRoots)),
);
