#!/usr/bin/env node
// The `release-gate` command, on Node 22 or later (an older Node hands over to cli/node22.mjs,
// which fetches Node 22 once).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lambdaHeapFlags, sizesHeap } from './lambda-heap.mjs';

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
// The embedded stack runs every handler in this process: it is given the heap flags Lambda's
// runtime gives a function (cli/lambda-heap.mjs), by starting node again with them, unless the
// user's own flags size the heap.
if (!sizesHeap(process.execArgv) && !sizesHeap((process.env.NODE_OPTIONS ?? '').split(/\s+/))) {
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, ...lambdaHeapFlags(), fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (run.signal !== null) process.kill(process.pid, run.signal);
  process.exit(run.status ?? 1);
}
// An installed package runs its built JavaScript (`npm pack` builds dist/); a checkout, where tsx
// (a development dependency) resolves, runs the TypeScript sources, so it never runs a stale build.
const built = new URL('../dist/cli/entry.js', import.meta.url);
const hasTsx = (() => {
  try {
    import.meta.resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
})();
if (!hasTsx && existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./entry.ts');
}
