/**
 * The evidence-set digest: what an approval is bound to. RequestApproval stores it on the approval
 * record, every link and decision carries it, and Promote recomputes it from the store: when it
 * differs, the evidence changed after the approval was requested and the approval is void.
 *
 * It covers the canonical content of what the approver was shown and what Promote acts on:
 * - every evidence record except `approval` (the answer itself), sorted by kind: kind, status,
 *   reasons, facts, and its documents (name, media type, digest, size);
 * - the stored decision: decision, reasons, per-kind rows, the attachments Promote copies, and the
 *   policy digest it was evaluated under;
 * - the policy digest in force now, so that a policy deployed between the request and Promote
 *   voids the approval too.
 * Not covered: timestamps (`collectedAt`, `decidedAt`) and the decision document's digest (it
 * embeds `decidedAt`): they say when, not what, and differ between two runs over the same evidence.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DecisionRecord, StoredEvidence } from '../ports.js';
import { compareCodePoints } from '../records.js';
import type { Digest } from '../types.js';

/** RFC 8785 (JCS) canonical JSON, sha256, as `sha256:<hex>`. */
export function evidenceSetDigest(
  evidence: readonly StoredEvidence[],
  decision: DecisionRecord | null,
  policyDigest: Digest,
): Digest {
  const set = {
    version: 1,
    policyDigest,
    evidence: evidence
      .filter((e) => e.kind !== 'approval')
      .map((e) => ({
        kind: e.kind,
        status: e.status,
        reasons: e.reasons,
        facts: e.facts,
        documents: [...e.documents]
          .map((d) => ({ name: d.name, mediaType: d.mediaType, digest: d.digest, size: d.size }))
          .sort((a, b) => compareCodePoints(a.digest, b.digest) || compareCodePoints(a.name, b.name)),
      }))
      .sort((a, b) => compareCodePoints(a.kind, b.kind)),
    decision:
      decision === null
        ? null
        : {
            decision: decision.decision,
            reasons: decision.reasons,
            evidence: decision.evidence,
            attachments: decision.attachments ?? null,
            policyDigest: decision.policyDigest,
          },
  };
  // canonicalize returns undefined only for undefined input; the set is an object.
  const text = canonicalize(set) ?? '';
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
