/**
 * Evidence helpers for collector unit tests, on the one in-memory store (the adapter MemoryStore,
 * held to the store contracts). `record` stores an EvidenceResult the way the collect handler does
 * (documents to the document store, refs in the evidence record), so collectors can be chained:
 * sbom → lockfile → diff.
 */

import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type { DocumentStore, RegistryReader, ReleaseStore, StoredEvidence } from '../../lambdas/domain/ports.js';
import type { Digest, EvidenceResult, ImageSubject } from '../../lambdas/domain/types.js';
import { noScans } from './fakes.js';
import { pushArtifact, pushImage } from './images.js';
import { MemoryRegistry } from './memory-registry.js';

/** The collectors' clock in these tests. */
export const COLLECT_NOW = new Date('2026-11-25T12:00:00.000Z');

/** Store a collector's result as the collect handler would: documents first, then the record. */
export async function record(
  releases: Pick<ReleaseStore, 'putEvidence'>,
  documents: Pick<DocumentStore, 'put'>,
  subject: { readonly repository: string; readonly digest: Digest },
  result: EvidenceResult,
  collectedAt = COLLECT_NOW.toISOString(),
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
 * A CollectContext over in-memory stores (one empty MemoryStore unless given) and no scanner unless
 * given; `policy` is parsed, so schema defaults apply.
 */
export function collectContext(options: {
  readonly subject: ImageSubject;
  readonly registry: RegistryReader;
  readonly releases?: Pick<ReleaseStore, 'getEvidence' | 'lastPromotion'>;
  readonly documents?: Pick<DocumentStore, 'get'>;
  readonly policy?: Record<string, unknown>;
  readonly scans?: CollectContext['scans'];
  readonly now?: Date;
  /** Trusted roots by policy file name, as the policy loader gives them. */
  readonly trustedRoots?: CollectContext['trustedRoots'];
}): CollectContext {
  const empty = new MemoryStore();
  return {
    // As the workflow's collectContext: the subject lives on the registry's host, when it has one.
    subject: {
      ...options.subject,
      ...(options.registry.host !== undefined && { registry: options.registry.host }),
    },
    registry: options.registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['**'], ...options.policy }),
    now: options.now ?? COLLECT_NOW,
    releases: options.releases ?? empty,
    documents: options.documents ?? empty,
    scans: options.scans ?? noScans,
    ...(options.trustedRoots !== undefined && { trustedRoots: options.trustedRoots }),
  };
}

export interface ImageContext {
  readonly registry: MemoryRegistry;
  readonly image: Descriptor;
  readonly subject: ImageSubject;
  readonly ctx: CollectContext;
}

/**
 * A one-layer image pushed as `repository:1.0` to a fresh MemoryRegistry, and the CollectContext of
 * a collector about it under `policy`.
 */
export async function imageContext(
  repository: string,
  policy: Record<string, unknown> = {},
  options: Omit<Parameters<typeof collectContext>[0], 'subject' | 'registry' | 'policy'> = {},
): Promise<ImageContext> {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, repository, '1.0');
  const subject = { repository, digest: image.digest };
  return { registry, image, subject, ctx: collectContext({ subject, registry, policy, ...options }) };
}

/** cosign's tag for the attestations of a digest: `sha256-<hex>.att`. */
export const attTag = (digest: string): string => `${digestToTag(digest)}.att`;

/**
 * Attaches DSSE envelope bytes to `image` as cosign does, under its `.att` tag (one layer, annotated
 * with `predicateType` when given). Returns the layer descriptors.
 */
export async function attachAttestation(
  registry: MemoryRegistry,
  repository: string,
  image: Pick<Descriptor, 'digest'>,
  bytes: Uint8Array,
  predicateType?: string,
): Promise<Descriptor[]> {
  const { layers } = await pushArtifact(registry, repository, {
    layers: [
      {
        mediaType: MediaTypes.dsseEnvelope,
        bytes,
        ...(predicateType !== undefined ? { annotations: { predicateType } } : {}),
      },
    ],
    tag: attTag(image.digest),
  });
  return layers;
}
