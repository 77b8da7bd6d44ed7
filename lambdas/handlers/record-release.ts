import * as z from 'zod';
import { RecordReleaseRequestSchema } from '../domain/workflow/inputs.js';
import { recordRelease } from '../domain/workflow/record-release.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { parseEvent } from './parse.js';
import { registry } from './wiring/registry.js';
import { store } from './wiring/store.js';

const Schema = RecordReleaseRequestSchema.extend({ executionName: z.string().min(1).max(80) });

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const req = parseEvent(Schema, event, 'RecordRelease input');
    return recordRelease((await getDeps()).gate, req);
  });

export const handler = compactErrors(makeHandler(awsWiring(store, registry)));
