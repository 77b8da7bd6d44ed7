/**
 * Approval views (lambdas/domain/workflow/approval-view.ts) for renderer tests: one with every
 * section filled, where each attacker-controlled string can be replaced by a payload.
 */
import type { ApprovalView } from '../../lambdas/domain/workflow/approval-view.js';

export const VIEW_DIGEST = `sha256:${'ab'.repeat(32)}` as const;

/** The strings of a view an attacker who can push images, attach evidence or answer can choose. */
export interface AttackerStrings {
  readonly repository: string;
  readonly tag: string;
  readonly component: string;
  readonly version: string;
  readonly license: string;
  readonly findingId: string;
  readonly findingSummary: string;
  readonly reason: string;
  readonly comment: string;
  readonly approver: string;
  readonly builder: string;
  readonly metric: string;
}

export const PLAIN_STRINGS: AttackerStrings = {
  repository: 'demo/app',
  tag: '1.4.0',
  component: 'express',
  version: '4.21.2',
  license: 'MIT',
  findingId: 'CVE-2024-0001',
  findingSummary: 'prototype pollution',
  reason: 'CycloneDX 1.6',
  comment: 'looks fine',
  approver: 'alice@example.com',
  builder: 'https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1',
  metric: 'recommendation_precision_at_5',
};

/** Every string of `PLAIN_STRINGS` replaced by `payload`. */
export const allStrings = (payload: string): AttackerStrings =>
  Object.fromEntries(Object.keys(PLAIN_STRINGS).map((k) => [k, payload])) as unknown as AttackerStrings;

export function sampleView(s: AttackerStrings = PLAIN_STRINGS, over: Partial<ApprovalView> = {}): ApprovalView {
  return {
    approvalId: '0123456789abcdef0123456789abcdef',
    repository: s.repository,
    digest: VIEW_DIGEST,
    shortDigest: VIEW_DIGEST.slice(0, 19),
    tags: { items: [s.tag, 'latest'], total: 2 },
    stage: 'production',
    state: 'PENDING',
    requestedAt: '2026-11-25T10:00:00.000Z',
    expiresAt: '2026-11-26T10:00:00.000Z',
    decidedBy: null,
    policyDecision: 'PASS',
    policyDigest: `sha256:${'cd'.repeat(32)}`,
    evidenceSetDigest: `sha256:${'ef'.repeat(32)}`,
    pushers: [`arn:aws:iam::123456789012:user/${s.approver}`],
    build: {
      ok: true,
      value: {
        sourceRepository: `https://github.com/acme/${s.repository}`,
        sourceRef: 'refs/heads/main',
        commit: 'sha1:0123456789abcdef0123456789abcdef01234567',
        builderId: s.builder,
        triggeredBy: [s.approver],
      },
    },
    evidence: [
      { kind: 'sbom', status: 'PASS', reasons: { items: [s.reason], total: 1 } },
      { kind: 'scan', status: 'PASS', reasons: { items: [`0 findings ${s.reason}`], total: 1 } },
    ],
    diff: {
      ok: true,
      value: {
        previousDigest: `sha256:${'12'.repeat(32)}`,
        added: { items: [{ name: s.component, version: s.version, licenses: [s.license] }], total: 1 },
        removed: { items: [{ name: `old-${s.component}`, version: '1.0.0', licenses: ['MIT'] }], total: 1 },
        changed: { items: [{ name: s.component, from: '4.21.1', to: s.version }], total: 1 },
        newLicenses: { items: [s.license], total: 1 },
      },
    },
    findings: {
      ok: true,
      value: {
        scanner: 'osv-local',
        counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1 },
        maxFindings: { CRITICAL: 0, HIGH: 0 },
        open: {
          items: [
            {
              id: s.findingId,
              severity: 'MEDIUM',
              packageName: s.component,
              packageVersion: s.version,
              fixedIn: '4.21.3',
              title: s.findingSummary,
            },
          ],
          total: 1,
        },
        excepted: {
          items: [
            {
              id: `${s.findingId}-x`,
              severity: 'HIGH',
              packageName: s.component,
              packageVersion: s.version,
              title: s.findingSummary,
              via: 'vex',
              owner: s.approver,
              justification: s.reason,
              expires: '2027-01-01T00:00:00.000Z',
              source: `policy:${s.findingId}`,
            },
          ],
          total: 1,
        },
      },
    },
    eval: {
      ok: true,
      value: {
        previousDigest: `sha256:${'12'.repeat(32)}`,
        maxRegression: 0.02,
        metrics: {
          items: [
            {
              name: s.metric,
              value: 0.81,
              previous: 0.8,
              delta: 0.01,
              threshold: 0.75,
              direction: 'higher-is-better',
              trend: 'better',
            },
          ],
          total: 1,
        },
      },
    },
    quorum: {
      required: 2,
      reasons: ['quorum: 2 distinct approvers'],
      approvals: [{ by: s.approver, via: 'email-link', at: '2026-11-25T11:00:00.000Z', comment: s.comment }],
    },
    ...over,
  };
}
