/**
 * `release-gate explain`: replays a stored decision. EvaluatePolicy stored, content-addressed, the
 * exact policy text and the evidence records it judged (evaluate-policy.ts); the replay runs the
 * same pure `evaluatePolicy` over them again and compares the outcome and every reason. Where the
 * replay differs, it says which input changed: the policy (another digest than the stored one,
 * `--policy FILE`), or the evidence (the stored records now differ from the snapshot judged).
 */
import { parseJsonDocument } from '../document.js';
import { DigestMismatchError, NotFoundError } from '../errors.js';
import { Limits } from '../limits.js';
import { sha256Digest } from '../oci.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { parsePolicyDocument } from '../policy/parse.js';
import { policyFor } from '../policy/rules.js';
import type { DocumentStore, ReleaseStore, StoredEvidence } from '../ports.js';
import { DecisionRecordSchema, StoredEvidenceSchema } from '../records.js';
import { DigestSchema } from '../types.js';
import * as z from '../zod.js';

/** The decision document as EvaluatePolicy writes it (only what the replay reads). */
const DecisionDocumentSchema = z.object({
  subject: z.object({ repository: z.string(), digest: DigestSchema }),
  stage: z.string(),
  decidedAt: z.string(),
  policy: z.object({ digest: DigestSchema, text: z.string() }),
  evidence: z.array(StoredEvidenceSchema),
  decision: z.object({ decision: DecisionRecordSchema.shape.decision, reasons: z.array(z.string()) }),
});

export interface ReasonDiff {
  /** Reasons the stored decision gave and the replay does not. */
  readonly onlyStored: readonly string[];
  /** Reasons the replay gives and the stored decision did not. */
  readonly onlyReplayed: readonly string[];
}

export interface EvidenceChange {
  readonly kind: string;
  /** What differs between the record judged and the record stored now. */
  readonly change: string;
}

export interface Explanation {
  readonly repository: string;
  readonly digest: string;
  readonly stage: string;
  readonly decidedAt: string;
  readonly decisionDocument: string;
  /**
   * The gate round the replayed decision belongs to: the latest (a release from quarantine runs
   * the gate again; the earlier rounds' decisions stay in their documents and the round archive).
   */
  readonly gateRound: number;
  readonly policy: {
    readonly stored: string;
    /** The digest of the policy replayed against: the stored one unless another was given. */
    readonly replayed: string;
  };
  readonly stored: { readonly decision: string; readonly reasons: readonly string[] };
  readonly replayed: { readonly decision: string; readonly reasons: readonly string[] };
  /** Outcome and every reason identical, in order. */
  readonly identical: boolean;
  readonly reasons: ReasonDiff;
  /** Which inputs changed since the decision: `policy`, `evidence` (none when identical and unchanged). */
  readonly changedInputs: readonly ('policy' | 'evidence')[];
  /** Evidence records stored now that differ from the snapshot the decision judged. */
  readonly evidenceChanges: readonly EvidenceChange[];
}

/** Largest decision document read back: policy text plus evidence records with bounded facts. */
const MAX_DECISION_DOCUMENT_BYTES = Limits.policyBytes + Limits.scanReportBytes;

/**
 * Replays the stored decision of `repository@digest` (of its latest gate round, or of `round`),
 * with the stored policy or with `policy` (the bytes of another policy file). Throws NotFoundError when no decision is stored, and
 * DigestMismatchError when the stored policy text does not hash to the digest it was stored with.
 */
export async function explainDecision(
  ports: { readonly store: ReleaseStore; readonly documents: DocumentStore },
  repository: string,
  digest: string,
  policy?: Uint8Array,
  round?: number,
): Promise<Explanation> {
  const latest = (await ports.store.getRelease(repository, digest))?.gateRound ?? 1;
  const gateRound = round ?? latest;
  // An earlier gate round (a release from quarantine ran the gate again) is replayed from its
  // archive, and compared with the records archived with it.
  if (gateRound > latest || gateRound < 1) {
    throw new NotFoundError(`${repository}@${digest} has no gate round ${gateRound} (its latest is ${latest})`);
  }
  const archive = gateRound < latest ? await ports.store.getRoundArchive(repository, digest, gateRound) : undefined;
  const record = archive === undefined ? await ports.store.getDecision(repository, digest) : archive.decision;
  if (record === null) {
    throw new NotFoundError(`no decision is stored for ${repository}@${digest} in gate round ${gateRound}`);
  }
  const doc = parseJsonDocument(await ports.documents.get(record.documentDigest), DecisionDocumentSchema, {
    what: `decision document ${record.documentDigest}`,
    maxBytes: MAX_DECISION_DOCUMENT_BYTES,
  });
  const storedPolicy = new TextEncoder().encode(doc.policy.text);
  if (sha256Digest(storedPolicy) !== doc.policy.digest) {
    throw new DigestMismatchError(
      `the policy text stored in ${record.documentDigest} does not hash to its digest ${doc.policy.digest}`,
    );
  }
  const policyBytes = policy ?? storedPolicy;
  const replayedPolicyDigest = sha256Digest(policyBytes);
  const replay = evaluatePolicy(policyFor(parsePolicyDocument(policyBytes), repository), doc.stage, doc.evidence);

  const stored = { decision: doc.decision.decision, reasons: doc.decision.reasons };
  const replayed = { decision: replay.decision, reasons: [...replay.reasons] };
  const identical =
    stored.decision === replayed.decision &&
    stored.reasons.length === replayed.reasons.length &&
    stored.reasons.every((r, i) => r === replayed.reasons[i]);
  const evidenceChanges = compareEvidence(
    doc.evidence,
    archive?.evidence ?? (await ports.store.listEvidence(repository, digest)),
  );
  const changedInputs: ('policy' | 'evidence')[] = [];
  if (replayedPolicyDigest !== doc.policy.digest) changedInputs.push('policy');
  if (evidenceChanges.length > 0) changedInputs.push('evidence');
  return {
    repository,
    digest,
    stage: doc.stage,
    decidedAt: doc.decidedAt,
    decisionDocument: record.documentDigest,
    gateRound,
    policy: { stored: doc.policy.digest, replayed: replayedPolicyDigest },
    stored,
    replayed,
    identical,
    reasons: {
      onlyStored: stored.reasons.filter((r) => !replayed.reasons.includes(r)),
      onlyReplayed: replayed.reasons.filter((r) => !stored.reasons.includes(r)),
    },
    changedInputs,
    evidenceChanges,
  };
}

/** Per kind: a record judged but gone, stored since, or with another status, reasons or documents. */
function compareEvidence(judged: readonly StoredEvidence[], now: readonly StoredEvidence[]): EvidenceChange[] {
  const changes: EvidenceChange[] = [];
  const nowByKind = new Map(now.map((e) => [e.kind, e]));
  const judgedKinds = new Set(judged.map((e) => e.kind));
  // The approval is answered after the decision by design: it is not an input that changed.
  for (const before of judged.filter((e) => e.kind !== 'approval')) {
    const after = nowByKind.get(before.kind);
    if (after === undefined) {
      changes.push({ kind: before.kind, change: 'the record judged is no longer stored' });
    } else if (after.status !== before.status) {
      changes.push({ kind: before.kind, change: `status ${before.status} → ${after.status}` });
    } else if (
      JSON.stringify(after.reasons) !== JSON.stringify(before.reasons) ||
      JSON.stringify(after.documents.map((d) => d.digest)) !== JSON.stringify(before.documents.map((d) => d.digest))
    ) {
      changes.push({ kind: before.kind, change: 'reasons or documents changed' });
    }
  }
  for (const after of now) {
    if (!judgedKinds.has(after.kind) && after.kind !== 'approval') {
      changes.push({ kind: after.kind, change: `stored since the decision (${after.status})` });
    }
  }
  return changes;
}
