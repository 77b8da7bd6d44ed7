import { EcrImageActionEventSchema } from '../domain/workflow/events.js';
import { startRelease } from '../domain/workflow/start-release.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { logger } from './logger.js';
import { parseEvent } from './parse.js';
import { registry } from './wiring/registry.js';
import { starter } from './wiring/step-functions.js';
import { store } from './wiring/store.js';

/** EventBridge `ECR Image Action` → StartExecution named from repository + digest. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const parsed = parseEvent(EcrImageActionEventSchema, event, 'ECR Image Action event');
    const deps = await getDeps();
    const result = await startRelease(
      deps.starter,
      deps.gate.store,
      deps.gate.registry,
      deps.gate.config,
      deps.gate.policy.document,
      parsed,
    );
    logger.info('push handled', {
      repository: parsed.detail['repository-name'],
      digest: parsed.detail['image-digest'],
      result,
    });
    return result;
  });

export const handler = compactErrors(makeHandler(awsWiring(store, registry, starter)));
