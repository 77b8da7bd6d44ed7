import { RecordReleaseRequestSchema } from '../domain/workflow/inputs.js';
import { recordRelease } from '../domain/workflow/record-release.js';
import * as z from '../domain/zod.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { parseEvent } from './parse.js';
import { registry } from './wiring/registry.js';
import { store } from './wiring/store.js';

const Schema = z.extend(RecordReleaseRequestSchema, {
  executionName: z.string().check(z.minLength(1), z.maxLength(80)),
});

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const req = parseEvent(Schema, event, 'RecordRelease input');
    return recordRelease((await getDeps()).gate, req);
  });

export const handler = compactErrors(makeHandler(awsWiring(store, registry)));
