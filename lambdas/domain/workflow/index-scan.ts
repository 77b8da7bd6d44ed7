// The scan rendezvous of a multi-platform image, one level above wait-for-scan.ts / scan-complete.ts.

import { platformCoverage, readImage, selectPlatforms } from '../attest/platforms.js';
import { ExpiredError, isRetryable } from '../errors.js';
import { requiredPlatformsOf } from '../evidence/platforms-policy.js';
import { Limits } from '../limits.js';
import { policyFor } from '../policy/rules.js';
import type { ScanCompletion } from '../ports.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';

/** ECR reports COMPLETE, Inspector ACTIVE: a finished scan. */
const FINISHED = new Set(['COMPLETE', 'ACTIVE']);

/**
 * The scan of an index, once every gated platform manifest of it has a scan result, else null.
 *
 * ECR and Inspector scan each platform image of a multi-platform push and send one scan event per
 * platform digest, none for the index (an index has no layers; DescribeImageScanFindings wants a
 * platform digest). The index's WaitForScan therefore completes on its platforms' results: both
 * the index's WaitForScan and each platform's scan event call this after their own write, so
 * whichever comes last sees every result (the same rendezvous as for one image). The result is
 * only the signal to go on: the scan evidence reads each platform's findings itself.
 */
export async function indexScanCompletion(
  deps: Pick<GateDeps, 'registry' | 'store' | 'policy'>,
  repository: string,
  index: Digest,
): Promise<ScanCompletion | null> {
  if (!(await isIndex(deps, repository, index))) return null;
  const coverage = await platformCoverage(deps.registry, repository, index);
  if (coverage.kind !== 'index') return null;
  const rule = policyFor(deps.policy.document, repository);
  const { platforms } = selectPlatforms(coverage, requiredPlatformsOf(rule));
  // More platforms than are gated one by one: not read here; the wait times out (scan MISSING) and
  // the per-platform evidence fails with the limit as its reason.
  if (platforms.length > Limits.gatedPlatforms) return null;
  const results: ScanCompletion[] = [];
  for (const p of platforms) {
    const result = await deps.store.getScanResult(repository, p.digest);
    if (result === null) return null;
    results.push(result);
  }
  const [first] = results;
  // An index that lists no gated platform has nothing to wait for; the evidence fails it.
  if (first === undefined) return null;
  const severityCounts: Record<string, number> = {};
  for (const r of results) {
    for (const [severity, n] of Object.entries(r.severityCounts))
      severityCounts[severity] = (severityCounts[severity] ?? 0) + n;
  }
  return {
    status: results.find((r) => !FINISHED.has(r.status))?.status ?? 'COMPLETE',
    source: first.source,
    severityCounts,
    completedAt:
      results
        .map((r) => r.completedAt)
        .sort()
        .at(-1) ?? first.completedAt,
  };
}

/**
 * Whether the digest is an index. One that cannot be read is not waited for here: its own scan
 * event still can resume it, else WaitForScan times out (MISSING scan). Outages throw for a retry.
 */
async function isIndex(deps: Pick<GateDeps, 'registry'>, repository: string, digest: Digest): Promise<boolean> {
  try {
    return (await readImage(deps.registry, repository, digest)).kind === 'index';
  } catch (err) {
    if (isRetryable(err)) throw err;
    return false;
  }
}

/**
 * Stores `completion` for the digest and answers the waiting task if there is one. A repeated
 * delivery gets the token again so a retry after a crash still answers it; a task already answered
 * or timed out is not an error.
 */
export async function offerScanAndResume(
  deps: Pick<GateDeps, 'store' | 'tokens'>,
  repository: string,
  digest: Digest,
  completion: ScanCompletion,
): Promise<'resumed' | 'recorded' | 'already-answered'> {
  const token = await deps.store.offerScanResult(repository, digest, completion);
  if (token === null) return 'recorded';
  try {
    await deps.tokens.sendSuccess(token, completion);
  } catch (err) {
    if (err instanceof ExpiredError) return 'already-answered';
    throw err;
  }
  return 'resumed';
}
