import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../lambdas/domain/policy/evaluate.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type { EvidenceKind, EvidenceStatus } from '../../lambdas/domain/types.js';

const policy = RepositoryPolicySchema.parse({ repositories: ['app/**'] });
const ev = (kind: EvidenceKind, status: EvidenceStatus = 'PASS', reasons: string[] = []) => ({ kind, status, reasons });
const allPass = (['lockfile', 'dependency-diff', 'sbom', 'provenance', 'signature', 'scan', 'eval'] as const).map((k) =>
  ev(k),
);

describe('Function: evaluatePolicy', () => {
  describe('when every required kind passed (production)', () => {
    it('passes and asks for a human approval', () => {
      const d = evaluatePolicy(policy, 'production', allPass);
      expect(d.decision).toBe('PASS');
      expect(d.approvalRequired).toBe(true);
      expect(d.approvalTimeoutSeconds).toBe(86_400);
    });
  });

  describe('when a required kind is missing from the evidence', () => {
    it('blocks and names the kind', () => {
      const d = evaluatePolicy(
        policy,
        'production',
        allPass.filter((e) => e.kind !== 'signature'),
      );
      expect(d.decision).toBe('BLOCK');
      expect(d.reasons).toEqual(['signature: MISSING: no evidence was recorded']);
    });
  });

  describe.each(['FAIL', 'MISSING', 'ERROR'] as const)('when a required kind is %s', (status) => {
    it('blocks with that kind’s own reasons', () => {
      const d = evaluatePolicy(policy, 'production', [
        ...allPass.filter((e) => e.kind !== 'scan'),
        ev('scan', status, ['1 CRITICAL']),
      ]);
      expect(d.decision).toBe('BLOCK');
      expect(d.reasons).toEqual([`scan: ${status}: 1 CRITICAL`]);
    });
  });

  describe('when a kind that the stage does not require fails (staging)', () => {
    it('passes without an approval and still reports the failure', () => {
      const evidence = [ev('sbom'), ev('provenance'), ev('dependency-diff'), ev('signature', 'FAIL', ['unsigned'])];
      const d = evaluatePolicy(policy, 'staging', evidence);
      expect(d.decision).toBe('PASS');
      expect(d.approvalRequired).toBe(false);
      expect(d.evidence.find((e) => e.kind === 'signature')).toMatchObject({ status: 'FAIL', required: false });
    });
  });

  describe('when the stage is not defined', () => {
    it('blocks (an ungated stage never passes)', () => {
      const d = evaluatePolicy(policy, 'canary', allPass);
      expect(d.decision).toBe('BLOCK');
      expect(d.reasons[0]).toContain('stage "canary" is not defined');
    });
  });
});
