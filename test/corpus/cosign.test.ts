import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../lambdas/domain/errors.js';
import { Annotations, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import {
  checkSimpleSigningClaims,
  parseContainersImageSigstoreSignature,
  verifyCosignSignature,
} from '../../lambdas/domain/signature/cosign.js';
import { cosignTagBundle } from '../../lambdas/domain/sigstore/cosign-tag.js';
import { parseTrustedRoot, VENDORED_TRUSTED_ROOTS } from '../../lambdas/domain/sigstore/trusted-root.js';
import { verifyBundle } from '../../lambdas/domain/sigstore/verify-bundle.js';

const DIR = join(import.meta.dirname, 'data/cosign-simple-signing/containers-image');
const ROOTS = join(import.meta.dirname, '..', '..', 'lambdas', 'domain', 'sigstore', 'roots');
const key = (name: string): { id: string; publicKey: string } => ({
  id: name,
  publicKey: readFileSync(join(DIR, 'keys', name), 'utf8'),
});
const signatureOf = (path: string): { payload: Uint8Array; signature: string; mimeType: string } => {
  const parsed = parseContainersImageSigstoreSignature(readFileSync(join(DIR, path)));
  const signature = parsed.annotations[Annotations.cosignSignature];
  if (signature === undefined) throw new Error(`${path} has no cosign signature annotation`);
  return { payload: parsed.payload, signature, mimeType: parsed.mimeType };
};
const manifestDigest = (dir: string): string => sha256Digest(readFileSync(join(DIR, dir, 'manifest.json')));

/** Verifies `dir`'s signature with the named keys, then checks its claims against `dir`'s manifest. */
function verifyAndCheck(dir: string, keys: readonly string[], claims: { repository: string; registry?: string }) {
  const { payload, signature, mimeType } = signatureOf(`${dir}/signature-1`);
  const verified = verifyCosignSignature(payload, signature, keys.map(key));
  const digest = manifestDigest(dir);
  const reasons = checkSimpleSigningClaims(verified.payload, { digest, allowedReferencePrefixes: [], ...claims });
  return { verified, reasons, mimeType, digest };
}

/** The registry the containers/image fixtures were signed for: every docker-reference names it. */
const UPSTREAM_REGISTRY = '192.168.64.2:5000';

describe('Function: verifyCosignSignature (containers/image fixtures)', () => {
  describe('when dir-img-cosign-valid is checked with keys/cosign.pub and its manifest digest', () => {
    it('verifies and its claims hold for repository cosign-signed-single-sample', () => {
      // Act
      const { verified, reasons, mimeType } = verifyAndCheck('dir-img-cosign-valid', ['cosign.pub'], {
        repository: 'cosign-signed-single-sample',
        registry: UPSTREAM_REGISTRY,
      });

      // Assess
      expect(mimeType).toBe(MediaTypes.cosignSimpleSigning);
      expect(verified.signer).toBe('cosign.pub');
      expect(verified.payload.critical.identity['docker-reference']).toBe(
        '192.168.64.2:5000/cosign-signed-single-sample',
      );
      expect(reasons).toEqual([]);
    });
  });

  /** A verified signature whose claims are checked: the signer, the reference it names, and the reasons. */
  describe.each(
    [
      {
        when: 'dir-img-cosign-valid is checked for the same repository on another registry',
        it: 'reports an identity mismatch (red-team finding 16)',
        dir: 'dir-img-cosign-valid',
        keys: ['cosign.pub'],
        claims: { repository: 'cosign-signed-single-sample', registry: 'registry.example.com' },
        reasons: () => [
          'signature identity "192.168.64.2:5000/cosign-signed-single-sample" does not match repository cosign-signed-single-sample',
        ],
      },
      {
        when: 'the expected reference is testing/manifest:notlatest',
        it: 'reports an identity mismatch',
        dir: 'dir-img-cosign-valid',
        keys: ['cosign.pub'],
        claims: { repository: 'testing/manifest' },
        reasons: () => [
          'signature identity "192.168.64.2:5000/cosign-signed-single-sample" does not match repository testing/manifest',
        ],
      },
      {
        when: 'the manifest was modified after signing (dir-img-cosign-modified-manifest)',
        it: 'verifies the signature but fails the digest check',
        dir: 'dir-img-cosign-modified-manifest',
        keys: ['cosign.pub'],
        claims: { repository: 'cosign-signed-single-sample', registry: UPSTREAM_REGISTRY },
        reasons: (digest: string) => [
          `signature covers sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00 not this image ${digest}`,
        ],
      },
      {
        when: 'the reference carries a tag (dir-img-cosign-valid-with-tag)',
        it: 'ignores the tag when matching the repository',
        dir: 'dir-img-cosign-valid-with-tag',
        keys: ['cosign.pub'],
        claims: { repository: 'skopeo-signed', registry: UPSTREAM_REGISTRY },
        reference: '192.168.64.2:5000/skopeo-signed:tag',
        reasons: () => [],
      },
      {
        // The Rekor entry in its bundle names cosign2.pub's key: that is the key it verifies with.
        when: 'the signature is key-based with a Rekor bundle (dir-img-cosign-key-rekor-valid)',
        it: 'verifies with keys/cosign2.pub and covers its manifest',
        dir: 'dir-img-cosign-key-rekor-valid',
        keys: ['cosign.pub', 'cosign2.pub'],
        claims: { repository: 'cosign-signed/key-1', registry: UPSTREAM_REGISTRY },
        signer: 'cosign2.pub',
        reasons: () => [],
      },
    ].map((c) => [c.when, c] as const),
  )('when %s', (_when, c) => {
    it(c.it, () => {
      // Act
      const { verified, reasons, digest } = verifyAndCheck(c.dir, c.keys, c.claims);

      // Assess
      if (c.signer !== undefined) expect(verified.signer).toBe(c.signer);
      if (c.reference !== undefined) expect(verified.payload.critical.identity['docker-reference']).toBe(c.reference);
      expect(reasons).toEqual(c.reasons(digest));
    });
  });

  describe.each([
    ['dir-img-cosign-valid is checked with keys/cosign2.pub', 'dir-img-cosign-valid/signature-1', 'cosign2.pub'],
    [
      'the signature is keyless (dir-img-cosign-fulcio-rekor-valid)',
      'dir-img-cosign-fulcio-rekor-valid/signature-1',
      'cosign.pub',
    ],
    [
      'the signature is keyless (dir-img-cosign-fulcio-rekor-valid)',
      'dir-img-cosign-fulcio-rekor-valid/signature-1',
      'cosign2.pub',
    ],
    [
      'the signature is key-based with a Rekor bundle (dir-img-cosign-key-rekor-valid)',
      'dir-img-cosign-key-rekor-valid/signature-1',
      'cosign.pub',
    ],
    [
      'the attachment is not a signature (dir-img-cosign-other-attachment)',
      'dir-img-cosign-other-attachment/signature-1',
      'cosign.pub',
    ],
    [
      'the signature was made by an unknown key (unknown-cosign-key.signature)',
      'unknown-cosign-key.signature',
      'cosign.pub',
    ],
  ])('when %s', (_when, path, keyName) => {
    it(`throws VerificationError with keys/${keyName}`, () => {
      // Prepare
      const { payload, signature, mimeType } = signatureOf(path);

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key(keyName)]);

      // Assess
      expect(act).toThrow(VerificationError);
      if (path.startsWith('dir-img-cosign-other-attachment')) expect(mimeType).not.toBe(MediaTypes.cosignSimpleSigning);
    });
  });
});

describe('Function: cosignTagBundle + verifyBundle (keyless cosign tag format, issue 10 finding 21)', () => {
  const productionRoot = parseTrustedRoot(
    readFileSync(join(ROOTS, VENDORED_TRUSTED_ROOTS.production.file)),
    VENDORED_TRUSTED_ROOTS.production,
  );
  const keylessLayer = () => {
    const parsed = parseContainersImageSigstoreSignature(
      readFileSync(join(DIR, 'dir-img-cosign-fulcio-rekor-valid/signature-1')),
    );
    return { mediaType: parsed.mimeType, bytes: parsed.payload, annotations: parsed.annotations };
  };
  const verifyAs = (subject: string) => {
    const layer = keylessLayer();
    return verifyBundle(
      cosignTagBundle(layer),
      { bytes: layer.bytes },
      { trustedRoot: productionRoot, identities: [{ subject, issuer: 'https://github.com/login/oauth' }] },
    );
  };

  describe('when dir-img-cosign-fulcio-rekor-valid is checked against the public-good trusted root', () => {
    it('verifies as mitr@redhat.com from https://github.com/login/oauth', () => {
      // Act
      const verified = verifyAs('mitr@redhat.com');

      // Assess
      expect(verified).toMatchObject({ signer: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' });
    });
  });

  describe('when the policy expects another email', () => {
    it('refuses it with WRONG_IDENTITY', () => {
      // Act
      const act = () => verifyAs('this-does-not-match@example.com');

      // Assess
      expect(act).toThrow(/certificate identity mitr@redhat.com .* is not trusted/);
    });
  });
});
