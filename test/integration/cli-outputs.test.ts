/**
 * The outputs every release carries (issue 9 §6), through the real CLI against the persisted data
 * of one `release-gate demo --auto-approve` run: `explain` replays every demo release identically
 * from its stored policy and evidence, and shows the difference against a changed policy;
 * `verify-vsa` verifies the VSA Promote attached with the local key and refuses another key;
 * `report` writes the HTML report to the bucket and to `<work-dir>/reports/`. The demo ends with the
 * incident drill (issue 9 §7), whose steps and what they left behind are checked last.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DRILL_ADVISORY_ID } from '../../cli/fixtures/drill-advisory.js';
import { DEMO_SCENARIOS } from '../../cli/fixtures/scenarios.js';
import { withLocalPorts } from '../../cli/local/local-store.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { explainDecision } from '../../lambdas/domain/workflow/explain.js';
import { runCli } from '../support/cli-process.js';

const StatusSchema = z.array(
  z.object({ repository: z.string(), digest: z.string(), state: z.string(), tag: z.string().optional() }),
);
const OutcomeLineSchema = z.object({
  event: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

describe('Commands: explain, report, verify-vsa (issue 9 §6)', () => {
  let workDir = '';
  let releases: z.infer<typeof StatusSchema> = [];
  let demoOut = '';
  let demoJson = '';
  const promoted = (repository: string) => {
    const found = releases.filter((r) => r.repository === repository && r.state === 'PROMOTED').at(0);
    if (found === undefined) throw new Error(`${repository} was not promoted`);
    return found;
  };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-outputs-'));
    // --json: the result on stdout, the commentary (table, drill) on stderr.
    const demo = await runCli(['demo', '--auto-approve', '--json', '--work-dir', workDir], { timeoutMs: 240_000 });
    if (demo.code !== 0) throw new Error(`the demo failed: ${demo.stdout}\n${demo.stderr}`);
    demoOut = demo.stderr;
    demoJson = demo.stdout;
    const status = await runCli(['status', '--json', '--work-dir', workDir]);
    releases = StatusSchema.parse(JSON.parse(status.stdout));
  }, 300_000);
  afterAll(() => (workDir === '' ? undefined : rm(workDir, { recursive: true, force: true })));

  it('demo --json prints its outcome table and drill as one document on stdout', () => {
    // Act
    const result = JSON.parse(demoJson);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.rows.map((r: { repository: string }) => r.repository).sort()).toEqual(
      DEMO_SCENARIOS.map((s) => s.repository).sort(),
    );
    for (const row of result.rows) expect(row.outcome, row.repository).toBe(row.expected);
    expect(result.drill.ok).toBe(true);
  });

  describe('explain', () => {
    it('replays every demo release with the identical outcome and reasons', async () => {
      // Prepare
      expect(new Set(releases.map((r) => r.repository))).toEqual(new Set(DEMO_SCENARIOS.map((s) => s.repository)));

      // Act: in-process on the persisted data (one CLI process per release would restart the stand-ins each time).
      const explained = await withLocalPorts(workDir, (ports) =>
        Promise.all(releases.map(async (r) => ({ r, x: await explainDecision(ports, r.repository, r.digest) }))),
      );

      // Assess
      expect(explained).toHaveLength(releases.length);
      for (const { r, x } of explained) {
        expect(x.identical, r.repository).toBe(true);
        expect(x.changedInputs, r.repository).toEqual([]);
        expect(x.replayed, r.repository).toEqual(x.stored);
        expect(x.stored.decision, r.repository).toBe(r.state === 'PROMOTED' ? 'PASS' : 'BLOCK');
      }
    }, 120_000);

    it('says so through the CLI (exit 0)', async () => {
      // Prepare
      const good = promoted('demo/good');

      // Act
      const res = await runCli(['explain', good.digest, '--repository', 'demo/good', '--work-dir', workDir], {
        timeoutMs: 60_000,
      });

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/identical: the outcome and all \d+ reason\(s\)/);
    }, 60_000);

    it('shows the difference, and that the policy changed, when replayed against a changed policy', async () => {
      // Prepare: the policy no longer requires a signature in production.
      const state = JSON.parse(await readFile(join(workDir, 'local.json'), 'utf8'));
      const changed = join(workDir, 'changed-policy.yaml');
      const text = await readFile(state.policyPath, 'utf8');
      await writeFile(changed, text.replace(/\n {10}- signature\n/, '\n'));
      const unsigned = releases.find((r) => r.repository === 'demo/unsigned');
      if (unsigned === undefined) throw new Error('no demo/unsigned release');

      // Act
      const res = await runCli(['explain', unsigned.digest, '--policy', changed, '--work-dir', workDir], {
        timeoutMs: 60_000,
      });

      // Assess
      expect(res.code, res.stderr).toBe(1);
      expect(res.stdout).toContain('stored:   BLOCK');
      expect(res.stdout).toContain('replayed: PASS');
      expect(res.stdout).toMatch(/- only in the stored decision: signature: MISSING/);
      expect(res.stdout).toMatch(/changed input: policy sha256:[0-9a-f]{64} → sha256:[0-9a-f]{64}/);
    }, 60_000);
  });

  describe('verify-vsa', () => {
    it('verifies the VSA Promote attached to demo/good in production with the local key', async () => {
      // Prepare
      const good = promoted('demo/good');
      const ref = `oci-layout:${join(workDir, 'registry', 'prod', 'demo', 'good')}@${good.digest}`;

      // Act
      const res = await runCli(['verify-vsa', ref, '--json', '--work-dir', workDir], { timeoutMs: 60_000 });

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout);
      expect(out.digest).toBe(good.digest);
      expect(out.predicate).toMatchObject({
        verificationResult: 'PASSED',
        verifiedLevels: ['SLSA_BUILD_LEVEL_2'],
        releaseGate: { stage: 'production', approvers: [{ person: 'alice@example.com' }] },
      });
      expect(out.predicate.inputAttestations.length).toBeGreaterThan(1);
    }, 60_000);

    it('refuses it with another key (exit 1)', async () => {
      // Prepare
      const good = promoted('demo/good');
      const ref = `oci-layout:${join(workDir, 'registry', 'prod', 'demo', 'good')}@${good.digest}`;
      const other = join(workDir, 'other.pub.pem');
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await writeFile(other, publicKey.export({ type: 'spki', format: 'pem' }));

      // Act
      const res = await runCli(['verify-vsa', ref, '--key', other, '--work-dir', workDir], { timeoutMs: 60_000 });

      // Assess
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('no DSSE signature verifies with a trusted key');
    }, 60_000);
  });

  describe('report', () => {
    it('writes the HTML report to the reports folder and the bucket, and prints both', async () => {
      // Prepare
      const good = promoted('demo/good');

      // Act
      const res = await runCli(
        ['report', good.digest.slice(0, 20), '--repository', 'demo/good', '--json', '--work-dir', workDir],
        {
          timeoutMs: 60_000,
        },
      );

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout);
      expect(out.path).toContain(join(workDir, 'reports'));
      expect(out.uri).toMatch(/^s3:\/\/[^/]+\/evidence\/sha256\/[0-9a-f]{64}$/);
      const html = await readFile(out.path, 'utf8');
      expect(html).toContain(good.digest);
      for (const id of ['evidence', 'diff', 'findings', 'eval', 'approvals', 'timeline', 'live']) {
        expect(html, id).toContain(`id="${id}"`);
      }
      expect(html).toContain('approved by alice@example.com');
    }, 60_000);
  });

  describe('the incident drill (issue 9 §7)', () => {
    /** demo/good's releases by tag: 1.2.0 clean, 1.3.0 and 1.4.0 (live) affected by the drill advisory. */
    const good = (tag: string) => {
      const found = releases.find((r) => r.repository === 'demo/good' && r.tag === tag);
      if (found === undefined) throw new Error(`no demo/good ${tag}`);
      return found.digest;
    };
    /** The drill's line for step `label`, and the indented lines printed under it. */
    const stepOf = (label: string) => {
      const lines = demoOut.split('\n');
      const at = lines.findIndex((l) => l.startsWith(`  ${label}. `));
      const end = lines.findIndex((l, i) => i > at && !l.startsWith('       ') && l !== '');
      return { head: lines[at] ?? '', body: lines.slice(at + 1, end).join('\n') };
    };

    it('prints every step with its wall time, in order, and ends all as expected', () => {
      // Prepare
      const labels = ['1', '2', '3', '4', '5a', '5b', '6'];

      // Act
      const heads = labels.map((l) => stepOf(l).head);

      // Assess
      for (const [i, head] of heads.entries()) expect(head, labels[i]).toMatch(/\s\d+ ms$/);
      const positions = labels.map((l) => demoOut.indexOf(`\n  ${l}. `));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(demoOut.indexOf('All outcomes as expected')).toBeLessThan(positions[0] ?? -1);
      expect(demoOut).toMatch(/Incident drill: all steps as expected in \d+\.\d s/);
      expect(demoOut).not.toContain('UNEXPECTED');
    });

    it('raises the re-validation alert for the live release when the advisory file arrives', () => {
      // Act
      const { head, body } = stepOf('2');

      // Assess
      expect(head).toContain('re-validation alert: Release Newly Affected');
      expect(body).toContain(`demo/good@${good('1.4.0')}, live (HIGH)`);
    });

    it('triages the advisory: the live and the previous release, not the clean one, with their live windows', () => {
      // Act
      const { body } = stepOf('3');

      // Assess
      expect(body).toContain(`triage advisory ${DRILL_ADVISORY_ID}: 2 release(s) affected`);
      expect(body).toMatch(new RegExp(`demo/good@${good('1.4.0').slice(0, 19)}… +LIVE +\\S+ → now`));
      expect(body).toMatch(new RegExp(`demo/good@${good('1.3.0').slice(0, 19)}… +PROMOTED +\\S+ → \\d{4}-`));
      expect(body).not.toContain(good('1.2.0').slice(0, 19));
    });

    it('revokes the live release, naming the previous one as the rollback target', () => {
      // Act
      const { body } = stepOf('4');

      // Assess
      expect(body).toContain(`revoked: demo/good@${good('1.4.0')}`);
      expect(body).toContain(`rollback target: ${good('1.3.0')}`);
    });

    it('refuses the rollback to the previous release, which the advisory affects too, then rolls back to the clean one', async () => {
      // Act
      const refused = stepOf('5a').body;
      const rolled = stepOf('5b').body;
      const live = await new OciLayoutRegistry({ root: join(workDir, 'registry') }).getManifest(
        'prod/demo/good',
        'live',
      );

      // Assess
      expect(refused).toContain(`rollback of demo/good REFUSED (target ${good('1.3.0')}); production unchanged`);
      expect(refused).toContain(`newly affected: ${DRILL_ADVISORY_ID}`);
      expect(rolled).toContain(`rolled back: prod/demo/good:live → ${good('1.2.0')} (was ${good('1.4.0')})`);
      expect(rolled).toContain('re-verified: signature PASS, provenance PASS, scan PASS');
      expect(live.digest).toBe(good('1.2.0'));
    });

    it('leaves the revocation on record, each incident event announced once, and the report of the revoked release', async () => {
      // Act
      const status = await runCli(['status', good('1.4.0'), '--work-dir', workDir], {
        timeoutMs: 60_000,
      });
      const events = (await readFile(join(workDir, 'outcomes.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => OutcomeLineSchema.parse(JSON.parse(l)))
        .filter((e) => e.event !== undefined);
      const reportPath = stepOf('6').body.trim();

      // Assess
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/REVOKED at \S+ by alice@example\.com \(local, unauthenticated\): DRILL-2026-0001/);
      // The re-validation alert (once, for the live release only), then the drill's commands.
      expect(events.map((e) => e.event)).toEqual(['Release Newly Affected', 'Release Revoked', 'Release Rolled Back']);
      expect(events[0]?.detail).toMatchObject({ digest: good('1.4.0'), advisoryIds: [DRILL_ADVISORY_ID] });
      expect(events[1]?.detail).toMatchObject({ digest: good('1.4.0'), rollbackTarget: good('1.3.0') });
      expect(events[2]?.detail).toMatchObject({ digest: good('1.2.0'), from: good('1.4.0') });
      expect(reportPath).toBe(join(workDir, 'reports', `demo_good-${good('1.4.0').slice(7, 23)}.html`));
      expect(await readFile(reportPath, 'utf8')).toContain(good('1.4.0'));
    }, 60_000);
  });
});
