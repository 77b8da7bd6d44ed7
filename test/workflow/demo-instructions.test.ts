/**
 * What plain `npm start` prints at each pending approval (cli/demo.ts `approvalInstructions`, issue
 * 8 "Done when"): each approver's link is the one in their `.eml` file, and the printed Slack
 * command, pasted into a shell, is a signed click the local stack takes as that approver.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { approvalInstructions, withLocalApprovers } from '../../cli/demo.js';
import { DEMO_APPROVERS } from '../../cli/fixtures/scenarios.js';
import { lastState, pushUntilApprovalRequested, useLocalWorld } from '../support/world.js';

const run = promisify(execFile);

describe('Function: approvalInstructions (what plain npm start prints)', () => {
  const world = useLocalWorld({ tweak: withLocalApprovers });

  describe('when a release waits for its approval', () => {
    it("prints each approver's link as mailed in the .eml files, and a Slack command that approves as alice", async () => {
      // Prepare
      const w = world();
      const repository = 'demo/printed';
      const { pushed, detail } = await pushUntilApprovalRequested(w, repository);
      const approvalId = String(detail.approvalId);

      // Act
      const lines = approvalInstructions({
        key: `${repository}@${pushed.digest}`,
        approvalId,
        evidenceSetDigest: String(detail.evidenceSetDigest),
        mails: w.gate.mailer.sent.filter((m) => m.approvalId === approvalId),
        outboxDir: w.gate.outboxDir,
        slackChannel: String(detail.slackChannel),
        slackDir: w.gate.slack?.dir,
        apiOrigin: new URL(w.gate.approvalBaseUrl).origin,
        workDir: w.dir,
      });
      const slackCommand =
        lines[lines.findIndex((l) => l.includes('Click Approve as alice@example.com (U0ALICE)')) + 1]?.trim() ?? '';
      const clicked = await run('bash', ['-c', slackCommand]);
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess: the printed links are the mailed ones, one per approver
      const emls = (await readdir(w.gate.outboxDir)).filter((f) => f.startsWith(approvalId) && f.endsWith('.eml'));
      const mailed = await Promise.all(
        emls.map(async (f) => {
          const mail = await simpleParser(await readFile(join(w.gate.outboxDir, f)));
          const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
          return `${to}: ${/https?:\/\/\S+\?t=[A-Za-z0-9_.-]+/.exec(mail.text ?? '')?.[0]}`;
        }),
      );
      const printed = lines.filter((l) => /^ {6}\S+@example\.com: http/.test(l)).map((l) => l.trim());
      expect(printed.sort()).toEqual(mailed.sort());
      expect(printed).toHaveLength(DEMO_APPROVERS.length);
      expect(lines.join('\n')).toContain(w.gate.outboxDir);
      // every channel is named, with this approval's id
      expect(lines.join('\n')).toContain(`approve ${approvalId} --by alice@example.com`);
      expect(lines.join('\n')).toContain(`reject ${approvalId} --by alice@example.com --comment`);
      expect(lines.join('\n')).toContain(`AWS_SHARED_CREDENTIALS_FILE=${join(w.dir, 'aws-credentials')}`);
      // the Slack command is a signed click: alice approves through Slack and the release is promoted
      expect(clicked.stderr).toBe('');
      expect(lastState(exec)).toBe('Promoted');
      expect(await w.deps.gate.store.getApproval(approvalId)).toMatchObject({
        state: 'APPROVED',
        approvals: [expect.objectContaining({ by: 'U0ALICE', via: 'slack' })],
      });
    }, 120_000);
  });
});
