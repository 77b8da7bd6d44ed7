/**
 * `release-gate approve <id>` for every approval id, including those that start with '-' (issue 8:
 * ids were base64url once, and one in 64 started with '-', which the option parser read as an
 * unknown option). No gate runs here, so an id that got through the parser ends at "no local gate".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

describe('Command: release-gate approve|reject (arguments)', () => {
  let workDir = '';
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-args-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe.each([
    ['an id starting with "-"', ['approve', '-Xq3vJ0aZ9bT1kLmN8pQrS', '--by', 'tester']],
    ['an id starting with "--"', ['reject', '--q3vJ0aZ9bT1kLmN8pQrS', '--by', 'tester', '--comment', 'no']],
    ['an id after "--"', ['approve', '--', '-Xq3vJ0aZ9bT1kLmN8pQrS', '--by', 'tester']],
    ['options before an ordinary id', ['approve', '--by', 'tester', '0123456789abcdef0123456789abcdef']],
  ])('when given %s', (_label, args) => {
    it('takes it as the approval id (reaches "no local gate is running", not a usage error)', async () => {
      // Act
      const res = await runCli([...args, '--work-dir', workDir]);

      // Assess
      expect(res.stderr).not.toMatch(/Unknown option|takes exactly one approval id/);
      expect(res.stderr).toContain('no local gate is running');
      expect(res.code).toBe(2);
    });
  });

  describe.each([
    ['on the local stack', ['reject', '0123456789abcdef0123456789abcdef', '--by', 'tester']],
    ['with --aws', ['reject', '0123456789abcdef0123456789abcdef', '--aws', '--comment', ' ']],
  ])('when reject has no --comment (%s)', (_label, args) => {
    it('is a usage error naming --comment (exit 2), before anything is sent', async () => {
      // Act
      const res = await runCli([...args, '--work-dir', workDir]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('reject needs a reason: --comment');
      expect(res.stderr).not.toContain('no local gate is running');
    });
  });

  describe('when --by is given with --aws', () => {
    it('refuses it (usage error, exit 2): on AWS the identity is the caller principal, never typed', async () => {
      // Act
      const res = await runCli(['approve', '0123456789abcdef0123456789abcdef', '--aws', '--by', 'alice']);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--by is for the local stack');
    });
  });
  describe.each(['demo', 'gate', 'approve', 'reject', 'status'])('when `%s --help` is asked', (command) => {
    it('prints the usage and exits 0 (not a usage error)', async () => {
      // Act
      const res = await runCli([command, '--help']);

      // Assess
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(`release-gate ${command}`);
      expect(res.stderr).toBe('');
    });
  });
});
