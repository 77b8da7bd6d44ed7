import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePolicyFile } from '../../infra/validate-policy.js';

function policyFile(rules: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rg-validate-')), 'policy.yaml');
  writeFileSync(file, `apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n${rules}`);
  return file;
}

const CONTEXT = { stage: 'production', promotionPrefix: 'prod' };

describe('Function: validatePolicyFile', () => {
  describe('when a rule names its own stage', () => {
    it('accepts the rule without the deployed stage, since its releases are evaluated for its own', () => {
      // Prepare
      const file = policyFile(
        '  - repositories: ["staging/**"]\n    stage: staging\n    stages: { staging: { require: [sbom] } }\n' +
          '  - repositories: ["**"]\n',
      );

      // Act
      const loaded = validatePolicyFile(file, CONTEXT);

      // Assess
      expect(loaded.document.rules.map((r) => r.stage)).toEqual(['staging', undefined]);
    });

    it('still refuses a rule without its own stage that lacks the deployed one', () => {
      // Prepare
      const file = policyFile('  - repositories: ["**"]\n    stages: { staging: { require: [sbom] } }\n');

      // Act
      const act = (): unknown => validatePolicyFile(file, CONTEXT);

      // Assess
      expect(act).toThrow(/rules\.0\.stages has no "production" stage .*or set the rule's stage/);
    });
  });
});
