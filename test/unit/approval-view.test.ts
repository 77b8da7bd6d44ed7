import { describe, expect, it } from 'vitest';
import { detailSections } from '../../lambdas/domain/approval/view-lines.js';
import type { ApprovalRecord, StoredEvidence } from '../../lambdas/domain/ports.js';
import type { Digest, EvidenceKind, EvidenceStatus } from '../../lambdas/domain/types.js';
import { buildApprovalView, VIEW_LIST_LIMIT } from '../../lambdas/domain/workflow/approval-view.js';
import { diffBody } from '../../lambdas/domain/workflow/html.js';
import { type HandlerWorld, handlerWorld, policyOf, WORLD_NOW } from '../support/handler-world.js';

const REPOSITORY = 'demo/app';
const DIGEST = `sha256:${'ab'.repeat(32)}` as Digest;
const PREVIOUS = `sha256:${'12'.repeat(32)}` as Digest;
const AT = WORLD_NOW.toISOString();

const POLICY = policyOf({
  rules: [
    {
      repositories: ['**'],
      approval: { approvers: ['bob@example.com'] },
      scan: {
        maxFindings: { CRITICAL: 0, HIGH: 0 },
        ignore: [{ id: 'CVE-2024-0002', reason: 'not reachable: owned by team-web', expires: '2027-01-01T00:00:00Z' }],
      },
      eval: {
        metrics: [
          { name: 'precision', threshold: 0.75, direction: 'higher-is-better' },
          { name: 'violations', threshold: 0.01, direction: 'lower-is-better' },
        ],
      },
    },
  ],
});

const approval: ApprovalRecord = {
  approvalId: '0123456789abcdef0123456789abcdef',
  repository: REPOSITORY,
  digest: DIGEST,
  tokenHash: 'h',
  taskToken: 't',
  state: 'PENDING',
  requestedAt: AT,
  expiresAt: '2026-11-26T10:00:00.000Z',
  approvals: [{ by: 'carol@example.com', person: 'carol@example.com', at: AT, via: 'email-link' }],
  required: 2,
  requiredReasons: ['quorum: 2 distinct approvers'],
  pushers: ['arn:aws:iam::123456789012:user/ci'],
};

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

async function putEvidence(
  w: HandlerWorld,
  kind: EvidenceKind,
  facts: Record<string, unknown>,
  documents: Record<string, Uint8Array> = {},
  opts: { digest?: Digest; status?: EvidenceStatus } = {},
): Promise<void> {
  const refs: StoredEvidence['documents'][number][] = [];
  for (const [name, bytes] of Object.entries(documents)) {
    refs.push({
      name,
      mediaType: 'application/json',
      digest: await w.store.put(bytes, 'application/json'),
      size: bytes.length,
    });
  }
  await w.store.putEvidence({
    repository: REPOSITORY,
    digest: opts.digest ?? DIGEST,
    kind,
    status: opts.status ?? 'PASS',
    reasons: [`${kind} reason`],
    facts,
    documents: refs,
    collectedAt: AT,
  });
}

const finding = (id: string, severity: string, packageName: string) => ({
  id,
  aliases: [],
  severity,
  packageName,
  packageVersion: '1.0.0',
  title: `${id} summary`,
});

/** A release with every section's evidence stored, and a promoted previous release with eval metrics. */
async function fullWorld(except: readonly EvidenceKind[] = []): Promise<HandlerWorld> {
  const w = handlerWorld({ policy: POLICY });
  await w.store.recordRelease({
    repository: REPOSITORY,
    digest: DIGEST,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    tag: '1.4.0',
    stage: 'production',
    platforms: [],
    state: 'AWAITING_APPROVAL',
    executionName: 'e',
    recordedAt: AT,
  });
  await w.store.recordPushedTag(REPOSITORY, DIGEST, '1.4.0');
  await w.store.appendPromotion({
    repository: REPOSITORY,
    digest: PREVIOUS,
    promotedAt: AT,
    targetRepository: `prod/${REPOSITORY}`,
    tag: '1.3.0',
  });
  await putEvidence(w, 'eval', { metrics: { precision: 0.79, violations: 0.004 } }, {}, { digest: PREVIOUS });
  if (!except.includes('provenance'))
    await putEvidence(w, 'provenance', {
      builderId: 'https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1',
      sourceRepository: 'https://github.com/acme/app',
      sourceRef: 'refs/heads/main',
      sourceDigest: 'gitCommit:0123456789abcdef0123456789abcdef01234567',
      triggeredBy: ['octocat'],
    });
  if (!except.includes('dependency-diff'))
    await putEvidence(
      w,
      'dependency-diff',
      { added: 1, removed: 1, changed: 1 },
      {
        'dependency-diff.json': json({
          previousDigest: PREVIOUS,
          digest: DIGEST,
          added: [{ name: 'argparse', version: '2.0.1', licenses: ['Python-2.0'], scope: 'application' }],
          removed: [{ name: 'node-fetch', version: '2.7.0', licenses: ['MIT'], scope: 'application' }],
          changed: [
            { name: 'express', purlBase: 'pkg:npm/express', from: '4.21.1', to: '4.21.2', scope: 'application' },
          ],
          newLicenses: ['Python-2.0'],
          firstRelease: false,
        }),
      },
    );
  if (!except.includes('scan'))
    await putEvidence(
      w,
      'scan',
      { counts: { MEDIUM: 1 }, ignored: ['CVE-2024-0002', 'CVE-2024-0003'] },
      {
        'scan-report.json': json({
          scanner: 'release-gate-osv',
          status: 'COMPLETE',
          findings: [
            finding('CVE-2024-0001', 'MEDIUM', 'express'),
            finding('CVE-2024-0002', 'HIGH', 'undici'),
            finding('CVE-2024-0003', 'CRITICAL', 'zod'),
          ],
        }),
        'vex-applied.json': json({
          suppressed: [
            {
              finding: finding('CVE-2024-0003', 'CRITICAL', 'zod'),
              statement: {
                author: 'security@acme.example',
                justification: 'vulnerable_code_not_in_execute_path',
                sourceStatus: 'not_affected',
                expires: '2027-02-01T00:00:00.000Z',
                source: 'policy',
              },
              reason: 'not_affected',
            },
          ],
          notApplied: [],
        }),
      },
    );
  if (!except.includes('eval'))
    await putEvidence(w, 'eval', { metrics: { precision: 0.81, violations: 0.002, extra: 3 } });
  return w;
}

describe('Function: buildApprovalView', () => {
  describe('when every piece of evidence is stored', () => {
    it('gathers tags, stage, pusher, source, commit and builder, the diff, the findings with their exceptions, eval deltas and quorum', async () => {
      // Prepare
      const w = await fullWorld();

      // Act
      const view = await buildApprovalView(w.deps.gate, approval);

      // Assess
      expect(view).toMatchObject({
        repository: REPOSITORY,
        shortDigest: DIGEST.slice(0, 19),
        tags: { items: ['1.4.0'], total: 1 },
        stage: 'production',
        pushers: ['arn:aws:iam::123456789012:user/ci'],
        quorum: { required: 2, approvals: [{ by: 'carol@example.com', via: 'email-link' }] },
      });
      expect(view.build).toEqual({
        ok: true,
        value: {
          sourceRepository: 'https://github.com/acme/app',
          sourceRef: 'refs/heads/main',
          commit: 'gitCommit:0123456789abcdef0123456789abcdef01234567',
          builderId: 'https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1',
          triggeredBy: ['octocat'],
        },
      });
      expect(view.diff).toEqual({
        ok: true,
        value: {
          previousDigest: PREVIOUS,
          added: { items: [{ name: 'argparse', version: '2.0.1', licenses: ['Python-2.0'] }], total: 1 },
          removed: { items: [{ name: 'node-fetch', version: '2.7.0', licenses: ['MIT'] }], total: 1 },
          changed: { items: [{ name: 'express', from: '4.21.1', to: '4.21.2' }], total: 1 },
          newLicenses: { items: ['Python-2.0'], total: 1 },
        },
      });
      if (!view.findings.ok) throw new Error(view.findings.unavailable);
      expect(view.findings.value.open.items.map((f) => f.id)).toEqual(['CVE-2024-0001']);
      expect(view.findings.value.excepted.items).toEqual([
        expect.objectContaining({
          id: 'CVE-2024-0003',
          via: 'vex',
          owner: 'security@acme.example',
          justification: 'vulnerable_code_not_in_execute_path',
          expires: '2027-02-01T00:00:00.000Z',
        }),
        expect.objectContaining({
          id: 'CVE-2024-0002',
          via: 'policy-ignore',
          justification: 'not reachable: owned by team-web',
          expires: '2027-01-01T00:00:00Z',
        }),
      ]);
      if (!view.eval.ok) throw new Error(view.eval.unavailable);
      expect(view.eval.value.previousDigest).toBe(PREVIOUS);
      expect(view.eval.value.metrics.items).toEqual([
        { name: 'extra', value: 3, previous: null, delta: null, threshold: null, direction: null, trend: null },
        expect.objectContaining({ name: 'precision', value: 0.81, previous: 0.79, threshold: 0.75, trend: 'better' }),
        expect.objectContaining({
          name: 'violations',
          value: 0.002,
          previous: 0.004,
          threshold: 0.01,
          trend: 'better',
        }),
      ]);
      expect(view.eval.value.metrics.items[1]?.delta).toBeCloseTo(0.02, 9);
    });
  });

  describe('when stored evidence is malformed or its documents are missing (fail soft)', () => {
    it('says which sections cannot be read and still builds the rest', async () => {
      // Prepare
      const w = await fullWorld(['provenance', 'dependency-diff', 'scan', 'eval']);
      await putEvidence(w, 'provenance', { builderId: 42 });
      await putEvidence(w, 'dependency-diff', {}, { 'dependency-diff.json': new TextEncoder().encode('{"added": [') });
      await putEvidence(w, 'scan', { counts: {}, ignored: [] });
      await putEvidence(w, 'eval', { metrics: 'lots' }, {}, { status: 'FAIL' });

      // Act
      const view = await buildApprovalView(w.deps.gate, approval);

      // Assess
      expect(view.build).toEqual({ ok: false, unavailable: 'the provenance facts are malformed' });
      expect(view.diff).toMatchObject({ ok: false, unavailable: expect.stringContaining('dependency-diff.json') });
      expect(view.findings).toEqual({ ok: false, unavailable: 'scan is PASS: no scan-report.json stored' });
      expect(view.eval).toEqual({ ok: false, unavailable: 'eval is FAIL: no metrics recorded' });
      expect(view.repository).toBe(REPOSITORY);
      expect(view.evidence.find((e) => e.kind === 'scan')?.status).toBe('PASS');
    });

    it('reads a document the store cannot return as unavailable instead of throwing', async () => {
      // Prepare
      const w = await fullWorld(['dependency-diff']);
      await w.store.putEvidence({
        repository: REPOSITORY,
        digest: DIGEST,
        kind: 'dependency-diff',
        status: 'PASS',
        reasons: [],
        facts: {},
        documents: [
          { name: 'dependency-diff.json', mediaType: 'application/json', digest: `sha256:${'00'.repeat(32)}`, size: 2 },
        ],
        collectedAt: AT,
      });

      // Act
      const view = await buildApprovalView(w.deps.gate, approval);

      // Assess
      expect(view.diff).toMatchObject({ ok: false, unavailable: expect.stringMatching(/^could not be read: /) });
      expect(view.findings.ok).toBe(true);
    });
  });

  describe('when the release is the first of its repository (nothing diffed, no diff document)', () => {
    it('shows it as the first release', async () => {
      // Prepare
      const w = await fullWorld(['dependency-diff']);
      await putEvidence(w, 'dependency-diff', { firstRelease: true, previousDigest: null, added: 3 });

      // Act
      const view = await buildApprovalView(w.deps.gate, approval);

      // Assess
      if (!view.diff.ok) throw new Error(view.diff.unavailable);
      expect(view.diff.value.previousDigest).toBeNull();
      expect(diffBody(view.diff.value)).toContain('First release of this repository');
      expect(detailSections(view, 5).find((s) => s.title.includes('Dependency'))?.lines).toEqual([
        'first release of this repository: nothing to compare with',
      ]);
    });
  });

  describe('when the diff is larger than a page should show', () => {
    it(`keeps the first ${VIEW_LIST_LIMIT} entries and the total`, async () => {
      // Prepare
      const w = await fullWorld(['dependency-diff']);
      const added = Array.from({ length: 500 }, (_, i) => ({ name: `pkg-${i}`, version: '1.0.0', licenses: [] }));
      await putEvidence(
        w,
        'dependency-diff',
        {},
        { 'dependency-diff.json': json({ previousDigest: null, added, removed: [], changed: [], newLicenses: [] }) },
      );

      // Act
      const view = await buildApprovalView(w.deps.gate, approval);

      // Assess
      if (!view.diff.ok) throw new Error(view.diff.unavailable);
      expect(view.diff.value.added.total).toBe(500);
      expect(view.diff.value.added.items).toHaveLength(VIEW_LIST_LIMIT);
    });
  });
});
