// WaitForScan: one half of the scan rendezvous (scan-complete.ts is the other); either may come first.
import type { GateDeps } from './deps.js';
import type { ReleaseRef } from './inputs.js';

export async function waitForScan(
  deps: GateDeps,
  req: ReleaseRef & { taskToken: string },
): Promise<'completed' | 'waiting'> {
  const result = await deps.store.offerScanToken(req.repository, req.digest, req.taskToken);
  if (result === null) return 'waiting';
  await deps.tokens.sendSuccess(req.taskToken, result);
  return 'completed';
}
