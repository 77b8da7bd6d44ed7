/**
 * The gate's CloudWatch metrics (EMF, namespace `ReleaseGate`): the Lambdas emit them
 * (handlers/metrics.ts) and the construct graphs and alarms on them (infra/constructs/
 * gate-monitoring.ts), so both read the names here. Every metric also carries the `service`
 * dimension (POWERTOOLS_SERVICE_NAME).
 */
export const GATE_METRICS_NAMESPACE = 'ReleaseGate';

export const GateMetric = {
  /** EvaluatePolicy decisions; dimension sets `outcome` (PASS, BLOCK, COVERED) and `repository`. */
  decisions: 'Decisions',
  /** One per evidence kind that did not pass in a decision; dimension `kind`. */
  failingEvidence: 'FailingEvidence',
  /** Releases that ended; dimension `outcome` (PROMOTED, QUARANTINED). */
  outcomes: 'ReleaseOutcomes',
  /** From the request to the answer (or expiry) of an approval; dimension `state`. */
  approvalWait: 'ApprovalWaitSeconds',
  /** Approvals waiting for an answer, counted when one is requested or answered, and daily. */
  pendingApprovals: 'PendingApprovals',
  /** Age of the oldest approval waiting for an answer, with PendingApprovals. */
  oldestPendingApproval: 'OldestPendingApprovalSeconds',
  /** From RecordRelease to the scan's result reaching CollectScan. */
  scanWait: 'ScanWaitSeconds',
  /** WaitForScan timed out (no scan result within the scan timeout). */
  scanTimeouts: 'ScanTimeouts',
  /** Promote's run that copied a release to production. */
  promoteDuration: 'PromoteDuration',
  /** Live releases a re-validation found newly affected; dimension `repository`. */
  newlyAffected: 'NewlyAffectedReleases',
  /** A handler invocation that threw (its log line names the function and the error). */
  gateErrors: 'GateErrors',
  /**
   * Requests to the ops API (triage, explain, report, revoke, rollback, release, status); dimensions
   * `route` and `outcome` (answered, refused: a 4xx the caller can act on, failed: a 5xx).
   */
  opsRequests: 'OpsRequests',
} as const;
export type GateMetricName = (typeof GateMetric)[keyof typeof GateMetric];

/** The log line the Quarantine handler writes per reason; the dashboard's Logs Insights widget counts them. */
export const QUARANTINE_REASON_MESSAGE = 'quarantine reason';
