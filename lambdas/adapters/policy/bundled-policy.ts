import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PolicyInvalidError } from '../../domain/errors.js';
import { compiledPolicyName, loadCompiledPolicy } from '../../domain/policy/compiled.js';
import type { LoadedPolicy, PolicyFileReader } from '../../domain/policy/loaded.js';
import type { PolicyDocument } from '../../domain/policy/schema.js';
import type { TrustedRootDoc } from '../../domain/sigstore/trusted-root.js';

/** Loads the trusted roots a policy pins, from the files next to it (domain/policy/trusted-roots.ts). */
export type TrustedRootsLoader = (
  document: PolicyDocument,
  readFile: PolicyFileReader,
) => ReadonlyMap<string, TrustedRootDoc>;

/**
 * The policy a function was deployed with: the policy file and, next to it, its compiled form
 * (GateFunction writes both at synth time), so that no YAML is parsed at run time. With
 * `trustedRoots`, the roots the policy pins are read and checked too; without, `unloaded` stands
 * in for them. Throws POLICY_INVALID when the compiled form is missing or not of this file.
 */
export function loadBundledPolicy(
  path: string,
  trustedRoots: TrustedRootsLoader | undefined,
  unloaded: () => ReadonlyMap<string, TrustedRootDoc>,
): LoadedPolicy {
  const dir = dirname(path);
  const compiledPath = join(dir, compiledPolicyName(basename(path)));
  let compiled: Uint8Array;
  try {
    compiled = readFileSync(compiledPath);
  } catch (err) {
    throw new PolicyInvalidError(
      `cannot read the compiled policy ${compiledPath}; the function must be bundled by GateFunction`,
      { cause: err },
    );
  }
  const readFile: PolicyFileReader = (relative) => readFileSync(join(dir, relative));
  return loadCompiledPolicy(readFileSync(path), compiled, (document) =>
    trustedRoots === undefined ? unloaded() : trustedRoots(document, readFile),
  );
}
