import { ReleaseRefSchema } from '../domain/workflow/inputs.js';
import { promoteRelease } from '../domain/workflow/promote.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { slackPoster } from './wiring/slack.js';
import { store } from './wiring/store.js';
import { vsa } from './wiring/vsa.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => async (event: unknown) => {
  const req = parseEvent(ReleaseRefSchema, event, 'Promote input');
  return promoteRelease((await getDeps()).gate, req);
};

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, registry, notifier, outcomes, vsa, slackPoster)),
);
