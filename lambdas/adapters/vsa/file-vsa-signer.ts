import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { ConfigError } from '../../domain/errors.js';
import type { VsaSigner } from '../../domain/ports.js';
import { readOrCreateSecretFile } from '../secrets/secret-file.js';

/**
 * The embedded stack's VSA key: a P-256 private key in a local PEM file
 * (`.release-gate/vsa-key.pem` for `npm start`), generated on first use (mode 0600), like the
 * approval-link secret. Signatures are ASN.1 DER ECDSA over SHA-256, as KMS returns them.
 */
export class FileVsaSigner implements VsaSigner {
  public readonly keyId: string;
  private key: Promise<KeyObject> | undefined;

  public constructor(private readonly path: string) {
    this.keyId = `file:${path}`;
  }

  public async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', message, { key: await this.load(), dsaEncoding: 'der' }));
  }

  public async publicKeyPem(): Promise<string> {
    return createPublicKey(await this.load())
      .export({ type: 'spki', format: 'pem' })
      .toString();
  }

  private load(): Promise<KeyObject> {
    this.key ??= readOrCreateSecretFile(
      this.path,
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      'VSA signing key',
    ).then((pem) => {
      let key: KeyObject;
      try {
        key = createPrivateKey(pem);
      } catch (err) {
        throw new ConfigError(`${this.path} is not a PEM private key`, { cause: err });
      }
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new ConfigError(`${this.path} is not a P-256 key`);
      }
      return key;
    });
    return this.key;
  }
}
