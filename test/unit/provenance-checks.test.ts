import { describe, expect, it } from 'vitest';
import {
  canonicalRepository,
  checkProvenance,
  evaluateProvenance,
  extractCheckableProvenance,
  type ProvenanceExpectations,
  parseBuilderId,
  parseGoSemver,
} from '../../lambdas/domain/attest/provenance-checks.js';
import { extractGitHubBuildContext } from '../../lambdas/domain/attest/slsa.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';

const WORKFLOWS = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows';
const GENERIC = `${WORKFLOWS}/generator_generic_slsa3.yml`;
const SOURCE = 'git+https://github.com/o/r';

/** A slsa-github-generator v0.2 predicate; `environment` overrides the github_* context. */
function v02(
  options: {
    builder?: string;
    uri?: string;
    environment?: Record<string, unknown>;
    parameters?: Record<string, unknown>;
    materials?: { uri: string }[];
  } = {},
): unknown {
  const uri = options.uri ?? `${SOURCE}@refs/heads/main`;
  return {
    builder: { id: options.builder ?? `${GENERIC}@refs/tags/v2.1.0` },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
    invocation: {
      configSource: { uri, digest: { sha1: 'a'.repeat(40) }, entryPoint: '.github/workflows/release.yml' },
      parameters: options.parameters ?? {},
      environment: {
        github_event_name: 'push',
        github_ref: 'refs/heads/main',
        github_ref_type: 'branch',
        github_base_ref: '',
        github_event_payload: {},
        ...options.environment,
      },
    },
    materials: options.materials ?? [{ uri, digest: { sha1: 'a'.repeat(40) } }],
  };
}

/** An actions/attest-build-provenance predicate (buildType actions.github.io/buildtypes/workflow/v1). */
function actionsV1(workflow: Record<string, string>, inputs?: Record<string, unknown>, eventName = 'push'): unknown {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: { workflow, ...(inputs !== undefined ? { inputs } : {}) },
      internalParameters: { github: { event_name: eventName } },
      resolvedDependencies: [
        { uri: `git+${workflow.repository}@${workflow.ref}`, digest: { gitCommit: 'b'.repeat(40) } },
      ],
    },
    runDetails: { builder: { id: `${workflow.repository}/${workflow.path}@${workflow.ref}` } },
  };
}

const fromV02 = (predicate: unknown) => extractCheckableProvenance(PredicateTypes.slsaProvenanceV02, predicate);
const fromV1 = (predicate: unknown) => extractCheckableProvenance(PredicateTypes.slsaProvenanceV1, predicate);

const BASE: ProvenanceExpectations = { builders: [GENERIC], sourceRepositories: ['github.com/o/r'] };
const codesOf = (predicate: unknown, expect: Partial<ProvenanceExpectations>): string[] =>
  evaluateProvenance(fromV02(predicate), { ...BASE, ...expect }).map((v) => v.code);

describe('Function: evaluateProvenance', () => {
  /** A slsa-github-generator predicate against the base expectations plus the row's: the violation codes. */
  describe.each([
    [
      'the provenance meets every expectation',
      'returns no violation',
      v02({ environment: { github_event_name: 'workflow_dispatch', github_event_payload: { inputs: { a: '1' } } } }),
      { sourceRef: { branch: 'main' }, workflowInputs: { a: '1' } },
      [],
    ],
    [
      'the policy lists no builder and no source',
      'fails with POLICY_EMPTY twice',
      v02(),
      { builders: [], sourceRepositories: [] },
      ['POLICY_EMPTY', 'POLICY_EMPTY'],
    ],
    [
      'the builder id carries two @',
      'fails with INVALID_BUILDER_ID',
      v02({ builder: `${GENERIC}@refs/tags/v1@x` }),
      {},
      ['INVALID_BUILDER_ID'],
    ],
    [
      'the builder is another workflow',
      'fails with UNTRUSTED_BUILDER',
      v02({ builder: `${WORKFLOWS}/not-trusted.yml@refs/tags/v2.1.0` }),
      {},
      ['UNTRUSTED_BUILDER'],
    ],
    [
      'any ref of a reusable workflow is allowed but it ran from a branch',
      'fails with INVALID_BUILDER_REF',
      v02({ builder: `${GENERIC}@refs/heads/main` }),
      {},
      ['INVALID_BUILDER_REF'],
    ],
    [
      'the policy pins that branch ref explicitly',
      'passes',
      v02({ builder: `${GENERIC}@refs/heads/main` }),
      { builders: [`${GENERIC}@refs/heads/main`] },
      [],
    ],
    [
      'the builder is not a GitHub reusable workflow and any ref is allowed',
      'passes without a release-tag rule',
      v02({ builder: 'https://ci.example.com/builder@main' }),
      { builders: ['https://ci.example.com/builder'] },
      [],
    ],
    [
      'the source is another repository',
      'fails with MISMATCH_SOURCE',
      v02({ uri: 'git+https://github.com/o/other@refs/heads/main' }),
      {},
      ['MISMATCH_SOURCE'],
    ],
    [
      'the provenance names no source',
      'fails with MISMATCH_SOURCE',
      { builder: { id: `${GENERIC}@refs/tags/v2.1.0` }, buildType: 'x' },
      {},
      ['MISMATCH_SOURCE'],
    ],
    [
      'the branch differs',
      'fails with MISMATCH_BRANCH',
      v02(),
      { sourceRef: { branch: 'refs/heads/release' } },
      ['MISMATCH_BRANCH'],
    ],
    [
      'a tag is required of a branch build',
      'fails with INVALID_REF',
      v02(),
      { sourceRef: { tag: 'v1.0.0' } },
      ['INVALID_REF'],
    ],
    [
      'a release event built a tag',
      'takes the branch from target_commitish',
      v02({
        uri: `${SOURCE}@refs/tags/v1.2.3`,
        environment: {
          github_event_name: 'release',
          github_ref: 'refs/tags/v1.2.3',
          github_ref_type: 'tag',
          github_event_payload: { release: { target_commitish: 'main' } },
        },
      }),
      { sourceRef: { branch: 'main' } },
      [],
    ],
    [
      'the provenance records an unknown ref type',
      'fails with REF_UNKNOWN',
      v02({ environment: { github_ref_type: 'pull', github_ref: 'refs/pull/1/merge' } }),
      { sourceRef: { branch: 'main' } },
      ['REF_UNKNOWN'],
    ],
    [
      'the tag differs',
      'fails with MISMATCH_TAG',
      v02({ environment: { github_ref_type: 'tag', github_ref: 'refs/tags/v1.2.3' } }),
      { sourceRef: { tag: 'v1.2.4' } },
      ['MISMATCH_TAG'],
    ],
    [
      'workflow inputs are required of a push',
      'fails with MISMATCH_WORKFLOW_INPUTS',
      v02({ environment: { github_event_payload: { inputs: { a: '1' } } } }),
      { workflowInputs: { a: '1' } },
      ['MISMATCH_WORKFLOW_INPUTS'],
    ],
    [
      'a recorded input is an object',
      'fails with MISMATCH_WORKFLOW_INPUTS',
      v02({
        environment: { github_event_name: 'workflow_dispatch', github_event_payload: { inputs: { a: { b: 1 } } } },
      }),
      { workflowInputs: { a: '[object Object]' } },
      ['MISMATCH_WORKFLOW_INPUTS'],
    ],
    [
      'the payload lacks inputs but invocation.parameters.event_inputs has them',
      'uses event_inputs',
      v02({ environment: { github_event_name: 'workflow_dispatch' }, parameters: { event_inputs: { a: '1' } } }),
      { workflowInputs: { a: '1' } },
      [],
    ],
  ] as const)('when %s', (_when, then, predicate, expectations, codes) => {
    it(then, () => {
      // Act
      const result = codesOf(predicate, expectations);

      // Assess
      expect(result).toEqual(codes);
    });
  });

  describe('when the policy pins a builder version', () => {
    it.each([
      [`${GENERIC}@refs/tags/v2.1.0`, []],
      [`${GENERIC}@v2.1.0`, []],
      [`${GENERIC}@v2.0.0`, ['UNTRUSTED_BUILDER']],
    ])('with %s it reports %j', (entry, expected) => {
      // Prepare
      const predicate = v02();

      // Act
      const result = codesOf(predicate, { builders: [entry] });

      // Assess
      expect(result).toEqual(expected);
    });
  });

  describe('when the first material is another repository than the trigger', () => {
    it('fails with MISMATCH_SOURCE', () => {
      // Prepare
      const predicate = v02({ materials: [{ uri: 'git+https://github.com/evil/r@refs/heads/main' }] });

      // Act
      const reasons = checkProvenance(fromV02(predicate), BASE);

      // Assess
      expect(reasons).toEqual([
        'first resolved dependency is https://github.com/evil/r, but the source is https://github.com/o/r',
      ]);
    });
  });

  describe('when a tag build records the branch it was pushed from', () => {
    it('checks the branch against it', () => {
      // Prepare
      const predicate = v02({
        uri: `${SOURCE}@refs/tags/v1.2.3`,
        environment: {
          github_ref: 'refs/tags/v1.2.3',
          github_ref_type: 'tag',
          github_event_payload: { base_ref: 'refs/heads/main' },
        },
      });

      // Act
      const onMain = codesOf(predicate, { sourceRef: { branch: 'main', tag: 'v1.2.3', versionedTag: 'v1.2' } });
      const onDev = codesOf(predicate, { sourceRef: { branch: 'dev' } });

      // Assess
      expect(onMain).toEqual([]);
      expect(onDev).toEqual(['MISMATCH_BRANCH']);
    });
  });

  describe('when a versioned tag is required', () => {
    it.each([
      ['v1.2.3', 'v1', []],
      ['v1.2.3', 'v1.2', []],
      ['v1.2.3', 'v1.2.3', []],
      ['v1.2.3+build.7', 'v1.2.3', []],
      ['v1.2.3', 'v1.2.3+other', []],
      ['v1.2', 'v1.2.0', []],
      ['v1.2.3', 'v2', ['MISMATCH_VERSIONED_TAG']],
      ['v1.2.3', 'v1.3', ['MISMATCH_VERSIONED_TAG']],
      ['v1.2.3', 'v1.2.4', ['MISMATCH_VERSIONED_TAG']],
      ['v1.2.3-rc.1', 'v1.2.3', ['MISMATCH_VERSIONED_TAG']],
      ['v1.2.3-rc.1', 'v1.2.3-rc.1', []],
      ['release-7', 'v1', ['INVALID_SEMVER']],
      ['v1.2.3', '1.2.3', ['INVALID_SEMVER']],
    ])('tag %s against %s reports %j', (tag, expected, codes) => {
      // Prepare
      const predicate = v02({ environment: { github_ref_type: 'tag', github_ref: `refs/tags/${tag}` } });

      // Act
      const result = codesOf(predicate, { sourceRef: { versionedTag: expected } });

      // Assess
      expect(result).toEqual(codes);
    });
  });

  describe('when a provenance of another CI has only a source URI ref', () => {
    it('derives branch and tag from the ref prefix', () => {
      // Prepare
      const facts = {
        slsaVersion: 'v1' as const,
        builderId: 'https://ci.example.com/builder',
        buildType: 'https://ci.example.com/build',
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/tags/v3.0.0',
        resolvedDependencies: [],
      };

      // Act
      const result = evaluateProvenance(facts, {
        builders: ['https://ci.example.com/builder'],
        sourceRepositories: ['https://github.com/o/r'],
        sourceRef: { versionedTag: 'v3', branch: 'main' },
      }).map((v) => v.code);

      // Assess
      expect(result).toEqual(['INVALID_REF']);
    });
  });

  describe('when an actions/attest-build-provenance v1 predicate is checked', () => {
    it('reads ref, trigger and inputs from externalParameters', () => {
      // Prepare
      const predicate = actionsV1(
        { repository: 'https://github.com/o/r', ref: 'refs/tags/v1.4.0', path: '.github/workflows/rel.yml' },
        { dry_run: false, count: 3 },
        'workflow_dispatch',
      );
      const facts = fromV1(predicate);

      // Act
      const result = evaluateProvenance(facts, {
        builders: ['https://github.com/o/r/.github/workflows/rel.yml'],
        sourceRepositories: ['github.com/o/r'],
        sourceRef: { versionedTag: 'v1.4' },
        workflowInputs: { dry_run: 'false', count: '3' },
      });

      // Assess
      expect(facts.github).toEqual({
        refType: 'tag',
        ref: 'refs/tags/v1.4.0',
        eventName: 'workflow_dispatch',
        inputs: { dry_run: false, count: 3 },
        repository: 'https://github.com/o/r',
        workflowPath: '.github/workflows/rel.yml',
      });
      expect(result).toEqual([]);
    });
  });

  describe('when a BYOB v1 provenance ran its workflow in another repository', () => {
    it('fails with MISMATCH_SOURCE', () => {
      // Prepare
      const predicate = {
        buildDefinition: {
          buildType: 'https://slsa.dev/container-based-build/v0.1?draft',
          externalParameters: { source: { uri: `${SOURCE}@refs/heads/main`, digest: { sha1: 'a'.repeat(40) } } },
          internalParameters: {
            GITHUB_REPOSITORY: 'evil/r',
            GITHUB_REF: 'refs/heads/main',
            GITHUB_REF_TYPE: 'branch',
            GITHUB_EVENT_NAME: 'push',
            GITHUB_WORKFLOW_REF: 'evil/r/.github/workflows/b.yml@refs/heads/main',
          },
          resolvedDependencies: [{ uri: `${SOURCE}@refs/heads/main`, digest: { sha1: 'a'.repeat(40) } }],
        },
        runDetails: { builder: { id: `${WORKFLOWS}/builder_container-based_slsa3.yml@refs/tags/v2.1.0` } },
      };

      // Act
      const result = evaluateProvenance(fromV1(predicate), {
        builders: [`${WORKFLOWS}/builder_container-based_slsa3.yml`],
        sourceRepositories: ['github.com/o/r'],
      });

      // Assess
      expect(result).toEqual([
        {
          code: 'MISMATCH_SOURCE',
          reason: 'workflow ran in https://github.com/evil/r, but the source is https://github.com/o/r',
        },
      ]);
    });
  });
});

describe('Function: extractGitHubBuildContext', () => {
  describe('when a v0.2 predicate has no github_* environment', () => {
    it('returns undefined', () => {
      // Prepare
      const predicate = { builder: { id: 'b' }, buildType: 't', invocation: { environment: { arch: 'amd64' } } };

      // Act
      const context = extractGitHubBuildContext(PredicateTypes.slsaProvenanceV02, predicate);

      // Assess
      expect(context).toBeUndefined();
    });
  });

  describe('when a github_* field has the wrong JSON type', () => {
    it('leaves that field out', () => {
      // Prepare
      const predicate = v02({ environment: { github_ref: 42 } });

      // Act
      const context = extractGitHubBuildContext(PredicateTypes.slsaProvenanceV02, predicate);

      // Assess
      expect(context?.ref).toBeUndefined();
      expect(context?.refType).toBe('branch');
    });
  });
});

describe('Function: parseBuilderId', () => {
  it.each([
    ['https://b/x.yml', { name: 'https://b/x.yml' }],
    ['https://b/x.yml@refs/tags/v1', { name: 'https://b/x.yml', version: 'refs/tags/v1' }],
    ['https://b/x.yml@', undefined],
    ['a@b@c', undefined],
  ])('parses %s as %j', (id, expected) => {
    // Prepare
    const input = id;

    // Act
    const parsed = parseBuilderId(input);

    // Assess
    expect(parsed).toEqual(expected);
  });
});

describe('Function: parseGoSemver', () => {
  it.each([
    ['v1', true],
    ['v1.2', true],
    ['v1.2.3-alpha.1+build', true],
    ['1.2.3', false],
    ['v1.2-pre', false],
    ['v01.2.3', false],
    ['v1.2.3-01', false],
  ])('treats %s as valid: %s', (version, valid) => {
    // Prepare
    const input = version;

    // Act
    const parsed = parseGoSemver(input);

    // Assess
    expect(parsed !== undefined).toBe(valid);
  });
});

describe('Function: canonicalRepository', () => {
  it.each([
    ['github.com/o/r', 'https://github.com/o/r'],
    ['git+https://github.com/o/r.git@refs/heads/main', 'https://github.com/o/r'],
    ['https://github.com/o/r/', 'https://github.com/o/r'],
  ])('maps %s to %s', (uri, expected) => {
    // Prepare
    const input = uri;

    // Act
    const canonical = canonicalRepository(input);

    // Assess
    expect(canonical).toBe(expected);
  });
});
