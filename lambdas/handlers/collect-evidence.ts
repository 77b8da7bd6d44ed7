import { collectEvidence } from '../domain/workflow/collect-evidence.js';
import { CollectRequestSchema } from '../domain/workflow/inputs.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { logger } from './logger.js';
import { parseEvent } from './parse.js';
import { documents } from './wiring/documents.js';
import { inspectorSboms } from './wiring/inspector.js';
import { registry } from './wiring/registry.js';
import { revocation } from './wiring/revocation.js';
import { store } from './wiring/store.js';

/** One evidence kind per invocation (the ASL's Parallel branches); returns the small summary. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => async (event: unknown) => {
  const req = parseEvent(CollectRequestSchema, event, 'CollectEvidence input');
  const result = await collectEvidence((await getDeps()).gate, req);
  logger.info('evidence collected', {
    repository: req.repository,
    digest: req.digest,
    kind: req.kind,
    status: result.status,
  });
  return result;
};

export const handler = compactErrors(makeHandler(awsWiring(store, documents, registry, revocation, inspectorSboms)));
