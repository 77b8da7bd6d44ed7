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
import * as z from 'zod';
import { EnvelopeSchema } from '../workflow/events.js';

const VulnerablePackageSchema = z.object({
  name: z.string().min(1).max(1000),
  version: z.string().max(1000),
  epoch: z.number().int().nonnegative().optional(),
  release: z.string().max(1000).optional(),
  fixedInVersion: z.string().max(1000).optional(),
  packageManager: z.string().max(100).optional(),
});

export const InspectorFindingEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.inspector2'),
  'detail-type': z.literal('Inspector2 Finding'),
  detail: z.object({
    /** ACTIVE, SUPPRESSED or CLOSED: only an active finding is news. */
    status: z.string(),
    type: z.string().optional(),
    severity: z.string().max(40).optional(),
    title: z.string().max(2000).optional(),
    packageVulnerabilityDetails: z
      .object({
        vulnerabilityId: z.string().min(1).max(200),
        relatedVulnerabilities: z.array(z.string().max(200)).max(100).optional(),
        vulnerablePackages: z.array(VulnerablePackageSchema).max(1000).default([]),
      })
      .optional(),
    resources: z
      .array(
        z.object({
          type: z.string(),
          details: z
            .object({
              awsEcrContainerImage: z
                .object({ repositoryName: z.string().min(1).max(256), imageHash: z.string() })
                .optional(),
            })
            .optional(),
        }),
      )
      .max(10),
  }),
});
export type InspectorFindingEvent = z.infer<typeof InspectorFindingEventSchema>;

export const S3ObjectCreatedEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1).max(1024),
      size: z.number().int().nonnegative().optional(),
      'version-id': z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});
export type S3ObjectCreatedEvent = z.infer<typeof S3ObjectCreatedEventSchema>;

/** The Scheduler's input for the daily run. */
export const ScheduledRevalidationSchema = z.object({ kind: z.literal('scheduled') }).strict();
export const SCHEDULED_REVALIDATION_INPUT = { kind: 'scheduled' } as const;

/** An EventBridge event re-validation takes, discriminated on `source` (a bad field is named). */
export const RevalidationEventSchema = z.discriminatedUnion('source', [
  InspectorFindingEventSchema,
  S3ObjectCreatedEventSchema,
]);
