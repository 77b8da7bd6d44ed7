import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectLockfile, isExactVersion } from '../../lambdas/domain/evidence/lockfile.js';
import {
  COMPONENTS_DOCUMENT,
  loadStoredComponents,
  WHOLE_COMPONENTS_BYTES,
} from '../../lambdas/domain/evidence/sbom.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import { type EvidenceResult, evidenceResult, type ImageSubject } from '../../lambdas/domain/types.js';
import { deb, npm, sbomResult } from '../support/components.js';
import { pushArtifact, pushBlob, pushImage } from '../support/images.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { collectContext, record } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { TestMemoryStore } from '../support/memory-store.js';

const REPO = 'team/app';
const LOCK = `sha256:${'1'.repeat(64)}`;
const OTHER_LOCK = `sha256:${'2'.repeat(64)}`;
const BASE_DIGEST = `sha256:${'b'.repeat(64)}`;
const PINNED_BASE = { uri: `docker.io/library/node@${BASE_DIGEST}`, digest: BASE_DIGEST };

function provenanceResult(facts: Record<string, unknown>, status: 'PASS' | 'FAIL' = 'PASS'): EvidenceResult {
  return evidenceResult('provenance', status, ['test provenance'], facts);
}

/** Stored evidence of this release (and the image's own annotations, when given) and what the collector makes of it. */
interface LockfileCase {
  readonly it: string;
  readonly stored: readonly EvidenceResult[];
  readonly policy?: Record<string, unknown>;
  readonly annotations?: Record<string, string>;
  readonly expected: ExpectedEvidence;
}

const NO_SBOM_REASONS = [
  'no SBOM components: cannot check that application dependencies have exact versions',
  'sbom evidence is MISSING: not used',
];
const NOT_PINNED = 'base image docker.io/library/node:20 is not pinned by digest';
const pinnedProvenance = provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE });
const express = sbomResult([npm('express', '4.18.2')], LOCK);
const unpinnedBase = provenanceResult({ lockfileDigest: LOCK, baseImage: { uri: 'docker.io/library/node:20' } });

const CASES: readonly (readonly [string, readonly LockfileCase[]])[] = [
  [
    'when neither provenance nor SBOM evidence exists',
    [{ it: 'reports MISSING', stored: [], expected: { status: 'MISSING' } }],
  ],
  [
    'when provenance and SBOM agree and everything is pinned',
    [
      {
        it: 'passes with the lockfile digest from the provenance',
        stored: [pinnedProvenance, sbomResult([npm('express', '4.18.2'), deb('bash', '')], LOCK)],
        expected: {
          status: 'PASS',
          exactFacts: {
            lockfileDigest: LOCK,
            source: 'provenance',
            baseImage: { ...PINNED_BASE, source: 'provenance' },
            applicationComponents: 1,
            unpinnedComponents: 0,
          },
          firstReason: `lockfile ${LOCK} (from provenance)`,
        },
      },
    ],
  ],
  [
    'when only the SBOM carries the lockfile digest',
    [
      {
        it: 'passes with source sbom',
        stored: [provenanceResult({ baseImage: PINNED_BASE }), express],
        expected: { status: 'PASS', facts: { lockfileDigest: LOCK, source: 'sbom' } },
      },
    ],
  ],
  [
    'when no lockfile digest is recorded anywhere',
    [
      {
        it: 'fails',
        stored: [provenanceResult({ baseImage: PINNED_BASE }), sbomResult([npm('express', '4.18.2')])],
        expected: {
          status: 'FAIL',
          reason: 'no lockfile digest in the provenance or the SBOM: the build is not tied to a lockfile',
        },
      },
    ],
  ],
  [
    'when provenance and SBOM carry different lockfile digests',
    [
      {
        it: 'fails naming both',
        stored: [pinnedProvenance, sbomResult([npm('express', '4.18.2')], OTHER_LOCK)],
        expected: {
          status: 'FAIL',
          reason: `provenance lockfile digest ${LOCK} differs from the SBOM's ${OTHER_LOCK}`,
        },
      },
    ],
  ],
  [
    'when the base image is not pinned by digest',
    [
      {
        it: 'fails when the policy requires a pinned base',
        stored: [unpinnedBase, express],
        expected: { status: 'FAIL', reason: NOT_PINNED },
      },
      {
        it: 'passes when the policy does not require it',
        stored: [unpinnedBase, express],
        policy: { lockfile: { requirePinnedBase: false } },
        expected: { status: 'PASS' },
      },
      {
        it: 'accepts a base reference that ends in a digest',
        stored: [provenanceResult({ lockfileDigest: LOCK, baseImage: { uri: PINNED_BASE.uri } }), express],
        expected: { status: 'PASS' },
      },
    ],
  ],
  [
    'when only the image annotations name the base image',
    [
      {
        it: 'passes with the annotated base digest',
        annotations: {
          'org.opencontainers.image.base.name': 'docker.io/library/node:20',
          'org.opencontainers.image.base.digest': BASE_DIGEST,
        },
        stored: [express],
        expected: {
          status: 'PASS',
          factValues: { baseImage: { uri: 'docker.io/library/node:20', digest: BASE_DIGEST, source: 'annotations' } },
        },
      },
      {
        it: 'fails when the annotations name the base without a digest',
        annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/node:20' },
        stored: [express],
        expected: { status: 'FAIL', reason: NOT_PINNED },
      },
      {
        it: 'fails when nothing identifies the base image',
        stored: [express],
        expected: { status: 'FAIL', firstReason: /^base image is not identified/ },
      },
    ],
  ],
  [
    'when application components lack exact versions',
    [
      {
        it: 'fails naming each of them, and ignores OS packages',
        stored: [
          pinnedProvenance,
          sbomResult(
            [
              npm('ok', '1.0.0'),
              npm('caret', '^1.2.0'),
              npm('tilde', '~1.2'),
              npm('gte', '>=1'),
              npm('xr', '1.x'),
              npm('star', '*'),
              npm('tag', 'latest'),
              npm('none'),
              deb('bash', ''),
            ],
            LOCK,
          ),
        ],
        expected: {
          status: 'FAIL',
          reason:
            '7 application components without an exact version: caret@^1.2.0, tilde@~1.2, gte@>=1, xr@1.x, star@*, tag@latest, none (no version)',
          factValues: { unpinnedComponents: 7 },
        },
      },
    ],
  ],
  [
    'when evidence cannot be used',
    [
      {
        it: 'does not use facts of provenance that did not pass',
        stored: [
          provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }, 'FAIL'),
          sbomResult([npm('express', '4.18.2')]),
        ],
        expected: {
          status: 'FAIL',
          reason: 'provenance evidence is FAIL: not used',
          factValues: { lockfileDigest: undefined },
        },
      },
      {
        it: 'fails when there is no SBOM to check component versions against',
        stored: [pinnedProvenance],
        expected: { status: 'FAIL', reasons: NO_SBOM_REASONS },
      },
      {
        it: 'fails when provenance facts are malformed',
        stored: [provenanceResult({ lockfileDigest: 'md5:123', baseImage: PINNED_BASE }), express],
        expected: { status: 'FAIL', reason: 'provenance evidence facts are malformed: lockfileDigest' },
      },
    ],
  ],
];

/** Versions an SBOM may give an application component, by ecosystem: exact, or not (ranges, tags, none). */
const VERSIONS: Readonly<Record<string, { exact: readonly string[]; inexact: readonly (string | undefined)[] }>> = {
  npm: {
    exact: ['1.2.3', 'v1.2.3', '1.2.3-beta.1'],
    inexact: ['1.2', '^1.2.0', '~1.2', '>=1', '1.x', '1.2.3 - 2.0.0', '*', 'latest', '', undefined],
  },
  pypi: { exact: ['2.31.0', '1.2'], inexact: ['>=2.0,<3', '1.*'] },
  maven: { exact: ['2.14.1'], inexact: ['[1.0,2.0)', 'RELEASE', '1.+'] },
  golang: { exact: ['v0.0.0-20230516145632-8ccac152c651'], inexact: [] },
  composer: { exact: ['v7.12.0'], inexact: ['dev-master'] },
  gem: { exact: ['6.0.2.1'], inexact: [] },
};

describe('Function: isExactVersion', () => {
  it.each(
    Object.entries(VERSIONS).flatMap(([ecosystem, { exact, inexact }]) => [
      ...exact.map((version) => [version, ecosystem, true] as const),
      ...inexact.map((version) => [version, ecosystem, false] as const),
    ]),
  )('%s (%s) is exact: %s', (version, ecosystem, expected) => {
    // Act & Assess
    expect(isExactVersion(version, ecosystem)).toBe(expected);
  });
});

describe('Function: collectLockfile', () => {
  let registry: MemoryRegistry;
  let memory: TestMemoryStore;
  let image: Descriptor;
  let subject: ImageSubject;

  const store = (result: EvidenceResult) => record(memory, memory, subject, result);
  const collect = (policy?: Record<string, unknown>) =>
    collectLockfile(
      collectContext({ subject, registry, releases: memory, documents: memory, ...(policy && { policy }) }),
    );

  /** Makes the subject an image whose manifest carries these annotations. */
  async function imageWithAnnotations(annotations: Record<string, string>): Promise<void> {
    const config = await pushBlob(registry, REPO, MediaTypes.ociConfig, new TextEncoder().encode('{}'));
    const layer = await pushBlob(registry, REPO, MediaTypes.ociLayerTarGzip, new TextEncoder().encode('layer-2'));
    const bytes = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer], annotations }),
    );
    const digest = await registry.putManifest(REPO, bytes, MediaTypes.ociManifest);
    subject = { repository: REPO, digest };
  }

  beforeEach(async () => {
    registry = new MemoryRegistry();
    memory = new TestMemoryStore();
    image = await pushImage(registry, REPO, 'v1');
    subject = { repository: REPO, digest: image.digest };
  });

  describe.each(CASES)('%s', (_when, cases) => {
    it.each(cases.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Prepare
      if (c.annotations !== undefined) await imageWithAnnotations(c.annotations);
      for (const result of c.stored) await store(result);

      // Act
      const result = await collect(c.policy);

      // Assess
      expectEvidence(result, c.expected);
    });
  });

  describe('when no sbom evidence is stored, though the registry has an SBOM', () => {
    it('reads only stored evidence: the SBOM counts as missing (the sbom collector runs first)', async () => {
      // Prepare
      const cyclonedx = {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: LOCK }] },
        components: [{ type: 'library', name: 'left-pad', version: '^1.3.0', purl: 'pkg:npm/left-pad@1.3.0' }],
      };
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: new TextEncoder().encode(JSON.stringify(cyclonedx)) }],
        subject: image,
      });
      await store(pinnedProvenance);

      // Act
      const result = await collect();

      // Assess
      expectEvidence(result, { status: 'FAIL', reasons: NO_SBOM_REASONS, facts: { lockfileDigest: LOCK } });
    });
  });

  describe('when the stored components.json is read again in the same process', () => {
    it('parses it once: its digest, checked by the store, is the check', async () => {
      // Prepare
      const stored = await store(sbomResult([npm('express', '4.21.2')], LOCK));

      // Act
      const first = await loadStoredComponents(memory, stored);
      const second = await loadStoredComponents(memory, stored);

      // Assess
      if (!first.ok || !second.ok) throw new Error('components.json not read');
      expect(second.sbom).toBe(first.sbom);
    });
  });

  describe('when the stored components.json is large', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('reads it one component at a time: the whole text is never parsed at once', async () => {
      // Prepare
      await store(pinnedProvenance);
      const components = Array.from({ length: 40_000 }, (_, i) => npm(`pkg-${i}`, i < 12 ? `^${i}.0.0` : `${i}.0.0`));
      const stored = await store(sbomResult(components, LOCK));
      const size = stored.documents[0]?.size ?? 0;
      expect(size).toBeGreaterThan(WHOLE_COMPONENTS_BYTES);
      const parse = vi.spyOn(JSON, 'parse');

      // Act
      const result = await collect();

      // Assess
      const longest = Math.max(0, ...parse.mock.calls.map(([text]) => String(text).length));
      expect(longest).toBeLessThan(size / 10);
      expectEvidence(result, {
        status: 'FAIL',
        firstReason: `12 application components without an exact version: ${components
          .slice(0, 10)
          .map((c) => `${c.name}@${c.version}`)
          .join(', ')} and 2 more`,
        exactFacts: {
          lockfileDigest: LOCK,
          source: 'provenance',
          baseImage: { ...PINNED_BASE, source: 'provenance' },
          applicationComponents: 40_000,
          unpinnedComponents: 12,
        },
      });
    });
  });

  describe('when the stored components.json has a malformed component', () => {
    it('fails saying it is not a component document', async () => {
      // Prepare
      await store(pinnedProvenance);
      const bytes = new TextEncoder().encode(
        '{"format":"cyclonedx","specVersion":"1.6","components":[{"name":"a","licenses":[],"scope":"application","version":"1.0.0"},{"name":}]}',
      );
      const digest = await memory.put(bytes, 'application/json');
      await memory.putEvidence({
        repository: REPO,
        digest: subject.digest,
        kind: 'sbom',
        status: 'PASS',
        reasons: ['test sbom'],
        facts: {},
        documents: [{ name: COMPONENTS_DOCUMENT, mediaType: 'application/json', digest, size: bytes.byteLength }],
        collectedAt: new Date(0).toISOString(),
      });

      // Act
      const result = await collect();

      // Assess
      expectEvidence(result, {
        status: 'FAIL',
        reasons: [
          `${COMPONENTS_DOCUMENT} of ${REPO}@${subject.digest} is not a normalised component document`,
          NO_SBOM_REASONS[0] ?? '',
        ],
        exactFacts: { lockfileDigest: LOCK, source: 'provenance', baseImage: { ...PINNED_BASE, source: 'provenance' } },
      });
    });
  });

  describe('when the stored components.json was tampered with', () => {
    it('fails saying it could not be read', async () => {
      // Prepare
      await store(pinnedProvenance);
      const stored = await store(sbomResult([npm('express', '^4.0.0')], LOCK));
      const ref = stored.documents[0];
      if (ref === undefined) throw new Error('no document stored');
      memory.corrupt(
        ref.digest,
        new TextEncoder().encode('{"format":"cyclonedx","specVersion":"1.6","components":[]}'),
      );

      // Act
      const result = await collect();

      // Assess
      expectEvidence(result, {
        status: 'FAIL',
        firstReason: `${COMPONENTS_DOCUMENT} of ${REPO}@${subject.digest} could not be read`,
      });
    });
  });
});
