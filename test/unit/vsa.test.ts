/**
 * The SLSA VSA Promote attaches: the KMS and local-key signers, the envelope, the referrer in
 * production and its verification. The KMS client is a stub of `send` whose request and response
 * shapes follow the AWS KMS API reference (Sign: KeyId, Message, MessageType, SigningAlgorithm →
 * KeyId, Signature (DER), SigningAlgorithm; GetPublicKey → KeyId, PublicKey (DER SPKI), KeySpec,
 * KeyUsage, SigningAlgorithms); it signs with a real P-256 key, and the signature is verified for real.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  type SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileVsaSigner } from '../../lambdas/adapters/vsa/file-vsa-signer.js';
import { type KmsSigningClient, KmsVsaSigner } from '../../lambdas/adapters/vsa/kms-vsa-signer.js';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { ConfigError, VerificationError } from '../../lambdas/domain/errors.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import type { Digest } from '../../lambdas/domain/types.js';
import {
  attachVsa,
  buildVsaStatement,
  findVerifiedVsa,
  MAX_VSA_REFERRERS,
  signVsa,
  verifyVsaEnvelope,
} from '../../lambdas/domain/vsa/vsa.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { signDigestP256 } from '../support/ecdsa-prehashed.js';
import { pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { type HandlerWorld, handlerWorld, WORLD_NOW } from '../support/world.js';

const DIGEST = `sha256:${'a'.repeat(64)}` as Digest;

function statement(digest: string = DIGEST) {
  return buildVsaStatement({
    imageName: 'prod/team/app',
    digest,
    verifierId: 'https://release-gate.dev/verifier/test',
    timeVerified: WORLD_NOW.toISOString(),
    policyDigest: `sha256:${'b'.repeat(64)}`,
    inputs: [{ uri: `prod/team/app@sha256:${'c'.repeat(64)}`, digest: `sha256:${'c'.repeat(64)}` }],
    verifiedLevels: ['SLSA_BUILD_LEVEL_2'],
    stage: 'production',
    evidenceSetDigest: `sha256:${'e'.repeat(64)}`,
    decisionDocument: `sha256:${'d'.repeat(64)}`,
    approvers: [{ person: 'alice@example.com', at: WORLD_NOW.toISOString(), via: 'email-link' }],
  });
}

/** KMS as its API reference describes it, over a real P-256 key. */
class StubKms implements KmsSigningClient {
  public readonly signRequests: SignCommand['input'][] = [];
  private readonly privateKey: KeyObject;
  public readonly publicKey: KeyObject;

  public constructor(private readonly keySpec = 'ECC_NIST_P256') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  public send(command: SignCommand): Promise<SignCommandOutput>;
  public send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
  public async send(
    command: SignCommand | GetPublicKeyCommand,
  ): Promise<SignCommandOutput | GetPublicKeyCommandOutput> {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    if (command instanceof GetPublicKeyCommand) {
      return {
        KeyId: keyArn,
        PublicKey: new Uint8Array(this.publicKey.export({ type: 'spki', format: 'der' })),
        KeySpec: this.keySpec as 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
        $metadata: {},
      };
    }
    this.signRequests.push(command.input);
    const message = command.input.Message ?? new Uint8Array();
    // MessageType DIGEST: KMS signs the given SHA-256 digest as is (no second hash).
    const signature = signDigestP256(this.privateKey, message);
    return { KeyId: keyArn, Signature: signature, SigningAlgorithm: 'ECDSA_SHA_256', $metadata: {} };
  }
}

describe('Class: KmsVsaSigner', () => {
  describe('when it signs a VSA', () => {
    it('sends the SHA-256 of the PAE as a DIGEST with ECDSA_SHA_256, and the DER signature verifies with the public key', async () => {
      // Prepare
      const kms = new StubKms();
      const signer = new KmsVsaSigner({ client: kms, keyId: 'alias/release-gate-vsa' });

      // Act
      const envelope = await signVsa(signer, statement());
      const verified = verifyVsaEnvelope(envelope, DIGEST, [{ id: 'kms', publicKey: await signer.publicKeyPem() }]);

      // Assess
      const parsed = JSON.parse(new TextDecoder().decode(envelope));
      const payload = Buffer.from(parsed.payload, 'base64');
      expect(kms.signRequests).toEqual([
        {
          KeyId: 'alias/release-gate-vsa',
          Message: createHash('sha256').update(pae(MediaTypes.inTotoPayload, payload)).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        },
      ]);
      expect(parsed.payloadType).toBe('application/vnd.in-toto+json');
      expect(verified.predicate.verificationResult).toBe('PASSED');
      expect(verified.predicate.releaseGate?.approvers.map((a) => a.person)).toEqual(['alice@example.com']);
    });
  });

  describe('when the key is not an ECC_NIST_P256 signing key', () => {
    it('throws a ConfigError instead of handing out its public key', async () => {
      // Prepare
      const signer = new KmsVsaSigner({ client: new StubKms('RSA_2048'), keyId: 'alias/wrong' });

      // Act
      const act = signer.publicKeyPem();

      // Assess
      await expect(act).rejects.toThrowWithCode(ConfigError, 'CONFIG_ERROR', /ECC_NIST_P256/);
    });
  });
});

describe('Class: FileVsaSigner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-vsa-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe('when first used', () => {
    it('generates a P-256 key readable by its owner only, and keeps it', async () => {
      // Prepare
      const path = join(dir, 'vsa-key.pem');

      // Act
      const first = await new FileVsaSigner(path).publicKeyPem();
      const again = await new FileVsaSigner(path).publicKeyPem();

      // Assess
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(again).toBe(first);
    });
  });
});

describe('Function: verifyVsaEnvelope', () => {
  describe('when the VSA is about another digest', () => {
    it('throws', async () => {
      // Prepare
      const signer = new KmsVsaSigner({ client: new StubKms(), keyId: 'k' });
      const envelope = await signVsa(signer, statement(`sha256:${'f'.repeat(64)}`));

      // Act
      const keys = [{ id: 'k', publicKey: await signer.publicKeyPem() }];
      const act = () => verifyVsaEnvelope(envelope, DIGEST, keys);

      // Assess
      expect(act).toThrowWithCode(VerificationError, 'VERIFICATION_FAILED', /does not name/);
    });
  });
});

describe('Function: verifyVsaEnvelope, when the envelope is not a passing VSA of this digest', () => {
  const kms = new StubKms();
  const signer = new KmsVsaSigner({ client: kms, keyId: 'k' });
  const keys = async () => [{ id: 'k', publicKey: await signer.publicKeyPem() }];
  const reEncode = (envelope: Uint8Array, edit: (e: { payload: string; payloadType: string }) => void) => {
    const parsed = JSON.parse(new TextDecoder().decode(envelope));
    edit(parsed);
    return new TextEncoder().encode(JSON.stringify(parsed));
  };

  it.each([
    [
      'the payload was changed after signing',
      async () =>
        reEncode(await signVsa(signer, statement()), (e) => {
          e.payload = Buffer.from(JSON.stringify(statement(`sha256:${'9'.repeat(64)}`))).toString('base64');
        }),
      /no DSSE signature verifies/,
    ],
    [
      'the result is FAILED',
      async () => {
        const failed = statement();
        Object.assign(failed.predicate, { verificationResult: 'FAILED' });
        return signVsa(signer, failed);
      },
      /verificationResult is FAILED/,
    ],
    [
      'the predicate is another type',
      async () => signVsa(signer, { ...statement(), predicateType: 'https://slsa.dev/provenance/v1' }),
      /predicate type https:\/\/slsa.dev\/provenance\/v1 is not/,
    ],
  ])('throws when %s', async (_, envelope, message) => {
    // Prepare
    const bytes = await envelope();
    const trusted = await keys();

    // Act
    const act = () => verifyVsaEnvelope(bytes, DIGEST, trusted);

    // Assess
    expect(act).toThrow(message);
  });
});

describe('Function: findVerifiedVsa', () => {
  describe('when more VSA-typed referrers than MAX_VSA_REFERRERS refer to the digest', () => {
    it('checks none of them and says so (fail closed)', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'prod/app', 'v1');
      const signer = new KmsVsaSigner({ client: new StubKms(), keyId: 'k' });
      for (let i = 0; i <= MAX_VSA_REFERRERS; i++) {
        await attachVsa(registry, 'prod/app', image, await signVsa(signer, statement(image.digest)));
      }

      // Act
      const found = await findVerifiedVsa(registry, 'prod/app', image.digest, [
        { id: 'k', publicKey: await signer.publicKeyPem() },
      ]);

      // Assess
      expect(found.verified).toBeUndefined();
      expect(found.refused).toEqual([
        `${MAX_VSA_REFERRERS + 1} VSA-typed referrers (more than ${MAX_VSA_REFERRERS}): none is checked`,
      ]);
    });
  });
});

describe('Function: promote handler with a VSA signer', () => {
  const REPO = 'team/app';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-vsa-promote-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function evaluatedWorld(): Promise<{ w: HandlerWorld; digest: Digest; signer: FileVsaSigner }> {
    const w = handlerWorld();
    const signer = new FileVsaSigner(join(dir, `${Math.random()}.pem`));
    const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
    await w.store.recordRelease({
      repository: REPO,
      digest: image.digest,
      mediaType: MediaTypes.ociManifest,
      stage: 'staging',
      platforms: [],
      state: 'EVALUATED',
      executionName: 'test-execution',
      recordedAt: WORLD_NOW.toISOString(),
    });
    await w.store.putDecision({
      repository: REPO,
      digest: image.digest,
      decision: 'PASS',
      reasons: ['all required evidence passed'],
      policyDigest: w.deps.gate.policy.digest,
      evidence: [],
      decidedAt: WORLD_NOW.toISOString(),
      documentDigest: `sha256:${'d'.repeat(64)}`,
    });
    return { w, digest: image.digest, signer };
  }

  describe('when a release is promoted and a forged VSA already refers to its digest', () => {
    it('attaches one signed VSA to the promoted digest in production, which verifies with the public key', async () => {
      // Prepare
      const { w, digest, signer } = await evaluatedWorld();
      const deps = async () => ({ ...w.deps, gate: { ...w.deps.gate, vsa: { signer, verifierId: 'urn:test' } } });
      // A forged VSA (another key) already referring to the digest in production does not count.
      const forger = new FileVsaSigner(join(dir, 'forger.pem'));
      const image = await w.deps.gate.registry.getManifest(REPO, digest);
      await attachVsa(
        w.deps.gate.registry,
        `prod/${REPO}`,
        { mediaType: image.mediaType, digest, size: image.bytes.length },
        await signVsa(forger, statement(digest)),
      );

      // Act
      await promote(deps)({ repository: REPO, digest, stage: 'staging' });
      const referrers = await w.deps.gate.registry.listReferrers(`prod/${REPO}`, digest);
      const found = await findVerifiedVsa(w.deps.gate.registry, `prod/${REPO}`, digest, [
        { id: 'gate', publicKey: await signer.publicKeyPem() },
      ]);

      // Assess
      expect(referrers.filter((r) => r.artifactType === MediaTypes.dsseEnvelope)).toHaveLength(2);
      expect(found.verified?.predicate).toMatchObject({
        verifier: { id: 'urn:test' },
        verificationResult: 'PASSED',
        policy: { digest: { sha256: w.deps.gate.policy.digest.slice(7) } },
        inputAttestations: [{ digest: { sha256: 'd'.repeat(64) } }],
        releaseGate: { stage: 'staging' },
      });
      expect(found.refused).toHaveLength(1);
    });
  });

  describe('when the promotion is retried after the VSA was attached but before the promotion was recorded', () => {
    it('does not attach a second VSA', async () => {
      // Prepare: the first attempt attached the VSA; its recording of the promotion failed.
      const { w, digest, signer } = await evaluatedWorld();
      const vsa = { signer, verifierId: 'urn:test' };
      const failing = {
        ...w.deps,
        gate: {
          ...w.deps.gate,
          vsa,
          store: Object.assign(Object.create(w.store), {
            appendPromotion: async () => {
              throw new Error('DynamoDB unavailable');
            },
          }),
        },
      };
      await expect(promote(async () => failing)({ repository: REPO, digest, stage: 'staging' })).rejects.toThrow();

      // Act
      await promote(async () => ({ ...w.deps, gate: { ...w.deps.gate, vsa } }))({
        repository: REPO,
        digest,
        stage: 'staging',
      });

      // Assess
      const referrers = await w.deps.gate.registry.listReferrers(`prod/${REPO}`, digest);
      expect(referrers.filter((r) => r.artifactType === MediaTypes.dsseEnvelope)).toHaveLength(1);
    });
  });
});
