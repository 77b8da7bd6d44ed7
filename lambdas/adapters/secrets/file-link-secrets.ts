import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type LinkKeys, parseLinkSecret } from '../../domain/approval/link.js';
import { ConfigError } from '../../domain/errors.js';
import type { LinkSecrets } from '../../domain/ports.js';

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
    await mkdir(dirname(this.path), { recursive: true });
    // Written whole to a temporary file, then linked into place: link() fails if the secret exists,
    // so of two first readers one key wins, and neither reads a half-written file.
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify({ current: randomBytes(32).toString('base64url') })}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      await link(tmp, this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(`cannot create the link signing secret ${this.path}`, { cause: err });
      }
    } finally {
      await rm(tmp, { force: true });
    }
    return parseLinkSecret(await readFile(this.path, 'utf8'), this.path);
  }
}
