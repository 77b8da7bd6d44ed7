/**
 * What travels with an image into production: its referrers (OCI `subject`, and their referrers in
 * turn) and cosign's `.sig/.att/.sbom` tags, of the image and its platform manifests. Listed when
 * the policy is evaluated and stored with the decision, so Promote copies exactly what was judged
 * and approved: anything attached later (a referrer pushed after the approval request, a cosign tag
 * moved to other content) stays behind.
 */
import { NotFoundError } from '../errors.js';
import { digestToTag } from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { assertWithinReferrerLimit } from '../referrers.js';
import { DigestSchema } from '../types.js';
import * as z from '../zod.js';

/** cosign's legacy attachment tags (SIGNATURE_SPEC.md; `.att`/`.sbom` by convention). */
export const COSIGN_SUFFIXES = ['.sig', '.att', '.sbom'] as const;

export const AttachmentsSchema = z.object({
  /** Referrer manifests, in discovery order (breadth first from the image). */
  referrers: z.array(DigestSchema),
  /** cosign tags and the manifest each pointed at when it was listed. */
  tags: z.array(z.object({ tag: z.string().check(z.minLength(1)), digest: DigestSchema })),
});
export interface Attachments {
  readonly referrers: readonly string[];
  readonly tags: readonly { readonly tag: string; readonly digest: string }[];
}

/** Lists the attachments of `subjects` (the image and its platform manifests) in `repository`. */
export async function listAttachments(
  registry: RegistryReader,
  repository: string,
  subjects: readonly string[],
): Promise<Attachments> {
  const referrers: string[] = [];
  const queue = [...subjects];
  const visited = new Set<string>(queue);
  for (let subject = queue.shift(); subject !== undefined; subject = queue.shift()) {
    for (const referrer of await registry.listReferrers(repository, subject)) {
      if (visited.has(referrer.digest)) continue;
      visited.add(referrer.digest);
      referrers.push(referrer.digest);
      assertWithinReferrerLimit(`${repository}@${subjects[0] ?? ''}`, referrers.length);
      queue.push(referrer.digest);
    }
  }
  const tags: { tag: string; digest: string }[] = [];
  for (const subject of subjects) {
    for (const suffix of COSIGN_SUFFIXES) {
      const tag = `${digestToTag(subject)}${suffix}`;
      try {
        tags.push({ tag, digest: (await registry.getManifest(repository, tag)).digest });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }
  return AttachmentsSchema.parse({ referrers, tags });
}
