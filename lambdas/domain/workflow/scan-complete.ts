// The scan-complete event: the other half of the scan rendezvous (see wait-for-scan.ts).

import { isGated } from '../policy/rules.js';
import type { ScanCompletion } from '../ports.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';
import { indexScanCompletion, offerScanAndResume } from './index-scan.js';

export async function scanCompleted(
  deps: GateDeps,
  repository: string,
  digest: Digest,
  completion: ScanCompletion,
): Promise<'resumed' | 'recorded' | 'already-answered' | 'ungated'> {
  // The Inspector2 Scan rule cannot filter by repository (it may send an ARN): scans of
  // repositories no policy rule gates are not recorded.
  if (!isGated(deps.policy.document, repository)) {
    return 'ungated';
  }
  // A repeated delivery (EventBridge is at-least-once, Inspector rescans) gets the token again,
  // so that a retry after a crash still answers the task.
  const outcome = await offerScanAndResume(deps, repository, digest, completion);
  // A platform manifest's scan may be the last one its index waits for (index-scan.ts).
  for (const index of await deps.store.listParentIndexes(repository, digest)) {
    const indexScan = await indexScanCompletion(deps, repository, index);
    if (indexScan !== null) await offerScanAndResume(deps, repository, index, indexScan);
  }
  return outcome;
}
