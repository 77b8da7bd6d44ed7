/**
 * The tests' own sha256, written independently of `sha256Digest` in lambdas/domain/oci.ts so an
 * assertion does not check the code under test against itself.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../../lambdas/domain/types.js';

/** Lowercase hex sha256 of the bytes (a string is hashed as UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>`, the OCI digest of the bytes. */
export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${sha256Hex(data)}`;
}
