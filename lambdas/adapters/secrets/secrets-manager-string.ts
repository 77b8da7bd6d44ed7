import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../domain/errors.js';

export interface SecretsManagerStringProps {
  readonly client: SecretsManagerClient;
  /** Name or ARN of the secret. */
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

/** A secret's SecretString read with GetSecretValue, parsed by `parse` and cached for a while. */
export class CachedSecretString<T> {
  private cached: { at: number; value: T } | undefined;

  public constructor(
    private readonly props: SecretsManagerStringProps,
    private readonly what: string,
    private readonly parse: (secret: string, where: string) => T,
  ) {}

  public async get(): Promise<T> {
    const now = (this.props.now ?? Date.now)();
    if (this.cached !== undefined && now - this.cached.at < (this.props.cacheMillis ?? 300_000)) {
      return this.cached.value;
    }
    let secret: string | undefined;
    try {
      const out = await this.props.client.send(new GetSecretValueCommand({ SecretId: this.props.secretId }));
      secret = out.SecretString;
    } catch (err) {
      throw new ConfigError(`cannot read the ${this.what} ${this.props.secretId}`, { cause: err });
    }
    if (secret === undefined) {
      throw new ConfigError(`the ${this.what} ${this.props.secretId} has no SecretString`);
    }
    const value = this.parse(secret, `secret ${this.props.secretId}`);
    this.cached = { at: now, value };
    return value;
  }
}
