import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, installCommand, missingTools, planInstall } from '../support/debian-tools.js';

describe('Module: test/support/debian-tools', () => {
  const root = mkdtempSync(join(tmpdir(), 'debian-tools-'));
  const bin = join(root, 'bin');
  const other = join(root, 'other');
  mkdirSync(bin);
  mkdirSync(other);
  const executable = (dir: string, name: string, mode = 0o755): string => {
    const file = join(dir, name);
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, mode);
    return file;
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe('Function: findOnPath', () => {
    it('finds an executable in a later PATH directory', () => {
      const skopeo = executable(other, 'skopeo');
      expect(findOnPath('skopeo', [bin, other].join(delimiter))).toBe(skopeo);
    });

    it('passes over a file that is not executable and a directory of the same name', () => {
      executable(bin, 'umoci', 0o644);
      mkdirSync(join(other, 'umoci'));
      expect(findOnPath('umoci', [bin, other].join(delimiter))).toBeUndefined();
    });

    it('follows a symlink to an executable', () => {
      const target = executable(root, 'registry-real');
      symlinkSync(target, join(bin, 'docker-registry'));
      expect(findOnPath('docker-registry', bin)).toBe(join(bin, 'docker-registry'));
    });

    it('lists the tools that are missing from a PATH', () => {
      expect(missingTools(join(root, 'empty'))).toEqual(['docker-registry', 'skopeo', 'umoci', 'chromium']);
      expect(missingTools([bin, other].join(delimiter))).toEqual(['umoci', 'chromium']);
    });
  });

  describe('Function: planInstall', () => {
    const base = { missing: [], root: false, passwordlessSudo: false, aptGet: true, installAllowed: true } as const;

    it('does nothing when nothing is missing, whatever the rights', () => {
      expect(planInstall(base)).toEqual({ action: 'none' });
    });

    it('installs with apt-get as root, without sudo', () => {
      expect(planInstall({ ...base, missing: ['skopeo', 'umoci'], root: true })).toEqual({
        action: 'install',
        argv: ['skopeo', 'umoci'],
        sudo: false,
      });
    });

    it('installs through sudo when sudo needs no password', () => {
      expect(planInstall({ ...base, missing: ['docker-registry'], passwordlessSudo: true })).toEqual({
        action: 'install',
        argv: ['docker-registry'],
        sudo: true,
      });
    });

    it('fails with the one command to run when it may not install', () => {
      const plan = planInstall({ ...base, missing: ['docker-registry', 'umoci'] });
      expect(plan).toEqual({
        action: 'fail',
        message: expect.stringContaining('Run: sudo apt-get update && sudo apt-get install -y docker-registry umoci'),
      });
    });

    it('fails without apt-get, naming the packages', () => {
      const plan = planInstall({ ...base, missing: ['skopeo'], root: true, aptGet: false });
      expect(plan.action).toBe('fail');
      expect(plan.action === 'fail' && plan.message).toMatch(/apt-get is not available.*skopeo/);
    });

    it('fails when the install is turned off, even as root', () => {
      const plan = planInstall({ ...base, missing: ['umoci'], root: true, installAllowed: false });
      expect(plan).toEqual({
        action: 'fail',
        message: expect.stringContaining('Run: apt-get update && apt-get install -y umoci'),
      });
    });
  });

  describe('Function: installCommand', () => {
    it('names the Debian packages, with sudo only when not root', () => {
      expect(installCommand(['docker-registry', 'skopeo', 'umoci'], false)).toBe(
        'sudo apt-get update && sudo apt-get install -y docker-registry skopeo umoci',
      );
      expect(installCommand(['umoci'], true)).toBe('apt-get update && apt-get install -y umoci');
    });
  });
});
