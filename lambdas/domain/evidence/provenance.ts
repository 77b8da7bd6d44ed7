/**
 * Provenance evidence: SLSA provenance (v1 or v0.2, in an in-toto Statement v1 or v0.1) about this
 * image, checked against the policy with slsa-verifier's semantics (attest/provenance-checks.ts):
 * builder, source repository, source branch / tag / versioned tag, and workflow inputs.
 *
 * Where provenance may come from:
 * - signed in-toto statements attached to the image digest and, for an index, to each platform
 *   manifest digest: DSSE envelopes signed by `attestations.keys`, Sigstore bundles and keyless
 *   `.att` layers verified with `attestations.keys` or `attestations.sigstore`
 *   (signed-statements.ts).
 * - BuildKit attestation manifests inside the index, only with `provenance.acceptBuildkit` and
 *   only when the index digest itself carries a signature the signature evidence accepts: they
 *   are unsigned, and the index signature is what pins them (attest/buildkit.ts).
 *
 * PASS needs provenance that satisfies the policy covering every required platform: a statement
 * about the index digest covers all of them, otherwise each platform manifest needs its own
 * (attest/platforms.ts). The facts also feed the lockfile collector (lockfile digest, base image).
 */
import { acceptBuildkitAttestations, findBuildkitAttestations } from '../attest/buildkit.js';
import { statementCoversDigest } from '../attest/in-toto.js';
import { coversAllPlatforms, type PlatformCoverage, platformCoverage } from '../attest/platforms.js';
import {
  type CheckableProvenance,
  evaluateProvenance,
  extractCheckableProvenance,
  type ProvenanceExpectations,
} from '../attest/provenance-checks.js';
import { extractBuildTriggerIdentities, type ProvenanceDependency } from '../attest/slsa.js';
import type { InTotoStatement } from '../attest/types.js';
import { describeError } from '../errors.js';
import { MediaTypes } from '../oci.js';
import { PredicateTypes } from '../predicate-types.js';
import { assertWithinReferrerLimit } from '../referrers.js';
import { type EvidenceDocument, type EvidenceResult, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import type { CollectContext } from './context.js';
import { requiredPlatformsOf } from './platforms-policy.js';
import { collectSignature } from './signature.js';
import { attestationTrustOf, gatherSignedStatements } from './signed-statements.js';

/** Annotation on a resolved dependency that states its role in the build. */
export const ROLE_ANNOTATION = 'release-gate.dev/role';

/** Upper bound of the JSON size of `facts` (DynamoDB item and state payload; see EvidenceResult). */
export const MAX_FACTS_BYTES = 2000;

/** Longest string kept in facts; longer ones are cut with an ellipsis. */
const MAX_FACT_STRING = 200;

/** Platforms listed by name in facts. */
const MAX_FACT_PLATFORMS = 16;

/** File names that are lockfiles of the ecosystems we know. */
export const LOCKFILE_NAMES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'requirements.txt',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
  'composer.lock',
]);

const PROVENANCE_TYPES = [PredicateTypes.slsaProvenanceV1, PredicateTypes.slsaProvenanceV02] as const;

/** A provenance statement whose integrity is established: a verified DSSE, or BuildKit under a signed index. */
interface TrustedStatement {
  readonly statement: InTotoStatement;
  readonly predicateType: string;
  /** Key id of the DSSE signer, or `index signature (<signers>)` for BuildKit. */
  readonly signer: string;
  /** Where it was found, for reasons. */
  readonly source: string;
  readonly document: { readonly mediaType: string; readonly extension: string; readonly bytes: Uint8Array };
}

interface Candidate extends TrustedStatement {
  readonly facts: CheckableProvenance;
}

interface Gathered {
  readonly trusted: TrustedStatement[];
  /** Found but unusable (bad signature, wrong subject, unsigned BuildKit, …): these make a FAIL. */
  readonly rejected: string[];
  /** Context for a reason list that is not PASS (e.g. BuildKit attestations not read). */
  readonly notes: string[];
}

/** Collects the provenance of `ctx.subject` and checks it, and its platform coverage, against the policy. */
export async function collectProvenance(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const policy = ctx.policy.provenance;
  const coverage = await platformCoverage(ctx.registry, repository, digest);
  const gathered = await gather(ctx, coverage);
  // With BuildKit accepted, an index signature can stand in for attestation keys.
  if (!attestationTrustOf(ctx).any && !policy.acceptBuildkit) {
    gathered.notes.unshift(`policy trusts no attestation key for ${repository}`);
  }
  const { rejected, notes } = gathered;

  if (gathered.trusted.length === 0) {
    if (rejected.length === 0) {
      const platforms =
        coverage.kind === 'index' ? ` nor for its ${coverage.platforms.length} platform manifest(s)` : '';
      return evidenceResult('provenance', 'MISSING', [
        `no SLSA provenance attestation found for ${repository}@${digest}${platforms}`,
        ...notes,
      ]);
    }
    return evidenceResult('provenance', 'FAIL', [...notes, ...rejected]);
  }

  const candidates: Candidate[] = [];
  const unparsed: string[] = [];
  for (const trusted of gathered.trusted) {
    try {
      candidates.push({
        ...trusted,
        facts: extractCheckableProvenance(trusted.predicateType, trusted.statement.predicate),
      });
    } catch (err) {
      unparsed.push(`${trusted.source}: ${describeError(err)}`);
    }
  }
  const first = candidates[0];
  if (first === undefined) {
    return evidenceResult('provenance', 'FAIL', [...unparsed, ...notes, ...rejected]);
  }

  const policyGaps: string[] = [];
  if (policy.builders.length === 0) policyGaps.push(`policy allows no builder for ${repository}`);
  if (policy.sourceRepositories.length === 0) policyGaps.push(`policy allows no source repository for ${repository}`);
  if (policyGaps.length > 0) {
    return evidenceResult('provenance', 'FAIL', policyGaps, toFacts(first, coverage), documentsOf(candidates));
  }

  const expectations = expectationsOf(ctx);
  const passing: Candidate[] = [];
  const violations: string[] = [];
  for (const candidate of candidates) {
    const found = evaluateProvenance(candidate.facts, expectations);
    if (found.length === 0) passing.push(candidate);
    violations.push(...found.map((v) => `${candidate.source}: ${v.reason} (${v.code})`));
  }
  // Every statement a trusted key signed about this image counts: one that names another builder or
  // source (or cannot be read) conflicts with the passing ones and is never outvoted by them.
  if (passing.length === 0 || violations.length > 0 || unparsed.length > 0) {
    const conflict =
      passing.length === 0
        ? []
        : [
            `signed provenance statements disagree: ${candidates.length - passing.length + unparsed.length} of ${candidates.length + unparsed.length} do not pass`,
          ];
    return evidenceResult(
      'provenance',
      'FAIL',
      [...conflict, ...violations, ...unparsed, ...notes, ...rejected],
      toFacts(first, coverage),
      documentsOf(candidates),
    );
  }

  const covered = coversAllPlatforms(
    passing.map((c) => c.statement),
    coverage,
    requiredPlatformsOf(ctx.policy),
  );
  const primary = passing.find((c) => statementCoversDigest(c.statement, digest)) ?? passing[0] ?? first;
  if (!covered.ok) {
    return evidenceResult(
      'provenance',
      'FAIL',
      [...covered.reasons, ...violations, ...unparsed, ...notes, ...rejected],
      toFacts(primary, coverage, covered.missing),
      documentsOf(candidates),
    );
  }
  const { facts } = primary;
  const reasons = [
    `built by ${facts.builderId} from ${facts.sourceRepository ?? '(no source)'}${facts.sourceRef ? `@${facts.sourceRef}` : ''}`,
  ];
  if (coverage.kind === 'index') {
    reasons.push(`provenance covers ${describePlatforms(coverage, requiredPlatformsOf(ctx.policy))}`);
  }
  return evidenceResult('provenance', 'PASS', reasons, toFacts(primary, coverage, []), documentsOf(passing));
}

function expectationsOf(ctx: CollectContext): ProvenanceExpectations {
  const { builders, sourceRepositories, sourceRef, workflowInputs } = ctx.policy.provenance;
  return {
    builders,
    sourceRepositories,
    ...(sourceRef !== undefined ? { sourceRef } : {}),
    ...(workflowInputs !== undefined ? { workflowInputs } : {}),
  };
}

function describePlatforms(coverage: PlatformCoverage, required: readonly string[] | undefined): string {
  const all = coverage.platforms.map((p) => p.platform).join(', ');
  return required === undefined ? `every platform (${all})` : `required platforms ${required.join(', ')} (of ${all})`;
}

// ---------------------------------------------------------------------------------------------
// Gathering

/**
 * Every provenance statement whose integrity holds: signed DSSE and Sigstore bundles on the subject
 * and, for an index, on each platform manifest (signed-statements.ts); then BuildKit's when the
 * policy accepts them and the index is signed.
 */
async function gather(ctx: CollectContext, coverage: PlatformCoverage): Promise<Gathered> {
  const { repository, digest } = ctx.subject;
  const gathered: Gathered = { trusted: [], rejected: [], notes: [] };

  const digests = [digest, ...coverage.platforms.map((p) => p.digest).filter((d) => d !== digest)];
  const unique = [...new Set(digests)];
  assertWithinReferrerLimit(`${repository}@${digest}`, unique.length - 1, 'platform manifests');
  const signed = await gatherSignedStatements(ctx, { predicateTypes: PROVENANCE_TYPES, digests: unique });
  gathered.trusted.push(...signed.trusted);
  gathered.rejected.push(...signed.rejected);
  if (coverage.kind === 'index') await gatherBuildkit(ctx, coverage, gathered);
  return gathered;
}

const SignatureFactsSchema = z.object({ signers: z.array(z.string()) });

async function gatherBuildkit(ctx: CollectContext, coverage: PlatformCoverage, gathered: Gathered): Promise<void> {
  const { repository, digest } = ctx.subject;
  if (!ctx.policy.provenance.acceptBuildkit) {
    // Not read at all: unsigned statements the policy does not accept cannot change the outcome.
    const count = coverage.skipped.filter((s) => s.reason === 'attestation manifest').length;
    if (count > 0) {
      gathered.notes.push(
        `index lists ${count} BuildKit attestation manifest(s), not read: policy.provenance.acceptBuildkit is false`,
      );
    }
    return;
  }
  const scan = await findBuildkitAttestations(ctx.registry, repository, digest, PROVENANCE_TYPES);
  if (scan.attestations.length === 0) {
    gathered.rejected.push(...scan.rejected.map((r) => `${r.source}: ${r.reason}`));
    return;
  }
  // The index signature is judged exactly as the signature evidence judges it (trusted signers,
  // minSigners, the payload naming this digest), so the two can never disagree.
  const signature = await collectSignature(ctx);
  const signed = signature.status === 'PASS' ? new Set<string>([digest]) : new Set<string>();
  if (signature.status !== 'PASS') {
    const why = signature.reasons.slice(0, 3).join('; ');
    gathered.rejected.push(`BuildKit attestations not accepted: the index signature is ${signature.status}: ${why}`);
  }
  const signers = SignatureFactsSchema.safeParse(signature.facts);
  const signer = `index signature (${signers.success ? signers.data.signers.join(', ') : 'verified'})`;
  const accepted = acceptBuildkitAttestations(scan, signed);
  gathered.rejected.push(...accepted.rejected.map((r) => `${r.source}: ${r.reason}`));
  for (const a of accepted.verified) {
    gathered.trusted.push({
      statement: a.statement,
      predicateType: a.predicateType,
      signer,
      source: `${a.source} (BuildKit, ${a.platform})`,
      document: { mediaType: MediaTypes.inTotoPayload, extension: 'intoto.json', bytes: a.bytes },
    });
  }
}

function documentsOf(statements: readonly TrustedStatement[]): EvidenceDocument[] {
  return statements.map((s, i) => ({
    name: i === 0 ? `provenance.${s.document.extension}` : `provenance-${i + 1}.${s.document.extension}`,
    mediaType: s.document.mediaType,
    bytes: s.document.bytes,
  }));
}

// ---------------------------------------------------------------------------------------------
// Facts

/** A resolved dependency that is a lockfile: by role annotation or by the file name of its name/uri. */
export function isLockfileDependency(dep: ProvenanceDependency): boolean {
  if (dep.annotations?.[ROLE_ANNOTATION] === 'lockfile') return true;
  return [dep.name, dep.uri].some((v) => v !== undefined && LOCKFILE_NAMES.has(basename(v)));
}

/** A resolved dependency that is the base image: by role annotation or by an image URI scheme. */
export function isBaseImageDependency(dep: ProvenanceDependency): boolean {
  if (dep.annotations?.[ROLE_ANNOTATION] === 'base-image') return true;
  const uri = dep.uri ?? '';
  return ['pkg:docker/', 'pkg:oci/', 'oci://', 'docker://'].some((prefix) => uri.startsWith(prefix));
}

function basename(value: string): string {
  const withoutQuery = value.split(/[?#]/)[0] ?? value;
  const withoutRef = withoutQuery.replace(/@[^/]*$/, '');
  const parts = withoutRef.split('/');
  return parts[parts.length - 1] ?? withoutRef;
}

/** `sha256:<hex>` when there is one, else the first `<alg>:<value>`. */
function digestString(digest: Readonly<Record<string, string>>): string | undefined {
  const sha256 = digest.sha256;
  if (sha256) return `sha256:${sha256}`;
  const first = Object.entries(digest)[0];
  return first ? `${first[0]}:${first[1]}` : undefined;
}

/**
 * The summary kept with the evidence: who built it from what, the lockfile digest and base image
 * the lockfile collector reads (not the whole dependency list), and the platform coverage. Kept
 * under MAX_FACTS_BYTES; the full statements are in the documents.
 */
function toFacts(
  candidate: Candidate,
  coverage: PlatformCoverage,
  missingPlatforms?: readonly string[],
): Record<string, unknown> {
  const { facts } = candidate;
  const lockfile = facts.resolvedDependencies.find(isLockfileDependency);
  // Only a sha256 is a usable lockfile digest downstream (the lockfile collector compares it with the SBOM's).
  const lockfileSha256 = lockfile?.digest.sha256;
  const lockfileDigest =
    lockfileSha256 !== undefined && /^[a-fA-F0-9]{64}$/.test(lockfileSha256)
      ? `sha256:${lockfileSha256.toLowerCase()}`
      : undefined;
  const base = facts.resolvedDependencies.find(isBaseImageDependency);
  // A pinned base may carry its digest only in the URI (`pkg:docker/node@sha256:…`).
  const baseDigest = base
    ? (digestString(base.digest) ?? /@(sha256:[a-f0-9]{64})/.exec(base.uri ?? '')?.[1])
    : undefined;
  const full: Record<string, unknown> = {
    builderId: clip(facts.builderId),
    buildType: clip(facts.buildType),
    slsaVersion: facts.slsaVersion,
    ...(facts.sourceRepository !== undefined ? { sourceRepository: clip(facts.sourceRepository) } : {}),
    ...(facts.sourceRef !== undefined ? { sourceRef: clip(facts.sourceRef) } : {}),
    ...(facts.sourceDigest !== undefined ? { sourceDigest: clip(facts.sourceDigest) } : {}),
    resolvedDependencyCount: facts.resolvedDependencies.length,
    ...(lockfileDigest !== undefined ? { lockfileDigest } : {}),
    ...(lockfile !== undefined
      ? {
          lockfile: {
            name: clipOrNull(lockfile.name ?? lockfile.uri),
            digest: clipOrNull(digestString(lockfile.digest)),
          },
        }
      : {}),
    ...(base !== undefined
      ? {
          baseImage: {
            // Not clipped: the lockfile collector judges pinning from it; it is dropped whole if too long.
            uri: base.uri ?? base.name ?? '(unnamed base image)',
            ...(baseDigest ? { digest: clip(baseDigest) } : {}),
          },
        }
      : {}),
    signer: clip(candidate.signer),
    attestationSource: clip(candidate.source),
    // Who started the build: separation of duties keeps them from approving it (workflow/approvers.ts).
    ...triggeredByFact(candidate),
    ...(coverage.kind === 'index'
      ? {
          platforms: coverage.platforms.slice(0, MAX_FACT_PLATFORMS).map((p) => clip(p.platform)),
          platformCount: coverage.platforms.length,
          ...(missingPlatforms !== undefined && missingPlatforms.length > 0
            ? { missingPlatforms: missingPlatforms.slice(0, MAX_FACT_PLATFORMS).map((p) => clip(p)) }
            : {}),
        }
      : {}),
  };
  return fitFacts(full);
}

/** `triggeredBy`: the GitHub accounts that started the build, when the provenance names them. */
function triggeredByFact(candidate: Candidate): { triggeredBy?: string[] } {
  const ids = extractBuildTriggerIdentities(candidate.predicateType, candidate.statement.predicate).slice(0, 4);
  return ids.length === 0 ? {} : { triggeredBy: ids };
}

/** Least useful first: dropped one by one until the facts fit. */
const DROPPABLE_FACTS = [
  'platforms',
  'attestationSource',
  'buildType',
  'lockfile',
  'sourceDigest',
  'missingPlatforms',
  'signer',
  'baseImage',
  'sourceRef',
  'sourceRepository',
] as const;

function fitFacts(facts: Record<string, unknown>): Record<string, unknown> {
  const fitted = { ...facts };
  const size = (): number => Buffer.byteLength(JSON.stringify(fitted), 'utf8');
  for (const key of DROPPABLE_FACTS) {
    if (size() <= MAX_FACTS_BYTES) break;
    delete fitted[key];
  }
  return fitted;
}

function clip(value: string): string {
  return value.length <= MAX_FACT_STRING ? value : `${value.slice(0, MAX_FACT_STRING - 1)}…`;
}

function clipOrNull(value: string | undefined): string | null {
  return value === undefined ? null : clip(value);
}
