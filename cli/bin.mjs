#!/usr/bin/env node
// The `release-gate` command: runs the TypeScript CLI through tsx (no build step), on Node 22 or
// later (an older Node hands over to cli/node22.mjs, which fetches Node 22 once).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (Number(process.versions.node.split('.')[0]) < 22) {
  const launcher = fileURLToPath(new URL('./node22.mjs', import.meta.url));
  const run = spawnSync(
    process.execPath,
    [launcher, 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(run.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
await import('./main.ts');
