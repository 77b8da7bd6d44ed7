import type { Recollector } from '../incident/recollection.js';
import type { RevocationChecker } from '../notation/revocation.js';
import type { LoadedPolicy } from '../policy/loaded.js';
import type {
  ApprovalAuditRecord,
  ApprovalMailer,
  Clock,
  DocumentStore,
  InspectorSbomSource,
  LinkSecrets,
  Notifier,
  OutcomeEmitter,
  RegistryWriter,
  ReleaseStore,
  ScanFindingsSource,
  SlackPoster,
  SlackSigningSecret,
  SlackWorkQueue,
  TaskTokenPort,
  VsaSigner,
} from '../ports.js';

export interface GateConfig {
  /** Stage a push is gated for (a key of the policy's `stages`). */
  readonly stage: string;
  /** How long WaitForScan waits for the scan-complete event. */
  readonly scanTimeoutSeconds: number;
  /** Base URL of the approval pages, e.g. `https://…/approvals` (the id is appended). */
  readonly approvalBaseUrl: string;
}

/** Everything a workflow step needs, injected by the handler (AWS) or the local runtime. */
export interface GateDeps {
  readonly config: GateConfig;
  readonly policy: LoadedPolicy;
  readonly store: ReleaseStore;
  readonly documents: DocumentStore;
  readonly registry: RegistryWriter;
  readonly scans: ScanFindingsSource;
  readonly tokens: TaskTokenPort;
  readonly notifier: Notifier;
  readonly outcomes: OutcomeEmitter;
  readonly clock: Clock;
  /** Revocation checks for Notation signatures (AWS Signer's GetRevocationStatus on AWS). */
  /**
   * Amazon Inspector's SBOM export, for an image without an SBOM where the policy allows it.
   * @default - none: such an image has no SBOM (the embedded stack has no Inspector)
   */
  readonly inspectorSboms?: InspectorSbomSource;
  readonly revocation?: RevocationChecker;
  /**
   * Per-approver signed links, mailed to each approver of the policy.
   * @default - no links: nobody can answer by link (fail closed); the CLI route remains
   */
  readonly approvalLinks?: { readonly secrets: LinkSecrets; readonly mailer: ApprovalMailer };
  /** Slack interactions (`POST /slack/interactions`); without it they are refused. */
  readonly slackSigningSecret?: SlackSigningSecret;
  /**
   * Told when a best-effort audit record (a page view, a refusal) could not be stored, so that it
   * is at least logged (workflow/approval-audit.ts says which records are best effort).
   * @default - not reported: the view is shown and the refusal refused all the same
   */
  readonly auditFailures?: (err: unknown, record: ApprovalAuditRecord) => void;
  /**
   * Posts the approval request to the policy's `approval.slackChannel` and updates it with the outcome.
   * @default - nothing is posted to Slack; the request's notification says so
   */
  readonly slack?: SlackPoster;
  /**
   * Signs the SLSA VSA Promote attaches to the promoted image (KMS on AWS, a local key locally);
   * `verifierId` is the VSA's `verifier.id`.
   * @default - no VSA is attached (a deploy-time check that requires one then refuses the image)
   */
  readonly vsa?: { readonly signer: VsaSigner; readonly verifierId: string };
  /**
   * Where verified Slack answers are decided after the acknowledgement.
   * @default - Slack answers are refused with an ephemeral message (nothing decided)
   */
  readonly slackWork?: SlackWorkQueue;
  /**
   * Collects evidence again for re-verification (rollback, release from quarantine): the
   * collect-evidence function on AWS, the collectors in process locally (incident/recollection.ts).
   * @default - re-verification refuses with a ConfigError
   */
  readonly recollector?: Recollector;
}
