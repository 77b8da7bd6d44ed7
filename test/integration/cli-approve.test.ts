/**
 * The manual approval path end to end: `release-gate demo` (no --auto-approve) runs in a child
 * process and waits for a human on every image it expects to promote; `release-gate approve` in
 * other processes answers them, and of two answers to the same approval exactly one wins;
 * afterwards `release-gate status` restarts the stand-ins on the persisted data and shows the
 * releases and their evidence with the S3 keys of the raw documents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIOS } from '../../cli/fixtures/scenarios.js';
import { startStandIns } from '../../cli/local/stand-ins.js';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { DigestSchema, EVIDENCE_KINDS } from '../../lambdas/domain/types.js';
import { CliProcess, type CliResult, runCli } from '../support/cli-process.js';

/** The approval prompt the demo prints for `repository`: captures the digest and the approval id. */
function approvalBlock(repository: string): RegExp {
  const name = repository.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`APPROVAL NEEDED for ${name}@(sha256:[0-9a-f]{64})[\\s\\S]*? approve (\\S+) --by `);
}

/** Every scenario the demo promotes asks a human (baselines are approved by the demo itself). */
const PROMOTED = DEMO_SCENARIOS.filter((s) => s.expect === 'PROMOTED').map((s) => s.repository);
const RELEASE_LINE = /^(\S+)@(sha256:[0-9a-f]{64})\s+(\S+)/;
const S3_LINE = /^\s+s3:\/\/([^/\s]+)\/evidence\/sha256\/([0-9a-f]{64})\s+(\S+)$/;

describe('Command: release-gate approve (the demo waiting for a human)', () => {
  let workDir = '';
  let demo: CliProcess | undefined;
  let digest = '';
  let approvalId = '';
  /** Approval ids of the other images the demo waits on, by repository. */
  const others = new Map<string, string>();
  let demoExit: number | undefined;
  /** Who won the race to approve demo/good, and who was refused. */
  let winnerBy = '';
  let loserBy = '';

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-approve-'));
    const running = CliProcess.spawn(['demo', '--work-dir', workDir]);
    demo = running;
    const prompts = await Promise.all(
      PROMOTED.map(async (repository) => ({
        repository,
        m: await running.waitForOutput(approvalBlock(repository), 45_000),
      })),
    );
    for (const { repository, m } of prompts) {
      if (repository === 'demo/good') {
        digest = m[1] ?? '';
        approvalId = m[2] ?? '';
      } else {
        others.set(repository, m[2] ?? '');
      }
    }
  }, 120_000);

  afterAll(async () => {
    await demo?.kill();
    if (workDir !== '') await rm(workDir, { recursive: true, force: true });
  });

  describe('when two approvers answer the same approval at once', () => {
    it('accepts exactly one answer, refuses the other, and the demo promotes demo/good', async () => {
      // Prepare
      if (demo === undefined || approvalId === '') throw new Error('the demo did not ask for an approval');
      expect(demo.running).toBe(true);
      expect(PROMOTED).toContain('demo/good');
      expect([...others.keys()].sort()).toEqual(PROMOTED.filter((r) => r !== 'demo/good').sort());
      const approvers = ['alice@example.com', 'bob@example.com'];

      // Act
      const answers: CliResult[] = await Promise.all(
        approvers.map((by) => runCli(['approve', approvalId, '--by', by, '--work-dir', workDir])),
      );
      // The demo finishes only once every image it waits on has an answer.
      const rest: CliResult[] = await Promise.all(
        [...others.values()].map((id) =>
          runCli(['approve', id, '--by', 'bob@example.com', '--json', '--work-dir', workDir]),
        ),
      );
      demoExit = await demo.waitForExit(45_000);

      // Assess
      expect(answers.map((a) => a.code).sort(), JSON.stringify(answers)).toEqual([0, 1]);
      const winner = answers.findIndex((a) => a.code === 0);
      const loser = answers.find((a) => a.code === 1);
      winnerBy = approvers[winner] ?? '';
      loserBy = approvers.find((_, i) => i !== winner) ?? '';
      // One plain line each: the outcome, and the status only where it was refused.
      expect(answers[winner]?.stdout).toMatch(/^(Release approved|Approval recorded): demo\/good@sha256:[0-9a-f]{64}/);
      expect(answers[winner]?.stdout).not.toMatch(/^200/);
      expect(loser?.stdout).toMatch(/^refused \(409\): /);
      expect(loser?.stdout).toContain(`approval ${approvalId} was already answered: APPROVED`);
      expect(loser?.stdout).not.toContain('{'); // the page's text, not its CSS
      expect(demoExit, demo.stderr).toBe(0);
      const row = demo.stdout.split('\n').find((l) => l.startsWith('demo/good '));
      expect(row).toMatch(/^demo\/good\s+PROMOTED\s/);
      expect(row).toContain(`approved by ${approvers[winner]}`);
      expect(rest.map((r) => r.code)).toEqual(rest.map(() => 0));
      // --json: the answer as one document.
      for (const r of rest) {
        expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'approve', answered: true, status: 200 });
      }
      for (const repository of others.keys()) {
        const other = demo.stdout.split('\n').find((l) => l.startsWith(`${repository} `));
        expect(other, repository).toMatch(/\sPROMOTED\s/);
        expect(other, repository).toContain('approved by bob@example.com');
      }
      expect(demo.stdout).toContain('All outcomes as expected');
      // Once every approval is answered, the interactive demo runs the incident drill too.
      expect(demo.stdout).toMatch(/Incident drill: all steps as expected in \d/);
    }, 150_000);
  });

  describe('when the demo has exited', () => {
    it('refuses a late answer: no local gate is running (exit 2)', async () => {
      // Prepare
      if (demoExit === undefined) throw new Error('the demo did not finish');

      // Act
      const res = await runCli(['approve', approvalId, '--by', 'alice@example.com', '--work-dir', workDir]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('no local gate is running');
    });

    it('status lists every release of the demo from the persisted data', async () => {
      // Prepare
      if (demoExit === undefined) throw new Error('the demo did not finish');

      // Act
      const res = await runCli(['status', '--work-dir', workDir]);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const releases = res.stdout
        .split('\n')
        .map((l) => RELEASE_LINE.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ repository: m[1], digest: m[2], state: m[3] }));
      expect(releases).toContainEqual({ repository: 'demo/good', digest, state: 'PROMOTED' });
      for (const s of DEMO_SCENARIOS) {
        const states = releases.filter((r) => r.repository === s.repository).map((r) => r.state);
        // Scenarios with baselines (earlier releases too) have them PROMOTED next to their own outcome.
        expect(states, s.name).toContain(s.expect);
        expect(states, s.name).toHaveLength((s.earlier?.length ?? 0) + (s.previous === undefined ? 1 : 2));
      }
    });

    it('status <digest-prefix> shows the evidence and the S3 keys of its documents, which hold those bytes', async () => {
      // Prepare
      if (demoExit === undefined) throw new Error('the demo did not finish');
      const prefix = digest.slice(0, 'sha256:'.length + 12);

      // Act
      const res = await runCli(['status', prefix, '--work-dir', workDir]);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^demo/good@${digest}\\s+PROMOTED`));
      expect(res.stdout).toContain('reason: approved by');
      for (const kind of EVIDENCE_KINDS) {
        expect(
          lines.some((l) => new RegExp(`^\\s+${kind}\\s+PASS\\s`).test(l)),
          kind,
        ).toBe(true);
      }
      const documents = lines.map((l) => S3_LINE.exec(l)).filter((m) => m !== null);
      const names = documents.map((m) => m[3]);
      expect(names).toEqual(
        expect.arrayContaining(['sbom.intoto.dsse.json', 'provenance.dsse.json', 'scan-report.json']),
      );

      // The keys are content addresses: read each object back (get() verifies its sha256).
      const standIns = await startStandIns({ dataDir: join(workDir, 'data') });
      try {
        const clients = awsClients({ endpoints: { s3: standIns.s3Endpoint } });
        for (const m of documents) {
          expect(m[1]).toBe(standIns.bucket);
          const store = new S3DocumentStore({ client: clients.s3, bucket: m[1] ?? '' });
          const bytes = await store.get(DigestSchema.parse(`sha256:${m[2]}`));
          expect(bytes.byteLength, m[3]).toBeGreaterThan(0);
        }
        clients.s3.destroy();
        clients.dynamodb.destroy();
      } finally {
        await standIns.stop();
      }
    });

    it('status <digest> shows the approval trail (who, via, when, from where, outcome) and the final approval record, in text and JSON', async () => {
      // Prepare
      if (demoExit === undefined || winnerBy === '') throw new Error('the demo did not finish');
      const prefix = digest.slice(0, 'sha256:'.length + 12);

      // Act
      const text = await runCli(['status', prefix, '--work-dir', workDir]);
      const json = await runCli(['status', prefix, '--json', '--work-dir', workDir]);

      // Assess
      expect([text.code, json.code], text.stderr + json.stderr).toEqual([0, 0]);
      const [release] = JSON.parse(json.stdout) as { approvalTrail: Record<string, unknown>[] }[];
      const trail = release?.approvalTrail ?? [];
      expect(trail[0]).toMatchObject({ kind: 'requested', identity: 'release-gate', channel: 'workflow' });
      expect(trail).toContainEqual(
        expect.objectContaining({
          kind: 'decided',
          identity: winnerBy,
          channel: 'cli-local',
          sourceIp: '127.0.0.1',
          state: 'APPROVED',
          outcome: 'approved: 1 of 1 approvals',
        }),
      );
      expect(trail).toContainEqual(
        expect.objectContaining({ kind: 'refused', identity: loserBy, channel: 'cli-local', code: 'ALREADY_DECIDED' }),
      );
      const lines = text.stdout.split('\n');
      expect(lines).toContain('    approval trail:');
      const decided = lines.find((l) => /^\s+\S+\s+decided\s/.test(l)) ?? '';
      expect(decided).toMatch(
        new RegExp(
          `^\\s+20\\d\\d-\\S+Z\\s+decided\\s+${winnerBy} via cli-local from 127\\.0\\.0\\.1 \\(.+\\): APPROVED approved: 1 of 1`,
        ),
      );
      expect(text.stdout).not.toContain('\u001b');
      // The final approval record sits in the evidence bucket, listed under the approval evidence.
      expect(lines.map((l) => S3_LINE.exec(l)?.[3])).toContain('approval-record.json');
    });

    it('status of an unknown digest exits 1', async () => {
      // Act
      const res = await runCli(['status', `sha256:${'0'.repeat(64)}`, '--work-dir', workDir]);

      // Assess
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('no release with digest');
    });
  });
});
