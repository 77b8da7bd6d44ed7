/**
 * Every command's usage and help text, apart from the commands' code: `release-gate --help` and
 * `<command> --help` load this module and the command table alone, not the AWS SDK and the
 * domain, so that they answer at once.
 */
import { VSA_KEY_FILE } from './local/vsa-key-file.js';

/** Where an `--aws` command finds the gate (commands/stack.ts). */
export const LOCATION_USAGE = '[--stack NAME | --api-url URL]';

export const EXPLAIN_USAGE = `  release-gate explain <digest> [--repository NAME] [--policy FILE] [--round N] [--json] [--work-dir DIR]`;

export const EXPLAIN_HELP = `Replays the stored decision of a release: the same policy evaluation over the evidence records
and the exact policy text stored with the decision. Shows that the outcome and every reason are
identical; where they differ, says which input changed (the policy, or the evidence stored since).

  <digest>           the release's digest, or a unique prefix of it
  --repository NAME  when the digest was pushed to several repositories
  --policy FILE      replay against this policy instead of the stored one, and show the difference
  --round N          an earlier gate round's decision (a release from quarantine runs the gate
                     again); default: the latest
  --json             the explanation as JSON

Exit codes: 0 identical, 1 the replay differs, 2 usage or I/O error.`;

export const BREAK_GLASS_USAGE = `  release-gate break-glass confirm <id> --aws ${LOCATION_USAGE} [--json]
      (a second person performs a break-glass another operator asked for with --aws: your AWS principal
       is its approver; refused if you are that operator, not an allowed approver, or it expired or was used)`;

export const REPORT_USAGE = `  release-gate report <digest> [--repository NAME] [--open] [--json] [--work-dir DIR]`;

export const REPORT_HELP = `Writes the HTML evidence report of a release: evidence, dependency diff, findings with their VEX
status, eval metrics with deltas, approvals, the timeline and the live windows in production, and
the advisories that newly affected it after it was gated (re-validation alerts: which component,
which version, which range of which advisory). It is stored in the evidence bucket and in <work-dir>/reports/; the command prints both.

  <digest>           the release's digest, or a unique prefix of it
  --repository NAME  when the digest was pushed to several repositories
  --open             also open the file (xdg-open)
  --json             print {path, document, uri} as JSON

Exit codes: 0 written, 2 usage or I/O error.`;

export const REVALIDATE_USAGE = `  release-gate revalidate [--advisory FILE]... [--advisories DIR] [--json] [--work-dir DIR]
      (the live releases against new OSV records, or every record of the advisories folder)`;

export const TRIAGE_USAGE = `  release-gate triage <purl> [--range RANGE] [--json] [--work-dir DIR]
  release-gate triage --advisory FILE [--json] [--work-dir DIR]
  release-gate triage <vulnerability-id> [--advisory FILE] [--advisories DIR] [--json] [--work-dir DIR]`;

export const TRIAGE_HELP = `Lists every release ever gated that contains an affected package version: the matched components,
the release's status (LIVE, PROMOTED, QUARANTINED, …) and its live windows in production.
  <purl>              pkg:type/namespace/name (a version in it is ignored); every version without --range
  --range RANGE       in the package's ecosystem order: '<3.0.13', '>=1.2,<1.4', '>=1.2 <1.4', '<1.0 || >=2.0'
  --advisory FILE     an OSV record (.json/.yaml), matched with the scan's OSV matcher
  <vulnerability-id>  the releases the gate's scan reported with it, plus what --advisory/--advisories records naming it match
  --advisories DIR    OSV records to look the id up in
  --json              the answer as JSON
Exit codes: 0 answered (affected releases or none), 2 bad input (the field is named) or infrastructure error.`;

export const VERIFY_BUNDLE_USAGE = `Usage:
  release-gate verify-bundle --bundle FILE
      (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
      [--trusted-root FILE] [--staging] [--json] (FILE | sha256:HEX)

  --bundle FILE                  Sigstore bundle (v0.1, v0.2 or v0.3 JSON)
  --certificate-identity ID      keyless: certificate SAN, exact or a glob with * (any characters)
  --certificate-oidc-issuer URL  keyless: OIDC issuer, exact
  --key FILE                     key-based: PEM public key
  --trusted-root FILE            trusted_root.json (default: the vendored Sigstore production root)
  --staging                      use the vendored Sigstore staging root
  FILE | sha256:HEX              the artifact, or only its digest (DSSE bundles; a message
                                 signature needs the file)

Exit codes: 0 verified, 1 refused (reason on stderr), 2 usage or I/O error.`;

export const VERIFY_VSA_USAGE = `  release-gate verify-vsa <image-ref> [--key PEM] [--json] [--insecure] [--repository NAME] [--work-dir DIR]`;

export const VERIFY_VSA_HELP = `Verifies the signed SLSA verification summary (VSA) Promote attached to the image.

  <image-ref>        the promoted image (see <ref> in release-gate --help)
  --key PEM          the gate's public key (SPKI PEM; on AWS: aws kms get-public-key, see README);
                     default: the local stack's key, <work-dir>/${VSA_KEY_FILE}
  --json             print the verified predicate as JSON

Exit codes: 0 a VSA verified, 1 none did (reasons on stderr), 2 usage or I/O error.`;
