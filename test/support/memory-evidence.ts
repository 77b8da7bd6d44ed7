/**
 * In-memory evidence storage for collector unit tests: a content-addressed DocumentStore that
 * re-hashes on read, and the evidence/promotion part of the ReleaseStore that collectors read.
 * `record` stores an EvidenceResult the way the collect handler does (documents to the document
 * store, refs in the evidence record), so collectors can be chained: sbom → lockfile → diff.
 */
import { DigestMismatchError, NotFoundError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { sha256Digest } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type {
  DocumentStore,
  PromotionEntry,
  RegistryReader,
  ReleaseStore,
  StoredEvidence,
} from '../../lambdas/domain/ports.js';
import {
  type Digest,
  DigestSchema,
  type EvidenceKind,
  type EvidenceResult,
  type ImageSubject,
} from '../../lambdas/domain/types.js';

export class MemoryDocumentStore implements DocumentStore {
  private readonly objects = new Map<string, Uint8Array>();

  public async put(bytes: Uint8Array, _mediaType: string): Promise<Digest> {
    const digest = DigestSchema.parse(sha256Digest(bytes));
    if (!this.objects.has(digest)) this.objects.set(digest, new Uint8Array(bytes));
    return digest;
  }

  public async get(digest: Digest): Promise<Uint8Array> {
    const bytes = this.objects.get(digest);
    if (bytes === undefined) throw new NotFoundError(`document ${digest} not found`);
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new DigestMismatchError(`document ${digest} hashes to ${actual}`);
    return bytes;
  }

  /** Replace stored bytes without changing their address, to simulate tampering. */
  public corrupt(digest: Digest, bytes: Uint8Array): void {
    this.objects.set(digest, bytes);
  }
}

type EvidenceReader = Pick<ReleaseStore, 'getEvidence' | 'lastPromotion' | 'putEvidence' | 'appendPromotion'>;

export class MemoryReleaseStore implements EvidenceReader {
  private readonly evidence = new Map<string, StoredEvidence>();
  private readonly promotions: PromotionEntry[] = [];

  public async putEvidence(ev: StoredEvidence): Promise<StoredEvidence> {
    const key = evidenceKey(ev.repository, ev.digest, ev.kind);
    const existing = this.evidence.get(key);
    if (existing !== undefined) return existing;
    this.evidence.set(key, ev);
    return ev;
  }

  public async getEvidence(repository: string, digest: Digest, kind: EvidenceKind): Promise<StoredEvidence | null> {
    return this.evidence.get(evidenceKey(repository, digest, kind)) ?? null;
  }

  public async appendPromotion(entry: PromotionEntry): Promise<void> {
    if (this.promotions.some((p) => p.repository === entry.repository && p.digest === entry.digest)) return;
    this.promotions.push(entry);
  }

  public async lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null> {
    const candidates = this.promotions
      .filter((p) => p.repository === repository && p.digest !== excludeDigest)
      .sort((a, b) => a.promotedAt.localeCompare(b.promotedAt));
    return candidates.at(-1) ?? null;
  }
}

function evidenceKey(repository: string, digest: string, kind: EvidenceKind): string {
  return `${repository}|${digest}|${kind}`;
}

/** Store a collector's result as the collect handler would: documents first, then the record. */
export async function record(
  releases: MemoryReleaseStore,
  documents: MemoryDocumentStore,
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

/** A CollectContext over in-memory stores; `policy` is parsed, so schema defaults apply. */
export function collectContext(options: {
  readonly subject: ImageSubject;
  readonly registry: RegistryReader;
  readonly releases?: MemoryReleaseStore;
  readonly documents?: MemoryDocumentStore;
  readonly policy?: Record<string, unknown>;
}): CollectContext {
  return {
    subject: options.subject,
    registry: options.registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['**'], ...options.policy }),
    now: new Date('2026-11-25T12:00:00.000Z'),
    releases: options.releases ?? new MemoryReleaseStore(),
    documents: options.documents ?? new MemoryDocumentStore(),
    scans: {
      getFindings: async () => {
        throw new NotFoundError('no scans in this test');
      },
    },
  };
}
