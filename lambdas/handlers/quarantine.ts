import { QuarantineRequestSchema } from '../domain/workflow/inputs.js';
import { quarantineRelease } from '../domain/workflow/quarantine.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => {
  const deps = withOutcomeMetrics(getDeps);
  return invocation(async (event) => {
    const req = parseEvent(QuarantineRequestSchema, event, 'Quarantine input');
    return quarantineRelease((await deps()).gate, req);
  });
};

export const handler = compactErrors(makeHandler(awsDeps));
