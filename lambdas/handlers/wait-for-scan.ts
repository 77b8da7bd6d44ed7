import { TaskTokenRequestSchema } from '../domain/workflow/inputs.js';
import { waitForScan } from '../domain/workflow/wait-for-scan.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { parseEvent } from './parse.js';

/** `.waitForTaskToken`: park the token; complete at once if the scan event already arrived. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const req = parseEvent(TaskTokenRequestSchema, event, 'WaitForScan input');
    return { outcome: await waitForScan((await getDeps()).gate, req) };
  });

export const handler = compactErrors(makeHandler(awsDeps));
