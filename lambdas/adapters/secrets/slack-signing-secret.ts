import { randomBytes } from 'node:crypto';
import { parseSlackSigningSecret } from '../../domain/approval/slack.js';
import type { SlackSigningSecret } from '../../domain/ports.js';
import { readOrCreateSecretFile } from './secret-file.js';
import { CachedSecretString, type SecretsManagerStringProps } from './secrets-manager-string.js';

/** The Slack signing secret from AWS Secrets Manager (SecretString: the secret as Slack shows it). */
export class SecretsManagerSlackSigningSecret implements SlackSigningSecret {
  private readonly secret: CachedSecretString<string>;

  public constructor(props: SecretsManagerStringProps) {
    this.secret = new CachedSecretString(props, 'Slack signing secret', parseSlackSigningSecret);
  }

  public getSlackSigningSecret(): Promise<string> {
    return this.secret.get();
  }
}

/**
 * The Slack signing secret from a local file (`.release-gate/slack-signing-secret`), generated on
 * the first read (128 random bits as hex, like Slack's, mode 0600) so that a locally signed `curl`
 * works; paste a real app's secret into it to take real Slack clicks through a tunnel.
 */
export class FileSlackSigningSecret implements SlackSigningSecret {
  private secret: Promise<string> | undefined;

  public constructor(private readonly path: string) {}

  public getSlackSigningSecret(): Promise<string> {
    this.secret ??= readOrCreateSecretFile(
      this.path,
      () => `${randomBytes(16).toString('hex')}\n`,
      'Slack signing secret',
    ).then((text) => parseSlackSigningSecret(text, this.path));
    return this.secret;
  }
}
