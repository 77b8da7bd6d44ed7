import { TooLargeError } from './errors.js';
import { Limits } from './limits.js';
import type { Descriptor } from './oci.js';
import type { RegistryReader } from './ports.js';

/**
 * Refuses more than `Limits.referrers` entries of one kind (referrers, attestation manifests,
 * platform manifests) under one subject: more than any real image has is an attack on the
 * collector, and it fails closed before anything is fetched.
 */
export function assertWithinReferrerLimit(subject: string, count: number, what = 'referrers'): void {
  if (count > Limits.referrers) throw new TooLargeError(subject, count, Limits.referrers, what);
}

/** The referrers of `repository@subjectDigest`, refused (TooLargeError) above `Limits.referrers`. */
export async function listReferrersBounded(
  registry: RegistryReader,
  repository: string,
  subjectDigest: string,
): Promise<Descriptor[]> {
  const referrers = await registry.listReferrers(repository, subjectDigest);
  assertWithinReferrerLimit(`${repository}@${subjectDigest}`, referrers.length);
  return referrers;
}
