import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../cli/node22.mjs', import.meta.url));

function launch(args: readonly string[]) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8', timeout: 30_000 });
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
      expect(run.stderr).toContain('usage: node cli/node22.mjs COMMAND');
    });
  });
});
