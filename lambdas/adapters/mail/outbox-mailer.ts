import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { ApprovalEmail, ApprovalMailer } from '../../domain/ports.js';

export interface OutboxMailerProps {
  /** The folder the `.eml` files are written to (`.release-gate/outbox` for `npm start`). */
  readonly dir: string;
  /** The From address. @default 'release-gate <release-gate@localhost>' */
  readonly from?: string;
}

/** One mail written to the outbox, with the file it is in. */
export interface OutboxEntry extends ApprovalEmail {
  readonly path: string;
}

/**
 * The local email channel: each approval mail becomes an RFC 5322 `.eml` file (multipart/
 * alternative text + HTML, MIME-encoded by nodemailer's composer) that any mail client opens.
 * `sent` keeps them in memory too, so the demo can print each approver's link.
 */
export class OutboxMailer implements ApprovalMailer {
  public readonly sent: OutboxEntry[] = [];

  public constructor(private readonly props: OutboxMailerProps) {}

  public get dir(): string {
    return this.props.dir;
  }

  public async send(mail: ApprovalEmail): Promise<void> {
    const raw = await rawMessage(mail, this.props.from ?? 'release-gate <release-gate@localhost>');
    await mkdir(this.props.dir, { recursive: true });
    const safeTo = mail.to.replace(/[^A-Za-z0-9@._-]+/g, '_').slice(0, 80);
    const path = join(this.props.dir, `${mail.approvalId}-${safeTo}-${randomUUID().slice(0, 8)}.eml`);
    await writeFile(path, raw, { mode: 0o600 });
    this.sent.push({ ...mail, path });
  }
}

/** The mail as RFC 5322 bytes: headers encoded, parts quoted-printable or base64 as nodemailer picks. */
export function rawMessage(mail: ApprovalEmail, from: string): Promise<Buffer> {
  return new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: { 'X-Release-Gate-Approval': mail.approvalId },
  })
    .compile()
    .build();
}
