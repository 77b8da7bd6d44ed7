/**
 * Evidence helpers for collector unit tests, on the one in-memory store (the adapter MemoryStore,
 * held to the store contracts). `record` stores an EvidenceResult the way the collect handler does
 * (documents to the document store, refs in the evidence record), so collectors can be chained:
 * sbom → lockfile → diff.
 */

import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { NotFoundError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type { DocumentStore, RegistryReader, ReleaseStore, StoredEvidence } from '../../lambdas/domain/ports.js';
import type { Digest, EvidenceResult, ImageSubject } from '../../lambdas/domain/types.js';

/** Store a collector's result as the collect handler would: documents first, then the record. */
export async function record(
  releases: Pick<ReleaseStore, 'putEvidence'>,
  documents: Pick<DocumentStore, 'put'>,
  subject: { readonly repository: string; readonly digest: Digest },
  result: EvidenceResult,
  collectedAt = '2026-11-25T12:00:00.000Z',
): Promise<StoredEvidence> {
  const refs = [];
  for (const doc of result.documents) {
    const digest = await documents.put(doc.bytes, doc.mediaType);
    refs.push({ name: doc.name, mediaType: doc.mediaType, digest, size: doc.bytes.byteLength });
  }
  return releases.putEvidence({
    repository: subject.repository,
    digest: subject.digest,
    kind: result.kind,
    status: result.status,
    reasons: result.reasons,
    facts: result.facts,
    documents: refs,
    collectedAt,
  });
}

/**
 * A CollectContext over in-memory stores (one empty MemoryStore unless given); `policy` is parsed,
 * so schema defaults apply.
 */
export function collectContext(options: {
  readonly subject: ImageSubject;
  readonly registry: RegistryReader;
  readonly releases?: Pick<ReleaseStore, 'getEvidence' | 'lastPromotion'>;
  readonly documents?: Pick<DocumentStore, 'get'>;
  readonly policy?: Record<string, unknown>;
}): CollectContext {
  const empty = new MemoryStore();
  return {
    subject: options.subject,
    registry: options.registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['**'], ...options.policy }),
    now: new Date('2026-11-25T12:00:00.000Z'),
    releases: options.releases ?? empty,
    documents: options.documents ?? empty,
    scans: {
      getFindings: async () => {
        throw new NotFoundError('no scans in this test');
      },
    },
  };
}
