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
import { ConfigError, describeError, SigningError, VerificationError } from '../../domain/errors.js';
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
    const out = await this.client
      .send(
        new SignCommand({
          KeyId: this.keyId,
          Message: createHash('sha256').update(message).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      )
      .catch((err: unknown) => {
        throw kmsFailure('Sign', this.keyId, err);
      });
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
    const out = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId })).catch((err: unknown) => {
      throw kmsFailure('GetPublicKey', this.keyId, err);
    });
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

/**
 * A KMS call that failed after the SDK's own retries (`$metadata.attempts`), or that KMS refused
 * (a disabled key, no permission): one `SigningError`, which the workflow does not retry.
 */
function kmsFailure(operation: string, keyId: string, err: unknown): SigningError {
  const attempts = attemptsOf(err);
  const name = err instanceof Error ? err.name : 'Error';
  return new SigningError(
    `KMS ${operation} with ${keyId} failed${attempts === undefined ? '' : ` after ${attempts} attempts`} (${name}): ${describeError(err)}`,
    { cause: err },
  );
}

function attemptsOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const meta: unknown = err.$metadata;
  if (typeof meta !== 'object' || meta === null || !('attempts' in meta)) return undefined;
  return typeof meta.attempts === 'number' ? meta.attempts : undefined;
}
