import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateNotationChain,
  type NotationTestChain,
  notationSignatureManifest,
  signNotationJws,
} from '../../cli/fixtures/notation.js';
import { findNotationSignatures } from '../../lambdas/domain/notation/discover.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import { type LayerSpec, pushArtifact, pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'app/notation';
const NOTARY = 'application/vnd.cncf.notary.signature';
const JWS = 'application/jose+json';

let chain: NotationTestChain;

beforeAll(async () => {
  chain = await generateNotationChain();
});

describe('Function: findNotationSignatures', () => {
  describe('when the image has a Notation referrer built by the fixture', () => {
    it('returns the envelope bytes with their source', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO, 'v1');
      const envelope = signNotationJws(chain, image);
      const built = notationSignatureManifest(image, envelope, chain.chain);
      for (const blob of built.blobs) await registry.putBlob(REPO, blob.digest, blob.bytes);
      const digest = await registry.putManifest(REPO, built.bytes, built.mediaType);

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found).toHaveLength(1);
      expect(found[0]?.source).toBe(`referrer ${digest}`);
      expect(found[0]?.envelopeMediaType).toBe(JWS);
      expect(Buffer.from(found[0]?.envelope ?? []).equals(Buffer.from(envelope))).toBe(true);
    });
  });

  /** What the image's referrers hold, and what is found: envelope media types, or why the one found is unreadable. */
  interface DiscoverCase {
    readonly when: string;
    readonly it: string;
    readonly arrange: (registry: MemoryRegistry, image: Descriptor) => Promise<unknown>;
    readonly envelopeTypes?: readonly string[];
    readonly unreadable?: RegExp;
  }

  const referrer = (
    registry: MemoryRegistry,
    image: Descriptor,
    layers: LayerSpec[],
    types: { artifactType?: string; configMediaType?: string },
  ) => pushArtifact(registry, REPO, { layers, subject: image, ...types });

  const CASES: readonly DiscoverCase[] = [
    {
      when: 'the signature uses the OCI 1.0 form (no artifactType, config media type)',
      it: 'finds it',
      arrange: (registry, image) =>
        referrer(registry, image, [{ mediaType: JWS, bytes: signNotationJws(chain, image) }], {
          configMediaType: NOTARY,
        }),
      envelopeTypes: [JWS],
    },
    {
      when: 'the only referrer is another kind of artifact',
      it: 'returns nothing',
      arrange: (registry, image) =>
        referrer(
          registry,
          image,
          [{ mediaType: MediaTypes.sigstoreBundleV03, bytes: new TextEncoder().encode('{}') }],
          {
            artifactType: MediaTypes.sigstoreBundleV03,
          },
        ),
      envelopeTypes: [],
    },
    {
      when: 'a signature manifest has two layers',
      it: 'reports it unreadable instead of choosing one',
      arrange: (registry, image) =>
        referrer(
          registry,
          image,
          [
            { mediaType: JWS, bytes: signNotationJws(chain, image) },
            { mediaType: JWS, bytes: new TextEncoder().encode('{"other":1}') },
          ],
          { artifactType: NOTARY },
        ),
      unreadable: /exactly one layer/,
    },
    {
      when: 'the envelope blob was tampered with in the registry',
      it: 'reports it unreadable',
      arrange: async (registry, image) => {
        const layer = { mediaType: JWS, bytes: signNotationJws(chain, image) };
        const { layers } = await referrer(registry, image, [layer], { artifactType: NOTARY });
        registry.corrupt(REPO, layers[0]?.digest ?? '', new TextEncoder().encode('{}'));
      },
      unreadable: /unreadable/,
    },
    {
      when: 'the layer media type is not a Notation envelope',
      it: 'reports it unreadable',
      arrange: (registry, image) =>
        referrer(registry, image, [{ mediaType: 'application/octet-stream', bytes: new Uint8Array([1, 2, 3]) }], {
          artifactType: NOTARY,
        }),
      unreadable: /application\/octet-stream/,
    },
  ];

  describe.each(CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      await c.arrange(registry, image);

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      if (c.envelopeTypes !== undefined) expect(found.map((f) => f.envelopeMediaType)).toEqual(c.envelopeTypes);
      if (c.unreadable !== undefined) {
        expect(found[0]?.envelope).toBeUndefined();
        expect(found[0]?.unreadable).toMatch(c.unreadable);
      }
    });
  });
});
