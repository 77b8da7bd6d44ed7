import { randomBytes } from 'node:crypto';
import { type LinkKeys, parseLinkSecret } from '../../domain/approval/link.js';
import type { LinkSecrets } from '../../domain/ports.js';
import { readOrCreateSecretFile } from './secret-file.js';

/**
 * The link signing keys from a local file (`.release-gate/link-secret.json` for `npm start`), in
 * the same JSON format as the Secrets Manager secret. The first read generates it (256 random
 * bits, mode 0600); later reads reuse it.
 */
export class FileLinkSecrets implements LinkSecrets {
  private keys: Promise<LinkKeys> | undefined;

  public constructor(private readonly path: string) {}

  public getLinkKeys(): Promise<LinkKeys> {
    this.keys ??= this.load();
    return this.keys;
  }

  private async load(): Promise<LinkKeys> {
    const text = await readOrCreateSecretFile(
      this.path,
      () => `${JSON.stringify({ current: randomBytes(32).toString('base64url') })}\n`,
      'link signing secret',
    );
    return parseLinkSecret(text, this.path);
  }
}
