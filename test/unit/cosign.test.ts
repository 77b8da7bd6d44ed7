import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GateError, InvalidInputError, TooLargeError, VerificationError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import {
  checkSimpleSigningClaims,
  parseContainersImageSigstoreSignature,
  type SimpleSigningPayload,
  verifyCosignSignature,
} from '../../lambdas/domain/signature/cosign.js';
import { trustedKey } from '../support/signers.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

const payloadFor = (reference: string, digest = DIGEST): SimpleSigningPayload => ({
  critical: {
    identity: { 'docker-reference': reference },
    image: { 'docker-manifest-digest': digest },
    type: 'cosign container image signature',
  },
  optional: null,
});

const bytesOf = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)));

describe('Function: verifyCosignSignature', () => {
  describe('when the payload is signed by a trusted P-256 key', () => {
    it('returns the signer and the parsed payload', () => {
      // Prepare
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const payload = bytesOf(payloadFor('registry.example.com/app/x:1.0'));
      const signature = sign('sha256', payload, privateKey).toString('base64');

      // Act
      const verified = verifyCosignSignature(payload, signature, [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified).toEqual({ signer: 'ci', payload: payloadFor('registry.example.com/app/x:1.0') });
    });
  });

  describe.each(['sha384', 'sha256'])('when a P-384 key signed with %s', (hash) => {
    it('verifies', () => {
      // Prepare
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const payload = bytesOf(payloadFor('app/x'));
      const signature = sign(hash, payload, privateKey).toString('base64');

      // Act
      const verified = verifyCosignSignature(payload, signature, [trustedKey('ci', publicKey)]);

      // Assess
      expect(verified.signer).toBe('ci');
    });
  });

  describe('when the payload bytes differ from the signed bytes (re-serialised)', () => {
    it('throws VerificationError', () => {
      // Prepare
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const signed = bytesOf(payloadFor('app/x'));
      const signature = sign('sha256', signed, privateKey).toString('base64');
      const reserialised = new Uint8Array(Buffer.from(JSON.stringify(payloadFor('app/x'), null, 1)));

      // Act
      const act = (): unknown => verifyCosignSignature(reserialised, signature, [trustedKey('ci', publicKey)]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when no key is trusted', () => {
    it('throws GateError UNTRUSTED', () => {
      // Prepare
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const payload = bytesOf(payloadFor('app/x'));
      const signature = sign('sha256', payload, privateKey).toString('base64');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, []);

      // Assess
      expect(act).toThrow(GateError);
      expect(act).toThrow(expect.objectContaining({ code: 'UNTRUSTED' }));
    });
  });

  describe('when the signed payload is not a simple-signing document', () => {
    it('throws InvalidInputError after verifying', () => {
      // Prepare
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const payload = bytesOf({ critical: { type: 'atomic container signature' } });
      const signature = sign('sha256', payload, privateKey).toString('base64');

      // Act
      const act = (): unknown => verifyCosignSignature(payload, signature, [trustedKey('ci', publicKey)]);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });

  describe('when the payload is above the signature payload limit', () => {
    it('throws TooLargeError', () => {
      // Prepare
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const payload = new Uint8Array(Limits.signaturePayloadBytes + 1);

      // Act
      const act = (): unknown => verifyCosignSignature(payload, 'AAAA', [trustedKey('ci', publicKey)]);

      // Assess
      expect(act).toThrow(TooLargeError);
    });
  });
});

describe('Function: checkSimpleSigningClaims', () => {
  const expected = { digest: DIGEST, repository: 'app/x', allowedReferencePrefixes: [] as string[] };

  describe.each([
    ['the bare repository', 'app/x', undefined],
    [
      'this registry host and repository',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app/x',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    ],
    ['a tag', 'localhost:5000/app/x:v1', 'localhost:5000'],
    ['a digest', `registry.example.com/app/x@${DIGEST}`, 'registry.example.com'],
  ])('when the reference is %s', (_, reference, registry) => {
    it('reports nothing', () => {
      // Prepare
      const payload = payloadFor(reference);

      // Act
      const reasons = checkSimpleSigningClaims(payload, { ...expected, ...(registry !== undefined && { registry }) });

      // Assess
      expect(reasons).toEqual([]);
    });
  });

  describe.each([
    ['another registry than the image is on', 'evil.example.com/app/x:1.0', 'registry.example.com'],
    ['a registry where the image is on none (an OCI layout)', 'registry.example.com/app/x', undefined],
  ])('when the reference names %s (red-team finding 16)', (_, reference, registry) => {
    it('reports the identity mismatch', () => {
      // Act
      const reasons = checkSimpleSigningClaims(payloadFor(reference), {
        ...expected,
        ...(registry !== undefined && { registry }),
      });

      // Assess
      expect(reasons).toEqual([`signature identity "${reference}" does not match repository app/x`]);
    });
  });

  describe.each([
    ['another repository', 'registry.example.com/app/y'],
    ['a repository with the same suffix', 'registry.example.com/evil/app/x'],
    ['the repository as a prefix', 'app/x-evil'],
    ['empty', ''],
  ])('when the reference names %s', (_, reference) => {
    it('reports an identity mismatch', () => {
      // Prepare
      const payload = payloadFor(reference);

      // Act
      const reasons = checkSimpleSigningClaims(payload, expected);

      // Assess
      expect(reasons).toEqual([`signature identity ${JSON.stringify(reference)} does not match repository app/x`]);
    });
  });

  describe('when the reference starts with an allowed prefix', () => {
    it('reports nothing', () => {
      // Prepare
      const payload = payloadFor('ci.example.com/builds/app-x:sha-123');

      // Act
      const reasons = checkSimpleSigningClaims(payload, {
        ...expected,
        allowedReferencePrefixes: ['ci.example.com/builds'],
      });

      // Assess
      expect(reasons).toEqual([]);
    });
  });

  describe('when the reference only extends the allowed prefix past a path boundary', () => {
    it('reports an identity mismatch', () => {
      // Prepare
      const payload = payloadFor('ci.example.com.evil.io/app-x');

      // Act
      const reasons = checkSimpleSigningClaims(payload, { ...expected, allowedReferencePrefixes: ['ci.example.com'] });

      // Assess
      expect(reasons).toHaveLength(1);
    });
  });

  describe('when the signed digest is another image', () => {
    it('reports the digest mismatch', () => {
      // Prepare
      const payload = payloadFor('app/x', OTHER_DIGEST);

      // Act
      const reasons = checkSimpleSigningClaims(payload, expected);

      // Assess
      expect(reasons).toEqual([`signature covers ${OTHER_DIGEST} not this image ${DIGEST}`]);
    });
  });
});

describe('Function: parseContainersImageSigstoreSignature', () => {
  describe('when the framing is valid', () => {
    it('returns mime type, decoded payload and annotations', () => {
      // Prepare
      const body = { mimeType: 'text/plain', payload: Buffer.from('hi').toString('base64'), annotations: { a: 'b' } };
      const bytes = new Uint8Array(
        Buffer.concat([Buffer.from('\x00sigstore-json\n', 'latin1'), Buffer.from(JSON.stringify(body))]),
      );

      // Act
      const parsed = parseContainersImageSigstoreSignature(bytes);

      // Assess
      expect(parsed).toEqual({
        mimeType: 'text/plain',
        payload: new Uint8Array(Buffer.from('hi')),
        annotations: { a: 'b' },
      });
    });
  });

  describe('when the prefix is missing', () => {
    it('throws InvalidInputError', () => {
      // Prepare
      const bytes = bytesOf({ mimeType: 'text/plain', payload: '', annotations: {} });

      // Act
      const act = (): unknown => parseContainersImageSigstoreSignature(bytes);

      // Assess
      expect(act).toThrow(InvalidInputError);
    });
  });
});
