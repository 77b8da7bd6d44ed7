// The scan-complete event: the other half of the scan rendezvous (see wait-for-scan.ts).

import { ExpiredError } from '../errors.js';
import { isGated } from '../policy/load.js';
import type { ScanCompletion } from '../ports.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';

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
  const token = await deps.store.offerScanResult(repository, digest, completion);
  if (token === null) return 'recorded';
  try {
    await deps.tokens.sendSuccess(token, completion);
  } catch (err) {
    // A repeated delivery (EventBridge is at-least-once, Inspector rescans) gets the token again,
    // so that a retry after a crash still answers the task; when the task was already answered or
    // timed out, the result is stored and there is nothing left to do.
    if (err instanceof ExpiredError) return 'already-answered';
    throw err;
  }
  return 'resumed';
}
