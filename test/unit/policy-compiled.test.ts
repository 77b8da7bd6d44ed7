import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PolicyInvalidError, TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { loadCompiledPolicy } from '../../lambdas/domain/policy/compiled.js';
import { compilePolicy, loadPolicy } from '../../lambdas/domain/policy/load.js';

const POLICY_FILE = fileURLToPath(new URL('../../policy/release-gate.policy.yaml', import.meta.url));
const POLICY_YAML = 'apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ["**"]\n';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const noRoots = () => new Map();

/** A compiled form whose JSON was changed by `edit` (what a stale or tampered file would hold). */
function edited(policy: Uint8Array, edit: (form: Record<string, unknown>) => unknown): Uint8Array {
  const form = JSON.parse(new TextDecoder().decode(compilePolicy(policy)));
  return utf8(JSON.stringify(edit(form)));
}

describe('Function: loadCompiledPolicy', () => {
  describe('when the compiled form is of this policy', () => {
    it('loads the same document, digest and bytes as the YAML loader', () => {
      // Prepare
      const bytes = new Uint8Array(readFileSync(POLICY_FILE));

      // Act
      const loaded = loadCompiledPolicy(bytes, compilePolicy(bytes), noRoots);

      // Assess
      const fromYaml = loadPolicy(bytes);
      expect(loaded.document).toEqual(fromYaml.document);
      expect(loaded.digest).toBe(fromYaml.digest);
      expect(loaded.bytes).toBe(bytes);
    });

    it('passes the document to the trusted-roots loader and keeps what it returns', () => {
      // Prepare
      const bytes = utf8(POLICY_YAML);
      const roots = new Map();

      // Act
      const loaded = loadCompiledPolicy(bytes, compilePolicy(bytes), (document) => {
        expect(document.rules).toHaveLength(1);
        return roots;
      });

      // Assess
      expect(loaded.trustedRoots).toBe(roots);
    });
  });

  describe('when the compiled form is of another policy', () => {
    it('throws PolicyInvalidError naming both digests', () => {
      // Prepare: the policy changed after its compiled form was written.
      const compiled = compilePolicy(utf8(POLICY_YAML));

      // Act
      const act = (): unknown => loadCompiledPolicy(utf8(`${POLICY_YAML}# edited\n`), compiled, noRoots);

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/^the compiled policy is of sha256:[0-9a-f]{64}, not of this policy \(sha256:[0-9a-f]{64}\)/);
    });
  });

  describe('when the compiled document is invalid', () => {
    it('throws PolicyInvalidError with the issues, as the YAML loader does', () => {
      // Prepare: the digest matches, the value does not pass the schema.
      const bytes = utf8(POLICY_YAML);
      const compiled = edited(bytes, (form) => ({
        ...form,
        document: { kind: 'Policy', rules: [{ repositories: [1] }] },
      }));

      // Act
      const act = (): unknown => loadCompiledPolicy(bytes, compiled, noRoots);

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/^policy is invalid: /);
    });
  });

  describe('when the compiled form is malformed', () => {
    it.each([
      ['not JSON', utf8('apiVersion: release-gate.dev/v1')],
      ['without the digest', edited(utf8(POLICY_YAML), ({ document }) => ({ document }))],
      ['with a field it does not know', edited(utf8(POLICY_YAML), (form) => ({ ...form, trusted: true }))],
    ])('throws PolicyInvalidError (%s)', (_name, compiled) => {
      // Act
      const act = (): unknown => loadCompiledPolicy(utf8(POLICY_YAML), compiled, noRoots);

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
    });
  });

  describe('when the policy is above its size limit', () => {
    it('throws TooLargeError, as the YAML loader does', () => {
      // Act
      const act = (): unknown =>
        loadCompiledPolicy(
          new Uint8Array(Limits.policyBytes + 1).fill(0x20),
          compilePolicy(utf8(POLICY_YAML)),
          noRoots,
        );

      // Assess
      expect(act).toThrowWithCode(TooLargeError, 'TOO_LARGE');
    });
  });
});

describe('Function: compilePolicy', () => {
  describe('when the policy is invalid', () => {
    it('throws PolicyInvalidError, as loading it does', () => {
      // Act
      const act = (): unknown => compilePolicy(utf8('apiVersion: release-gate.dev/v1\nkind: Policy\nrules: 1\n'));

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
    });
  });

  describe('when the policy holds a value JSON cannot carry', () => {
    it.each(['.inf', '-.inf', '.nan'])('throws PolicyInvalidError for %s', (value) => {
      // Act
      const act = (): unknown => compilePolicy(utf8(`${POLICY_YAML}note: ${value}\n`));

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow(/JSON cannot carry/);
    });
  });
});
