import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { NotificationError } from '../../domain/errors.js';
import type { ApprovalEmail, ApprovalMailer } from '../../domain/ports.js';

export interface SesMailerProps {
  readonly client: SESv2Client;
  /** A verified SES identity (address, or an address in a verified domain). */
  readonly from: string;
  /** @default - the account's default configuration set, if any */
  readonly configurationSetName?: string;
}

/**
 * Approval mails through Amazon SES v2 (SendEmail with Content.Simple: SES builds the MIME
 * multipart/alternative from the text and HTML bodies). One call per approver, so each gets only
 * their own link.
 * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
 */
export class SesMailer implements ApprovalMailer {
  public constructor(private readonly props: SesMailerProps) {}

  public async send(mail: ApprovalEmail): Promise<void> {
    try {
      await this.props.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.props.from,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
            },
          },
          EmailTags: [{ Name: 'release-gate', Value: 'approval-request' }],
          ...(this.props.configurationSetName === undefined
            ? {}
            : { ConfigurationSetName: this.props.configurationSetName }),
        }),
      );
    } catch (err) {
      throw new NotificationError(`SES SendEmail to ${mail.to} failed`, { cause: err });
    }
  }
}
