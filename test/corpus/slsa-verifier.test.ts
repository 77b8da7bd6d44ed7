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

/**
 * One slsa-verifier test file: the expectations its upstream test starts from, the artifact the
 * statement is about (with the extra expectations of the upstream PASS run), and what each further
 * flag makes of it: `[]` passes, otherwise the violation codes.
 */
interface FileChecks {
  readonly label: string;
  readonly file: string;
  readonly base: ProvenanceExpectations;
  readonly upstreamPass?: {
    readonly it: string;
    readonly artifact: string;
    readonly asks: Partial<ProvenanceExpectations>;
    readonly slsaVersion?: string;
  };
  readonly asks: readonly (readonly [string, Partial<ProvenanceExpectations>, readonly string[]])[];
}

const EXAMPLE_PACKAGE = 'github.com/slsa-framework/example-package';
const ASRAA = { builders: TRUSTED_BUILDERS, sourceRepositories: ['github.com/asraa/slsa-on-github-test'] };
const inputs = { release_version: '(for example, 0.1.0)', some_bool: 'true', some_integer: '123' };

const FILES: readonly FileChecks[] = [
  {
    label: 'gha_generic v2.1.0, bundle-wrapped SLSA v0.2',
    file: 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl',
    base: { builders: [`${GENERATOR}/generator_generic_slsa3.yml`], sourceRepositories: [EXAMPLE_PACKAGE] },
    upstreamPass: {
      it: 'reports no violation for the artifact the statement is about',
      artifact: 'gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch',
      asks: {},
    },
    asks: [
      ['--source-branch main (the build ran on main)', { sourceRef: { branch: 'main' } }, []],
      ['--source-branch master', { sourceRef: { branch: 'master' } }, ['MISMATCH_BRANCH']],
      ['builder not-trusted.yml', { builders: [`${GENERATOR}/not-trusted.yml`] }, ['UNTRUSTED_BUILDER']],
      [
        'source …/example-packageA',
        { sourceRepositories: ['github.com/slsa-framework/example-packageA'] },
        ['MISMATCH_SOURCE'],
      ],
    ],
  },
  {
    label: 'gha_container-based v2.1.0, bundle-wrapped SLSA v1',
    file: 'gha_container-based_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.build.slsa',
    base: { builders: [`${GENERATOR}/builder_container-based_slsa3.yml`], sourceRepositories: [EXAMPLE_PACKAGE] },
    upstreamPass: {
      it: 'reports no violation for the empty-file artifact',
      artifact: 'gha_container-based/v2.1.0/binary-linux-amd64-workflow_dispatch',
      asks: { sourceRef: { branch: 'main' } },
      slsaVersion: 'v1',
    },
    asks: [
      ['--source-versioned-tag v1', { sourceRef: { versionedTag: 'v1' } }, ['INVALID_REF']],
      ['--source-tag v1.2.3', { sourceRef: { tag: 'v1.2.3' } }, ['INVALID_REF']],
      ['--source-branch master', { sourceRef: { branch: 'master' } }, ['MISMATCH_BRANCH']],
    ],
  },
  {
    label: 'annotated-tag, raw DSSE SLSA v0.2',
    file: 'annotated-tag.intoto.jsonl',
    base: ASRAA,
    asks: [
      ['--source-versioned-tag v1.5.0', { sourceRef: { versionedTag: 'v1.5.0' } }, []],
      ['--source-versioned-tag v1', { sourceRef: { versionedTag: 'v1' } }, []],
      ['--source-tag v1.5.0', { sourceRef: { tag: 'v1.5.0' } }, []],
      [
        '--source-versioned-tag v1.5.0 and --source-branch main',
        { sourceRef: { versionedTag: 'v1.5.0', branch: 'main' } },
        ['INVALID_REF'],
      ],
      ['--source-versioned-tag v1.4', { sourceRef: { versionedTag: 'v1.4' } }, ['MISMATCH_VERSIONED_TAG']],
      ['--source-versioned-tag v2', { sourceRef: { versionedTag: 'v2' } }, ['MISMATCH_VERSIONED_TAG']],
      ['--source-tag v1.5.1', { sourceRef: { tag: 'v1.5.1' } }, ['MISMATCH_TAG']],
    ],
  },
  {
    label: 'workflow-inputs, raw DSSE SLSA v0.2',
    file: 'workflow-inputs.intoto.jsonl',
    base: { builders: TRUSTED_BUILDERS, sourceRepositories: ['github.com/laurentsimon/slsa-on-github-test'] },
    asks: [
      ['for the three recorded inputs', { workflowInputs: inputs }, []],
      ['some_integer=321', { workflowInputs: { ...inputs, some_integer: '321' } }, ['MISMATCH_WORKFLOW_INPUTS']],
      [
        'an input the run did not have',
        { workflowInputs: { ...inputs, missing_input: 'x' } },
        ['MISMATCH_WORKFLOW_INPUTS'],
      ],
    ],
  },
  ...[
    'binary-linux-amd64-untrusted-builder.intoto.jsonl',
    'binary-linux-amd64-expired-cert.intoto.jsonl',
    'binary-linux-amd64-no-tlog-upload.intoto.jsonl',
  ].map(
    (file): FileChecks => ({
      label: `${file}, a builder in a fork`,
      file,
      base: ASRAA,
      asks: [['the trusted builders', {}, ['UNTRUSTED_BUILDER']]],
    }),
  ),
  {
    label: 'gha_generic v1.2.1, older provenance',
    file: 'gha_generic_v1.2.1_binary-linux-amd64-workflow_dispatch.intoto.jsonl',
    base: { builders: TRUSTED_BUILDERS, sourceRepositories: [EXAMPLE_PACKAGE] },
    asks: [['the upstream PASS values (--source-branch main)', { sourceRef: { branch: 'main' } }, []]],
  },
];

describe.each(FILES.map((f) => [f.label, f] as const))(
  'Function: evaluateProvenance (slsa-verifier %s)',
  (_label, f) => {
    if (f.upstreamPass !== undefined) {
      const pass = f.upstreamPass;
      describe('when source and builder are the upstream PASS values', () => {
        it(pass.it, () => {
          // Prepare
          const statement = statementOf(f.file);
          const facts = provenanceOf(f.file);

          // Act
          const violations = evaluateProvenance(facts, { ...f.base, ...pass.asks });

          // Assess
          if (pass.slsaVersion !== undefined) expect(facts.slsaVersion).toBe(pass.slsaVersion);
          expect(statementCoversDigest(statement, `sha256:${ARTIFACT_SHA256.get(pass.artifact) ?? ''}`)).toBe(true);
          expect(violations).toEqual([]);
        });
      });
    }

    describe.each(f.asks)('when the policy asks %s', (_asks, expectations, expected) => {
      it(expected.length === 0 ? 'passes' : `fails with ${expected.join(', ')}`, () => {
        // Prepare
        const facts = provenanceOf(f.file);

        // Act
        const result = codes(facts, { ...f.base, ...expectations });

        // Assess
        expect(result).toEqual(expected);
      });
    });
  },
);
