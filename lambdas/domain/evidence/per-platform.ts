/**
 * Evidence about each platform of a multi-platform image.
 *
 * An OCI index is a list of platform images (image-spec image-index.md), and what runs is one of
 * them, so evidence about what is inside an image (its SBOM, its vulnerability scan) is gathered
 * per platform manifest, as the tools make it: BuildKit, syft + cosign and ECR/Inspector all
 * attach, attest or scan each platform digest on its own. An SBOM or scan of the index digest does
 * not stand for a platform (which platform's inventory would it be?).
 *
 * The platforms gated are the rule's `platforms.required` (platforms-policy.ts), else every one the
 * index lists. The result is one evidence record for the index with per-platform detail: PASS only
 * when every gated platform passes; a gated platform that fails, has no evidence or is not in the
 * index fails the record with a reason naming it. A single image is collected as before.
 */
import { type PlatformManifest, platformCoverage, selectPlatforms } from '../attest/platforms.js';
import { TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { type CollectedKind, type EvidenceDocument, type EvidenceResult, evidenceResult } from '../types.js';
import type { CollectContext } from './context.js';
import { requiredPlatformsOf } from './platforms-policy.js';

/** Platforms listed in facts, about 130 bytes each (facts stay under 2 KB: see EvidenceResult). */
const MAX_FACT_PLATFORMS = 8;
/** Reasons of a platform that are carried into the index's record. */
const REASONS_PER_PLATFORM = 5;

export interface PlatformOutcome {
  readonly platform: PlatformManifest;
  readonly result: EvidenceResult;
}

/** What a kind makes of its passing platforms: the facts and documents later steps read. */
export type MergePlatforms = (outcomes: readonly PlatformOutcome[]) => {
  readonly facts: Readonly<Record<string, unknown>>;
  readonly documents: readonly EvidenceDocument[];
  /** A reason the platforms cannot be one release (e.g. they disagree); fails the record. */
  readonly conflict?: string;
};

/**
 * Collects `kind` for `ctx.subject`: with `collectOne` itself for a single image, and for an index
 * with `collectOne` on each gated platform manifest, aggregated as the module comment says.
 */
export async function collectPerPlatform(
  ctx: CollectContext,
  kind: CollectedKind,
  collectOne: (ctx: CollectContext) => Promise<EvidenceResult>,
  merge: MergePlatforms,
): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const coverage = await platformCoverage(ctx.registry, repository, digest);
  if (coverage.kind === 'manifest') return collectOne(ctx);

  const selection = selectPlatforms(coverage, requiredPlatformsOf(ctx.policy));
  if (selection.platforms.length > Limits.gatedPlatforms) {
    const error = new TooLargeError(`index ${digest}`, selection.platforms.length, Limits.gatedPlatforms, 'platforms');
    return evidenceResult(kind, 'FAIL', [error.message]);
  }
  const outcomes: PlatformOutcome[] = [];
  for (const platform of selection.platforms) {
    const subject = { ...ctx.subject, digest: platform.digest, mediaType: platform.mediaType };
    outcomes.push({ platform, result: await collectOne({ ...ctx, subject, index: digest }) });
  }
  const detail = outcomes.map((o) => ({
    platform: o.platform.platform,
    digest: o.platform.digest,
    status: o.result.status,
  }));
  const facts = {
    platformCount: detail.length,
    platforms: detail.slice(0, MAX_FACT_PLATFORMS),
    ...(selection.absent.length > 0 && { absentPlatforms: selection.absent.slice(0, MAX_FACT_PLATFORMS) }),
  };
  // Each platform's documents are kept, named after their platform.
  const documents = outcomes.flatMap((o) =>
    o.result.documents.map((d) => ({ ...d, name: `${o.platform.platform.replaceAll('/', '-')}.${d.name}` })),
  );
  const failed = outcomes.filter((o) => o.result.status !== 'PASS');
  if (selection.reasons.length > 0 || failed.length > 0) {
    return evidenceResult(
      kind,
      'FAIL',
      [
        ...selection.reasons,
        ...failed.flatMap((o) =>
          o.result.reasons
            .slice(0, REASONS_PER_PLATFORM)
            .map((r) => `platform ${o.platform.platform} (${o.platform.digest}): ${o.result.status}: ${r}`),
        ),
      ],
      facts,
      documents,
    );
  }
  const merged = merge(outcomes);
  if (merged.conflict !== undefined) return evidenceResult(kind, 'FAIL', [merged.conflict], facts, documents);
  const which = selection.required ? 'every required platform' : 'every platform';
  return evidenceResult(
    kind,
    'PASS',
    [
      `${which} of the index passed: ${outcomes.map((o) => o.platform.platform).join(', ')}`,
      ...outcomes.map((o) => `platform ${o.platform.platform}: ${o.result.reasons[0] ?? 'PASS'}`),
    ],
    { ...merged.facts, ...facts },
    [...merged.documents, ...documents],
  );
}
