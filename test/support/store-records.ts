/**
 * Records for store tests: every call makes fresh digests and repositories, so tests that share a
 * table never share items. Overrides replace fields of a valid record.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  ApprovalAuditRecord,
  ApprovalRecord,
  BreakGlassRequestRecord,
  DecisionRecord,
  PromotionEntry,
  ReleaseRecord,
  ScanCompletion,
  StoredEvidence,
} from '../../lambdas/domain/records.js';
import type { Digest } from '../../lambdas/domain/types.js';

let counter = 0;

/** A fresh digest per call. */
export function newDigest(): Digest {
  counter += 1;
  return `sha256:${createHash('sha256').update(`digest-${counter}-${Math.random()}`).digest('hex')}`;
}

/** A fresh repository name per call. */
export function newRepository(): string {
  counter += 1;
  return `team/app-${counter}`;
}

/** A fresh suffix for names that must not collide (approval ids, package names, CVE ids). */
export function uniqueSuffix(): string {
  counter += 1;
  return `${counter}-${createHash('sha256').update(`${counter}-${Math.random()}`).digest('hex').slice(0, 8)}`;
}

/** A builder of valid records about one release: defaults for the rest, then the overrides. */
function recordAbout<T>(defaults: (repository: string, digest: Digest) => T) {
  return (repository: string, digest: Digest, overrides: Partial<T> = {}): T => ({
    ...defaults(repository, digest),
    ...overrides,
  });
}

export const releaseRecord = recordAbout<ReleaseRecord>((repository, digest) => ({
  repository,
  digest,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  tag: 'v1.2.3',
  stage: 'production',
  platforms: [{ digest: newDigest(), platform: 'linux/amd64' }],
  state: 'RECORDED',
  executionName: `${repository.replace('/', '-')}-${digest.slice(7, 20)}`,
  recordedAt: '2026-01-10T10:00:00.000Z',
}));

export const evidenceRecord = recordAbout<StoredEvidence>((repository, digest) => ({
  repository,
  digest,
  kind: 'sbom',
  status: 'PASS',
  reasons: ['CycloneDX 1.6 SBOM with 42 components'],
  facts: { format: 'cyclonedx', components: 42, nested: { ok: true } },
  documents: [{ name: 'sbom.json', mediaType: 'application/vnd.cyclonedx+json', digest: newDigest(), size: 1234 }],
  collectedAt: '2026-01-10T10:01:00.000Z',
}));

export const decisionRecord = recordAbout<DecisionRecord>((repository, digest) => ({
  repository,
  digest,
  decision: 'BLOCK',
  reasons: ['provenance: FAIL'],
  policyDigest: newDigest(),
  evidence: [{ kind: 'provenance', status: 'FAIL', reasons: ['builder not allowed'] }],
  decidedAt: '2026-01-10T10:10:00.000Z',
  documentDigest: newDigest(),
}));

export function approvalRecord(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    approvalId: id,
    repository: 'team/app',
    digest: newDigest(),
    tokenHash: createHash('sha256').update(`token-${id}`).digest('hex'),
    taskToken: `token-${id}`,
    state: 'PENDING',
    requestedAt: '2026-01-10T10:05:00.000Z',
    expiresAt: '2026-01-11T10:05:00.000Z',
    evidenceSetDigest: `sha256:${'e'.repeat(64)}`,
    required: 1,
    requiredReasons: [],
    pushers: [],
    approvals: [],
    ...overrides,
  };
}

/** One audit record of a release's approval, with a fresh id. */
export const approvalAuditRecord = recordAbout<ApprovalAuditRecord>((repository, digest) => ({
  id: createHash('sha256').update(`audit-${uniqueSuffix()}`).digest('hex').slice(0, 32),
  kind: 'viewed',
  approvalId: 'a'.repeat(32),
  repository,
  digest,
  identity: 'amy@example.com',
  channel: 'email-link',
  at: '2026-01-10T10:06:00.000Z',
  sourceIp: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  evidenceSetDigest: `sha256:${'e'.repeat(64)}`,
  state: 'PENDING',
  outcome: 'approval page shown',
}));

export const promotionEntry = recordAbout<PromotionEntry>((repository, digest) => ({
  repository,
  digest,
  promotedAt: '2026-02-01T00:00:00.000Z',
  targetRepository: `prod/${repository}`,
  tag: 'v1',
}));

export const scanResult: ScanCompletion = {
  status: 'COMPLETE',
  source: 'ecr-basic',
  severityCounts: { CRITICAL: 0, HIGH: 2 },
  completedAt: '2026-01-10T10:02:00.000Z',
};

/** A pending break-glass request (a rollback of a fresh repository) under a fresh id. */
export function pendingBreakGlass(overrides: Partial<BreakGlassRequestRecord> = {}): BreakGlassRequestRecord {
  return {
    id: randomUUID(),
    action: 'rollback',
    repository: newRepository(),
    digest: newDigest(),
    reason: 'CVE-2026-0001 is being exploited',
    operator: 'arn:aws:iam::123456789012:user/alice',
    operatorKind: 'cli-aws',
    createdAt: '2026-05-01T00:00:00.000Z',
    expiresAt: '2026-05-01T01:00:00.000Z',
    state: 'PENDING',
    ...overrides,
  };
}
