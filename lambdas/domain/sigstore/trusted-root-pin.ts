/**
 * How the policy pins a Sigstore trusted root (`{ file, sha256 }`), apart from the root's parser:
 * the policy schema needs the pin, and only the functions that verify need `@sigstore/*`.
 */
import * as z from '../zod.js';

/** `sha256:<hex>` or a bare 64-hex digest, as a policy writes it. */
export const Sha256Pin = z.pipe(
  z.string().check(z.regex(/^(sha256:)?[a-fA-F0-9]{64}$/, 'expected sha256:<64 hex>')),
  z.transform((s) => `sha256:${s.replace(/^sha256:/, '').toLowerCase()}`),
);

/** How the policy names a trusted root: the file stored next to it and its sha256. */
export const TrustedRootPinSchema = z.object({
  /** Path relative to the policy document, e.g. `sigstore/trusted_root.json`. */
  file: z.string().check(z.minLength(1)),
  sha256: Sha256Pin,
});
export type TrustedRootPin = z.infer<typeof TrustedRootPinSchema>;
