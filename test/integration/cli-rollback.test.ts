/**
 * `release-gate revoke`, `rollback` and `release` (from quarantine) end to end: the real CLI in a child process
 * against the local stack a running gate published in `local.json` (its table, bucket, OCI layout
 * registry, policy file and advisories folder), after the real workflow promoted two releases.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { runCli } from '../support/cli-process.js';
import {
  gateRelease,
  type LocalWorld,
  lastState,
  promoteInOrder,
  publishLocalWorld,
  quarantinedUnsigned,
  useLocalWorld,
} from '../support/world.js';

const OutcomeLineSchema = z.object({ event: z.string().optional() });
const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));
const REPO = 'demo/cli-rollback';
/** An advisory published after both releases were gated, for a package both carry. */
const NEW_ADVISORY = {
  schema_version: '1.4.0',
  id: 'GHSA-rb00-0000-0101',
  aliases: ['CVE-2026-990101'],
  modified: '2026-12-01T00:00:00Z',
  database_specific: { severity: 'CRITICAL' },
  affected: [
    {
      package: { ecosystem: 'npm', name: 'express' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.99.0' }] }],
    },
  ],
};
const PROD = `prod/${REPO}`;

describe('Command: release-gate revoke / rollback', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  const publish = (w: LocalWorld) => publishLocalWorld(w, ADVISORIES);

  const cli = (w: LocalWorld, ...args: string[]) => runCli([...args, '--work-dir', w.dir], { timeoutMs: 60_000 });
  const live = async (w: LocalWorld) => (await w.registry.getManifest(PROD, 'live')).digest;

  it('revokes the live release, rolls back in seconds, refuses the revoked one, and breaks glass with two people', async () => {
    // Prepare: two releases promoted one after the other.
    const w = world();
    const [first, second] = await promoteInOrder(w, REPO, ['1.0.0', '1.1.0']);
    if (first === undefined || second === undefined) throw new Error('two releases were built');
    await publish(w);

    // Act & Assess: re-verification judges the target with today's policy file and advisories. A
    // policy that no longer trusts the signing key refuses it, and so does a new advisory.
    const policyPath = join(w.dir, 'policy.yaml');
    await writeFile(policyPath, stringify(demoPolicy({ ...w.keys, signing: w.keys.untrusted })));
    const distrusted = await cli(w, 'rollback', REPO, '--by', 'carol@example.com');
    expect(distrusted.code).toBe(1);
    expect(distrusted.stdout).toContain('REFUSED');
    expect(distrusted.stdout).toMatch(/- signature (FAIL|UNTRUSTED|ERROR) today/);
    await writeFile(policyPath, stringify(demoPolicy(w.keys)));
    const todays = await mkdtemp(join(tmpdir(), 'rg-advisories-'));
    await cp(ADVISORIES, todays, { recursive: true });
    await writeFile(join(todays, 'new-advisory.json'), JSON.stringify(NEW_ADVISORY));
    const affected = await cli(w, 'rollback', REPO, '--by', 'carol@example.com', '--advisories', todays);
    await rm(todays, { recursive: true, force: true });
    expect(affected.code).toBe(1);
    expect(affected.stdout).toContain('REFUSED');
    expect(affected.stdout).toContain('newly affected: CVE-2026-990101');
    expect(await live(w)).toBe(second.digest);

    // Revoke names the target.
    const revoke = await cli(
      w,
      'revoke',
      second.digest,
      '--reason',
      'CVE-2026-1 in the base',
      '--by',
      'carol@example.com',
    );
    expect(revoke.stderr).toBe('');
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`revoked: ${REPO}@${second.digest}`);
    expect(revoke.stdout).toContain(`rollback target: ${first.digest}`);
    // --json: the same answer as one document.
    const twice = await cli(w, 'revoke', second.digest, '--reason', 'again', '--by', 'carol@example.com', '--json');
    expect(JSON.parse(twice.stdout)).toMatchObject({ created: false, record: { digest: second.digest } });
    expect(JSON.parse(twice.stdout).record.reason).toContain('CVE-2026-1 in the base');

    // Rollback by the production repository's name: re-verified, the live tag moves back.
    const rollback = await cli(w, 'rollback', PROD, '--by', 'carol@example.com', '--reason', 'revoked');
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain(`rolled back: ${PROD}:live → ${first.digest} (was ${second.digest})`);
    expect(rollback.stdout).toContain('re-verified: signature PASS, provenance PASS, scan PASS');
    expect(rollback.stdout).toMatch(/took \d+\.\d\d s, re-verification included/);
    expect(await live(w)).toBe(first.digest);

    // The revoked release is refused; break-glass needs an approver, then goes through.
    const refused = await cli(w, 'rollback', REPO, '--to', second.digest, '--by', 'carol@example.com');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REFUSED');
    expect(refused.stdout).toMatch(/- revoked at .* by carol@example.com \(local, unauthenticated\): CVE-2026-1/);
    const breakGlass = ['rollback', REPO, '--to', second.digest, '--by', 'carol@example.com', '--break-glass'];
    const noApprover = await cli(w, ...breakGlass, '--reason', 'outage');
    expect(noApprover.code).toBe(2);
    expect(noApprover.stderr).toContain('break-glass refused: it needs an approver');
    const glass = await cli(w, ...breakGlass, '--reason', 'outage', '--approved-by', 'bob@example.com');
    expect(glass.code).toBe(0);
    expect(glass.stdout).toContain(
      'BREAK-GLASS by carol@example.com (local, unauthenticated), approved by bob@example.com',
    );
    expect(await live(w)).toBe(second.digest);

    // Visible in status, and announced.
    const status = await cli(w, 'status', second.digest);
    expect(status.stdout).toContain('REVOKED at');
    expect(status.stdout).toMatch(
      /BREAK-GLASS approved by bob@example.com \(local, unauthenticated\): outage; overrode: revoked at/,
    );
    const outcomes = (await readFile(join(w.dir, 'outcomes.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => OutcomeLineSchema.parse(JSON.parse(l)));
    expect(outcomes.flatMap((o) => (o.event === undefined ? [] : [o.event]))).toEqual([
      'Release Revoked',
      'Release Revoked',
      'Release Rolled Back',
      'Release Rolled Back',
      'Break Glass Used',
    ]);
  }, 300_000);

  it('release: refuses a quarantined release that still fails, breaks glass with two people, and rollback undoes it', async () => {
    // Prepare: one release promoted, the next quarantined for a signer the policy does not trust.
    const w = world();
    // Its own repository: the world's registry is shared with the test above.
    const repository = 'demo/cli-release';
    const prod = `prod/${repository}`;
    const liveNow = async () => (await w.registry.getManifest(prod, 'live')).digest;
    const build = (tag: string, signature?: 'untrusted-key') =>
      buildScenarioImage(w.registry, { repository, tag, npmPackages: DEFAULT_NPM_PACKAGES, signature }, w.keys);
    const first = await build('1.0.0');
    expect(lastState((await gateRelease(w, repository, '1.0.0')).exec)).toBe('Promoted');
    const second = await build('1.1.0', 'untrusted-key');
    expect(lastState((await gateRelease(w, repository, '1.1.0')).exec)).toBe('Quarantined');
    await publish(w);
    const release = (...extra: string[]) =>
      cli(w, 'release', second.digest, '--reason', 'key rotation', '--by', 'carol@example.com', ...extra);

    // Act & Assess: refused with the reasons, production unchanged.
    const refused = await release();
    expect(refused.stderr).toBe('');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`release of ${repository}@${second.digest} REFUSED; production unchanged`);
    expect(refused.stdout).toMatch(/- signature (FAIL|UNTRUSTED|ERROR) today/);
    const self = await release('--by', 'bob@example.com', '--break-glass', '--approved-by', 'bob@example.com');
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('break-glass needs a second person');
    expect(await liveNow()).toBe(first.digest);

    // Break-glass with a second person: promoted, alerted, visible in status.
    const glass = await release('--break-glass', '--approved-by', 'bob@example.com');
    expect(glass.stderr).toBe('');
    expect(glass.code).toBe(0);
    expect(glass.stdout).toContain(`released from quarantine: ${prod}:live → ${second.digest}`);
    expect(glass.stdout).toContain(
      'BREAK-GLASS by carol@example.com (local, unauthenticated), approved by bob@example.com',
    );
    expect(await liveNow()).toBe(second.digest);
    const status = await cli(w, 'status', second.digest);
    expect(status.stdout).toMatch(/BREAK-GLASS approved by bob@example.com \(local, unauthenticated\): key rotation/);

    // Reversible: rollback goes back to the release live before.
    const back = await cli(w, 'rollback', repository, '--by', 'carol@example.com', '--reason', 'undo the break-glass');
    expect(back.code).toBe(0);
    expect(await liveNow()).toBe(first.digest);
    const events = (await readFile(join(w.dir, 'outcomes.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .flatMap((l) => OutcomeLineSchema.parse(JSON.parse(l)).event ?? []);
    // The work dir is the world's, shared with the test above: this test's events are the last three.
    expect(events.slice(-3)).toEqual(['Release Promoted', 'Break Glass Used', 'Release Rolled Back']);
    const help = await cli(w, 'release', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('release-gate release <digest> --reason TEXT');
    for (const command of ['revoke', 'rollback']) {
      const own = await cli(w, command, '--help');
      expect(own.code).toBe(0);
      expect(own.stdout).toContain(`release-gate ${command} <`);
    }
  }, 300_000);

  it('release: runs a quarantined release that passes now through the gate again, to PROMOTED, shown in status', async () => {
    // Prepare: quarantined for a missing signature, which is attached afterwards.
    const w = world();
    const repository = 'demo/cli-resubmit';
    const { built, sign } = await quarantinedUnsigned(w, repository, '3.0.0');
    await sign();
    await publish(w);

    // Act
    const out = await cli(w, 'release', built.digest, '--reason', 'signed late', '--by', 'carol@example.com');

    // Assess: the next round started on the running stack; it is approved (the world answers) and promoted.
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      `released from quarantine for approval: ${repository}@${built.digest} runs gate round 2`,
    );
    const name = /execution: (\S+)/.exec(out.stdout)?.[1] ?? '';
    expect(name).toMatch(/-r2$/);
    expect(lastState(await w.gate.waitForExecution(name))).toBe('Promoted');
    const status = await cli(w, 'status', built.digest);
    expect(status.stdout).toContain(`${repository}@${built.digest}  PROMOTED`);
    expect(status.stdout).toContain('gate round 2 of at most 3');
    expect(status.stdout).toMatch(/round 1 ended QUARANTINED: /);
    expect(status.stdout).toContain('released from quarantine at ');
    expect(status.stdout).toContain('by carol@example.com (local, unauthenticated): signed late');
    const explained = await cli(w, 'explain', built.digest, '--round', '1', '--json');
    expect(explained.code).toBe(0);
    expect(JSON.parse(explained.stdout)).toMatchObject({
      gateRound: 1,
      stored: { decision: 'BLOCK' },
      identical: true,
    });
    const latest = await cli(w, 'explain', built.digest);
    expect(latest.stdout).toContain('in gate round 2');
    // Asked again, a promoted release is refused.
    const again = await cli(w, 'release', built.digest, '--reason', 'again', '--by', 'carol@example.com', '--json');
    expect(again.code).toBe(1);
    const refusal = JSON.parse(again.stdout);
    expect(refusal.outcome).toBe('REFUSED');
    expect(refusal.reasons.join('\n')).toContain('is PROMOTED, not QUARANTINED');
  }, 300_000);
});
