import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../domain/errors.js';

/**
 * Reads a local secret file, creating it first (mode 0600, content `initial()`) when it does not
 * exist. The content is written whole to a temporary file, then linked into place: link() fails if
 * the secret exists, so of two first readers one secret wins, and neither reads a half-written file.
 */
export async function readOrCreateSecretFile(path: string, initial: () => string, what: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, initial(), { mode: 0o600, flag: 'wx' });
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`cannot create the ${what} ${path}`, { cause: err });
    }
  } finally {
    await rm(tmp, { force: true });
  }
  return readFile(path, 'utf8');
}
