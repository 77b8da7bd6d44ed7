import { TaskTokenRequestSchema } from '../domain/workflow/inputs.js';
import { waitForScan } from '../domain/workflow/wait-for-scan.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { parseEvent } from './parse.js';
import { registry } from './wiring/registry.js';
import { taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';

/** `.waitForTaskToken`: park the token; complete at once if the scan event already arrived. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const req = parseEvent(TaskTokenRequestSchema, event, 'WaitForScan input');
    return { outcome: await waitForScan((await getDeps()).gate, req) };
  });

export const handler = compactErrors(makeHandler(awsWiring(store, registry, taskTokens)));
