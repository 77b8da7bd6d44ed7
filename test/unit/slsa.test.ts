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
  describe('when a v1 predicate names its source in externalParameters.source', () => {
    it('takes repository, ref and digest from it', () => {
      // Prepare
      const predicate = v1({ source: { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } } });

      // Act
      const facts = extractProvenanceFacts(PredicateTypes.slsaProvenanceV1, predicate);

      // Assess
      expect(facts).toMatchObject({
        slsaVersion: 'v1',
        builderId: 'https://ci.example.com/builder',
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/heads/main',
        sourceDigest: 'sha1:abc',
      });
    });
  });

  describe('when a v1 predicate names its source only as a git resolved dependency', () => {
    it('takes the first git dependency', () => {
      // Prepare
      const predicate = v1({}, [
        { uri: `pkg:docker/node@sha256:${'a'.repeat(64)}`, digest: { sha256: 'a'.repeat(64) } },
        { uri: 'git+https://github.com/o/r.git@refs/tags/v1', digest: { gitCommit: 'def' } },
      ]);

      // Act
      const facts = extractProvenanceFacts(PredicateTypes.slsaProvenanceV1, predicate);

      // Assess
      expect(facts).toMatchObject({
        sourceRepository: 'https://github.com/o/r',
        sourceRef: 'refs/tags/v1',
        sourceDigest: 'gitCommit:def',
      });
      expect(facts.resolvedDependencies).toHaveLength(2);
    });
  });

  describe('when a v1 predicate names no source at all', () => {
    it('leaves sourceRepository undefined', () => {
      // Prepare
      const predicate = v1({ inputs: {} });

      // Act
      const facts = extractProvenanceFacts(PredicateTypes.slsaProvenanceV1, predicate);

      // Assess
      expect(facts.sourceRepository).toBeUndefined();
    });
  });

  describe('when a v0.2 predicate has materials', () => {
    it('maps them to resolved dependencies', () => {
      // Prepare
      const predicate = {
        builder: { id: 'https://ci.example.com/builder' },
        buildType: 'https://example.com/build/v0.2',
        invocation: { configSource: { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } } },
        materials: [
          { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'abc' } },
          { uri: 'pkg:npm/x@1' },
        ],
      };

      // Act
      const facts = extractProvenanceFacts(PredicateTypes.slsaProvenanceV02, predicate);

      // Assess
      expect(facts).toEqual({
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
      });
    });
  });

  describe('when a v1 predicate has no builder id', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const predicate = { ...v1({}), runDetails: { builder: {} } };

      // Act
      const act = (): unknown => extractProvenanceFacts(PredicateTypes.slsaProvenanceV1, predicate);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });

  describe('when a v0.2 predicate is given as v1', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const predicate = { builder: { id: 'x' }, buildType: 'y' };

      // Act
      const act = (): unknown => extractProvenanceFacts(PredicateTypes.slsaProvenanceV1, predicate);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });

  describe('when the predicate type is not SLSA provenance', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const predicateType = PredicateTypes.cyclonedx;

      // Act
      const act = (): unknown => extractProvenanceFacts(predicateType, {});

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });
});
