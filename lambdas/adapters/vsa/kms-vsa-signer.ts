/**
 * Signs VSAs with an AWS KMS asymmetric key (KeySpec `ECC_NIST_P256`, KeyUsage `SIGN_VERIFY`).
 * KMS `Sign` (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html) with
 * `SigningAlgorithm: ECDSA_SHA_256` and `MessageType: DIGEST`: the SHA-256 of the DSSE PAE is
 * computed here, because a `RAW` message is limited to 4096 bytes and a VSA with many inputs is
 * larger. The response's `Signature` is ASN.1 DER (RFC 3279), which DSSE carries as is (base64).
 * `GetPublicKey` returns the DER SPKI that verifiers trust.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { ConfigError, VerificationError } from '../../domain/errors.js';
import type { VsaSigner } from '../../domain/ports.js';

/** The two calls this adapter makes; a `KMSClient` satisfies it, tests pass a stub. */
export interface KmsSigningClient {
  send(command: SignCommand): Promise<SignCommandOutput>;
  send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
}

export interface KmsVsaSignerProps {
  readonly client: KmsSigningClient;
  /** Key id, ARN or alias ARN of the signing key. */
  readonly keyId: string;
}

export class KmsVsaSigner implements VsaSigner {
  public readonly keyId: string;
  private readonly client: KmsSigningClient;
  private publicKey: Promise<string> | undefined;

  public constructor(props: KmsVsaSignerProps) {
    if (props.keyId === '') throw new ConfigError('the VSA signing key id is empty');
    this.client = props.client;
    this.keyId = props.keyId;
  }

  public async sign(message: Uint8Array): Promise<Uint8Array> {
    const out = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: createHash('sha256').update(message).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (out.Signature === undefined || out.Signature.length === 0) {
      throw new VerificationError(`KMS Sign with ${this.keyId} returned no signature`);
    }
    if (out.SigningAlgorithm !== undefined && out.SigningAlgorithm !== 'ECDSA_SHA_256') {
      throw new VerificationError(`KMS signed with ${out.SigningAlgorithm}, not ECDSA_SHA_256`);
    }
    return out.Signature;
  }

  public publicKeyPem(): Promise<string> {
    this.publicKey ??= this.fetchPublicKey().catch((err: unknown) => {
      this.publicKey = undefined;
      throw err;
    });
    return this.publicKey;
  }

  private async fetchPublicKey(): Promise<string> {
    const out = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (out.PublicKey === undefined) throw new ConfigError(`KMS GetPublicKey of ${this.keyId} returned no key`);
    if (out.KeySpec !== 'ECC_NIST_P256' || out.KeyUsage !== 'SIGN_VERIFY') {
      throw new ConfigError(
        `the VSA key ${this.keyId} is ${out.KeySpec ?? '?'}/${out.KeyUsage ?? '?'}; expected ECC_NIST_P256/SIGN_VERIFY`,
      );
    }
    return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
  }
}
