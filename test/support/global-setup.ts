/**
 * vitest `globalSetup`: runs once before any test file. The integration tests need Debian's
 * `docker-registry`, `skopeo` and `umoci`; check for them first (and install them when this process
 * may), so a machine without them fails in seconds with the command to run, not after the whole run.
 */
import { ensureDebianTools } from './debian-tools.js';

export default function setup(): void {
  ensureDebianTools();
}
