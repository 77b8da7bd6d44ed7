import { describe, expect, it } from 'vitest';
import { extractProvenanceFacts, normaliseSourceUri } from '../../lambdas/domain/attest/slsa.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';

const v1 = (
  externalParameters: Record<string, unknown>,
  resolvedDependencies: unknown[] = [],
): Record<string, unknown> => ({
  buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters, resolvedDependencies },
  runDetails: { builder: { id: 'https://ci.example.com/builder' } },
});

describe('Function: normaliseSourceUri', () => {
  describe.each([
    ['git+https://github.com/o/r@refs/heads/main', { repository: 'https://github.com/o/r', ref: 'refs/heads/main' }],
    ['https://github.com/o/r.git', { repository: 'https://github.com/o/r' }],
    ['git+https://github.com/o/r.git@v1.2.3', { repository: 'https://github.com/o/r', ref: 'v1.2.3' }],
    ['git+ssh://git@github.com/o/r.git', { repository: 'ssh://git@github.com/o/r' }],
    ['https://github.com/o/r/', { repository: 'https://github.com/o/r' }],
  ])('when the URI is %s', (uri, expected) => {
    it('splits repository and ref', () => {
      // Prepare
      const input = uri;

      // Act
      const normalised = normaliseSourceUri(input);

      // Assess
      expect(normalised).toEqual(expected);
    });
  });
});

describe('Function: extractProvenanceFacts', () => {
  const V1 = PredicateTypes.slsaProvenanceV1;
  const V02 = PredicateTypes.slsaProvenanceV02;

  describe.each([
    [
      'a v1 predicate names its source in externalParameters.source',
      'takes repository, ref and digest from it',
      V1,
      v1({ source: { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } } }),
      expect.objectContaining({
        slsaVersion: 'v1',
        builderId: 'https://ci.example.com/builder',
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/heads/main',
        sourceDigest: 'sha1:abc',
      }),
    ],
    [
      'a v1 predicate names its source only as a git resolved dependency',
      'takes the first git dependency',
      V1,
      v1({}, [
        { uri: `pkg:docker/node@sha256:${'a'.repeat(64)}`, digest: { sha256: 'a'.repeat(64) } },
        { uri: 'git+https://github.com/o/r.git@refs/tags/v1', digest: { gitCommit: 'def' } },
      ]),
      expect.objectContaining({
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/tags/v1',
        sourceDigest: 'gitCommit:def',
        resolvedDependencies: [expect.anything(), expect.anything()],
      }),
    ],
    [
      'a v1 predicate names no source at all',
      'leaves sourceRepository undefined',
      V1,
      v1({ inputs: {} }),
      expect.not.objectContaining({ sourceRepository: expect.anything() }),
    ],
    [
      'a v0.2 predicate has materials',
      'maps them to resolved dependencies',
      V02,
      {
        builder: { id: 'https://ci.example.com/builder' },
        buildType: 'https://example.com/build/v0.2',
        invocation: { configSource: { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } } },
        materials: [
          { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } },
          { uri: 'pkg:npm/x@1' },
        ],
      },
      {
        slsaVersion: 'v0.2',
        builderId: 'https://ci.example.com/builder',
        buildType: 'https://example.com/build/v0.2',
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/heads/main',
        sourceDigest: 'sha1:abc',
        resolvedDependencies: [
          { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } },
          { uri: 'pkg:npm/x@1', digest: {} },
        ],
      },
    ],
  ])('when %s', (_when, then, predicateType, predicate, expected) => {
    it(then, () => {
      // Act
      const facts = extractProvenanceFacts(predicateType, predicate);

      // Assess
      expect(facts).toEqual(expected);
    });
  });

  describe.each([
    ['a v1 predicate has no builder id', V1, { ...v1({}), runDetails: { builder: {} } }],
    ['a v0.2 predicate is given as v1', V1, { builder: { id: 'x' }, buildType: 'y' }],
    ['the predicate type is not SLSA provenance', PredicateTypes.cyclonedx, {}],
  ])('when %s', (_when, predicateType, predicate) => {
    it('throws InvalidInputError', () => {
      // Act
      const act = (): unknown => extractProvenanceFacts(predicateType, predicate);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });
});
