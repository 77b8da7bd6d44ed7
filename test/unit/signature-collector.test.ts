import { describe, expect, it } from 'vitest';
import {
  generateNotationChain,
  type NotationTestChain,
  notationSignatureManifest,
  signNotationJws,
} from '../../cli/fixtures/notation.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { sigstoreBundleReferrer, sigstoreImageBundle, tamperSigstoreBundle } from '../../cli/fixtures/sigstore.js';
import { tamperNotationJws } from '../../cli/fixtures/tamper.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import { collectSignature } from '../../lambdas/domain/evidence/signature.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { type ExpectedEvidence, expectEvidence, stringContainingAll } from '../support/matchers.js';
import { collectContext, imageContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { cosignSignatureLayer, type TestSigner, testSigner } from '../support/signers.js';

/** The trusted Notation test chain of these cases. */
const chain = await generateNotationChain({ caName: 'Release Gate Demo' });

const REPO = 'app/x';

/** The simple-signing payload cosign signs: this digest, under a reference to this repository unless given. */
const simpleSigning = (digest: Digest, reference = `${REPO}:1.0`): Uint8Array =>
  simpleSigningPayload(reference, digest, { creator: 'test' });

const sigTag = (digest: string): string => `${digestToTag(digest)}.sig`;

/** Pushes cosign signature layers under the image's `.sig` tag; returns the layer descriptors. */
async function pushSigTag(
  registry: MemoryRegistry,
  image: Descriptor,
  layers: Parameters<typeof pushArtifact>[2]['layers'],
): Promise<Descriptor[]> {
  return (await pushArtifact(registry, REPO, { layers, tag: sigTag(image.digest) })).layers;
}

/** Pushes a cosign v3 style Sigstore bundle referrer of `image`; returns the referrer digest. */
async function pushBundle(
  registry: MemoryRegistry,
  image: Descriptor,
  by: TestSigner,
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

/** What a row arranged, by name (digests of what it pushed), plus the image and its `.sig` tag. */
type Names = Readonly<Record<string, string>> & { readonly image: Digest; readonly tag: string };

interface SignatureCase extends Omit<ExpectedEvidence, 'reasons'> {
  readonly when: string;
  readonly it: string;
  /** The policy's `signature` block. @default - trusts the ci key */
  readonly signature?: Record<string, unknown>;
  readonly arrange: (
    registry: MemoryRegistry,
    image: Descriptor,
  ) => Promise<Readonly<Record<string, string>> | undefined>;
  /** The reasons, whole, naming what was arranged. */
  readonly reasons?: (names: Names) => readonly unknown[];
  readonly documentTypes?: readonly string[];
}

const NOTATION_SIGNER = 'C=US, ST=WA, O=Release Gate Demo, CN=ci';
const nobody = { signers: [], found: 1, accepted: 0, kinds: [] };
const nothing = async () => undefined;

describe('Function: collectSignature', () => {
  const ci = testSigner('ci');
  const release = testSigner('release');
  const stranger = testSigner('stranger');

  describe('when the .sig tag holds a signature by a trusted key over this image', () => {
    it('passes with the signer in facts and the payload in documents', async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, { signature: { keys: [ci.trusted] } });
      const payload = simpleSigning(image.digest);
      await pushSigTag(registry, image, [cosignSignatureLayer(ci, payload)]);

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({ signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] });
      expect(result.documents.map((d) => d.name)).toEqual(['signature-1.payload.json', 'signatures.json']);
      expect(result.documents[0]?.bytes).toEqual(payload);
    });
  });

  const trusting = (signature: Record<string, unknown>) => ({ keys: [ci.trusted], ...signature });
  const cosignBy =
    (...signers: readonly TestSigner[]) =>
    async (registry: MemoryRegistry, image: Descriptor) => {
      await pushSigTag(
        registry,
        image,
        signers.map((by) => cosignSignatureLayer(by, simpleSigning(image.digest))),
      );
      return undefined;
    };

  const CASES: readonly SignatureCase[] = [
    {
      when: 'the signature is attached as an OCI referrer',
      it: 'passes',
      arrange: async (registry, image) => {
        await pushArtifact(registry, REPO, {
          artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
          layers: [cosignSignatureLayer(ci, simpleSigning(image.digest))],
          subject: image,
        });
        return undefined;
      },
      status: 'PASS',
      exactFacts: { signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] },
    },
    { when: 'there is no signature at all', it: 'is MISSING', arrange: nothing, status: 'MISSING' },
    {
      when: 'the policy trusts no signing key',
      it: 'fails even with a signature present',
      signature: {},
      arrange: cosignBy(ci),
      status: 'FAIL',
      reasons: () => [
        `policy trusts no signing key for ${REPO} (configure signature.keys, signature.sigstore or signature.notation)`,
      ],
    },
    {
      when: 'the signing key is not trusted',
      it: 'fails naming the signature and the repository',
      arrange: cosignBy(stranger),
      status: 'FAIL',
      reasons: ({ tag }) => [`signature 1 in tag ${tag}: signed by a key not trusted for repository ${REPO}`],
      exactFacts: nobody,
    },
    {
      when: 'the trusted signature covers another image',
      it: 'fails with the digest it covers',
      arrange: async (registry, image) => {
        const other = await pushImage(registry, REPO, undefined, 'other');
        await pushSigTag(registry, image, [cosignSignatureLayer(ci, simpleSigning(other.digest))]);
        return { other: other.digest };
      },
      status: 'FAIL',
      reasons: ({ tag, other, image }) => [
        `signature 1 in tag ${tag}: signature covers ${other} not this image ${image}`,
      ],
    },
    {
      when: 'the trusted signature names another repository',
      it: 'fails with an identity mismatch',
      arrange: async (registry, image) => {
        const payload = simpleSigning(image.digest, 'registry.example.com/app/other:1.0');
        await pushSigTag(registry, image, [cosignSignatureLayer(ci, payload)]);
        return undefined;
      },
      status: 'FAIL',
      reasons: ({ tag }) => [
        `signature 1 in tag ${tag}: signature identity "registry.example.com/app/other:1.0" does not match repository ${REPO}`,
      ],
    },
    {
      when: 'the reference matches an allowed prefix',
      it: 'passes',
      signature: trusting({ allowedReferencePrefixes: ['ci-registry.example.com/staging'] }),
      arrange: async (registry, image) => {
        const payload = simpleSigning(image.digest, 'ci-registry.example.com/staging/x:build-7');
        await pushSigTag(registry, image, [cosignSignatureLayer(ci, payload)]);
        return undefined;
      },
      status: 'PASS',
    },
    {
      when: 'a signature layer has no signature annotation',
      it: 'fails saying so',
      arrange: async (registry, image) => {
        await pushSigTag(registry, image, [
          { mediaType: MediaTypes.cosignSimpleSigning, bytes: simpleSigning(image.digest) },
        ]);
        return undefined;
      },
      status: 'FAIL',
      reasons: ({ tag }) => [`signature 1 in tag ${tag}: layer has no dev.cosignproject.cosign/signature annotation`],
    },
    {
      when: 'the registry serves a payload that does not hash to its digest',
      it: 'fails with the payload unreadable',
      arrange: async (registry, image) => {
        const [layer] = await pushSigTag(registry, image, [cosignSignatureLayer(ci, simpleSigning(image.digest))]);
        registry.corrupt(REPO, layer?.digest ?? '', simpleSigning(image.digest, 'evil/x'));
        return { layer: layer?.digest ?? '' };
      },
      status: 'FAIL',
      reasons: ({ layer }) => [expect.stringContaining(`payload blob ${layer} unreadable`)],
    },
    {
      when: 'the policy needs two signers and one trusted key signed twice',
      it: 'fails: distinct signers count, not signatures',
      signature: trusting({ keys: [ci.trusted, release.trusted], minSigners: 2 }),
      arrange: async (registry, image) => {
        const payloads = [simpleSigning(image.digest), simpleSigning(image.digest, REPO)];
        await pushSigTag(
          registry,
          image,
          payloads.map((p) => cosignSignatureLayer(ci, p)),
        );
        return undefined;
      },
      status: 'FAIL',
      reasons: () => ['1 distinct trusted signer(s) (ci), policy requires 2'],
      exactFacts: { signers: ['ci'], found: 2, accepted: 2, kinds: ['cosign'] },
    },
    {
      when: 'the policy needs two signers and two trusted keys signed',
      it: 'passes',
      signature: trusting({ keys: [ci.trusted, release.trusted], minSigners: 2 }),
      arrange: cosignBy(ci, release),
      status: 'PASS',
      exactFacts: { signers: ['ci', 'release'], found: 2, accepted: 2, kinds: ['cosign'] },
    },
    {
      when: 'a key-based Sigstore bundle by a trusted key signs this image',
      it: 'passes with the key id as signer and the bundle in documents',
      arrange: async (registry, image) => ({ referrer: await pushBundle(registry, image, ci) }),
      status: 'PASS',
      exactFacts: { signers: ['ci'], found: 1, accepted: 1, kinds: ['sigstore-bundle'] },
      documents: ['sigstore-bundle-1.json', 'signatures.json'],
      documentTypes: [MediaTypes.sigstoreBundleV03, 'application/json'],
    },
    {
      when: 'the Sigstore bundle was altered after signing',
      it: 'fails saying the signed content was altered',
      arrange: async (registry, image) => ({ referrer: await pushBundle(registry, image, ci, tamperSigstoreBundle) }),
      status: 'FAIL',
      reasons: ({ referrer }) => [
        stringContainingAll(
          `Sigstore bundle in referrer ${referrer}: `,
          'does not verify with trusted key ci',
          'altered',
        ),
      ],
      exactFacts: nobody,
    },
    {
      when: 'a Notation signature chains to a trusted anchor and names a trusted identity',
      it: 'passes with the certificate subject as signer',
      signature: { notation: notationTrust(chain) },
      arrange: async (registry, image) => ({ referrer: await pushNotation(registry, image, chain) }),
      status: 'PASS',
      reasons: () => [`signed by ${NOTATION_SIGNER}`],
      exactFacts: { signers: [NOTATION_SIGNER], found: 1, accepted: 1, kinds: ['notation'] },
      documents: ['notation-signature-1.jws', 'signatures.json'],
    },
    {
      when: 'the Notation payload was altered after signing',
      it: 'fails on integrity',
      signature: { notation: notationTrust(chain) },
      arrange: async (registry, image) => ({
        referrer: await pushNotation(registry, image, chain, tamperNotationJws),
      }),
      status: 'FAIL',
      reasons: ({ referrer }) => [
        stringContainingAll(
          `Notation signature in referrer ${referrer}: `,
          'the JWS signature does not verify with the signing certificate key',
        ),
      ],
      exactFacts: nobody,
    },
    {
      when: 'the Notation chain ends at a root the policy does not trust',
      it: 'fails naming the untrusted anchor',
      signature: { notation: notationTrust(chain) },
      arrange: async (registry, image) => {
        // Same leaf subject, another CA.
        await pushNotation(registry, image, await generateNotationChain({ caName: 'Rogue CA' }));
        return undefined;
      },
      status: 'FAIL',
      reasons: () => [
        stringContainingAll('O=Rogue CA, CN=Rogue CA Root', 'reaches none of the trust anchors test-root'),
      ],
    },
    {
      when: 'the policy needs two signers and one cosign key and one Notation signer signed',
      it: 'passes with both signers, one per format',
      signature: trusting({ minSigners: 2, notation: notationTrust(chain) }),
      arrange: async (registry, image) => {
        await cosignBy(ci)(registry, image);
        return { referrer: await pushNotation(registry, image, chain) };
      },
      status: 'PASS',
      exactFacts: { signers: ['ci', NOTATION_SIGNER], found: 2, accepted: 2, kinds: ['cosign', 'notation'] },
    },
    {
      when: 'the policy accepts only cosign and a valid Notation signature is present too',
      it: 'ignores the Notation signature',
      signature: trusting({ minSigners: 2, accept: ['cosign'], notation: notationTrust(chain) }),
      arrange: async (registry, image) => {
        await cosignBy(ci)(registry, image);
        return { referrer: await pushNotation(registry, image, chain) };
      },
      status: 'FAIL',
      reasons: () => ['1 distinct trusted signer(s) (ci), policy requires 2'],
      exactFacts: { signers: ['ci'], found: 1, accepted: 1, kinds: ['cosign'] },
    },
  ];

  describe.each(CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, async () => {
      // Prepare
      const { registry, image, ctx } = await imageContext(REPO, { signature: c.signature ?? trusting({}) });
      const names = { ...(await c.arrange(registry, image)), image: image.digest, tag: sigTag(image.digest) };

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expectEvidence(result, { ...c, reasons: c.reasons?.(names) });
      if (c.documentTypes !== undefined) expect(result.documents.map((d) => d.mediaType)).toEqual(c.documentTypes);
    });
  });

  describe('when the registry fails while listing referrers', () => {
    it('propagates the error', async () => {
      // Prepare
      const { registry, ctx } = await imageContext(REPO, { signature: { keys: [ci.trusted] } });
      registry.failOn('listReferrers', new RegistryError('registry answered 503'));

      // Act
      const act = collectSignature(ctx);

      // Assess
      await expect(act).rejects.toThrow(RegistryError);
    });
  });
});

describe('Function: collectSignature, the registry named by a cosign docker-reference (red-team finding 16)', () => {
  const ci = testSigner('ci');
  const HOST = 'registry.example.com';

  async function signedAs(reference: string, host?: string) {
    const registry = new MemoryRegistry(host === undefined ? {} : { host });
    const image = await pushImage(registry, REPO, '1.0');
    await pushSigTag(registry, image, [cosignSignatureLayer(ci, simpleSigning(image.digest, reference))]);
    const ctx = collectContext({
      subject: { repository: REPO, digest: image.digest },
      registry,
      policy: { signature: { keys: [ci.trusted] } },
    });
    return collectSignature(ctx);
  }

  it.each([
    ['the same repository on another registry', `evil.example.com/${REPO}:1.0`, HOST, 'FAIL'],
    ['a registry host where the image has none (an OCI layout)', `${HOST}/${REPO}:1.0`, undefined, 'FAIL'],
    ['this registry and repository', `${HOST}/${REPO}:1.0`, HOST, 'PASS'],
    ['the bare repository name', `${REPO}:1.0`, HOST, 'PASS'],
  ] as const)('when the signature names %s, the evidence is %s', async (_what, reference, host, status) => {
    // Act
    const result = await signedAs(reference, host);

    // Assess
    expect(result.status).toBe(status);
    if (status === 'FAIL') expect(result.reasons.join(' ')).toContain('does not match repository app/x');
  });
});

describe('Function: collectSignature, the repository a Sigstore bundle signs (red-team finding 7)', () => {
  const ci = testSigner('ci');

  async function bundleNaming(name: string) {
    const registry = new MemoryRegistry();
    const image = await pushImage(registry, REPO, '1.0');
    const bundle = sigstoreImageBundle(ci.privateKey, { name, digest: image.digest });
    await pushManifest(registry, REPO, sigstoreBundleReferrer(image, bundle));
    const ctx = collectContext({
      subject: { repository: REPO, digest: image.digest },
      registry,
      policy: { signature: { keys: [ci.trusted] } },
    });
    return collectSignature(ctx);
  }

  it('fails a bundle whose statement names another repository, as simple signing does', async () => {
    // Act
    const result = await bundleNaming('other/repo');

    // Assess
    expect(result.status).toBe('FAIL');
    expect(result.reasons.join(' ')).toContain('the signed statement names "other/repo", not repository app/x');
  });

  it('passes the same bundle naming this repository', async () => {
    // Act
    const result = await bundleNaming(REPO);

    // Assess
    expect(result.status).toBe('PASS');
    expect(result.facts).toMatchObject({ kinds: ['sigstore-bundle'] });
  });
});
