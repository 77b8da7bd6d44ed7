/**
 * Lockfile evidence: the release was built from a lockfile (its digest is recorded in the
 * provenance or the SBOM), on a base image pinned by digest, and every application dependency in
 * the SBOM has an exact version. Reads the evidence stored for this release by the first stage
 * (provenance, sbom) plus, when needed, the image manifest's base-image annotations (image-spec annotations.md
 * `org.opencontainers.image.base.name` / `.base.digest`).
 */
// Its functions one by one: the package's index loads every class and range helper.
import semverValid from 'semver/functions/valid.js';
import semverValidRange from 'semver/ranges/valid.js';
import { safeParseJsonDocument } from '../document.js';
import { Limits } from '../limits.js';
import { Annotations, ImageIndexSchema, ImageManifestSchema } from '../oci.js';
import type { StoredEvidence } from '../ports.js';
import type { Component } from '../sbom/component.js';
import { DigestSchema, type EvidenceResult, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import type { CollectContext } from './context.js';
import { sbomEvidenceOf } from './sbom.js';

/** The provenance facts this collector reads (written by the provenance collector). */
const ProvenanceLockFactsSchema = z.object({
  lockfileDigest: z.optional(DigestSchema),
  baseImage: z.optional(z.object({ uri: z.string().check(z.minLength(1)), digest: z.optional(z.string()) })),
});

const SbomLockFactsSchema = z.object({ lockfileDigest: z.optional(DigestSchema) });

export interface BaseImage {
  readonly uri?: string;
  readonly digest?: string;
  readonly source: 'provenance' | 'annotations';
}

/** Unpinned components named in a reason; the rest are counted. */
const MAX_NAMED = 10;

const PINNED_REFERENCE = /@sha256:[a-f0-9]{64}$/;
const BRANCH_NAMES = /^(head|master|main|trunk|develop|latest|release|snapshot)$/i;

/**
 * True when `version` names exactly one release. npm versions are checked with `semver` (a valid
 * version is exact; anything `semver.validRange` accepts — `^1.2`, `~1.2`, `>=1`, `1.x`, `1.2` —
 * is a range). Other ecosystems get simple rules: no comparison operators, no wildcard
 * components (`1.x`, `1.*`, Gradle `1.+`), no Maven ranges (`[1.0,2.0)`), no `dev-*` branches
 * (Composer), no branch or tag names (`latest`, `master`, Maven `RELEASE`).
 */
export function isExactVersion(version: string | undefined, ecosystem?: string): boolean {
  const v = version?.trim() ?? '';
  if (v === '' || v === '*' || BRANCH_NAMES.test(v)) return false;
  if (ecosystem === 'npm') {
    if (semverValid(v) !== null) return true;
    if (semverValidRange(v) !== null) return false;
  }
  if (/^[\^~<>=!]/.test(v) || /^[[(]/.test(v)) return false;
  if (/\|\||\s/.test(v)) return false;
  if (/(^|[.-])[xX*+](?=$|[.-])/.test(v) || v.endsWith('+')) return false;
  if (ecosystem === 'composer' && (/^dev-/i.test(v) || /-dev$/i.test(v))) return false;
  return true;
}

/** Collect the lockfile evidence of `ctx.subject`. */
export async function collectLockfile(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const provenance = await ctx.releases.getEvidence(repository, digest, 'provenance');
  const sbom = await sbomEvidenceOf(ctx);
  if (provenance === null && sbom.status === 'MISSING') {
    return evidenceResult('lockfile', 'MISSING', [
      'no provenance or SBOM evidence for this release: nothing records a lockfile digest',
    ]);
  }

  const problems: string[] = [];
  const notes: string[] = [];

  const provenanceFacts = usableFacts(provenance, ProvenanceLockFactsSchema, problems, notes);
  const sbomFacts = usableFacts(sbom, SbomLockFactsSchema, problems, notes);

  // The application components, read one at a time: the inventory as a whole is never held.
  let application: ApplicationComponents | undefined;
  let sbomLockfileDigest = sbomFacts?.lockfileDigest;
  if (sbom.status === 'PASS') {
    const counted = new ApplicationComponents();
    const stored = await sbom.visitComponents(counted.add);
    if (stored.ok) {
      application = counted;
      sbomLockfileDigest ??= stored.header.lockfileDigest;
    } else {
      problems.push(stored.reason);
    }
  }

  // Lockfile digest: provenance first (signed by the builder), the SBOM second.
  const provenanceLockfileDigest = provenanceFacts?.lockfileDigest;
  const lockfileDigest = provenanceLockfileDigest ?? sbomLockfileDigest;
  const source = provenanceLockfileDigest !== undefined ? 'provenance' : 'sbom';
  if (lockfileDigest === undefined) {
    problems.push('no lockfile digest in the provenance or the SBOM: the build is not tied to a lockfile');
  } else if (
    provenanceLockfileDigest !== undefined &&
    sbomLockfileDigest !== undefined &&
    provenanceLockfileDigest !== sbomLockfileDigest
  ) {
    problems.push(
      `provenance lockfile digest ${provenanceLockfileDigest} differs from the SBOM's ${sbomLockfileDigest}`,
    );
  }

  // Base image.
  let baseImage: BaseImage | undefined = provenanceFacts?.baseImage
    ? { ...provenanceFacts.baseImage, source: 'provenance' }
    : undefined;
  if (ctx.policy.lockfile.requirePinnedBase) {
    baseImage ??= await baseImageFromAnnotations(ctx);
    if (baseImage === undefined) {
      problems.push(
        'base image is not identified (no provenance baseImage, no org.opencontainers.image.base.* annotations)',
      );
    } else if (!isPinned(baseImage)) {
      problems.push(`base image ${baseImage.uri ?? '(unnamed)'} is not pinned by digest`);
    }
  }

  // Application components with exact versions.
  if (application === undefined) {
    problems.push('no SBOM components: cannot check that application dependencies have exact versions');
  } else if (application.unpinned > 0) {
    const more = application.unpinned > MAX_NAMED ? ` and ${application.unpinned - MAX_NAMED} more` : '';
    problems.push(
      `${application.unpinned} application components without an exact version: ${application.named.join(', ')}${more}`,
    );
  }

  const facts = {
    ...(lockfileDigest !== undefined && { lockfileDigest, source }),
    ...(baseImage !== undefined && { baseImage }),
    ...(application !== undefined && {
      applicationComponents: application.count,
      unpinnedComponents: application.unpinned,
    }),
  };
  if (problems.length > 0) return evidenceResult('lockfile', 'FAIL', [...problems, ...notes], facts);
  const base = baseImage?.digest !== undefined ? `, base image pinned at ${baseImage.digest}` : '';
  return evidenceResult(
    'lockfile',
    'PASS',
    [`lockfile ${lockfileDigest} (from ${source})${base}; all application components have exact versions`, ...notes],
    facts,
  );
}

/**
 * The application components of an inventory, counted as they are read: how many, how many lack an
 * exact version, and the first `MAX_NAMED` of those by name (what the reasons and facts show).
 */
class ApplicationComponents {
  public count = 0;
  public unpinned = 0;
  public readonly named: string[] = [];

  /** Bound, so that a reader can call it for each component. */
  public readonly add = (c: Component): void => {
    if (c.scope !== 'application') return;
    this.count++;
    if (isExactVersion(c.version, c.ecosystem)) return;
    if (++this.unpinned <= MAX_NAMED) this.named.push(c.version ? `${c.name}@${c.version}` : `${c.name} (no version)`);
  };
}

/** Facts of stored evidence when it PASSed; evidence that did not pass is not trusted for anything. */
function usableFacts<T extends z.ZodMiniType>(
  evidence: Pick<StoredEvidence, 'kind' | 'status' | 'facts'> | null,
  schema: T,
  problems: string[],
  notes: string[],
): z.infer<T> | undefined {
  if (evidence === null) return undefined;
  if (evidence.status !== 'PASS') {
    notes.push(`${evidence.kind} evidence is ${evidence.status}: not used`);
    return undefined;
  }
  const parsed = schema.safeParse(evidence.facts);
  if (!parsed.success) {
    problems.push(
      `${evidence.kind} evidence facts are malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
    return undefined;
  }
  return parsed.data;
}

function isPinned(base: BaseImage): boolean {
  if (base.digest !== undefined) return DigestSchema.safeParse(base.digest).success;
  return base.uri !== undefined && PINNED_REFERENCE.test(base.uri);
}

const ManifestOrIndexSchema = z.union([ImageManifestSchema, ImageIndexSchema]);

/** `org.opencontainers.image.base.*` annotations of the image manifest (or index). */
async function baseImageFromAnnotations(ctx: CollectContext): Promise<BaseImage | undefined> {
  const fetched = await ctx.registry.getManifest(ctx.subject.repository, ctx.subject.digest);
  const parsed = safeParseJsonDocument(fetched.bytes, ManifestOrIndexSchema, {
    what: `manifest ${fetched.digest}`,
    maxBytes: Limits.manifestBytes,
  });
  // An unreadable manifest names no base image; other evidence reports what is wrong with it.
  if (!parsed.success) return undefined;
  const annotations = parsed.data.annotations;
  const uri = annotations?.[Annotations.baseName];
  const digest = annotations?.[Annotations.baseDigest];
  if (uri === undefined && digest === undefined) return undefined;
  return {
    ...(uri !== undefined && { uri }),
    ...(digest !== undefined && { digest }),
    source: 'annotations',
  };
}
