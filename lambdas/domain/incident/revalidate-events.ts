/**
 * The events that trigger re-validation on AWS (incident/revalidate.ts), parsed with zod (only the
 * fields read; others are dropped):
 * - `Inspector2 Finding` (https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html):
 *   one finding, `detail.resources[].details.awsEcrContainerImage.{repositoryName, imageHash}` naming
 *   the image, `detail.packageVulnerabilityDetails` the vulnerability and its packages;
 * - S3 `Object Created` delivered by EventBridge
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html): a new OSV record under
 *   the advisories prefix;
 * - the daily EventBridge Scheduler run, whose input is `{"kind":"scheduled"}`.
 */
import { EnvelopeSchema } from '../workflow/events.js';
import * as z from '../zod.js';

const VulnerablePackageSchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(1000)),
  version: z.string().check(z.maxLength(1000)),
  epoch: z.optional(z.number().check(z.int(), z.nonnegative())),
  release: z.optional(z.string().check(z.maxLength(1000))),
  fixedInVersion: z.optional(z.string().check(z.maxLength(1000))),
  packageManager: z.optional(z.string().check(z.maxLength(100))),
});

export const InspectorFindingEventSchema = z.extend(EnvelopeSchema, {
  source: z.literal('aws.inspector2'),
  'detail-type': z.literal('Inspector2 Finding'),
  detail: z.object({
    /** ACTIVE, SUPPRESSED or CLOSED: only an active finding is news. */
    status: z.string(),
    type: z.optional(z.string()),
    severity: z.optional(z.string().check(z.maxLength(40))),
    title: z.optional(z.string().check(z.maxLength(2000))),
    packageVulnerabilityDetails: z.optional(
      z.object({
        vulnerabilityId: z.string().check(z.minLength(1), z.maxLength(200)),
        relatedVulnerabilities: z.optional(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(100))),
        vulnerablePackages: z._default(z.array(VulnerablePackageSchema).check(z.maxLength(1000)), []),
      }),
    ),
    resources: z
      .array(
        z.object({
          type: z.string(),
          details: z.optional(
            z.object({
              awsEcrContainerImage: z.optional(
                z.object({ repositoryName: z.string().check(z.minLength(1), z.maxLength(256)), imageHash: z.string() }),
              ),
            }),
          ),
        }),
      )
      .check(z.maxLength(10)),
  }),
});
export type InspectorFindingEvent = z.infer<typeof InspectorFindingEventSchema>;

export const S3ObjectCreatedEventSchema = z.extend(EnvelopeSchema, {
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z.string().check(z.minLength(1), z.maxLength(1024)),
      size: z.optional(z.number().check(z.int(), z.nonnegative())),
      'version-id': z.optional(z.string()),
    }),
    reason: z.optional(z.string()),
  }),
});
export type S3ObjectCreatedEvent = z.infer<typeof S3ObjectCreatedEventSchema>;

/** The Scheduler's input for the daily run. */
export const ScheduledRevalidationSchema = z.strictObject({ kind: z.literal('scheduled') });
export const SCHEDULED_REVALIDATION_INPUT = { kind: 'scheduled' } as const;

/** An EventBridge event re-validation takes, discriminated on `source` (a bad field is named). */
export const RevalidationEventSchema = z.discriminatedUnion('source', [
  InspectorFindingEventSchema,
  S3ObjectCreatedEventSchema,
]);
