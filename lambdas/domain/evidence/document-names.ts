/**
 * Names of the documents collectors store next to their evidence. Apart from the collectors, so
 * that what only reads these documents (the approval view, its mail and Slack messages) does not
 * bundle every collector and its verifiers.
 */

/** Name of the full diff document. */
export const DIFF_DOCUMENT = 'dependency-diff.json';

/** The normalised scan report stored with scan evidence (the CVE index reads it). */
export const SCAN_REPORT_DOCUMENT = 'scan-report.json';

/** The VEX statements that suppressed findings, and those not applied (stored when any suppressed). */
export const VEX_APPLIED_DOCUMENT = 'vex-applied.json';
