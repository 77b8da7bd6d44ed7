import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseLinkSecret } from '../../domain/approval/link.js';
import { ConfigError } from '../../domain/errors.js';
import type { LinkSecrets } from '../../domain/ports.js';

export interface SecretsManagerLinkSecretsProps {
  readonly client: SecretsManagerClient;
  /** Name or ARN of the secret (format: lambdas/domain/approval/link.ts `parseLinkSecret`). */
  readonly secretId: string;
  /**
   * How long a read secret is reused, so a warm Lambda does not call Secrets Manager per request
   * and a rotation reaches it within this time.
   * @default 300_000 (5 minutes)
   */
  readonly cacheMillis?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The link signing keys from AWS Secrets Manager (GetSecretValue, SecretString). */
export class SecretsManagerLinkSecrets implements LinkSecrets {
  private cached: { at: number; keys: ReturnType<typeof parseLinkSecret> } | undefined;

  public constructor(private readonly props: SecretsManagerLinkSecretsProps) {}

  public async getLinkKeys() {
    const now = (this.props.now ?? Date.now)();
    if (this.cached !== undefined && now - this.cached.at < (this.props.cacheMillis ?? 300_000)) {
      return this.cached.keys;
    }
    let secret: string | undefined;
    try {
      const out = await this.props.client.send(new GetSecretValueCommand({ SecretId: this.props.secretId }));
      secret = out.SecretString;
    } catch (err) {
      throw new ConfigError(`cannot read the link signing secret ${this.props.secretId}`, { cause: err });
    }
    if (secret === undefined) {
      throw new ConfigError(`the link signing secret ${this.props.secretId} has no SecretString`);
    }
    const keys = parseLinkSecret(secret, `secret ${this.props.secretId}`);
    this.cached = { at: now, keys };
    return keys;
  }
}
