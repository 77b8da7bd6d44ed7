import { QUARANTINE_REASON_MESSAGE } from '../adapters/observe/metric-names.js';
import { QuarantineRequestSchema } from '../domain/workflow/inputs.js';
import { quarantineRelease } from '../domain/workflow/quarantine.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { logger } from './logger.js';
import { withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { slackPoster } from './wiring/slack.js';
import { store } from './wiring/store.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => {
  const deps = withOutcomeMetrics(getDeps);
  return invocation(async (event) => {
    const req = parseEvent(QuarantineRequestSchema, event, 'Quarantine input');
    const result = await quarantineRelease((await deps()).gate, req);
    // One line per reason: the dashboard's Logs Insights widget counts them (gate-monitoring.ts).
    for (const reason of result.reasons) logger.info(QUARANTINE_REASON_MESSAGE, { reason: reason.slice(0, 300) });
    return result;
  });
};

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, registry, notifier, outcomes, slackPoster)),
);
