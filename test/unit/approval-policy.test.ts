import { describe, expect, it } from 'vitest';
import { ApprovalPolicySchema } from '../../lambdas/domain/evidence/approval-policy.js';

describe('Schema: ApprovalPolicySchema', () => {
  describe('Field: onEvidenceChange', () => {
    it('defaults to quarantine, the safe choice', () => {
      // Act
      const rules = ApprovalPolicySchema.parse({});

      // Assess
      expect(rules.onEvidenceChange).toBe('quarantine');
    });

    it('takes reapprove', () => {
      // Act
      const rules = ApprovalPolicySchema.parse({ onEvidenceChange: 'reapprove' });

      // Assess
      expect(rules.onEvidenceChange).toBe('reapprove');
    });

    it('refuses anything else', () => {
      // Act
      const parsed = ApprovalPolicySchema.safeParse({ onEvidenceChange: 'ignore' });

      // Assess
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain('onEvidenceChange');
    });
  });
});
