import { RequestApprovalSchema } from '../domain/workflow/inputs.js';
import { requestApproval } from '../domain/workflow/request-approval.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { approvalLinks } from './wiring/approval-links.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { slackPoster } from './wiring/slack.js';
import { store } from './wiring/store.js';

/** `.waitForTaskToken`: store the hashed token under a random approval id and notify approvers. */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) => {
  const deps = withOutcomeMetrics(getDeps);
  return invocation(async (event) => {
    const req = parseEvent(RequestApprovalSchema, event, 'RequestApproval input');
    return requestApproval((await deps()).gate, req);
  });
};

export const handler = compactErrors(
  makeHandler(awsWiring(store, documents, notifier, outcomes, approvalLinks, slackPoster)),
);
