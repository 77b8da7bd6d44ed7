import { describe, expect, it } from 'vitest';
import { PolicyInvalidError, TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';

const POLICY_YAML = 'apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ["**"]\n';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('Function: loadPolicy', () => {
  describe('when the policy is not valid UTF-8', () => {
    it('throws PolicyInvalidError, not a TypeError from the decoder', () => {
      // Prepare: a Latin-1 "é" in a comment.
      const bytes = new Uint8Array([...utf8('# caf'), 0xe9, ...utf8(`\n${POLICY_YAML}`)]);

      // Act
      const act = (): unknown => loadPolicy(bytes);

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow('policy is not valid UTF-8');
    });
  });

  describe('when the policy starts with a byte order mark', () => {
    it('reads it, as YAML 1.2 allows', () => {
      // Act
      const loaded = loadPolicy(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(POLICY_YAML)]));

      // Assess
      expect(loaded.document.rules).toHaveLength(1);
    });
  });

  describe('when the policy is above its size limit', () => {
    it('throws TooLargeError before decoding', () => {
      // Act
      const act = (): unknown => loadPolicy(new Uint8Array(Limits.policyBytes + 1).fill(0xff));

      // Assess
      expect(act).toThrowWithCode(TooLargeError, 'TOO_LARGE');
    });
  });

  describe('when a rule names its own stage (one deployment, several stages)', () => {
    it("throws PolicyInvalidError when the stage is not one of the rule's stages", () => {
      // Act
      const act = (): unknown => loadPolicy(utf8(`${POLICY_YAML}    stage: canary\n`));

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/rules\[0\]\.stage: "canary" is not one of this rule's stages/);
    });
  });

  describe('when fields are invalid', () => {
    it('lists every issue in the one format', () => {
      // Act
      const act = (): unknown =>
        loadPolicy(utf8('apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: [1]\n'));

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/^policy is invalid: rules\[0\]\.repositories\[0\]: /);
    });
  });

  describe('when the promotion channel tag is set', () => {
    const withChannelTag = (tag: string) =>
      utf8(`${POLICY_YAML}    promotion: { channelTag: ${JSON.stringify(tag)} }\n`);

    it('defaults to live', () => {
      // Act
      const loaded = loadPolicy(utf8(POLICY_YAML));

      // Assess
      expect(loaded.document.rules[0]?.promotion.channelTag).toBe('live');
    });

    it.each([
      ['a tag the gate writes immutably', 'release-1'],
      ['a referrers-tag name', 'sha256-abc'],
      ['an ECR wildcard, which would exempt every tag', '*'],
      ['not a tag name', 'live/now'],
    ])('refuses %s', (_, tag) => {
      // Act
      const act = (): unknown => loadPolicy(withChannelTag(tag));

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/rules\[0\]\.promotion\.channelTag/);
    });
  });
});
