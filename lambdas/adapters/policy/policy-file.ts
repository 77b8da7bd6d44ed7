import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type LoadedPolicy, loadPolicy } from '../../domain/policy/load.js';

/**
 * Load a policy file and the files it references (relative to its directory), e.g. the pinned
 * Sigstore `trusted_root.json`. Throws POLICY_INVALID / node errors: the caller refuses to start.
 */
export function loadPolicyFile(path: string): LoadedPolicy {
  const dir = dirname(path);
  return loadPolicy(readFileSync(path), (relative) => readFileSync(join(dir, relative)));
}
