// The pusher of a digest, from CloudTrail's PutImage record: ECR's push event names no actor.
import { createHash } from 'node:crypto';
import { isGated } from '../policy/rules.js';
import type { Pusher } from '../ports.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';
import type { PutImageCloudTrailEvent } from './events.js';
import { repositoryNameFrom } from './events.js';

export type PusherOutcome = 'recorded' | 'ungated' | 'failed-call' | 'no-principal' | 'no-digest';

/**
 * Records the principal of a successful `PutImage` under the pushed digest. It may arrive before or
 * after the push event and the release record (events are independent and best effort): it is
 * keyed by repository and digest alone, and RequestApproval and the answer read it whenever they
 * run. When it never arrives the pusher is unknown, and separation of duties asks one more
 * approver (request-approval.ts): fail closed.
 */
export async function recordPusherFrom(deps: GateDeps, event: PutImageCloudTrailEvent): Promise<PusherOutcome> {
  const d = event.detail;
  if (d.errorCode !== undefined) return 'failed-call';
  const identity = d.userIdentity?.arn;
  if (identity === undefined) return 'no-principal';
  const request = d.requestParameters;
  if (request === null || request === undefined) return 'no-digest';
  const repository = repositoryNameFrom(request.repositoryName);
  // Like scan events: pushes to repositories no rule gates are not recorded.
  if (!isGated(deps.policy.document, repository)) return 'ungated';
  const digest = d.responseElements?.image?.imageId?.imageDigest ?? manifestDigest(request.imageManifest);
  if (digest === undefined) return 'no-digest';
  const pusher: Pusher = {
    repository,
    digest,
    identity,
    source: 'cloudtrail',
    at: d.eventTime ?? event.time ?? deps.clock.now().toISOString(),
  };
  await deps.store.recordPusher(pusher);
  return 'recorded';
}

/**
 * The digest of the manifest as sent: its exact bytes. CloudTrail keeps the manifest as a JSON
 * string, so its UTF-8 encoding is the pushed body; if it were re-encoded the digest names no
 * release and the pusher stays unknown (fail closed).
 */
function manifestDigest(manifest: string | undefined): Digest | undefined {
  if (manifest === undefined || manifest === '') return undefined;
  return `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
}
