import { beforeEach, describe, expect, it } from 'vitest';
import { collectDependencyDiff } from '../../lambdas/domain/evidence/dependency-diff.js';
import { type Digest, type EvidenceResult, evidenceResult } from '../../lambdas/domain/types.js';
import { deb, npm, sbomResult } from '../support/components.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { collectContext, record } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { TestMemoryStore } from '../support/memory-store.js';

const REPO = 'team/app';
const PREVIOUS: Digest = `sha256:${'a'.repeat(64)}`;
const CURRENT: Digest = `sha256:${'b'.repeat(64)}`;
const LOCK = `sha256:${'1'.repeat(64)}`;
const NEW_LOCK = `sha256:${'2'.repeat(64)}`;

/** Evidence of this release and, when given, of the previous promoted one (`[]`: promoted without evidence). */
interface DiffCase {
  readonly it: string;
  readonly previous?: readonly EvidenceResult[];
  readonly current: readonly EvidenceResult[];
  readonly expected: ExpectedEvidence;
}

describe('Function: collectDependencyDiff', () => {
  let memory: TestMemoryStore;

  const store = (digest: Digest, result: EvidenceResult) =>
    record(memory, memory, { repository: REPO, digest }, result);
  const promote = (digest: Digest) =>
    memory.appendPromotion({
      repository: REPO,
      digest,
      promotedAt: '2026-11-01T00:00:00.000Z',
      targetRepository: `prod/${REPO}`,
      tag: 'v1',
    });
  /** Stores the evidence of both releases (promoting the previous one), then runs the collector. */
  async function collect(c: Pick<DiffCase, 'previous' | 'current'>) {
    for (const result of c.previous ?? []) await store(PREVIOUS, result);
    if (c.previous !== undefined) await promote(PREVIOUS);
    for (const result of c.current) await store(CURRENT, result);
    return collectDependencyDiff(
      collectContext({
        subject: { repository: REPO, digest: CURRENT },
        registry: new MemoryRegistry(),
        releases: memory,
        documents: memory,
      }),
    );
  }

  beforeEach(() => {
    memory = new TestMemoryStore();
  });

  const CASES: readonly (readonly [string, readonly DiffCase[]])[] = [
    [
      'when this release has no SBOM evidence',
      [
        {
          it: 'reports MISSING',
          current: [],
          expected: { status: 'MISSING', reasons: ['no SBOM for this release'] },
        },
        {
          it: 'reports MISSING when the SBOM evidence did not pass',
          current: [sbomResult([npm('a', '1.0.0')], undefined, 'FAIL')],
          expected: { status: 'MISSING', reasons: ['no SBOM for this release (sbom evidence is FAIL)'] },
        },
      ],
    ],
    [
      'when nothing of the repository was promoted before',
      [
        {
          it: 'passes as a first release, with no diff document (nothing was diffed)',
          current: [sbomResult([npm('a', '1.0.0', ['MIT']), deb('bash', '5.2-1')], LOCK)],
          expected: {
            status: 'PASS',
            reasons: [`first release of ${REPO}: no previous promoted release to diff against`],
            exactFacts: { firstRelease: true, previousDigest: null, added: 2 },
            documents: [],
          },
        },
      ],
    ],
    [
      'when a previous release was promoted',
      [
        {
          it: 'fails on drift: same lockfile digest, different application packages',
          previous: [sbomResult([npm('a', '1.0.0'), npm('b', '1.0.0')], LOCK)],
          current: [sbomResult([npm('a', '1.0.1'), npm('c', '3.0.0')], LOCK)],
          expected: {
            status: 'FAIL',
            reasons: [
              `lockfile digest unchanged (${LOCK}) but 3 application components changed: +c@3.0.0, -b@1.0.0, a 1.0.0→1.0.1`,
            ],
          },
        },
        {
          it: 'passes when only OS packages changed under the same lockfile',
          previous: [sbomResult([npm('a', '1.0.0'), deb('bash', '5.2-1')], LOCK)],
          current: [sbomResult([npm('a', '1.0.0'), deb('bash', '5.2-2')], LOCK)],
          expected: { status: 'PASS', reasons: [`+0 −0 ~1 packages since ${PREVIOUS}, new licenses: none`] },
        },
        {
          it: 'reads the previous lockfile digest from its lockfile evidence',
          previous: [
            sbomResult([npm('a', '1.0.0')]),
            evidenceResult('lockfile', 'PASS', ['ok'], { lockfileDigest: LOCK }),
          ],
          current: [
            sbomResult([npm('a', '2.0.0')]),
            evidenceResult('provenance', 'PASS', ['ok'], { lockfileDigest: LOCK }),
          ],
          expected: { status: 'FAIL', firstReason: `lockfile digest unchanged (${LOCK})` },
        },
        {
          it: 'notes that drift was not checked when a lockfile digest is unknown',
          previous: [sbomResult([npm('a', '1.0.0')])],
          current: [sbomResult([npm('a', '2.0.0')], LOCK)],
          expected: { status: 'PASS', reason: 'lockfile digest not recorded for both releases: drift not checked' },
        },
        {
          it: 'fails when the previous release has no SBOM evidence to diff against',
          previous: [],
          current: [sbomResult([npm('a', '1.0.0')], LOCK)],
          expected: {
            status: 'FAIL',
            firstReason: `previous promoted release ${REPO}@${PREVIOUS} has no passing SBOM evidence`,
          },
        },
      ],
    ],
  ];

  describe.each(CASES)('%s', (_when, cases) => {
    it.each(cases.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Act
      const result = await collect(c);

      // Assess
      expectEvidence(result, c.expected);
    });
  });

  describe('when nothing of the repository was promoted before', () => {
    it('does no diff work: it reads no component document', async () => {
      // Prepare
      await store(CURRENT, sbomResult([npm('a', '1.0.0')], LOCK));
      const reads: string[] = [];

      // Act
      const result = await collectDependencyDiff(
        collectContext({
          subject: { repository: REPO, digest: CURRENT },
          registry: new MemoryRegistry(),
          releases: memory,
          documents: {
            get: (digest) => {
              reads.push(digest);
              return memory.get(digest);
            },
          },
        }),
      );

      // Assess
      expect(result.status).toBe('PASS');
      expect(reads).toEqual([]);
    });
  });

  describe('when the lockfile changed with the packages since the promoted release', () => {
    it('passes with a summary and stores the diff', async () => {
      // Prepare
      const previous = [sbomResult([npm('a', '1.0.0'), npm('gone', '1.0.0'), deb('bash', '5.2-1')], LOCK)];
      const fresh = npm('fresh', '2.0.0', ['Apache-2.0']);
      const current = [sbomResult([npm('a', '1.1.0'), fresh, deb('bash', '5.2-1')], NEW_LOCK)];

      // Act
      const result = await collect({ previous, current });

      // Assess
      expectEvidence(result, {
        status: 'PASS',
        reasons: [`+1 −1 ~1 packages since ${PREVIOUS}, new licenses: Apache-2.0`],
        facts: {
          added: 1,
          removed: 1,
          changed: 1,
          firstRelease: false,
          previousDigest: PREVIOUS,
          lockfileDigest: NEW_LOCK,
          previousLockfileDigest: LOCK,
          changedSample: ['a 1.0.0→1.1.0'],
        },
      });
      const stored: unknown = JSON.parse(new TextDecoder().decode(result.documents[0]?.bytes));
      expect(stored).toMatchObject({ previousDigest: PREVIOUS, digest: CURRENT, added: [{ name: 'fresh' }] });
    });
  });

  describe('when the diff is large', () => {
    it('keeps facts small', async () => {
      // Prepare
      const many = (prefix: string) =>
        Array.from({ length: 3000 }, (_, i) => npm(`${prefix}-package-${i}`, '1.0.0', [`LicenseRef-${prefix}-${i}`]));

      // Act
      const result = await collect({
        previous: [sbomResult(many('old'), LOCK)],
        current: [sbomResult(many('new'), NEW_LOCK)],
      });

      // Assess
      expect(result.facts).toMatchObject({ added: 3000, removed: 3000 });
      expect(new TextEncoder().encode(JSON.stringify(result.facts)).byteLength).toBeLessThan(2048);
    });
  });
});
