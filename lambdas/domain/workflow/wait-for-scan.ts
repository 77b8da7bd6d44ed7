// WaitForScan: one half of the scan rendezvous (scan-complete.ts is the other); either may come first.
import type { GateDeps } from './deps.js';
import { indexScanCompletion, offerScanAndResume } from './index-scan.js';
import type { ReleaseRef } from './inputs.js';

export async function waitForScan(
  deps: GateDeps,
  req: ReleaseRef & { taskToken: string },
): Promise<'completed' | 'waiting'> {
  const result = await deps.store.offerScanToken(req.repository, req.digest, req.taskToken);
  if (result !== null) {
    await deps.tokens.sendSuccess(req.taskToken, result);
    return 'completed';
  }
  // An index is not scanned itself: it goes on once its platforms are (index-scan.ts).
  const platforms = await indexScanCompletion(deps, req.repository, req.digest);
  if (platforms === null) return 'waiting';
  return (await offerScanAndResume(deps, req.repository, req.digest, platforms)) === 'recorded'
    ? 'waiting'
    : 'completed';
}
