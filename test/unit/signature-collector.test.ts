import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateNotationChain,
  type NotationTestChain,
  notationSignatureManifest,
  signNotationJws,
} from '../../cli/fixtures/notation.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { sigstoreBundleReferrer, sigstoreImageBundle, tamperSigstoreBundle } from '../../cli/fixtures/sigstore.js';
import { tamperNotationJws } from '../../cli/fixtures/tamper.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectSignature } from '../../lambdas/domain/evidence/signature.js';
import { Annotations, type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'app/x';

interface Signer {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly trusted: { id: string; publicKey: string };
}

function signer(id: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { id, privateKey, trusted: { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

function simpleSigning(digest: string, reference = `registry.example.com/${REPO}:1.0`): Uint8Array {
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': reference },
          image: { 'docker-manifest-digest': digest },
          type: 'cosign container image signature',
        },
        optional: { creator: 'test' },
      }),
    ),
  );
}

function signatureLayer(
  by: Signer,
  payload: Uint8Array,
): { mediaType: string; bytes: Uint8Array; annotations: Record<string, string> } {
  return {
    mediaType: MediaTypes.cosignSimpleSigning,
    bytes: payload,
    annotations: { [Annotations.cosignSignature]: sign('sha256', payload, by.privateKey).toString('base64') },
  };
}

async function setup(
  policy: Record<string, unknown> = {},
): Promise<{ registry: MemoryRegistry; image: Descriptor; ctx: CollectContext }> {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, REPO, '1.0');
  const ctx: CollectContext = {
    subject: { repository: REPO, digest: image.digest },
    registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['app/*'], ...policy }),
    now: new Date('2026-11-25T00:00:00Z'),
    releases: { getEvidence: async () => null, lastPromotion: async () => null },
    documents: { get: async () => Promise.reject(new Error('not used')) },
    scans: { getFindings: async () => Promise.reject(new Error('not used')) },
  };
  return { registry, image, ctx };
}

const sigTag = (digest: string): string => `${digestToTag(digest)}.sig`;

/** Pushes a cosign v3 style Sigstore bundle referrer of `image`; returns the referrer digest. */
async function pushBundle(
  registry: MemoryRegistry,
  image: Descriptor,
  by: Signer,
  alter: (bundle: Uint8Array) => Uint8Array = (b) => b,
): Promise<string> {
  const bundle = sigstoreImageBundle(by.privateKey, { name: REPO, digest: image.digest });
  return pushManifest(registry, REPO, sigstoreBundleReferrer(image, alter(bundle)));
}

/** Pushes a Notation JWS signature referrer of `image`; returns the referrer digest. */
async function pushNotation(
  registry: MemoryRegistry,
  image: Descriptor,
  chain: NotationTestChain,
  alter: (envelope: Uint8Array) => Uint8Array = (e) => e,
): Promise<string> {
  const envelope = alter(signNotationJws(chain, image));
  return pushManifest(registry, REPO, notationSignatureManifest(image, envelope, chain.chain));
}

/** `signature.notation` trusting `anchor`'s root and the default fixture leaf subject. */
function notationTrust(anchor: NotationTestChain): Record<string, unknown> {
  return {
    trustAnchors: [{ id: 'test-root', certificate: anchor.root.pem }],
    trustedIdentities: [`x509.subject: ${anchor.leafSubject}`],
  };
}

describe('Function: collectSignature', () => {
  const ci = signer('ci');
  const release = signer('release');
  const stranger = signer('stranger');

  describe('when the .sig tag holds a signature by a trusted key over this image', () => {
    it('passes with the signer in facts and the payload in documents', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      const payload = simpleSigning(image.digest);
      await pushArtifact(registry, REPO, { layers: [signatureLayer(ci, payload)], tag: sigTag(image.digest) });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({ signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] });
      expect(result.documents.map((d) => d.name)).toEqual(['signature-1.payload.json', 'signatures.json']);
      expect(result.documents[0]?.bytes).toEqual(payload);
    });
  });

  describe('when the signature is attached as an OCI referrer', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      await pushArtifact(registry, REPO, {
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        layers: [signatureLayer(ci, simpleSigning(image.digest))],
        subject: image,
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({ signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] });
    });
  });

  describe('when there is no signature at all', () => {
    it('is MISSING', async () => {
      // Prepare
      const { ctx } = await setup({ signature: { keys: [ci.trusted] } });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when the policy trusts no signing key', () => {
    it('fails even with a signature present', async () => {
      // Prepare
      const { registry, image, ctx } = await setup();
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(ci, simpleSigning(image.digest))],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `policy trusts no signing key for ${REPO} (configure signature.keys, signature.sigstore or signature.notation)`,
      ]);
    });
  });

  describe('when the signing key is not trusted', () => {
    it('fails naming the signature and the repository', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(stranger, simpleSigning(image.digest))],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `signature 1 in tag ${sigTag(image.digest)}: signed by a key not trusted for repository ${REPO}`,
      ]);
      expect(result.facts).toEqual({ signers: [], found: 1, accepted: 0, kinds: [] });
    });
  });

  describe('when the trusted signature covers another image', () => {
    it('fails with the digest it covers', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      const other = await pushImage(registry, REPO, undefined, 'other');
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(ci, simpleSigning(other.digest))],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `signature 1 in tag ${sigTag(image.digest)}: signature covers ${other.digest} not this image ${image.digest}`,
      ]);
    });
  });

  describe('when the trusted signature names another repository', () => {
    it('fails with an identity mismatch', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      const payload = simpleSigning(image.digest, 'registry.example.com/app/other:1.0');
      await pushArtifact(registry, REPO, { layers: [signatureLayer(ci, payload)], tag: sigTag(image.digest) });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `signature 1 in tag ${sigTag(image.digest)}: signature identity "registry.example.com/app/other:1.0" does not match repository ${REPO}`,
      ]);
    });
  });

  describe('when the reference matches an allowed prefix', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        signature: { keys: [ci.trusted], allowedReferencePrefixes: ['ci-registry.example.com/staging'] },
      });
      const payload = simpleSigning(image.digest, 'ci-registry.example.com/staging/x:build-7');
      await pushArtifact(registry, REPO, { layers: [signatureLayer(ci, payload)], tag: sigTag(image.digest) });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
    });
  });

  describe('when a signature layer has no signature annotation', () => {
    it('fails saying so', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cosignSimpleSigning, bytes: simpleSigning(image.digest) }],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `signature 1 in tag ${sigTag(image.digest)}: layer has no dev.cosignproject.cosign/signature annotation`,
      ]);
    });
  });

  describe('when the registry serves a payload that does not hash to its digest', () => {
    it('fails with the payload unreadable', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      const layer = signatureLayer(ci, simpleSigning(image.digest));
      const { layers } = await pushArtifact(registry, REPO, { layers: [layer], tag: sigTag(image.digest) });
      const layerDigest = layers[0]?.digest ?? '';
      registry.corrupt(REPO, layerDigest, simpleSigning(image.digest, 'evil/x'));

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`payload blob ${layerDigest} unreadable`);
    });
  });

  describe('when the policy needs two signers and one trusted key signed twice', () => {
    it('fails: distinct signers count, not signatures', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        signature: { keys: [ci.trusted, release.trusted], minSigners: 2 },
      });
      await pushArtifact(registry, REPO, {
        layers: [
          signatureLayer(ci, simpleSigning(image.digest)),
          signatureLayer(ci, simpleSigning(image.digest, REPO)),
        ],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['1 distinct trusted signer(s) (ci), policy requires 2']);
      expect(result.facts).toEqual({ signers: ['ci'], found: 2, accepted: 2, kinds: ['cosign'] });
    });
  });

  describe('when the policy needs two signers and two trusted keys signed', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        signature: { keys: [ci.trusted, release.trusted], minSigners: 2 },
      });
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(ci, simpleSigning(image.digest)), signatureLayer(release, simpleSigning(image.digest))],
        tag: sigTag(image.digest),
      });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({ signers: ['ci', 'release'], found: 2, accepted: 2, kinds: ['cosign'] });
    });
  });

  describe('when a key-based Sigstore bundle by a trusted key signs this image', () => {
    it('passes with the key id as signer and the bundle in documents', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      await pushBundle(registry, image, ci);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({ signers: ['ci'], found: 1, accepted: 1, kinds: ['sigstore-bundle'] });
      expect(result.documents.map((d) => [d.name, d.mediaType])).toEqual([
        ['sigstore-bundle-1.json', MediaTypes.sigstoreBundleV03],
        ['signatures.json', 'application/json'],
      ]);
    });
  });

  describe('when the Sigstore bundle was altered after signing', () => {
    it('fails saying the signed content was altered', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      const referrer = await pushBundle(registry, image, ci, tamperSigstoreBundle);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toHaveLength(1);
      expect(result.reasons[0]).toContain(`Sigstore bundle in referrer ${referrer}: `);
      expect(result.reasons[0]).toContain('does not verify with trusted key ci');
      expect(result.reasons[0]).toContain('altered');
      expect(result.facts).toEqual({ signers: [], found: 1, accepted: 0, kinds: [] });
    });
  });

  describe('when a Notation signature chains to a trusted anchor and names a trusted identity', () => {
    it('passes with the certificate subject as signer', async () => {
      // Prepare
      const chain = await generateNotationChain({ caName: 'Release Gate Demo' });
      const { registry, image, ctx } = await setup({ signature: { notation: notationTrust(chain) } });
      await pushNotation(registry, image, chain);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual(['signed by C=US, ST=WA, O=Release Gate Demo, CN=ci']);
      expect(result.facts).toEqual({
        signers: ['C=US, ST=WA, O=Release Gate Demo, CN=ci'],
        found: 1,
        accepted: 1,
        kinds: ['notation'],
      });
      expect(result.documents.map((d) => d.name)).toEqual(['notation-signature-1.jws', 'signatures.json']);
    });
  });

  describe('when the Notation payload was altered after signing', () => {
    it('fails on integrity', async () => {
      // Prepare
      const chain = await generateNotationChain({ caName: 'Release Gate Demo' });
      const { registry, image, ctx } = await setup({ signature: { notation: notationTrust(chain) } });
      const referrer = await pushNotation(registry, image, chain, tamperNotationJws);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toHaveLength(1);
      expect(result.reasons[0]).toContain(`Notation signature in referrer ${referrer}: `);
      expect(result.reasons[0]).toContain('the JWS signature does not verify with the signing certificate key');
      expect(result.facts).toEqual({ signers: [], found: 1, accepted: 0, kinds: [] });
    });
  });

  describe('when the Notation chain ends at a root the policy does not trust', () => {
    it('fails naming the untrusted anchor', async () => {
      // Prepare: same leaf subject, another CA.
      const signing = await generateNotationChain({ caName: 'Rogue CA' });
      const trusted = await generateNotationChain({ caName: 'Release Gate Demo' });
      const { registry, image, ctx } = await setup({ signature: { notation: notationTrust(trusted) } });
      await pushNotation(registry, image, signing);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toHaveLength(1);
      expect(result.reasons[0]).toContain('O=Rogue CA, CN=Rogue CA Root');
      expect(result.reasons[0]).toContain('reaches none of the trust anchors test-root');
    });
  });

  describe('when the policy needs two signers and one cosign key and one Notation signer signed', () => {
    it('passes with both signers, one per format', async () => {
      // Prepare
      const chain = await generateNotationChain({ caName: 'Release Gate Demo' });
      const { registry, image, ctx } = await setup({
        signature: { keys: [ci.trusted], minSigners: 2, notation: notationTrust(chain) },
      });
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(ci, simpleSigning(image.digest))],
        tag: sigTag(image.digest),
      });
      await pushNotation(registry, image, chain);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({
        signers: ['ci', 'C=US, ST=WA, O=Release Gate Demo, CN=ci'],
        found: 2,
        accepted: 2,
        kinds: ['cosign', 'notation'],
      });
    });
  });

  describe('when the policy accepts only cosign and a valid Notation signature is present too', () => {
    it('ignores the Notation signature', async () => {
      // Prepare
      const chain = await generateNotationChain({ caName: 'Release Gate Demo' });
      const { registry, image, ctx } = await setup({
        signature: { keys: [ci.trusted], minSigners: 2, accept: ['cosign'], notation: notationTrust(chain) },
      });
      await pushArtifact(registry, REPO, {
        layers: [signatureLayer(ci, simpleSigning(image.digest))],
        tag: sigTag(image.digest),
      });
      await pushNotation(registry, image, chain);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['1 distinct trusted signer(s) (ci), policy requires 2']);
      expect(result.facts).toEqual({ signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] });
    });
  });

  describe('when the registry fails while listing referrers', () => {
    it('propagates the error', async () => {
      // Prepare
      const { registry, ctx } = await setup({ signature: { keys: [ci.trusted] } });
      registry.failOn('listReferrers', new RegistryError('registry answered 503'));

      // Act
      const act = collectSignature(ctx);

      // Assess
      await expect(act).rejects.toThrow(RegistryError);
    });
  });
});
