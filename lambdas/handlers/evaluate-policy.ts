import { evaluateRelease } from '../domain/workflow/evaluate-policy.js';
import { ReleaseRefSchema } from '../domain/workflow/inputs.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { gateMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { registry } from './wiring/registry.js';
import { store } from './wiring/store.js';

export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const req = parseEvent(ReleaseRefSchema, event, 'EvaluatePolicy input');
    const result = await evaluateRelease((await getDeps()).gate, req);
    gateMetrics.decision(req.repository, result.decision, result.blockingKinds);
    return result;
  });

export const handler = compactErrors(makeHandler(awsWiring(store, documents, registry)));
