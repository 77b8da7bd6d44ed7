#!/usr/bin/env node
// Runs a command (found on PATH, as npm scripts see it) on Node 22 or later.
//
// The project needs Node 22 (aws-local-stepfunctions 3 and the AWS SDK require it; @sigstore/verify 4
// and its siblings declare 22.22.2 or later). A machine whose
// Node is older (Debian's, say) still runs the README's two commands: this launcher fetches the
// official Node 22 binaries once from the npm registry (the `node` package) into a cache outside
// the checkout, and runs the command with that Node first on PATH. Plain JavaScript that any Node
// can run, so it works before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { withLambdaHeap } from './lambda-heap.mjs';

const MIN_MAJOR = 22;
/** The oldest Node 22 the dependencies declare (`engines` of @sigstore/core 4, bundle 5, verify 4). */
const MIN_VERSION = [22, 22, 2];
const older = (version) => {
  const parts = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < MIN_VERSION.length; i++) {
    if ((parts[i] ?? 0) !== MIN_VERSION[i]) return (parts[i] ?? 0) < MIN_VERSION[i];
  }
  return false;
};
// `--lambda-heap`: the command runs the embedded stack; its node processes get Lambda's heap
// flags (cli/lambda-heap.mjs) through NODE_OPTIONS, which the processes it starts inherit.
const lambdaHeap = process.argv[2] === '--lambda-heap';
const [command, ...args] = process.argv.slice(lambdaHeap ? 3 : 2);
if (command === undefined) {
  process.stderr.write('usage: node cli/node22.mjs [--lambda-heap] COMMAND [ARGS...]\n');
  process.exit(2);
}

let env = lambdaHeap ? { ...process.env, NODE_OPTIONS: withLambdaHeap(process.env.NODE_OPTIONS) } : process.env;
if (older(process.versions.node)) {
  const dir = join(
    process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
    'release-gate',
    `node${MIN_VERSION.join('.')}`,
  );
  const bin = join(dir, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    process.stderr.write(
      `release-gate: Node ${process.version} is older than ${MIN_VERSION.join('.')}; fetching node@${MIN_MAJOR} from the npm registry into ${dir} (once)\n`,
    );
    mkdirSync(dir, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const fetched = spawnSync(
      npm,
      ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `node@${MIN_MAJOR}`],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (fetched.status !== 0 || !existsSync(join(bin, 'node'))) {
      process.stderr.write(
        `release-gate: could not fetch Node ${MIN_MAJOR}. Install Node ${MIN_MAJOR} or later (see .nvmrc) and run the command again.\n`,
      );
      process.exit(1);
    }
  }
  env = { ...env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
}

const run = spawnSync(command, args, { stdio: 'inherit', env });
if (run.error !== undefined) {
  process.stderr.write(`release-gate: cannot run ${command}: ${run.error.message}\n`);
  process.exit(127);
}
if (run.signal !== null) process.kill(process.pid, run.signal);
process.exit(run.status ?? 1);
