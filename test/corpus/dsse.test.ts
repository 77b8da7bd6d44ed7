import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pae, verifyEnvelope } from '../../lambdas/domain/attest/dsse.js';
import { VerificationError } from '../../lambdas/domain/errors.js';

const DIR = join(import.meta.dirname, 'data/dsse/dsse-spec');
const read = (name: string): Buffer => readFileSync(join(DIR, name));
const specKey = { id: 'dsse-spec', publicKey: read('dsse-spec-test-vector.pub.pem').toString('utf8') };

describe('Function: verifyEnvelope (DSSE spec test vector)', () => {
  describe('when the envelope is the spec vector and its key is trusted', () => {
    it.each(['dsse-spec-test-vector.envelope.json', 'dsse-spec-test-vector.envelope-with-keyid.json'])(
      'verifies %s (raw r||s ECDSA P-256)',
      (file) => {
        // Prepare
        const envelope = read(file);

        // Act
        const verified = verifyEnvelope(envelope, [specKey]);

        // Assess
        expect(verified.signer).toBe('dsse-spec');
        expect(verified.payloadType).toBe('http://example.com/HelloWorld');
        expect(Buffer.from(verified.payload).toString('utf8')).toBe('hello world');
      },
    );
  });

  describe('when computing the pre-authentication encoding', () => {
    it('matches PAE.txt byte for byte', () => {
      // Prepare
      const expected = read('PAE.txt');

      // Act
      const encoded = pae('http://example.com/HelloWorld', new Uint8Array(Buffer.from('hello world')));

      // Assess
      expect(Buffer.from(encoded).equals(expected)).toBe(true);
    });
  });

  describe('when the payload is tampered with', () => {
    it('throws VerificationError', () => {
      // Prepare
      const envelope = JSON.parse(read('dsse-spec-test-vector.envelope.json').toString('utf8'));
      envelope.payload = Buffer.from('hello world!').toString('base64');

      // Act
      const act = (): unknown => verifyEnvelope(Buffer.from(JSON.stringify(envelope)), [specKey]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when the payloadType is tampered with', () => {
    it('throws VerificationError', () => {
      // Prepare
      const envelope = JSON.parse(read('dsse-spec-test-vector.envelope.json').toString('utf8'));
      envelope.payloadType = 'http://example.com/GoodbyeWorld';

      // Act
      const act = (): unknown => verifyEnvelope(Buffer.from(JSON.stringify(envelope)), [specKey]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });

  describe('when only another key is trusted', () => {
    it('throws VerificationError', () => {
      // Prepare
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'pem',
      });

      // Act
      const act = (): unknown =>
        verifyEnvelope(read('dsse-spec-test-vector.envelope.json'), [{ id: 'other', publicKey: other.toString() }]);

      // Assess
      expect(act).toThrow(VerificationError);
    });
  });
});
