import { createHash } from 'node:crypto';
import { readImage } from '../attest/platforms.js';
import { isRetryable } from '../errors.js';
import { Limits } from '../limits.js';
import { isGated, policyFor, stageFor } from '../policy/rules.js';
import type { PolicyDocument } from '../policy/schema.js';
import type { ExecutionStarter, RegistryReader, ReleaseStore } from '../ports.js';
import { RepositoryNameSchema } from '../types.js';
import { type EcrImageActionEvent, isAttachmentTag, isNonImageArtifact } from './events.js';
import { type ExecutionInput, executionNameFor } from './inputs.js';

/**
 * The pushed manifest, or undefined when it cannot be read as one: then the run is started as for
 * any push, and RecordRelease refuses it with a reason. Registry outages throw (the event is retried).
 */
async function readPushed(registry: RegistryReader, repository: string, digest: string) {
  try {
    return await readImage(registry, repository, digest);
  } catch (err) {
    if (isRetryable(err)) throw err;
    return undefined;
  }
}

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
 * Index entries linked to their index at most (platforms and BuildKit's attestation manifests);
 * the others are gated on their own (fail closed), and the index fails its per-platform evidence.
 */
export const MAX_LINKED_INDEX_ENTRIES = 2 * Limits.gatedPlatforms;

/**
 * ECR push → one execution per pushed top-level artifact (repository, digest). The name and input
 * are deterministic, so a duplicate event (EventBridge delivers at least once) is a no-op.
 *
 * A multi-platform push sends one event per platform manifest (untagged) and one for the index
 * (tagged), in any order. The index is the release, gated with every platform it lists
 * (evidence/per-platform.ts), so its push records each entry as a child of it, and an untagged
 * image manifest already recorded as such a child starts nothing. A child whose event comes
 * first does start a run (it may as well be an image pushed by digest only); that run checks for
 * its index again before it decides (evaluate-policy.ts) and ends as COVERED if one lists it.
 * Nothing is promoted by being skipped: only a gated release is promoted, and a child reaches
 * production only inside its gated index.
 */
export async function startRelease(
  starter: ExecutionStarter,
  tags: Pick<ReleaseStore, 'recordPushedTag' | 'recordParentIndex' | 'listParentIndexes'>,
  registry: RegistryReader,
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
  const image = await readPushed(registry, d['repository-name'], d['image-digest']);
  if (image?.kind === 'index') {
    for (const entry of image.index.manifests.slice(0, MAX_LINKED_INDEX_ENTRIES)) {
      await tags.recordParentIndex(d['repository-name'], entry.digest, d['image-digest']);
    }
  } else if (image?.kind === 'manifest' && d['image-tag'] === undefined) {
    const [parent] = await tags.listParentIndexes(d['repository-name'], d['image-digest']);
    if (parent !== undefined) {
      return { started: false, reason: `platform manifest of index ${parent}, which is gated with it` };
    }
  }
  const input: ExecutionInput = {
    repository: d['repository-name'],
    digest: d['image-digest'],
    tag: d['image-tag'] ?? null,
    stage: stageFor(policyFor(policy, d['repository-name']), config.stage),
    timeouts: { scanSeconds: config.scanTimeoutSeconds },
  };
  // Every tag the digest is pushed under is recorded before the execution starts: a second push of
  // the same digest under another tag finds the execution running (or done) and must not be lost.
  if (input.tag !== null) await tags.recordPushedTag(input.repository, input.digest, input.tag);
  const executionName = executionNameFor(input.repository, input.digest, sha256Hex);
  const { alreadyExisted } = await starter.start(executionName, input);
  return { started: true, executionName, alreadyExisted, input };
}
