import { describeError, PolicyInvalidError } from '../errors.js';
import { parseTrustedRoot, type TrustedRootDoc } from '../sigstore/trusted-root.js';
import type { PolicyFileReader } from './loaded.js';
import type { PolicyDocument } from './schema.js';

/**
 * The trusted roots the policy pins, read through `readFile` and checked against their pins.
 * Only what verifies Sigstore evidence needs them (and `@sigstore/*` with them); an unreadable,
 * mismatched or unusable root throws POLICY_INVALID, so such a function refuses to start.
 */
export function loadTrustedRoots(
  document: PolicyDocument,
  readFile: PolicyFileReader | undefined,
): ReadonlyMap<string, TrustedRootDoc> {
  const trustedRoots = new Map<string, TrustedRootDoc>();
  for (const [i, rule] of document.rules.entries()) {
    for (const pin of [rule.signature.sigstore.trustedRoot, rule.attestations.sigstore.trustedRoot]) {
      if (pin === undefined || trustedRoots.has(pin.file)) continue;
      if (pin.file.includes('..') || pin.file.startsWith('/')) {
        throw new PolicyInvalidError(`rules.${i}.signature.sigstore.trustedRoot.file must stay next to the policy`);
      }
      if (readFile === undefined) {
        throw new PolicyInvalidError(`rules.${i} pins ${pin.file}, but the policy was loaded without its directory`);
      }
      let rootBytes: Uint8Array;
      try {
        rootBytes = readFile(pin.file);
      } catch (err) {
        throw new PolicyInvalidError(`rules.${i}: cannot read trusted root ${pin.file}`, { cause: err });
      }
      try {
        trustedRoots.set(pin.file, parseTrustedRoot(rootBytes, pin));
      } catch (err) {
        throw new PolicyInvalidError(`rules.${i}: trusted root ${pin.file}: ${describeError(err)}`, {
          cause: err,
        });
      }
    }
  }
  return trustedRoots;
}
