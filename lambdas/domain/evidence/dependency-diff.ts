/**
 * Dependency-diff evidence: what this release changes in its dependencies compared with the last
 * promoted release of the repository, and dependency drift: application packages that changed
 * although the lockfile they were supposedly built from did not.
 */

import type { NormalizedSbom } from '../sbom/component.js';
import { applicationChanges, diffSboms, type SbomDiff, summarizeDiff } from '../sbom/diff.js';
import type { Digest, EvidenceDocument, EvidenceKind } from '../types.js';
import { DigestSchema, type EvidenceResult, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import type { CollectContext } from './context.js';
import { DIFF_DOCUMENT } from './document-names.js';
import { loadStoredComponents } from './sbom.js';

export { DIFF_DOCUMENT } from './document-names.js';

/** Changed application packages named in the drift reason; the rest are counted. */
const MAX_NAMED = 10;

/** Collect the dependency-diff evidence of `ctx.subject`. */
export async function collectDependencyDiff(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const sbomEvidence = await ctx.releases.getEvidence(repository, digest, 'sbom');
  if (sbomEvidence === null || sbomEvidence.status !== 'PASS') {
    const why = sbomEvidence === null ? '' : ` (sbom evidence is ${sbomEvidence.status})`;
    return evidenceResult('dependency-diff', 'MISSING', [`no SBOM for this release${why}`]);
  }
  const previous = await ctx.releases.lastPromotion(repository, digest);
  if (previous === null) {
    // Nothing to diff against: no components read, no diff document (the approval view shows
    // "first release"); every component of the SBOM is new, and the sbom evidence counted them.
    const count = z.number().check(z.int(), z.nonnegative()).safeParse(sbomEvidence.facts.componentCount);
    return evidenceResult(
      'dependency-diff',
      'PASS',
      [`first release of ${repository}: no previous promoted release to diff against`],
      { firstRelease: true, previousDigest: null, ...(count.success && { added: count.data }) },
    );
  }

  const current = await loadStoredComponents(ctx.documents, sbomEvidence);
  if (!current.ok) return evidenceResult('dependency-diff', 'FAIL', [current.reason]);

  const previousSbom = await ctx.releases.getEvidence(previous.repository, previous.digest, 'sbom');
  if (previousSbom === null || previousSbom.status !== 'PASS') {
    return evidenceResult('dependency-diff', 'FAIL', [
      `previous promoted release ${previous.repository}@${previous.digest} has no passing SBOM evidence: cannot diff`,
    ]);
  }
  const before = await loadStoredComponents(ctx.documents, previousSbom);
  if (!before.ok) return evidenceResult('dependency-diff', 'FAIL', [before.reason]);

  const diff = diffSboms(before.sbom, current.sbom);
  const [lockfileDigest, previousLockfileDigest] = await Promise.all([
    recordedLockfileDigest(ctx, repository, digest, current.sbom),
    recordedLockfileDigest(ctx, previous.repository, previous.digest, before.sbom),
  ]);
  const facts = {
    ...summarizeDiff(diff),
    firstRelease: false,
    previousDigest: previous.digest,
    ...(lockfileDigest !== undefined && { lockfileDigest }),
    ...(previousLockfileDigest !== undefined && { previousLockfileDigest }),
  };
  const documents = [diffDocument(previous.digest, digest, diff)];

  const changedApplication = applicationChanges(diff);
  if (lockfileDigest !== undefined && lockfileDigest === previousLockfileDigest && changedApplication.length > 0) {
    const named = changedApplication.slice(0, MAX_NAMED).join(', ');
    const more = changedApplication.length > MAX_NAMED ? ` and ${changedApplication.length - MAX_NAMED} more` : '';
    return evidenceResult(
      'dependency-diff',
      'FAIL',
      [
        `lockfile digest unchanged (${lockfileDigest}) but ${changedApplication.length} application components changed: ${named}${more}`,
      ],
      facts,
      documents,
    );
  }

  const licenses = diff.newLicenses.length > 0 ? diff.newLicenses.slice(0, MAX_NAMED).join(', ') : 'none';
  const reasons = [
    `+${diff.added.length} −${diff.removed.length} ~${diff.changed.length} packages since ${previous.digest}, new licenses: ${licenses}`,
  ];
  if (lockfileDigest === undefined || previousLockfileDigest === undefined) {
    reasons.push('lockfile digest not recorded for both releases: drift not checked');
  }
  return evidenceResult('dependency-diff', 'PASS', reasons, facts, documents);
}

/**
 * The lockfile digest recorded for a release: lockfile evidence (whatever its status: it only
 * ever records a digest taken from passing evidence), else passing sbom or provenance evidence,
 * else the normalised SBOM itself.
 */
async function recordedLockfileDigest(
  ctx: CollectContext,
  repository: string,
  digest: Digest,
  sbom: NormalizedSbom,
): Promise<string | undefined> {
  const kinds: readonly { kind: EvidenceKind; anyStatus: boolean }[] = [
    { kind: 'lockfile', anyStatus: true },
    { kind: 'sbom', anyStatus: false },
    { kind: 'provenance', anyStatus: false },
  ];
  for (const { kind, anyStatus } of kinds) {
    const evidence = await ctx.releases.getEvidence(repository, digest, kind);
    if (evidence === null || (!anyStatus && evidence.status !== 'PASS')) continue;
    const recorded = DigestSchema.safeParse(evidence.facts.lockfileDigest);
    if (recorded.success) return recorded.data;
  }
  return sbom.lockfileDigest;
}

function diffDocument(previousDigest: Digest, digest: Digest, diff: SbomDiff): EvidenceDocument {
  return {
    name: DIFF_DOCUMENT,
    mediaType: 'application/json',
    bytes: new TextEncoder().encode(JSON.stringify({ previousDigest, digest, ...diff })),
  };
}
