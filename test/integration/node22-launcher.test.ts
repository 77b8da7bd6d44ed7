import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHeapFlags, withLambdaHeap } from '../../cli/lambda-heap.mjs';

const LAUNCHER = fileURLToPath(new URL('../../cli/node22.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

/** The launched process's V8 heap limit (MiB) and old space flag, as `node -p` prints them. */
const HEAP = 'JSON.stringify([require("v8").getHeapStatistics().heap_size_limit / 2 ** 20, process.env.NODE_OPTIONS])';

function launch(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8', timeout: 30_000, env });
}

/** `env` without NODE_OPTIONS (vitest's workers may set one). */
function without(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _, ...rest } = env;
  return rest;
}

describe('Script: cli/node22.mjs', () => {
  describe('when a command is given', () => {
    it('runs it on Node 22.22.2 or later and passes its exit status through', () => {
      // Act
      const version = launch(['node', '-p', 'process.versions.node']);
      const failing = launch(['node', '-e', 'process.exit(3)']);

      // Assess
      expect(version.status, version.stderr).toBe(0);
      const [major = 0, minor = 0, patch = 0] = version.stdout.trim().split('.').map(Number);
      expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(22_022_002);
      expect(failing.status).toBe(3);
    });
  });

  describe('with --lambda-heap (npm start, npm run release-gate: the embedded stack)', () => {
    it("gives the command Lambda's heap flags for a 512 MiB function through NODE_OPTIONS", () => {
      // Act
      const run = launch(['--lambda-heap', 'node', '-p', HEAP], without(process.env));

      // Assess
      expect(run.status, run.stderr).toBe(0);
      const [limitMiB, nodeOptions] = JSON.parse(run.stdout) as [number, string];
      expect(nodeOptions).toBe('--max-semi-space-size=25 --max-old-space-size=461');
      // V8's limit is the old space plus the young generation, far under plain node's (from the RAM).
      expect(limitMiB).toBeGreaterThanOrEqual(461);
      expect(limitMiB).toBeLessThan(600);
    });

    it('leaves the heap to flags the user set', () => {
      // Act
      const run = launch(['--lambda-heap', 'node', '-p', HEAP], {
        ...process.env,
        NODE_OPTIONS: '--max-old-space-size=2048',
      });

      // Assess
      expect(run.status, run.stderr).toBe(0);
      const [limitMiB, nodeOptions] = JSON.parse(run.stdout) as [number, string];
      expect(nodeOptions).toBe('--max-old-space-size=2048');
      expect(limitMiB).toBeGreaterThanOrEqual(2048);
    });
  });

  describe('when the command does not exist', () => {
    it('exits 127 naming it', () => {
      // Act
      const run = launch(['release-gate-no-such-command']);

      // Assess
      expect(run.status).toBe(127);
      expect(run.stderr).toContain('cannot run release-gate-no-such-command');
    });
  });

  describe('when no command is given', () => {
    it('exits 2 with the usage', () => {
      // Act
      const run = launch([]);

      // Assess
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('usage: node cli/node22.mjs [--lambda-heap] COMMAND');
    });
  });
});

describe('Module: cli/lambda-heap.mjs', () => {
  describe('Function: lambdaHeapFlags', () => {
    it("computes Lambda's Node.js runtime flags from a function's memory (new space a tenth, two semi-spaces)", () => {
      // Act & Assess
      expect(lambdaHeapFlags()).toEqual(['--max-semi-space-size=25', '--max-old-space-size=461']);
      expect(lambdaHeapFlags(1024)).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
      expect(lambdaHeapFlags(128)).toEqual(['--max-semi-space-size=6', '--max-old-space-size=116']);
    });
  });

  describe('Function: withLambdaHeap', () => {
    it('adds the flags to other options, and adds none to options that size the heap', () => {
      // Act & Assess
      expect(withLambdaHeap('--enable-source-maps')).toBe(
        '--enable-source-maps --max-semi-space-size=25 --max-old-space-size=461',
      );
      expect(withLambdaHeap('--max_old_space_size=900')).toBe('--max_old_space_size=900');
      expect(withLambdaHeap('--max-semi-space-size=8')).toBe('--max-semi-space-size=8');
    });
  });
});

describe('Script: cli/bin.mjs', () => {
  let dir: string;
  let preload: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'release-gate-bin-'));
    preload = join(dir, 'print-flags.cjs');
    // Preloaded into every node process bin.mjs runs: prints the flags it was started with.
    await writeFile(preload, "process.stderr.write('flags: ' + JSON.stringify(process.execArgv) + '\\n');\n");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when the heap is not sized', () => {
    it("runs the CLI in a node process started with Lambda's heap flags", () => {
      // Act
      const run = spawnSync(process.execPath, [BIN, '--help'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NODE_OPTIONS: `--require=${preload}` },
      });

      // Assess
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('release-gate');
      const flags = run.stderr
        .split('\n')
        .filter((line) => line.startsWith('flags: '))
        .map((line) => JSON.parse(line.slice('flags: '.length)) as string[]);
      expect(flags).toHaveLength(2);
      expect(flags[1]).toEqual(expect.arrayContaining(lambdaHeapFlags()));
    });
  });
});
