/**
 * Provenance evidence: a SLSA provenance (v1 or v0.2) in an in-toto statement about this digest,
 * in a DSSE envelope signed by a trusted attestation key, naming an allowed builder and source.
 * The facts also feed the lockfile collector (resolved dependencies, lockfile digest, base image).
 */
import { discoverAttestations } from '../attest/discover.js';
import {
  extractProvenanceFacts,
  normaliseSourceUri,
  type ProvenanceDependency,
  type ProvenanceFacts,
} from '../attest/slsa.js';
import type { VerifiedAttestation } from '../attest/types.js';
import { describeError } from '../errors.js';
import { MediaTypes } from '../oci.js';
import { PredicateTypes } from '../predicate-types.js';
import { type EvidenceResult, evidenceResult } from '../types.js';
import type { CollectContext } from './context.js';

/** Annotation on a resolved dependency that states its role in the build. */
export const ROLE_ANNOTATION = 'release-gate.dev/role';

/** Resolved dependencies kept in facts; the record stays small (DynamoDB item, state payload). */
export const MAX_FACT_DEPENDENCIES = 50;

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

/** Collects the provenance of `ctx.subject` and checks builder and source against the policy. */
export async function collectProvenance(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const { builders, sourceRepositories } = ctx.policy.provenance;
  const keys = ctx.policy.attestations.keys;

  const scan = await discoverAttestations(ctx.registry, ctx.subject, keys, PROVENANCE_TYPES);
  const rejectedReasons = scan.rejected.map((r) => `${r.source}: ${r.reason}`);
  const noKeys = keys.length === 0 ? [`policy trusts no attestation key for ${repository}`] : [];

  if (scan.verified.length === 0) {
    if (rejectedReasons.length === 0) {
      return evidenceResult('provenance', 'MISSING', [
        `no SLSA provenance attestation found for ${repository}@${digest}`,
        ...noKeys,
      ]);
    }
    return evidenceResult('provenance', 'FAIL', [...noKeys, ...rejectedReasons]);
  }

  const candidates: { attestation: VerifiedAttestation; facts: ProvenanceFacts }[] = [];
  const reasons: string[] = [];
  for (const attestation of scan.verified) {
    try {
      candidates.push({
        attestation,
        facts: extractProvenanceFacts(attestation.predicateType, attestation.statement.predicate),
      });
    } catch (err) {
      reasons.push(`${attestation.source}: ${describeError(err)}`);
    }
  }
  const first = candidates[0];
  if (first === undefined) {
    return evidenceResult('provenance', 'FAIL', [...reasons, ...rejectedReasons]);
  }

  const policyGaps: string[] = [];
  if (builders.length === 0) policyGaps.push(`policy allows no builder for ${repository}`);
  if (sourceRepositories.length === 0) policyGaps.push(`policy allows no source repository for ${repository}`);
  if (policyGaps.length > 0) {
    return evidenceResult('provenance', 'FAIL', policyGaps, toFacts(first.attestation, first.facts), [
      envelopeDocument(first.attestation),
    ]);
  }

  const allowedSources = new Set(sourceRepositories.map((s) => normaliseSourceUri(s).repository));
  for (const { attestation, facts } of candidates) {
    const problems: string[] = [];
    if (!builders.includes(facts.builderId)) {
      problems.push(`builder ${facts.builderId} is not allowed for ${repository}`);
    }
    if (facts.sourceRepository === undefined) {
      problems.push('provenance names no source repository');
    } else if (!allowedSources.has(facts.sourceRepository)) {
      problems.push(`source repository ${facts.sourceRepository} is not allowed for ${repository}`);
    }
    if (problems.length === 0) {
      return evidenceResult(
        'provenance',
        'PASS',
        [`built by ${facts.builderId} from ${facts.sourceRepository}${facts.sourceRef ? `@${facts.sourceRef}` : ''}`],
        toFacts(attestation, facts),
        [envelopeDocument(attestation)],
      );
    }
    reasons.push(...problems.map((p) => `${attestation.source}: ${p}`));
  }
  return evidenceResult(
    'provenance',
    'FAIL',
    [...reasons, ...rejectedReasons],
    toFacts(first.attestation, first.facts),
    [envelopeDocument(first.attestation)],
  );
}

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

function toFacts(attestation: VerifiedAttestation, facts: ProvenanceFacts): Record<string, unknown> {
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
  return {
    builderId: facts.builderId,
    buildType: facts.buildType,
    slsaVersion: facts.slsaVersion,
    ...(facts.sourceRepository !== undefined ? { sourceRepository: facts.sourceRepository } : {}),
    ...(facts.sourceRef !== undefined ? { sourceRef: facts.sourceRef } : {}),
    ...(facts.sourceDigest !== undefined ? { sourceDigest: facts.sourceDigest } : {}),
    resolvedDependencies: facts.resolvedDependencies.slice(0, MAX_FACT_DEPENDENCIES),
    resolvedDependencyCount: facts.resolvedDependencies.length,
    ...(lockfileDigest !== undefined ? { lockfileDigest } : {}),
    ...(lockfile !== undefined
      ? { lockfile: { name: lockfile.name ?? lockfile.uri ?? null, digest: digestString(lockfile.digest) ?? null } }
      : {}),
    ...(base !== undefined
      ? {
          baseImage: {
            uri: base.uri ?? base.name ?? '(unnamed base image)',
            ...(baseDigest ? { digest: baseDigest } : {}),
          },
        }
      : {}),
    signer: attestation.signer,
    attestationSource: attestation.source,
  };
}

function envelopeDocument(attestation: VerifiedAttestation): { name: string; mediaType: string; bytes: Uint8Array } {
  return { name: 'provenance.dsse.json', mediaType: MediaTypes.dsseEnvelope, bytes: attestation.envelope };
}
