import { QuarantineRequestSchema } from '../domain/workflow/inputs.js';
import { quarantineRelease } from '../domain/workflow/quarantine.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { slackPoster } from './wiring/slack.js';
import { store } from './wiring/store.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => async (event: unknown) => {
  const req = parseEvent(QuarantineRequestSchema, event, 'Quarantine input');
  return quarantineRelease((await getDeps()).gate, req);
};

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, registry, notifier, outcomes, slackPoster)),
);
