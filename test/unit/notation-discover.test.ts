import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateNotationChain,
  type NotationTestChain,
  notationSignatureManifest,
  signNotationJws,
} from '../../cli/fixtures/notation.js';
import { findNotationSignatures } from '../../lambdas/domain/notation/discover.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import { pushArtifact, pushImage } from '../support/images.js';
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

  describe('when the signature uses the OCI 1.0 form (no artifactType, config media type)', () => {
    it('finds it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      await pushArtifact(registry, REPO, {
        configMediaType: NOTARY,
        layers: [{ mediaType: JWS, bytes: signNotationJws(chain, image) }],
        subject: image,
      });

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found.map((f) => f.envelopeMediaType)).toEqual([JWS]);
    });
  });

  describe('when the only referrer is another kind of artifact', () => {
    it('returns nothing', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.sigstoreBundleV03,
        layers: [{ mediaType: MediaTypes.sigstoreBundleV03, bytes: new Uint8Array(Buffer.from('{}')) }],
        subject: image,
      });

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found).toEqual([]);
    });
  });

  describe('when a signature manifest has two layers', () => {
    it('reports it unreadable instead of choosing one', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      const envelope = signNotationJws(chain, image);
      await pushArtifact(registry, REPO, {
        artifactType: NOTARY,
        layers: [
          { mediaType: JWS, bytes: envelope },
          { mediaType: JWS, bytes: new Uint8Array(Buffer.from('{"other":1}')) },
        ],
        subject: image,
      });

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found[0]?.envelope).toBeUndefined();
      expect(found[0]?.unreadable).toMatch(/exactly one layer/);
    });
  });

  describe('when the envelope blob was tampered with in the registry', () => {
    it('reports it unreadable', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      const { layers } = await pushArtifact(registry, REPO, {
        artifactType: NOTARY,
        layers: [{ mediaType: JWS, bytes: signNotationJws(chain, image) }],
        subject: image,
      });
      const layer = layers[0];
      if (layer === undefined) throw new Error('no layer');
      registry.corrupt(REPO, layer.digest, new Uint8Array(Buffer.from('{}')));

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found[0]?.unreadable).toMatch(/unreadable/);
    });
  });

  describe('when the layer media type is not a Notation envelope', () => {
    it('reports it unreadable', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);
      await pushArtifact(registry, REPO, {
        artifactType: NOTARY,
        layers: [{ mediaType: 'application/octet-stream', bytes: new Uint8Array([1, 2, 3]) }],
        subject: image,
      });

      // Act
      const found = await findNotationSignatures(registry, REPO, image.digest);

      // Assess
      expect(found[0]?.unreadable).toMatch(/application\/octet-stream/);
    });
  });
});
