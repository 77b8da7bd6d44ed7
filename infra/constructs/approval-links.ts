import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag-acknowledgments.js';

export interface ApprovalLinksProps {
  /** Key the signing secret is encrypted with. */
  readonly key: kms.IKey;
  /** Functions that sign links (request-approval) and verify them (approval-api). */
  readonly readers: readonly iam.IGrantable[];
  /** Functions that mail the links (request-approval). */
  readonly senders: readonly iam.IGrantable[];
  /**
   * The SES identity approval mails are sent from: an address verified in SES, or an address in a
   * verified domain (`approvals@example.com`).
   * @default - no approval mails: nobody can answer by link; the CLI remains
   */
  readonly sender?: string;
}

/**
 * The signing secret of the per-approver approval links and the right to mail them. The secret is
 * JSON `{"current": "<64 characters>"}` (lambdas/domain/approval/link.ts `parseLinkSecret`), made
 * at deploy time and never in the template; to rotate, put `{"current": new, "previous": old}`.
 */
export class ApprovalLinks extends Construct {
  public readonly secret: secretsmanager.Secret;
  /** Environment the functions read (lambdas/handlers/aws-deps.ts). */
  public readonly environment: Readonly<Record<string, string>>;

  public constructor(scope: Construct, id: string, props: ApprovalLinksProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'release-gate approval link signing key (HMAC-SHA256)',
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'current',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    acknowledgeRule(
      this.secret,
      'AwsSolutions-SMG4',
      'Rotation keeps the previous key valid for links already mailed, which Secrets Manager rotation cannot express without a custom rotation Lambda; operators rotate by writing {"current": new, "previous": old} (README).',
    );
    for (const reader of props.readers) this.secret.grantRead(reader);
    this.environment = {
      LINK_SECRET_ARN: this.secret.secretArn,
      ...(props.sender === undefined ? {} : { APPROVAL_EMAIL_FROM: props.sender }),
    };
    if (props.sender === undefined) return;
    // SendEmail is authorised against the identity that verified the sender: the address itself
    // or its domain. Both ARNs name one identity each (no wildcard).
    const stack = Stack.of(this);
    const domain = props.sender.split('@').at(-1) ?? props.sender;
    const identityArn = (name: string) =>
      stack.formatArn({
        service: 'ses',
        resource: 'identity',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const statement = new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [...new Set([identityArn(props.sender), identityArn(domain)])],
    });
    for (const sender of props.senders) sender.grantPrincipal.addToPrincipalPolicy(statement);
  }
}
