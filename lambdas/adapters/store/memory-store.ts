import { AlreadyDecidedError, ConflictError, NotFoundError } from '../../domain/errors.js';
import { sha256Digest } from '../../domain/oci.js';
import type {
  ApprovalRecord,
  ApprovalState,
  DecisionRecord,
  DocumentStore,
  PromotionEntry,
  ReleaseRecord,
  ReleaseState,
  ReleaseStore,
  ScanCompletion,
  StoredEvidence,
} from '../../domain/ports.js';
import type { Digest, EvidenceKind, Outcome } from '../../domain/types.js';
import { purlWithoutVersion } from '../../domain/workflow/purl.js';

const TERMINAL: readonly ReleaseState[] = ['PROMOTED', 'QUARANTINED'];

/**
 * In-process ReleaseStore + DocumentStore with the same semantics as the DynamoDB/S3 adapters. Used
 * by `release-gate gate` (the preflight has no table) — not a test double: the integration tests
 * hold the DynamoDB adapter to the same contract.
 */
export class MemoryStore implements ReleaseStore, DocumentStore {
  private readonly releases = new Map<string, ReleaseRecord>();
  private readonly evidence = new Map<string, StoredEvidence>();
  private readonly decisions = new Map<string, DecisionRecord>();
  private readonly approvals = new Map<string, ApprovalRecord>();
  private readonly track = new Map<string, PromotionEntry[]>();
  private readonly scans = new Map<string, { token?: string; result?: ScanCompletion }>();
  private readonly packages = new Map<string, { version: string; repository: string; digest: Digest }[]>();
  private readonly vulns = new Map<string, { repository: string; digest: Digest }[]>();
  private readonly docs = new Map<string, Uint8Array>();

  public async put(bytes: Uint8Array): Promise<Digest> {
    const d = sha256Digest(bytes);
    if (!this.docs.has(d)) this.docs.set(d, new Uint8Array(bytes));
    return d;
  }

  public async get(digest: Digest): Promise<Uint8Array> {
    const b = this.docs.get(digest);
    if (b === undefined) throw new NotFoundError(`no document ${digest}`);
    return b;
  }

  public async recordRelease(rec: ReleaseRecord) {
    const k = `${rec.repository}@${rec.digest}`;
    const existing = this.releases.get(k);
    if (existing) return { record: existing, created: false };
    this.releases.set(k, rec);
    return { record: rec, created: true };
  }

  public async getRelease(repository: string, digest: Digest) {
    return this.releases.get(`${repository}@${digest}`) ?? null;
  }

  public async updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra: { outcome?: Outcome; outcomeReasons?: readonly string[]; decidedAt?: string } = {},
  ) {
    const k = `${repository}@${digest}`;
    const cur = this.releases.get(k);
    if (cur === undefined) throw new NotFoundError(`no release ${k}`);
    if (TERMINAL.includes(cur.state)) {
      if (cur.state === state) return cur;
      throw new ConflictError(`release ${k} is ${cur.state}`);
    }
    const next = { ...cur, state, ...extra };
    this.releases.set(k, next);
    return next;
  }

  public async listReleases(limit = 100) {
    return [...this.releases.values()].slice(-limit);
  }

  public async putEvidence(ev: StoredEvidence) {
    const k = `${ev.repository}@${ev.digest}#${ev.kind}`;
    const existing = this.evidence.get(k);
    if (existing) return existing;
    this.evidence.set(k, ev);
    return ev;
  }

  public async getEvidence(repository: string, digest: Digest, kind: EvidenceKind) {
    return this.evidence.get(`${repository}@${digest}#${kind}`) ?? null;
  }

  public async listEvidence(repository: string, digest: Digest) {
    return [...this.evidence.values()].filter((e) => e.repository === repository && e.digest === digest);
  }

  public async putDecision(rec: DecisionRecord) {
    const k = `${rec.repository}@${rec.digest}`;
    const existing = this.decisions.get(k);
    if (existing) return existing;
    this.decisions.set(k, rec);
    return rec;
  }

  public async getDecision(repository: string, digest: Digest) {
    return this.decisions.get(`${repository}@${digest}`) ?? null;
  }

  public async putApproval(rec: ApprovalRecord) {
    if (this.approvals.has(rec.approvalId)) throw new ConflictError(`approval ${rec.approvalId} exists`);
    this.approvals.set(rec.approvalId, rec);
  }

  public async getApproval(id: string) {
    return this.approvals.get(id) ?? null;
  }

  public async decideApproval(
    id: string,
    state: Exclude<ApprovalState, 'PENDING'>,
    by: string,
    at: string,
    comment?: string,
  ) {
    const cur = this.approvals.get(id);
    if (cur === undefined) throw new NotFoundError(`no approval ${id}`);
    if (cur.state !== 'PENDING') throw new AlreadyDecidedError(`approval ${id} is ${cur.state}`);
    const next = { ...cur, state, decidedBy: by, decidedAt: at, ...(comment ? { comment } : {}) };
    this.approvals.set(id, next);
    return next;
  }

  public async listApprovals(state?: ApprovalState) {
    return [...this.approvals.values()].filter((a) => state === undefined || a.state === state);
  }

  public async appendPromotion(entry: PromotionEntry) {
    const list = this.track.get(entry.repository) ?? [];
    if (!list.some((e) => e.digest === entry.digest)) list.push(entry);
    this.track.set(entry.repository, list);
  }

  public async lastPromotion(repository: string, excludeDigest?: Digest) {
    const list = [...(this.track.get(repository) ?? [])].sort((a, b) => b.promotedAt.localeCompare(a.promotedAt));
    return list.find((e) => e.digest !== excludeDigest) ?? null;
  }

  public async listPromotions(repository: string) {
    return [...(this.track.get(repository) ?? [])];
  }

  public async offerScanToken(repository: string, digest: Digest, taskToken: string) {
    const k = `${repository}@${digest}`;
    const s = this.scans.get(k) ?? {};
    this.scans.set(k, { ...s, token: taskToken });
    return s.result ?? null;
  }

  public async offerScanResult(repository: string, digest: Digest, result: ScanCompletion) {
    const k = `${repository}@${digest}`;
    const s = this.scans.get(k) ?? {};
    if (s.result !== undefined) return null;
    this.scans.set(k, { ...s, result });
    return s.token ?? null;
  }

  public async indexPackages(repository: string, digest: Digest, purls: readonly string[]) {
    for (const purl of purls) {
      const p = purlWithoutVersion(purl);
      if (p === null) continue;
      const list = this.packages.get(p.base) ?? [];
      list.push({ version: p.version, repository, digest });
      this.packages.set(p.base, list);
    }
  }

  public async indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]) {
    for (const id of ids) {
      const list = this.vulns.get(id) ?? [];
      list.push({ repository, digest });
      this.vulns.set(id, list);
    }
  }

  public async findByPackage(base: string) {
    return this.packages.get(base) ?? [];
  }

  public async findByVulnerability(id: string) {
    return this.vulns.get(id) ?? [];
  }
}
