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

const DIR = join(import.meta.dirname, 'data/cosign-simple-signing/containers-image');
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

describe('Function: verifyCosignSignature (containers/image fixtures)', () => {
  describe('when dir-img-cosign-valid is checked with keys/cosign.pub and its manifest digest', () => {
    it('verifies and its claims hold for repository cosign-signed-single-sample', () => {
      // Prepare
      const { payload, signature, mimeType } = signatureOf('dir-img-cosign-valid/signature-1');

      // Act
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub')]);
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest: manifestDigest('dir-img-cosign-valid'),
        repository: 'cosign-signed-single-sample',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(mimeType).toBe(MediaTypes.cosignSimpleSigning);
      expect(verified.signer).toBe('cosign.pub');
      expect(verified.payload.critical.identity['docker-reference']).toBe(
        '192.168.64.2:5000/cosign-signed-single-sample',
      );
      expect(reasons).toEqual([]);
    });

    it('also matches as <registry>/<repository>', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-valid/signature-1');
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Act
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest: manifestDigest('dir-img-cosign-valid'),
        repository: 'cosign-signed-single-sample',
        registry: '192.168.64.2:5000',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(reasons).toEqual([]);
    });
  });

  describe('when dir-img-cosign-valid is checked with keys/cosign2.pub', () => {
    it('throws VerificationError', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-valid/signature-1');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key('cosign2.pub')]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the expected reference is testing/manifest:notlatest', () => {
    it('reports an identity mismatch', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-valid/signature-1');
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Act
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest: manifestDigest('dir-img-cosign-valid'),
        repository: 'testing/manifest',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(reasons).toEqual([
        'signature identity "192.168.64.2:5000/cosign-signed-single-sample" does not match repository testing/manifest',
      ]);
    });
  });

  describe('when the manifest was modified after signing (dir-img-cosign-modified-manifest)', () => {
    it('verifies the signature but fails the digest check', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-modified-manifest/signature-1');
      const digest = manifestDigest('dir-img-cosign-modified-manifest');

      // Act
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub')]);
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest,
        repository: 'cosign-signed-single-sample',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(reasons).toEqual([
        `signature covers sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00 not this image ${digest}`,
      ]);
    });
  });

  describe('when the reference carries a tag (dir-img-cosign-valid-with-tag)', () => {
    it('ignores the tag when matching the repository', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-valid-with-tag/signature-1');
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Act
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest: manifestDigest('dir-img-cosign-valid-with-tag'),
        repository: 'skopeo-signed',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(verified.payload.critical.identity['docker-reference']).toBe('192.168.64.2:5000/skopeo-signed:tag');
      expect(reasons).toEqual([]);
    });
  });

  describe('when the signature is keyless (dir-img-cosign-fulcio-rekor-valid)', () => {
    it.each(['cosign.pub', 'cosign2.pub'])('does not verify with %s', (name) => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-fulcio-rekor-valid/signature-1');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key(name)]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the signature is key-based with a Rekor bundle (dir-img-cosign-key-rekor-valid)', () => {
    // The Rekor entry in its bundle names cosign2.pub's key: that is the key it verifies with.
    it('verifies with keys/cosign2.pub and covers its manifest', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-key-rekor-valid/signature-1');

      // Act
      const verified = verifyCosignSignature(payload, signature, [key('cosign.pub'), key('cosign2.pub')]);
      const reasons = checkSimpleSigningClaims(verified.payload, {
        digest: manifestDigest('dir-img-cosign-key-rekor-valid'),
        repository: 'cosign-signed/key-1',
        allowedReferencePrefixes: [],
      });

      // Assess
      expect(verified.signer).toBe('cosign2.pub');
      expect(reasons).toEqual([]);
    });

    it('does not verify with keys/cosign.pub', () => {
      // Prepare
      const { payload, signature } = signatureOf('dir-img-cosign-key-rekor-valid/signature-1');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the attachment is not a signature (dir-img-cosign-other-attachment)', () => {
    it('is not a simple-signing payload and does not verify', () => {
      // Prepare
      const { payload, signature, mimeType } = signatureOf('dir-img-cosign-other-attachment/signature-1');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Assess
      expect(mimeType).not.toBe(MediaTypes.cosignSimpleSigning);
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the signature was made by an unknown key (unknown-cosign-key.signature)', () => {
    it('throws VerificationError with keys/cosign.pub', () => {
      // Prepare
      const { payload, signature } = signatureOf('unknown-cosign-key.signature');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [key('cosign.pub')]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });
});
