import { ReleaseRefSchema } from '../domain/workflow/inputs.js';
import { promoteRelease } from '../domain/workflow/promote.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { gateMetrics, withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';

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

export const handler = compactErrors(makeHandler(awsDeps));
