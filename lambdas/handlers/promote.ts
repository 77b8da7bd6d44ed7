import { ReleaseRefSchema } from '../domain/workflow/inputs.js';
import { promoteRelease } from '../domain/workflow/promote.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { gateMetrics, withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { slackPoster } from './wiring/slack.js';
import { store } from './wiring/store.js';
import { vsa } from './wiring/vsa.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => {
  const deps = withOutcomeMetrics(getDeps);
  return invocation(async (event) => {
    const req = parseEvent(ReleaseRefSchema, event, 'Promote input');
    const { gate } = await deps();
    // performance.now(), not the gate's clock: a duration, which a test clock would freeze.
    const started = performance.now();
    const result = await promoteRelease(gate, req);
    if (result.outcome === 'PROMOTED' && !result.alreadyPromoted) gateMetrics.promoted(performance.now() - started);
    return result;
  });
};

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, registry, notifier, outcomes, vsa, slackPoster)),
);
