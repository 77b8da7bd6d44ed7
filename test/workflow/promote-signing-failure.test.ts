/**
 * Promote when the gate's VSA key fails (issue 9 §6): KMS answers `Sign` with 500
 * KMSInternalException on every attempt, through the real KMS client and its standard retries
 * against a KMS endpoint on 127.0.0.1. The real ASL must end in PromotionFailed after one Promote
 * invocation (no Task retries of a SigningError), with production untouched: no image, no release
 * tag, no channel tag, the release not recorded as promoted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  KMSClient,
  SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KmsSigningClient, KmsVsaSigner } from '../../lambdas/adapters/vsa/kms-vsa-signer.js';
import { STUB_CREDENTIALS } from '../support/aws-stubs.js';
import { buildGoodRelease, gateRelease, lastState, useLocalWorld } from '../support/world.js';

const REPOSITORY = 'demo/kms-down';
const PRODUCTION = `prod/${REPOSITORY}`;
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * KMS's JSON protocol (X-Amz-Target `TrentService.<Operation>`): GetPublicKey answers with a real
 * P-256 SPKI; Sign fails as KMS does when it is unavailable
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html#API_Sign_Errors).
 */
class FailingKms {
  public readonly calls: string[] = [];
  private server: Server | undefined;
  private readonly spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'der',
    type: 'spki',
  });

  public async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on('end', () => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        this.calls.push(operation);
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (operation === 'GetPublicKey') {
          res.end(
            JSON.stringify({
              KeyId: KEY_ARN,
              PublicKey: this.spki.toString('base64'),
              KeySpec: 'ECC_NIST_P256',
              KeyUsage: 'SIGN_VERIFY',
              SigningAlgorithms: ['ECDSA_SHA_256'],
            }),
          );
          return;
        }
        res.statusCode = 500;
        res.end(JSON.stringify({ __type: 'KMSInternalException', message: 'internal failure' }));
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

/** A real KMS client made once the endpoint is up (the signer reaches KMS only at Promote). */
class LateKmsClient implements KmsSigningClient {
  public client: KMSClient | undefined;

  public send(command: SignCommand): Promise<SignCommandOutput>;
  public send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
  public send(command: SignCommand | GetPublicKeyCommand): Promise<SignCommandOutput | GetPublicKeyCommandOutput> {
    if (this.client === undefined) throw new Error('the KMS endpoint is not up');
    return command instanceof SignCommand ? this.client.send(command) : this.client.send(command);
  }
}

describe('Workflow: Promote when the VSA key fails', () => {
  const kms = new FailingKms();
  const client = new LateKmsClient();
  const world = useLocalWorld({
    approvals: { decision: 'approve', by: 'alice@example.com' },
    vsaSigner: new KmsVsaSigner({ client, keyId: KEY_ARN }),
  });
  beforeAll(async () => {
    client.client = new KMSClient({
      region: 'eu-west-1',
      endpoint: await kms.start(),
      credentials: STUB_CREDENTIALS,
      maxAttempts: 3,
    });
  });
  afterAll(() => kms.stop());

  describe('when KMS Sign fails past the SDK retries', () => {
    it('ends in PromotionFailed after one Promote, naming the key, with production unchanged', async () => {
      // Prepare
      const w = world();
      await buildGoodRelease(w, REPOSITORY);

      // Act
      const { exec, release, digest } = await gateRelease(w, REPOSITORY, '1.4.0');

      // Assess: the SDK tried three times, the workflow did not try again.
      expect(lastState(exec)).toBe('PromotionFailed');
      expect(kms.calls.filter((c) => c === 'Sign')).toHaveLength(3);
      const promoteRuns = exec.events.filter((e) => e.type === 'StateEntered' && e.state?.name === 'Promote');
      expect(promoteRuns).toHaveLength(1);
      expect(JSON.stringify(exec.events)).toContain(
        `SigningError","Cause":"KMS Sign with ${KEY_ARN} failed after 3 attempts (KMSInternalException)`,
      );
      // Production was not touched: no image, no tag, no live pointer.
      expect(await w.registry.listTags(PRODUCTION).catch(() => [])).toEqual([]);
      await expect(w.registry.getManifest(PRODUCTION, digest)).rejects.toThrow();
      expect(release?.state).not.toBe('PROMOTED');
      expect(await w.deps.gate.store.listPromotions(REPOSITORY)).toEqual([]);
    });
  });
});
