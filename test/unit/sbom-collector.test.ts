import { beforeEach, describe, expect, it, vi } from 'vitest';
import { buildImage, PLATFORMS } from '../../cli/fixtures/image.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { cosignSign, cosignSignatureManifest, cosignTag, simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import { COMPONENTS_DOCUMENT, collectSbom, parseComponentsDocument } from '../../lambdas/domain/evidence/sbom.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryReader } from '../../lambdas/domain/ports.js';
import { PredicateTypes, StatementTypes } from '../../lambdas/domain/predicate-types.js';
import { NormalizedSbomSchema } from '../../lambdas/domain/sbom/component.js';
import type { Digest, ImageSubject } from '../../lambdas/domain/types.js';
import {
  indexOf,
  type LayerSpec,
  oneFileImage,
  pushArtifact,
  pushBlob,
  pushBuildkitIndex,
  pushImage,
} from '../support/images.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { bytesOf, dsseEnvelope, statementAbout, type TestSigner, testSigner } from '../support/signers.js';

const REPO = 'team/app';
const LOCK = `sha256:${'c'.repeat(64)}`;
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

const CYCLONEDX = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: LOCK }] },
  components: [
    {
      type: 'library',
      name: 'express',
      version: '4.18.2',
      purl: 'pkg:npm/express@4.18.2',
      licenses: [{ license: { id: 'MIT' } }],
    },
    { type: 'library', name: 'bash', version: '5.2-1', purl: 'pkg:deb/debian/bash@5.2-1' },
  ],
};

const SPDX = {
  spdxVersion: 'SPDX-2.3',
  SPDXID: 'SPDXRef-DOCUMENT',
  creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: test'] },
  packages: [
    {
      SPDXID: 'SPDXRef-flask',
      name: 'flask',
      versionInfo: '3.0.0',
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/flask@3.0.0' },
      ],
    },
  ],
};

/** An in-toto SBOM attestation about `digest` as a referrer layer, signed by `by`. */
const sbomAttestation = (by: TestSigner, digest: Digest, predicateType: string, predicate: unknown) => ({
  mediaType: MediaTypes.dsseEnvelope,
  bytes: dsseEnvelope(by, statementAbout({ name: REPO, digest }, predicateType, predicate)),
  annotations: { predicateType },
});

/** The registry as a reader whose referrers listing says what the test wants. */
const listing = (registry: MemoryRegistry, listReferrers: RegistryReader['listReferrers']): RegistryReader => ({
  location: registry.location,
  getManifest: (r, ref) => registry.getManifest(r, ref),
  getBlob: (r, d, max) => registry.getBlob(r, d, max),
  listReferrers,
});

interface SbomCase extends Omit<ExpectedEvidence, 'facts'> {
  readonly it: string;
  readonly policy?: Record<string, unknown>;
  /** Pushes what the image carries; returns digests the expectations name, and a reader to use instead. */
  readonly arrange: (
    registry: MemoryRegistry,
    image: Descriptor,
  ) => Promise<{ readonly names?: Readonly<Record<string, string>>; readonly reader?: RegistryReader } | undefined>;
  /** A piece of the first reason naming what was arranged. */
  readonly reasonAbout?: (names: Readonly<Record<string, string>>) => string;
  readonly facts?: Record<string, unknown> | ((names: Readonly<Record<string, string>>) => Record<string, unknown>);
  readonly firstDocument?: Record<string, unknown>;
}

describe('Function: collectSbom', () => {
  let registry: MemoryRegistry;
  let image: Descriptor;
  let subject: ImageSubject;

  beforeEach(async () => {
    registry = new MemoryRegistry();
    image = await pushImage(registry, REPO, 'v1');
    subject = { repository: REPO, digest: image.digest };
  });

  /** Unsigned SBOMs count only where the policy says so (the default requires a signed one). */
  const allowingUnsigned = { sbom: { requireSigned: false } };

  describe('when a CycloneDX SBOM is attached as an OCI referrer and the policy allows unsigned SBOMs', () => {
    it('passes with the facts and stores the raw SBOM and components.json', async () => {
      // Prepare
      const raw = encode(CYCLONEDX);
      const { digest } = await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: `${MediaTypes.cyclonedxJson};version=1.6`, bytes: raw }],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry, policy: allowingUnsigned }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({
        format: 'cyclonedx',
        specVersion: '1.6',
        componentCount: 2,
        applicationComponents: 1,
        source: 'referrer',
        location: `referrer ${digest}`,
        lockfileDigest: LOCK,
      });
      expect(result.documents.map((d) => [d.name, d.mediaType])).toEqual([
        ['sbom.cdx.json', `${MediaTypes.cyclonedxJson};version=1.6`],
        [COMPONENTS_DOCUMENT, 'application/json'],
      ]);
      expect(result.documents[0]?.bytes).toEqual(raw);
      const components = NormalizedSbomSchema.parse(JSON.parse(new TextDecoder().decode(result.documents[1]?.bytes)));
      expect(components.components.map((c) => c.purl)).toEqual(['pkg:npm/express@4.18.2', 'pkg:deb/debian/bash@5.2-1']);
    });
  });

  describe('when the incident index reads the components.json the collector just built', () => {
    it('gets the inventory the collector holds, without parsing the bytes again', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }],
        subject: image,
      });
      const result = await collectSbom(collectContext({ subject, registry, policy: allowingUnsigned }));
      const doc = result.documents.find((d) => d.name === COMPONENTS_DOCUMENT);
      const parse = vi.spyOn(JSON, 'parse');

      // Act
      const read = parseComponentsDocument(doc?.bytes ?? new Uint8Array());
      const again = parseComponentsDocument(doc?.bytes ?? new Uint8Array());
      parse.mockRestore();

      // Assess
      expect(parse).not.toHaveBeenCalled();
      expect(again).toBe(read);
      expect(read).toEqual(JSON.parse(new TextDecoder().decode(doc?.bytes)));
    });

    it('still parses bytes it did not build (a copy of the same document)', () => {
      // Prepare
      const bytes = encode({ format: 'cyclonedx', specVersion: '1.6', components: [] });

      // Act & Assess
      expect(parseComponentsDocument(new Uint8Array(bytes))).toEqual({
        format: 'cyclonedx',
        specVersion: '1.6',
        components: [],
      });
    });
  });

  const trusted = testSigner('ci-2026');
  const attacker = testSigner('attacker');
  const trusting = { attestations: { keys: [trusted.trusted] } };
  const requiringSigned = trusting;
  const trustingUnsigned = { ...trusting, ...allowingUnsigned };
  const referrer = (registry: MemoryRegistry, image: Descriptor, layers: LayerSpec[], artifactType?: string) =>
    pushArtifact(registry, REPO, { layers, subject: image, ...(artifactType !== undefined && { artifactType }) });
  const sbomTag = (registry: MemoryRegistry, image: Descriptor, layers: LayerSpec[]) =>
    pushArtifact(registry, REPO, { layers, tag: `${digestToTag(image.digest)}.sbom` });

  /** An unsigned referrer SBOM holding `unsignedBom`, then the trusted signed attestation of CYCLONEDX. */
  const unsignedThenSigned = (unsignedBom: unknown) => async (registry: MemoryRegistry, image: Descriptor) => {
    await referrer(
      registry,
      image,
      [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(unsignedBom) }],
      MediaTypes.cyclonedxJson,
    );
    await referrer(registry, image, [sbomAttestation(trusted, image.digest, PredicateTypes.cyclonedx, CYCLONEDX)]);
    return undefined;
  };

  const CASES: readonly (readonly [string, readonly SbomCase[]])[] = [
    [
      'when an SBOM is attached as an OCI referrer',
      [
        {
          it: 'reads the artifact type from the manifest when the layer has a generic media type',
          policy: allowingUnsigned,
          arrange: async (registry, image) => {
            await referrer(
              registry,
              image,
              [{ mediaType: 'application/octet-stream', bytes: encode(SPDX) }],
              MediaTypes.spdxJson,
            );
          },
          status: 'PASS',
          facts: { format: 'spdx', specVersion: '2.3', componentCount: 1, source: 'referrer' },
        },
        {
          it: 'ignores referrers that are not SBOMs',
          arrange: async (registry, image) => {
            const other = 'application/vnd.example.other';
            await referrer(registry, image, [{ mediaType: other, bytes: encode({ x: 1 }) }], other);
          },
          status: 'MISSING',
        },
        {
          it: 'does not trust an index entry that claims an SBOM artifact type',
          arrange: async (registry, image) => {
            // The referrer's manifest is not an SBOM, whatever the listing says.
            const layers = [{ mediaType: 'application/vnd.example.other', bytes: encode({ x: 1 }) }];
            const { digest, descriptor } = await referrer(registry, image, layers);
            const entry = { ...descriptor, digest, artifactType: MediaTypes.cyclonedxJson };
            return { reader: listing(registry, async () => [entry]) };
          },
          status: 'MISSING',
        },
        {
          it: 'rejects an SBOM referrer whose manifest names another subject',
          arrange: async (registry) => {
            const other = await pushImage(registry, REPO, 'other', 'other-layer');
            const layers = [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }];
            const { digest, descriptor } = await referrer(registry, other, layers);
            return {
              names: { other: other.digest },
              reader: listing(registry, async () => [{ ...descriptor, digest }]),
            };
          },
          status: 'FAIL',
          reasonAbout: ({ other = '' }) => `its subject is ${other}`,
        },
      ],
    ],
    [
      'when the SBOM is attached with cosign attach sbom',
      [
        {
          it: 'passes from the sha256-<hex>.sbom tag',
          policy: allowingUnsigned,
          arrange: async (registry, image) => {
            await sbomTag(registry, image, [{ mediaType: MediaTypes.spdxJson, bytes: encode(SPDX) }]);
          },
          status: 'PASS',
          facts: ({ image }) => ({ source: 'cosign-tag', location: `tag ${digestToTag(image ?? '')}.sbom` }),
          firstDocument: { name: 'sbom.spdx.json' },
        },
        {
          it: 'fails when the tag holds no JSON SBOM layer',
          arrange: async (registry, image) => {
            await sbomTag(registry, image, [
              { mediaType: 'text/spdx', bytes: new TextEncoder().encode('SPDXVersion: SPDX-2.3') },
            ]);
          },
          status: 'FAIL',
          firstReason: 'no CycloneDX or SPDX JSON layer',
        },
      ],
    ],
    [
      'when the SBOM is an in-toto attestation',
      [
        {
          it: 'fails when no trusted key signed it',
          policy: trusting,
          arrange: async (registry, image) => {
            await referrer(registry, image, [sbomAttestation(attacker, image.digest, PredicateTypes.spdx, SPDX)]);
          },
          status: 'FAIL',
          reasons: expect.arrayContaining([expect.stringMatching(/not verified/)]),
        },
      ],
    ],
    [
      'when the policy requires a signed SBOM (sbom.requireSigned)',
      [
        {
          it: 'does not count an unsigned referrer SBOM (the default): MISSING with the policy as the reason',
          policy: requiringSigned,
          arrange: async (registry, image) => {
            const layers = [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }];
            await referrer(registry, image, layers, MediaTypes.cyclonedxJson);
          },
          status: 'MISSING',
          firstReason: 'sbom.requireSigned',
        },
        {
          it: 'passes with the signed attestation when an unsigned referrer carries the same SBOM',
          policy: requiringSigned,
          arrange: unsignedThenSigned(CYCLONEDX),
          status: 'PASS',
          facts: { source: 'attestation', componentCount: 2 },
        },
      ],
    ],
    [
      'when SBOMs of the image disagree (red-team finding 1)',
      [
        {
          it: 'fails when an unsigned referrer leaves out a component the signed SBOM lists',
          policy: requiringSigned,
          arrange: unsignedThenSigned({ ...CYCLONEDX, components: [] }),
          status: 'FAIL',
          firstReason: 'the image carries SBOMs that disagree',
          reasonsText:
            /referrer sha256:[a-f0-9]{64} disagrees with attestation .*it omits pkg:deb\/debian\/bash@5\.2-1, pkg:npm\/express@4\.18\.2/,
        },
        {
          it: 'fails when an unsigned referrer lists the same components in the same order under another lockfile digest',
          policy: requiringSigned,
          arrange: unsignedThenSigned({
            ...CYCLONEDX,
            metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: `sha256:${'e'.repeat(64)}` }] },
          }),
          status: 'FAIL',
          firstReason: 'the image carries SBOMs that disagree',
          reasonsText: /its lockfile digest is sha256:e{64}, not sha256:/,
        },
        {
          it: 'fails when an unsigned referrer swaps a component for another, keeping the count and the order',
          policy: requiringSigned,
          arrange: unsignedThenSigned({
            ...CYCLONEDX,
            components: [
              CYCLONEDX.components[0],
              { type: 'library', name: 'bash', version: '5.2-2', purl: 'pkg:deb/debian/bash@5.2-2' },
            ],
          }),
          status: 'FAIL',
          firstReason: 'the image carries SBOMs that disagree',
          reasonsText: /it adds pkg:deb\/debian\/bash@5\.2-2; it omits pkg:deb\/debian\/bash@5\.2-1/,
        },
        {
          it: 'lets a signed SBOM outrank an unsigned one listed first, even where unsigned ones count',
          policy: trustingUnsigned,
          arrange: unsignedThenSigned(CYCLONEDX),
          status: 'PASS',
          facts: { source: 'attestation' },
        },
        {
          it: 'fails without reading them all when more SBOM referrers are attached than any build attaches',
          policy: requiringSigned,
          arrange: async (registry, image) => {
            for (let i = 0; i <= Limits.sbomReferrers; i++) {
              const bom = {
                ...CYCLONEDX,
                serialNumber: `urn:uuid:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
              };
              await referrer(registry, image, [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(bom) }]);
            }
            return undefined;
          },
          status: 'FAIL',
          firstReason: `has ${Limits.sbomReferrers + 1} SBOM referrers, above the limit of ${Limits.sbomReferrers}`,
        },
        {
          it: 'fails when two unsigned SBOMs disagree, where unsigned ones count',
          policy: allowingUnsigned,
          arrange: async (registry, image) => {
            await referrer(registry, image, [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }]);
            await sbomTag(registry, image, [{ mediaType: MediaTypes.spdxJson, bytes: encode(SPDX) }]);
          },
          status: 'FAIL',
          firstReason: 'the image carries SBOMs that disagree',
        },
      ],
    ],
    [
      'when the SBOM found is unusable',
      [
        {
          it: 'fails on an SBOM that does not parse',
          arrange: async (registry, image) => {
            const bytes = encode({ bomFormat: 'CycloneDX', specVersion: '9.9' });
            await referrer(registry, image, [{ mediaType: MediaTypes.cyclonedxJson, bytes }]);
          },
          status: 'FAIL',
          firstReason: /no usable SBOM: referrer sha256:[a-f0-9]{64}: not a valid CycloneDX document/,
        },
        {
          it: 'fails on a layer above the SBOM size limit without fetching it',
          arrange: async (registry, image) => {
            const blob = await pushBlob(registry, REPO, MediaTypes.cyclonedxJson, encode(CYCLONEDX));
            const config = await pushBlob(registry, REPO, MediaTypes.ociEmpty, encode({}));
            const layers = [{ ...blob, size: Limits.sbomBytes + 1 }];
            const manifest = encode({
              schemaVersion: 2,
              mediaType: MediaTypes.ociManifest,
              config,
              layers,
              subject: image,
            });
            await registry.putManifest(REPO, manifest, MediaTypes.ociManifest);
          },
          status: 'FAIL',
          firstReason: 'above the limit',
        },
        {
          it: 'fails when the SBOM blob does not hash to its digest',
          arrange: async (registry, image) => {
            const { layers } = await referrer(registry, image, [
              { mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) },
            ]);
            registry.corrupt(REPO, layers[0]?.digest ?? '', encode({ ...CYCLONEDX, components: [] }));
          },
          status: 'FAIL',
          firstReason: 'hashes to',
        },
        {
          it: 'passes with a later good source and names the rejected one',
          policy: allowingUnsigned,
          arrange: async (registry, image) => {
            await referrer(registry, image, [
              { mediaType: MediaTypes.cyclonedxJson, bytes: new TextEncoder().encode('not json') },
            ]);
            await sbomTag(registry, image, [{ mediaType: MediaTypes.spdxJson, bytes: encode(SPDX) }]);
          },
          status: 'PASS',
          facts: { source: 'cosign-tag' },
          reasons: expect.arrayContaining([expect.stringMatching(/^ignored: referrer/)]),
        },
        {
          it: 'fails when the image has more referrers than the limit',
          arrange: async (registry, image) => ({
            reader: listing(registry, async () => Array.from({ length: Limits.referrers + 1 }, () => image)),
          }),
          status: 'FAIL',
          firstReason: 'referrers, above the limit',
        },
      ],
    ],
  ];

  describe.each(CASES)('%s', (_when, cases) => {
    it.each(cases.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Prepare
      const arranged = await c.arrange(registry, image);
      const names = { image: image.digest, ...arranged?.names };
      const ctx = collectContext({
        subject,
        registry: arranged?.reader ?? registry,
        ...(c.policy && { policy: c.policy }),
      });

      // Act
      const result = await collectSbom(ctx);

      // Assess
      const facts = typeof c.facts === 'function' ? c.facts(names) : c.facts;
      expectEvidence(result, { ...c, facts, firstReason: c.reasonAbout?.(names) ?? c.firstReason });
      if (c.firstDocument !== undefined) expect(result.documents[0]).toMatchObject(c.firstDocument);
    });
  });

  describe('when a trusted key signed the in-toto SBOM attestation', () => {
    it('passes and stores the envelope', async () => {
      // Prepare
      const layer = sbomAttestation(trusted, image.digest, PredicateTypes.cyclonedx, CYCLONEDX);
      await referrer(registry, image, [layer], MediaTypes.inTotoPayload);

      // Act
      const result = await collectSbom(collectContext({ subject, registry, policy: trusting }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ source: 'attestation', componentCount: 2, lockfileDigest: LOCK });
      expect(String(result.facts.location)).toContain('signed by ci-2026');
      expect(result.documents[0]).toEqual({
        name: 'sbom.intoto.dsse.json',
        mediaType: MediaTypes.dsseEnvelope,
        bytes: layer.bytes,
      });
    });
  });

  describe('when no SBOM is attached', () => {
    it('reports MISSING', async () => {
      // Act
      const result = await collectSbom(collectContext({ subject, registry, policy: allowingUnsigned }));

      // Assess
      expect(result).toMatchObject({ kind: 'sbom', status: 'MISSING', documents: [] });
      expect(result.reasons[0]).toContain(`no SBOM found for ${REPO}@${image.digest}`);
    });
  });

  describe('when the registry fails', () => {
    it('throws, so the handler records ERROR and the workflow retries', async () => {
      // Prepare
      registry.failOn('listReferrers', new RegistryError('503 from registry'));

      // Act & Assess
      await expect(collectSbom(collectContext({ subject, registry }))).rejects.toThrow('503 from registry');
    });
  });
});

describe('Function: collectSbom of a multi-platform image with BuildKit SBOM attestations (red-team finding 24)', () => {
  const ci = testSigner('ci');
  const stranger = testSigner('stranger');
  const ARM64 = 'linux/arm64/v8';

  /** `buildx build --sbom=true` for two platforms: one bare SPDX statement per platform in the index. */
  async function buildkitRelease(attested: readonly string[] = ['linux/amd64', ARM64]) {
    const registry = new MemoryRegistry();
    const image = buildImage({
      files: [{ path: 'app/app.py', content: 'print(1)\n' }],
      platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
    });
    const label = (digest: Digest) =>
      image.platforms
        .filter((p) => p.manifest.digest === digest)
        .map((p) => [p.platform.os, p.platform.architecture, p.platform.variant].filter(Boolean).join('/'))[0];
    const index = await pushBuildkitIndex(registry, REPO, image, (m) =>
      attested.includes(label(m.digest) ?? '')
        ? [
            {
              bytes: bytesOf(
                statementAbout({ name: REPO, digest: m.digest }, PredicateTypes.spdx, SPDX, StatementTypes.v01),
              ),
              predicateType: PredicateTypes.spdx,
            },
          ]
        : [],
    );
    const arm64 = image.platforms.find((p) => p.platform.architecture === 'arm64')?.manifest.digest;
    return { registry, index, arm64 };
  }

  /** A cosign signature over `digest` by `by` (tag `sha256-….sig`). */
  async function sign(registry: MemoryRegistry, digest: Digest, by: TestSigner) {
    const signature = cosignSign(by.privateKey, simpleSigningPayload(REPO, digest));
    await pushManifest(registry, REPO, cosignSignatureManifest([signature]), cosignTag(digest, 'sig'));
  }

  /** Collects the SBOM of the BuildKit release, its index signed by `signer`, under `acceptBuildkit`. */
  async function collect(signer: TestSigner, acceptBuildkit: boolean, attested?: readonly string[]) {
    const { registry, index, arm64 } = await buildkitRelease(attested);
    await sign(registry, index, signer);
    const policy = { sbom: { acceptBuildkit }, signature: { keys: [ci.trusted] } };
    const result = await collectSbom(
      collectContext({ subject: { repository: REPO, digest: index }, registry, policy }),
    );
    return { result, arm64 };
  }

  describe('when the policy accepts them and a trusted key signed the index', () => {
    it('passes per platform and merges the inventories', async () => {
      // Act
      const { result } = await collect(ci, true);

      // Assess
      expect(result.status, result.reasons.join('\n')).toBe('PASS');
      expect(result.reasons[1]).toMatch(
        /^platform linux\/amd64: spdx 2\.3 SBOM from BuildKit attestation-manifest sha256:[a-f0-9]{64} under the signed index sha256:[a-f0-9]{64}: 1 components/,
      );
      expect(result.facts).toMatchObject({ source: 'platforms', componentCount: 1 });
    });
  });

  describe('when the index is signed by an untrusted key', () => {
    it('fails each platform: unsigned BuildKit statements are pinned only by a trusted index signature', async () => {
      // Act
      const { result } = await collect(stranger, true);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        expect.stringMatching(
          /^platform linux\/amd64 \(sha256:[a-f0-9]{64}\): FAIL: no usable SBOM: BuildKit .* carries no verified signature$/,
        ),
        expect.stringMatching(
          /^platform linux\/arm64\/v8 \(sha256:[a-f0-9]{64}\): FAIL: no usable SBOM: BuildKit .* carries no verified signature$/,
        ),
      ]);
    });
  });

  describe('when the policy does not accept them', () => {
    it('does not read them: every platform lacks a signed SBOM', async () => {
      // Act
      const { result } = await collect(ci, false);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.map((r) => r.split(':')[0])).toEqual([
        'platform linux/amd64 (sha256',
        `platform ${ARM64} (sha256`,
      ]);
      expect(result.reasons.every((r) => r.includes('MISSING: no signed SBOM attestation found'))).toBe(true);
    });
  });

  describe('when BuildKit attested one platform only', () => {
    it('fails naming the other platform', async () => {
      // Act
      const { result, arm64 } = await collect(ci, true, ['linux/amd64']);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `platform ${ARM64} (${arm64}): MISSING: no signed SBOM attestation found for ${REPO}@${arm64} (policy sbom.requireSigned)`,
      ]);
      expect(result.facts.platforms).toEqual([
        expect.objectContaining({ platform: 'linux/amd64', status: 'PASS' }),
        expect.objectContaining({ platform: ARM64, status: 'MISSING' }),
      ]);
    });
  });
});

describe('Function: collectSbom of an index with more platforms than are gated one by one (red-team finding 24)', () => {
  it('fails with the limit instead of collecting each', async () => {
    // Prepare
    const registry = new MemoryRegistry();
    const images = Array.from({ length: Limits.gatedPlatforms + 1 }, (_, i) =>
      oneFileImage('many', { os: 'linux', architecture: `arch${i}` }),
    );
    const index = await pushManifest(registry, REPO, indexOf(images));

    // Act
    const result = await collectSbom(collectContext({ subject: { repository: REPO, digest: index }, registry }));

    // Assess
    expect(result.status).toBe('FAIL');
    expect(result.reasons).toEqual([
      `index ${index} has ${Limits.gatedPlatforms + 1} platforms, above the limit of ${Limits.gatedPlatforms}`,
    ]);
  });
});
