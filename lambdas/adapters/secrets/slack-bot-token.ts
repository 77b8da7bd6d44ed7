import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../domain/errors.js';
import type { SlackBotToken } from '../../domain/ports.js';
import { readOrCreateSecretFile } from './secret-file.js';
import { CachedSecretString, type SecretsManagerStringProps } from './secrets-manager-string.js';

/**
 * Slack bot tokens are `xoxb-` followed by digits, letters and dashes
 * (https://docs.slack.dev/authentication/tokens#bot). Anything else (the deployed random
 * placeholder, a user token, a pasted signing secret) is refused: posting then fails closed, and
 * the approval request says why.
 */
export function parseSlackBotToken(secret: string, where: string): string {
  const s = secret.trim();
  if (!/^xoxb-[0-9A-Za-z-]{10,250}$/.test(s)) {
    throw new ConfigError(`${where} is not a Slack bot token (xoxb-…); put the app's Bot User OAuth Token there`);
  }
  return s;
}

/** The Slack bot token from AWS Secrets Manager (SecretString: the token as Slack shows it). */
export class SecretsManagerSlackBotToken implements SlackBotToken {
  private readonly secret: CachedSecretString<string>;

  public constructor(props: SecretsManagerStringProps) {
    this.secret = new CachedSecretString(props, 'Slack bot token', parseSlackBotToken);
  }

  public getSlackBotToken(): Promise<string> {
    return this.secret.get();
  }
}

/**
 * The bot token of the embedded stack (`.release-gate/slack-bot-token`), generated on the first
 * read (mode 0600) and shared with the local Slack receiver, which accepts only it.
 */
export class FileSlackBotToken implements SlackBotToken {
  private token: Promise<string> | undefined;

  public constructor(private readonly path: string) {}

  public getSlackBotToken(): Promise<string> {
    this.token ??= readOrCreateSecretFile(
      this.path,
      () => `xoxb-local-${randomBytes(16).toString('hex')}\n`,
      'Slack bot token',
    ).then((text) => parseSlackBotToken(text, this.path));
    return this.token;
  }
}
