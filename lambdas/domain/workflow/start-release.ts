import { createHash } from 'node:crypto';
import { isGated } from '../policy/load.js';
import type { PolicyDocument } from '../policy/schema.js';
import type { ExecutionStarter, ReleaseStore } from '../ports.js';
import { RepositoryNameSchema } from '../types.js';
import { type EcrImageActionEvent, isAttachmentTag, isNonImageArtifact } from './events.js';
import { type ExecutionInput, executionNameFor } from './inputs.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export type StartResult =
  | {
      readonly started: true;
      readonly executionName: string;
      readonly alreadyExisted: boolean;
      readonly input: ExecutionInput;
    }
  | { readonly started: false; readonly reason: string };

/**
 * ECR push → one execution per (repository, digest). The name and input are deterministic, so a
 * duplicate event (EventBridge delivers at least once) is a no-op.
 */
export async function startRelease(
  starter: ExecutionStarter,
  tags: Pick<ReleaseStore, 'recordPushedTag'>,
  config: { stage: string; scanTimeoutSeconds: number },
  policy: PolicyDocument,
  event: EcrImageActionEvent,
): Promise<StartResult> {
  const d = event.detail;
  // Not a repository name ECR could send (a forged event): nothing could be recorded or tagged for it.
  if (!RepositoryNameSchema.safeParse(d['repository-name']).success) {
    return {
      started: false,
      reason: `repository name ${JSON.stringify(d['repository-name'].slice(0, 300))} is not valid`,
    };
  }
  // A repository no rule governs is not the gate's: no execution, no quarantine tag written into it.
  if (!isGated(policy, d['repository-name'])) {
    return { started: false, reason: `repository ${d['repository-name']} is not gated by any policy rule` };
  }
  if (d['action-type'] !== 'PUSH') return { started: false, reason: `action ${d['action-type']} is not gated` };
  if (d.result !== 'SUCCESS') return { started: false, reason: `push result ${d.result}` };
  if (isAttachmentTag(d['image-tag'])) return { started: false, reason: `tag ${d['image-tag']} is an attachment` };
  if (isNonImageArtifact(d['artifact-media-type'])) {
    return { started: false, reason: `artifact type ${d['artifact-media-type']} is not a container image` };
  }
  const input: ExecutionInput = {
    repository: d['repository-name'],
    digest: d['image-digest'],
    tag: d['image-tag'] ?? null,
    stage: config.stage,
    timeouts: { scanSeconds: config.scanTimeoutSeconds },
  };
  // Every tag the digest is pushed under is recorded before the execution starts: a second push of
  // the same digest under another tag finds the execution running (or done) and must not be lost.
  if (input.tag !== null) await tags.recordPushedTag(input.repository, input.digest, input.tag);
  const executionName = executionNameFor(input.repository, input.digest, sha256Hex);
  const { alreadyExisted } = await starter.start(executionName, input);
  return { started: true, executionName, alreadyExisted, input };
}
