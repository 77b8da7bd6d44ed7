/**
 * Child process of the floor bench: gates one release of an OCI layout (`<layout> <policy.yaml>
 * <digest>`) as the preflight does and prints `{wallMs, maxRssBytes, sbomBytes, decision}` as its last
 * line. Alone in its process, so its peak RSS is the gate's (plus Node and the modules).
 */
import '../cli/local/quiet-logs.js';
import { readFile } from 'node:fs/promises';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import { loadPolicy } from '../lambdas/domain/policy/load.js';
import { DigestSchema } from '../lambdas/domain/types.js';
import { gateOnce } from './gate-once.js';
import { peakRssBytes } from './peak-rss.js';

async function main(): Promise<void> {
  const [root, policyFile, digestText] = process.argv.slice(2);
  if (root === undefined || policyFile === undefined) throw new Error('usage: floor-child <layout> <policy> <digest>');
  const digest = DigestSchema.parse(digestText);
  const policy = loadPolicy(new Uint8Array(await readFile(policyFile)));
  const registry = new OciLayoutRegistry({ root });
  const result = await gateOnce(registry, policy, digest);
  const sbomBytes = Math.max(
    0,
    ...[...result.documentSizes.entries()].filter(([name]) => name.startsWith('sbom.')).map(([, size]) => size),
  );
  process.stdout.write(
    `${JSON.stringify({
      wallMs: result.totalMs,
      maxRssBytes: peakRssBytes(),
      sbomBytes,
      decision: result.decision,
      notPassed: result.notPassed,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`floor-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
