import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageRejected, type SESv2Client, type SendEmailCommand } from '@aws-sdk/client-sesv2';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { OutboxMailer } from '../../lambdas/adapters/mail/outbox-mailer.js';
import { SesMailer } from '../../lambdas/adapters/mail/ses-mailer.js';
import { approvalEmail } from '../../lambdas/domain/approval/email.js';
import { NotificationError } from '../../lambdas/domain/errors.js';
import { PLAIN_STRINGS, sampleView, VIEW_DIGEST } from '../support/approval-views.js';
import { stubSdkClient } from '../support/fakes.js';

const INJECTED = '<script>alert(1)</script>';
const view = sampleView({ ...PLAIN_STRINGS, repository: `demo/app${INJECTED}`, reason: `0 findings ${INJECTED}` });
const LINK = 'https://gate.example.com/approvals/0123456789abcdef0123456789abcdef?t=eyJh.c2ln';

const mail = () =>
  approvalEmail({
    view,
    to: 'bob@example.com',
    link: LINK,
  });

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('Function: approvalEmail', () => {
  describe('when the repository and reasons carry markup (attacker-controlled strings)', () => {
    it('escapes them in the HTML part and keeps the facts: repository, tags, short digest, stage, every evidence kind, the link', () => {
      // Act
      const m = mail();

      // Assess
      expect(m.html).not.toContain(INJECTED);
      expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      for (const part of [m.text, m.html]) {
        expect(part).toContain('1.4.0, latest');
        expect(part).toContain(VIEW_DIGEST.slice(0, 19));
        expect(part).toContain('production');
        expect(part).toContain('osv-local');
      }
      expect(m.text).toContain(LINK);
      expect(m.html).toContain(`href="${LINK}"`);
      expect(m.to).toBe('bob@example.com');
    });
  });

  describe('when the repository name holds a line break (header injection)', () => {
    it('keeps the subject on one line', () => {
      // Act
      const m = approvalEmail({
        view: sampleView({ ...PLAIN_STRINGS, repository: 'demo/app\r\nBcc: mallory@example.com' }),
        to: 'bob@example.com',
        link: LINK,
      });

      // Assess
      expect(m.subject).not.toMatch(/[\r\n]/);
    });
  });
});

describe('Class: OutboxMailer', () => {
  describe('when a mail is sent', () => {
    it('writes an RFC 5322 multipart/alternative .eml (0600) that a mail parser reads back', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'rg-outbox-'));
      dirs.push(dir);
      const mailer = new OutboxMailer({ dir: join(dir, 'outbox') });

      // Act
      await mailer.send(mail());

      // Assess
      const [entry] = mailer.sent;
      if (entry === undefined) throw new Error('nothing was recorded');
      expect((await stat(entry.path)).mode & 0o777).toBe(0o600);
      const raw = await readFile(entry.path);
      expect(raw.toString('latin1')).toMatch(/^Content-Type: multipart\/alternative;/m);
      expect(raw.toString('latin1')).toMatch(/^Content-Transfer-Encoding: (quoted-printable|base64|7bit)/m);
      const parsed = await simpleParser(raw);
      expect(parsed.to && 'text' in parsed.to ? parsed.to.text : '').toBe('bob@example.com');
      expect(parsed.subject).toBe(mail().subject);
      expect(parsed.text?.trim()).toBe(mail().text.trim());
      expect(parsed.html).toContain('&lt;script&gt;');
      expect(parsed.headers.get('x-release-gate-approval')).toBe(view.approvalId);
    });
  });
});

/** An SES v2 client answering SendEmail as the API reference documents (`{"MessageId": "..."}`). */
const sesStub = (answer: () => unknown) => stubSdkClient<SESv2Client, SendEmailCommand>(answer);

describe('Class: SesMailer', () => {
  describe('when a mail is sent', () => {
    it('calls SendEmail once, to that approver only, from the verified sender, with the text and HTML bodies', async () => {
      // Prepare
      const stub = sesStub(() => ({
        $metadata: { httpStatusCode: 200 },
        MessageId: 'EXAMPLE78603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000',
      }));
      const mailer = new SesMailer({ client: stub.client, from: 'approvals@example.com' });
      const m = mail();

      // Act
      await mailer.send(m);

      // Assess
      expect(stub.sent.map((c) => c.input)).toEqual([
        {
          FromEmailAddress: 'approvals@example.com',
          Destination: { ToAddresses: ['bob@example.com'] },
          Content: {
            Simple: {
              Subject: { Data: m.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: m.text, Charset: 'UTF-8' }, Html: { Data: m.html, Charset: 'UTF-8' } },
            },
          },
          EmailTags: [{ Name: 'release-gate', Value: 'approval-request' }],
        },
      ]);
    });
  });

  describe('when SES refuses the message', () => {
    it('throws NotificationError naming the recipient (the Task retries; no link is lost silently)', async () => {
      // Prepare
      const stub = sesStub(() => {
        throw new MessageRejected({ message: 'Email address is not verified.', $metadata: {} });
      });
      const mailer = new SesMailer({ client: stub.client, from: 'approvals@example.com' });

      // Act
      const act = mailer.send(mail());

      // Assess
      await expect(act).rejects.toThrowWithCode(NotificationError, 'NOTIFICATION_ERROR', 'bob@example.com');
    });
  });
});
