/**
 * The `approval` slice of a policy rule: who may answer, how many distinct people must approve,
 * separation of duties, what happens when the evidence changes after the request, and how long the
 * workflow waits.
 */
import * as z from '../zod.js';

/**
 * One person and every identity they answer or push with, so that the allowlist, the quorum and
 * separation of duties count people, not identities: the pusher's IAM principal or GitHub account
 * and the approver's email are the same person when one entry lists both.
 */
export const ApprovalPersonSchema = z
  .object({
    email: z.optional(z.string().check(z.minLength(3), z.maxLength(254))),
    /** Slack user id (`U…`/`W…`). */
    slack: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    /** IAM principal ARNs or ARN patterns (`*` matches anything), e.g. an assumed-role session. */
    iam: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(2048))), []),
    /** GitHub numeric user id: what SLSA provenance records as the build's actor (`github.actor_id`). */
    github: z.optional(z.string().check(z.regex(/^[0-9]{1,20}$/, 'expected the numeric GitHub user id'))),
  })
  .check(
    z.refine((p) => p.email !== undefined || p.slack !== undefined || p.iam.length > 0 || p.github !== undefined, {
      message: 'a person needs at least one identity (email, slack, iam or github)',
    }),
  );
export type ApprovalPerson = z.infer<typeof ApprovalPersonSchema>;

export const ON_EVIDENCE_CHANGE = ['quarantine', 'reapprove'] as const;

/**
 * How many times `onEvidenceChange: reapprove` asks again for one release; the next change
 * quarantines it (`evidence-changed-after-approval`). A constant, not a policy field: it bounds a
 * loop that whoever can attach referrers or findings to the image may drive, so it is not tunable
 * upwards.
 */
export const MAX_REAPPROVALS = 3;

/**
 * A Slack channel the approval request is posted to: a channel id (`C0123ABCD`, `G…` for a
 * private one) or a channel name (`#releases`), as `chat.postMessage` takes it.
 */
export const SlackChannelSchema = z
  .string()
  .check(
    z.regex(/^(#?[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,30})$/, 'expected a Slack channel id (C…) or #channel-name'),
  );

export const ApprovalPolicySchema = z._default(
  z.object({
    /**
     * Identities allowed to answer: emails, Slack user ids, IAM principal ARN patterns (`*`), or
     * `github:<id>`. A person (see `people`) is allowed when any of their identities is listed.
     * Each email address listed is mailed its own signed link, whose address is the identity.
     * Empty: no link is sent or accepted (fail closed); only the CLI can answer.
     */
    approvers: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** The people behind the identities (see ApprovalPersonSchema). */
    people: z._default(z.array(ApprovalPersonSchema), []),
    /** Distinct people whose approval the release needs. */
    quorum: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
    /**
     * The pusher (CloudTrail `PutImage` principal, the provenance's triggering GitHub actor) never
     * approves their own release; when no pusher is known, the release needs one approver more.
     */
    separationOfDuties: z._default(z.boolean(), true),
    /**
     * When the evidence set at Promote differs from the one the approval was requested for, the
     * approval is void. `quarantine` (the default): the release is quarantined with reason
     * `evidence-changed-after-approval`. `reapprove`: the approval is marked SUPERSEDED, the policy
     * is evaluated again on the evidence as it is now (and may now block), and a new approval is
     * requested for it; after MAX_REAPPROVALS such rounds the next change quarantines.
     */
    onEvidenceChange: z._default(z.enum(ON_EVIDENCE_CHANGE), 'quarantine'),
    /** How long RequestApproval waits (Step Functions `TimeoutSecondsPath`); then the release is quarantined. */
    timeoutSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 3600)), 24 * 3600),
    /**
     * Where the Slack message with the Approve / Reject buttons is posted (the bot must be in the
     * channel, or have `chat:write.public`).
     * @default - no channel: nothing is posted to Slack, and the request says so
     */
    slackChannel: z.optional(SlackChannelSchema),
  }),
  {
    approvers: [],
    people: [],
    quorum: 1,
    separationOfDuties: true,
    onEvidenceChange: 'quarantine',
    timeoutSeconds: 24 * 3600,
  },
);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** `stages.<name>.approval`: the fields a stage may set for itself (unset ones come from the rule). */
export const ApprovalStageOverrideSchema = z.strictObject({
  approvers: z.optional(z.array(z.string().check(z.minLength(1)))),
  quorum: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10))),
  separationOfDuties: z.optional(z.boolean()),
  timeoutSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 3600))),
  slackChannel: z.optional(SlackChannelSchema),
});
