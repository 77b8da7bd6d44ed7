import { PutImageCloudTrailEventSchema } from '../domain/workflow/events.js';
import { recordPusherFrom } from '../domain/workflow/record-pusher.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { logger } from './logger.js';
import { parseEvent } from './parse.js';
import { store } from './wiring/store.js';

/** EventBridge `AWS API Call via CloudTrail` (ECR PutImage) → the pusher of the digest. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const parsed = parseEvent(PutImageCloudTrailEventSchema, event, 'PutImage CloudTrail event');
    const outcome = await recordPusherFrom((await getDeps()).gate, parsed);
    logger.info('pusher event handled', {
      repository: parsed.detail.requestParameters?.repositoryName,
      digest: parsed.detail.responseElements?.image?.imageId?.imageDigest,
      outcome,
    });
    return { outcome };
  });

export const handler = compactErrors(makeHandler(awsWiring(store)));
