import { DigestSchema } from '../types.js';
import * as z from '../zod.js';

/** EventBridge envelope (the fields we use). Deterministic gating never uses `id` or `time`. */
export const EnvelopeSchema = z.object({
  version: z.optional(z.string()),
  id: z.optional(z.string()),
  source: z.string(),
  'detail-type': z.string(),
  account: z.optional(z.string()),
  region: z.optional(z.string()),
  time: z.optional(z.string()),
  resources: z.optional(z.array(z.string())),
});

/** `ECR Image Action` (aws-facts.md §1a). `image-tag` is absent on digest-only pushes. */
export const EcrImageActionEventSchema = z.extend(EnvelopeSchema, {
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  detail: z.object({
    result: z.string(),
    'repository-name': z.string().check(z.minLength(1)),
    'image-digest': DigestSchema,
    'action-type': z.string(),
    'image-tag': z.optional(z.string()),
    'manifest-media-type': z.optional(z.string()),
    'artifact-media-type': z.optional(z.string()),
  }),
});
export type EcrImageActionEvent = z.infer<typeof EcrImageActionEventSchema>;

const ScanDetailSchema = z.object({
  'scan-status': z.string(),
  'repository-name': z.string().check(z.minLength(1)),
  'image-digest': DigestSchema,
  'finding-severity-counts': z.optional(z.record(z.string(), z.number().check(z.int(), z.nonnegative()))),
  'image-tags': z.optional(z.array(z.string())),
});

/**
 * `ECR Image Scan` (basic scanning, §1b) or `Inspector2 Scan` (enhanced, §1c: repository-name is an ARN).
 * Discriminated on `source`, so a rejected event names the bad field (a plain union reports only
 * "(root): Invalid input").
 */
export const ScanCompleteEventSchema = z.discriminatedUnion('source', [
  z.extend(EnvelopeSchema, {
    source: z.literal('aws.ecr'),
    'detail-type': z.literal('ECR Image Scan'),
    detail: ScanDetailSchema,
  }),
  z.extend(EnvelopeSchema, {
    source: z.literal('aws.inspector2'),
    'detail-type': z.literal('Inspector2 Scan'),
    detail: ScanDetailSchema,
  }),
  // The local scanner emits the same shape with its own source.
  z.extend(EnvelopeSchema, {
    source: z.literal('release-gate.local-scanner'),
    'detail-type': z.literal('ECR Image Scan'),
    detail: ScanDetailSchema,
  }),
]);
export type ScanCompleteEvent = z.infer<typeof ScanCompleteEventSchema>;

/**
 * ECR `PutImage` as CloudTrail records it, delivered by EventBridge as `AWS API Call via CloudTrail`
 * (aws-facts.md §9): `userIdentity.arn` is the principal that pushed. `responseElements` holds the
 * image id when the call succeeded; the digest may be missing (UNCONFIRMED), so the manifest sent
 * (`requestParameters.imageManifest`) is kept to hash. A failed call carries `errorCode`.
 */
export const PutImageCloudTrailEventSchema = z.extend(EnvelopeSchema, {
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    eventSource: z.literal('ecr.amazonaws.com'),
    eventName: z.literal('PutImage'),
    eventTime: z.optional(z.string()),
    errorCode: z.optional(z.string()),
    userIdentity: z.optional(z.object({ arn: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))) })),
    requestParameters: z.optional(
      z.nullable(
        z.object({
          repositoryName: z.string().check(z.minLength(1)),
          imageTag: z.optional(z.string()),
          imageManifest: z.optional(z.string()),
        }),
      ),
    ),
    responseElements: z.optional(
      z.nullable(
        z.object({
          image: z.optional(z.object({ imageId: z.optional(z.object({ imageDigest: z.optional(DigestSchema) })) })),
        }),
      ),
    ),
  }),
});
export type PutImageCloudTrailEvent = z.infer<typeof PutImageCloudTrailEventSchema>;

/** Inspector sends `arn:aws:ecr:<region>:<acct>:repository/<name>`; ECR sends the bare name. */
export function repositoryNameFrom(value: string): string {
  const m = /^arn:aws[a-z-]*:ecr:[^:]*:\d*:repository\/(.+)$/.exec(value);
  return m?.[1] ?? value;
}

/** cosign's tag scheme and the referrers tag schema are artifacts about an image, not releases. */
export function isAttachmentTag(tag: string | undefined): boolean {
  return tag !== undefined && /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/.test(tag);
}

const IMAGE_CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** True when the pushed artifact is something other than a container image (signature, SBOM, …). */
export function isNonImageArtifact(artifactMediaType: string | undefined): boolean {
  return artifactMediaType !== undefined && artifactMediaType !== '' && !IMAGE_CONFIG_TYPES.has(artifactMediaType);
}
