/**
 * The email channel end to end on the embedded stack: RequestApproval writes one RFC 5322 `.eml`
 * per approver into the outbox; the test reads the files from disk, parses them with mailparser
 * as a mail client would, follows the link (GET page, then its POST) and the release is promoted
 * under the link's signed address.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { DEMO_APPROVERS } from '../../cli/fixtures/scenarios.js';
import { answerLink, buildGoodRelease, type LocalWorld, lastState, useLocalWorld } from '../support/world.js';

async function outboxMails(w: LocalWorld, approvalId: string): Promise<{ file: string; mail: ParsedMail }[]> {
  const files = (await readdir(w.gate.outboxDir)).filter((f) => f.startsWith(approvalId) && f.endsWith('.eml'));
  return Promise.all(
    files.map(async (file) => ({ file, mail: await simpleParser(await readFile(join(w.gate.outboxDir, file))) })),
  );
}

describe('Workflow: approval by email link (issue 8)', () => {
  const world = useLocalWorld();

  describe('when an approver follows the link from their email', () => {
    it('the .eml files parse, each approver has their own link, and following one approves and promotes', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/emailed';
      const built = await buildGoodRelease(w, repository);
      const seen: { mails: { file: string; mail: ParsedMail }[]; page: string; pageStatus: number; answer: number }[] =
        [];
      w.gate.onOutcome((e) => {
        if (e.type !== 'Approval Requested' || e.detail.repository !== repository) return;
        void (async () => {
          const mails = await outboxMails(w, String(e.detail.approvalId));
          const bob = mails.find((m) => m.mail.to !== undefined && JSON.stringify(m.mail.to).includes('bob@'));
          const link = /https?:\/\/\S+\?t=[A-Za-z0-9_.-]+/.exec(bob?.mail.text ?? '')?.[0] ?? '';
          const page = await fetch(link);
          const pageText = await page.text();
          const answer = await answerLink(link, 'approve', { comment: 'read the mail' });
          seen.push({ mails, page: pageText, pageStatus: page.status, answer: answer.status });
        })();
      });

      // Act
      const pushed = await w.gate.push(repository, '1.4.0');
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      expect(lastState(exec)).toBe('Promoted');
      const [answered] = seen;
      if (answered === undefined) throw new Error('no approval was requested');
      expect(answered.mails.map((m) => m.mail.to && 'text' in m.mail.to && m.mail.to.text).sort()).toEqual(
        [...DEMO_APPROVERS].sort(),
      );
      for (const { mail } of answered.mails) {
        expect(mail.subject).toContain(repository);
        expect(mail.from?.text).toContain('release-gate');
        expect(mail.messageId).toBeTruthy();
        expect(mail.date).toBeInstanceOf(Date);
        expect(mail.html).toContain(`<code>${built.digest.slice(0, 19)}</code>`);
        expect(mail.text).toContain('1.4.0');
        expect(mail.text).toMatch(/sbom\s+PASS/);
      }
      const links = answered.mails.map((m) => /\?t=(\S+)/.exec(m.mail.text ?? '')?.[1]);
      expect(new Set(links).size).toBe(DEMO_APPROVERS.length);
      expect(answered.pageStatus).toBe(200);
      expect(answered.page).toContain('You decide as <strong>bob@example.com</strong>');
      expect(answered.answer).toBe(200);
      const approval = await w.deps.gate.store.getEvidence(repository, built.digest, 'approval');
      expect(approval?.status).toBe('PASS');
      expect(approval?.facts).toMatchObject({
        decidedBy: 'bob@example.com',
        approvals: [expect.objectContaining({ by: 'bob@example.com', via: 'email-link' })],
      });
      expect(approval?.reasons.join(' ')).toContain('identities: bob@example.com (signed email link)');
    });
  });
});
