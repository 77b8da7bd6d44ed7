import { type LinkKeys, parseLinkSecret } from '../../domain/approval/link.js';
import type { LinkSecrets } from '../../domain/ports.js';
import { CachedSecretString, type SecretsManagerStringProps } from './secrets-manager-string.js';

/** Props of the link secret (format: lambdas/domain/approval/link.ts `parseLinkSecret`). */
export type SecretsManagerLinkSecretsProps = SecretsManagerStringProps;

/** The link signing keys from AWS Secrets Manager (GetSecretValue, SecretString). */
export class SecretsManagerLinkSecrets implements LinkSecrets {
  private readonly secret: CachedSecretString<LinkKeys>;

  public constructor(props: SecretsManagerLinkSecretsProps) {
    this.secret = new CachedSecretString(props, 'link signing secret', parseLinkSecret);
  }

  public getLinkKeys(): Promise<LinkKeys> {
    return this.secret.get();
  }
}
