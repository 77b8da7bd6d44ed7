/**
 * slsa-verifier's offline field expectations (test/corpus/data/MANIFEST.md, upstream
 * cli/slsa-verifier/main_regression_test.go) reproduced on the statements of its test data.
 * Signatures are not verified here (those files need Fulcio/Rekor); only the provenance checks:
 * source repository, builder, branch / tag / versioned tag and workflow inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeBase64, parseEnvelope } from '../../lambdas/domain/attest/dsse.js';
import { parseInTotoStatementBytes, statementCoversDigest } from '../../lambdas/domain/attest/in-toto.js';
import {
  type CheckableProvenance,
  evaluateProvenance,
  extractCheckableProvenance,
  type ProvenanceExpectations,
} from '../../lambdas/domain/attest/provenance-checks.js';
import type { InTotoStatement } from '../../lambdas/domain/attest/types.js';

const DIR = join(import.meta.dirname, 'data/slsa-provenance/slsa-verifier');

const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows';
/** slsa-verifier's default trusted reusable workflows for artifacts, plus the container-based builder. */
const TRUSTED_BUILDERS = [
  `${GENERATOR}/generator_generic_slsa3.yml`,
  `${GENERATOR}/builder_go_slsa3.yml`,
  `${GENERATOR}/builder_container-based_slsa3.yml`,
];

const BundleSchema = z.object({ dsseEnvelope: z.unknown() });

/** The statement of a raw DSSE `.intoto.jsonl` or of a Sigstore bundle's `dsseEnvelope` (signature not verified). */
function statementOf(file: string): InTotoStatement {
  const text = readFileSync(join(DIR, file), 'utf8').trim().split('\n')[0] ?? '';
  const json: unknown = JSON.parse(text);
  const bundle = BundleSchema.safeParse(json);
  const envelopeJson = bundle.success && bundle.data.dsseEnvelope !== undefined ? bundle.data.dsseEnvelope : json;
  const envelope = parseEnvelope(new Uint8Array(Buffer.from(JSON.stringify(envelopeJson))));
  return parseInTotoStatementBytes(decodeBase64(envelope.payload));
}

function provenanceOf(file: string): CheckableProvenance {
  const statement = statementOf(file);
  return extractCheckableProvenance(statement.predicateType, statement.predicate);
}

const ARTIFACT_SHA256 = new Map(
  readFileSync(join(DIR, 'ARTIFACT_SHA256.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', hex = ''] = line.trim().split(/\s+/);
      return [name, hex] as const;
    }),
);

const codes = (facts: CheckableProvenance, expect: ProvenanceExpectations): string[] =>
  evaluateProvenance(facts, expect).map((v) => v.code);

describe('Function: evaluateProvenance (slsa-verifier gha_generic v2.1.0, bundle-wrapped SLSA v0.2)', () => {
  const file = 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl';
  const base: ProvenanceExpectations = {
    builders: [`${GENERATOR}/generator_generic_slsa3.yml`],
    sourceRepositories: ['github.com/slsa-framework/example-package'],
  };

  describe('when source and builder are the upstream PASS values', () => {
    it('reports no violation for the artifact the statement is about', () => {
      // Prepare
      const statement = statementOf(file);
      const facts = provenanceOf(file);
      const artifact = ARTIFACT_SHA256.get('gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch') ?? '';

      // Act
      const violations = evaluateProvenance(facts, base);

      // Assess
      expect(statementCoversDigest(statement, `sha256:${artifact}`)).toBe(true);
      expect(violations).toEqual([]);
    });
  });

  describe('when --source-branch main is also required', () => {
    it('passes (the build ran on main)', () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, sourceRef: { branch: 'main' } });

      // Assess
      expect(result).toEqual([]);
    });
  });

  describe.each([
    ['--source-branch master', { ...base, sourceRef: { branch: 'master' } }, 'MISMATCH_BRANCH'],
    ['builder not-trusted.yml', { ...base, builders: [`${GENERATOR}/not-trusted.yml`] }, 'UNTRUSTED_BUILDER'],
    [
      'source …/example-packageA',
      { ...base, sourceRepositories: ['github.com/slsa-framework/example-packageA'] },
      'MISMATCH_SOURCE',
    ],
  ] as const)('when the policy asks %s', (_flag, expectations, code) => {
    it(`fails with ${code}`, () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, expectations);

      // Assess
      expect(result).toEqual([code]);
    });
  });
});

describe('Function: evaluateProvenance (slsa-verifier gha_container-based v2.1.0, bundle-wrapped SLSA v1)', () => {
  const file = 'gha_container-based_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.build.slsa';
  const base: ProvenanceExpectations = {
    builders: [`${GENERATOR}/builder_container-based_slsa3.yml`],
    sourceRepositories: ['github.com/slsa-framework/example-package'],
  };

  describe('when source and builder are the upstream PASS values', () => {
    it('reports no violation for the empty-file artifact', () => {
      // Prepare
      const statement = statementOf(file);
      const facts = provenanceOf(file);
      const artifact = ARTIFACT_SHA256.get('gha_container-based/v2.1.0/binary-linux-amd64-workflow_dispatch') ?? '';

      // Act
      const violations = evaluateProvenance(facts, { ...base, sourceRef: { branch: 'main' } });

      // Assess
      expect(facts.slsaVersion).toBe('v1');
      expect(statementCoversDigest(statement, `sha256:${artifact}`)).toBe(true);
      expect(violations).toEqual([]);
    });
  });

  describe.each([
    ['--source-versioned-tag v1', { versionedTag: 'v1' }, 'INVALID_REF'],
    ['--source-tag v1.2.3', { tag: 'v1.2.3' }, 'INVALID_REF'],
    ['--source-branch master', { branch: 'master' }, 'MISMATCH_BRANCH'],
  ] as const)('when the policy asks %s', (_flag, sourceRef, code) => {
    it(`fails with ${code}`, () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, sourceRef });

      // Assess
      expect(result).toEqual([code]);
    });
  });
});

describe('Function: evaluateProvenance (slsa-verifier annotated-tag, raw DSSE SLSA v0.2)', () => {
  const file = 'annotated-tag.intoto.jsonl';
  const base: ProvenanceExpectations = {
    builders: TRUSTED_BUILDERS,
    sourceRepositories: ['github.com/asraa/slsa-on-github-test'],
  };

  describe.each([
    ['--source-versioned-tag v1.5.0', { versionedTag: 'v1.5.0' }],
    ['--source-versioned-tag v1', { versionedTag: 'v1' }],
    ['--source-tag v1.5.0', { tag: 'v1.5.0' }],
  ] as const)('when the policy asks %s', (_flag, sourceRef) => {
    it('passes', () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, sourceRef });

      // Assess
      expect(result).toEqual([]);
    });
  });

  describe.each([
    [
      '--source-versioned-tag v1.5.0 and --source-branch main',
      { versionedTag: 'v1.5.0', branch: 'main' },
      'INVALID_REF',
    ],
    ['--source-versioned-tag v1.4', { versionedTag: 'v1.4' }, 'MISMATCH_VERSIONED_TAG'],
    ['--source-versioned-tag v2', { versionedTag: 'v2' }, 'MISMATCH_VERSIONED_TAG'],
    ['--source-tag v1.5.1', { tag: 'v1.5.1' }, 'MISMATCH_TAG'],
  ] as const)('when the policy asks %s', (_flag, sourceRef, code) => {
    it(`fails with ${code}`, () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, sourceRef });

      // Assess
      expect(result).toEqual([code]);
    });
  });
});

describe('Function: evaluateProvenance (slsa-verifier workflow-inputs, raw DSSE SLSA v0.2)', () => {
  const file = 'workflow-inputs.intoto.jsonl';
  const base: ProvenanceExpectations = {
    builders: TRUSTED_BUILDERS,
    sourceRepositories: ['github.com/laurentsimon/slsa-on-github-test'],
  };
  const inputs = { release_version: '(for example, 0.1.0)', some_bool: 'true', some_integer: '123' };

  describe('when the policy asks for the three recorded inputs', () => {
    it('passes', () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, workflowInputs: inputs });

      // Assess
      expect(result).toEqual([]);
    });
  });

  describe.each([
    ['some_integer=321', { ...inputs, some_integer: '321' }],
    ['an input the run did not have', { ...inputs, missing_input: 'x' }],
  ])('when the policy asks %s', (_case, workflowInputs) => {
    it('fails with MISMATCH_WORKFLOW_INPUTS', () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, { ...base, workflowInputs });

      // Assess
      expect(result).toEqual(['MISMATCH_WORKFLOW_INPUTS']);
    });
  });
});

describe('Function: evaluateProvenance (slsa-verifier malicious and older provenance)', () => {
  describe.each([
    ['binary-linux-amd64-untrusted-builder.intoto.jsonl'],
    ['binary-linux-amd64-expired-cert.intoto.jsonl'],
    ['binary-linux-amd64-no-tlog-upload.intoto.jsonl'],
  ])('when %s (a builder in a fork) meets the trusted builders', (file) => {
    it('fails with UNTRUSTED_BUILDER', () => {
      // Prepare
      const facts = provenanceOf(file);

      // Act
      const result = codes(facts, {
        builders: TRUSTED_BUILDERS,
        sourceRepositories: ['github.com/asraa/slsa-on-github-test'],
      });

      // Assess
      expect(result).toEqual(['UNTRUSTED_BUILDER']);
    });
  });

  describe('when gha_generic v1.2.1 meets the upstream PASS values', () => {
    it('passes the field checks', () => {
      // Prepare
      const facts = provenanceOf('gha_generic_v1.2.1_binary-linux-amd64-workflow_dispatch.intoto.jsonl');

      // Act
      const result = codes(facts, {
        builders: TRUSTED_BUILDERS,
        sourceRepositories: ['github.com/slsa-framework/example-package'],
        sourceRef: { branch: 'main' },
      });

      // Assess
      expect(result).toEqual([]);
    });
  });
});
