import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectProvenance } from '../../lambdas/domain/evidence/provenance.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { MemoryRegistry, pushArtifact, pushImage } from '../support/memory-registry.js';

const REPO = 'app/x';
const BUILDER = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const SOURCE = 'https://github.com/org/app';
const LOCK_HEX = 'c'.repeat(64);
const BASE_HEX = 'd'.repeat(64);

interface Signer {
  readonly privateKey: KeyObject;
  readonly trusted: { id: string; publicKey: string };
}

function signer(id: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, trusted: { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

const DEFAULT_DEPENDENCIES = [
  { uri: `git+${SOURCE}@refs/heads/main`, digest: { gitCommit: 'e'.repeat(40) } },
  { uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: { sha256: BASE_HEX } },
  { uri: `${SOURCE}/blob/main/package-lock.json`, digest: { sha256: LOCK_HEX } },
];

function provenanceV1(
  builderId = BUILDER,
  resolvedDependencies: unknown[] = DEFAULT_DEPENDENCIES,
): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: { repository: SOURCE, ref: 'refs/heads/main', path: '.github/workflows/release.yml' },
      },
      resolvedDependencies,
    },
    runDetails: { builder: { id: builderId } },
  };
}

function statement(
  subjectDigest: string,
  predicate: unknown,
  predicateType: string = PredicateTypes.slsaProvenanceV1,
): unknown {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: REPO, digest: { sha256: subjectDigest.replace('sha256:', '') } }],
    predicateType,
    predicate,
  };
}

function envelope(by: Signer, body: unknown, payloadType: string = MediaTypes.inTotoPayload): Uint8Array {
  const payload = new Uint8Array(Buffer.from(JSON.stringify(body)));
  const sig = sign('sha256', pae(payloadType, payload), by.privateKey);
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        payloadType,
        payload: Buffer.from(payload).toString('base64'),
        signatures: [{ keyid: '', sig: sig.toString('base64') }],
      }),
    ),
  );
}

async function setup(
  policy: Record<string, unknown> = {},
): Promise<{ registry: MemoryRegistry; image: Descriptor; ctx: CollectContext }> {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, REPO, '1.0');
  const ctx: CollectContext = {
    subject: { repository: REPO, digest: image.digest },
    registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['app/*'], ...policy }),
    now: new Date('2026-11-25T00:00:00Z'),
    releases: { getEvidence: async () => null, lastPromotion: async () => null },
    documents: { get: async () => Promise.reject(new Error('not used')) },
    scans: { getFindings: async () => Promise.reject(new Error('not used')) },
  };
  return { registry, image, ctx };
}

const attTag = (digest: string): string => `${digestToTag(digest)}.att`;

async function attachAtt(
  registry: MemoryRegistry,
  image: Descriptor,
  bytes: Uint8Array,
  predicateType?: string,
): Promise<Descriptor[]> {
  const { layers } = await pushArtifact(registry, REPO, {
    layers: [
      {
        mediaType: MediaTypes.dsseEnvelope,
        bytes,
        ...(predicateType !== undefined ? { annotations: { predicateType } } : {}),
      },
    ],
    tag: attTag(image.digest),
  });
  return layers;
}

describe('Function: collectProvenance', () => {
  const ci = signer('ci');
  const stranger = signer('stranger');
  const allowing = {
    attestations: { keys: [ci.trusted] },
    provenance: { builders: [BUILDER], sourceRepositories: [`git+${SOURCE}.git`] },
  };

  describe('when a trusted SLSA v1 provenance from an allowed builder and source is under the .att tag', () => {
    it('passes with builder, source, lockfile and base image in facts', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const bytes = envelope(ci, statement(image.digest, provenanceV1()));
      await attachAtt(registry, image, bytes, PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        builderId: BUILDER,
        sourceRepository: SOURCE,
        sourceRef: 'refs/heads/main',
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        slsaVersion: 'v1',
        lockfileDigest: `sha256:${LOCK_HEX}`,
        baseImage: { uri: `pkg:docker/node@sha256:${BASE_HEX}`, digest: `sha256:${BASE_HEX}` },
        signer: 'ci',
      });
      expect(result.facts.resolvedDependencies).toHaveLength(3);
      expect(result.documents).toEqual([{ name: 'provenance.dsse.json', mediaType: MediaTypes.dsseEnvelope, bytes }]);
    });
  });

  describe('when a trusted SLSA v0.2 provenance is an OCI referrer', () => {
    it('passes', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const predicate = {
        builder: { id: BUILDER },
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
        invocation: { configSource: { uri: `git+${SOURCE}@refs/tags/v1`, digest: { sha1: 'f'.repeat(40) } } },
        materials: [{ uri: 'yarn.lock', digest: { sha256: LOCK_HEX } }],
      };
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.inTotoPayload,
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: envelope(ci, statement(image.digest, predicate, PredicateTypes.slsaProvenanceV02)),
          },
        ],
        subject: image,
      });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        slsaVersion: 'v0.2',
        sourceRef: 'refs/tags/v1',
        lockfileDigest: `sha256:${LOCK_HEX}`,
      });
    });
  });

  describe('when roles are given by annotation and the lockfile has no sha256', () => {
    it('records the base image and the lockfile but no lockfileDigest', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const predicate = provenanceV1(BUILDER, [
        { uri: `git+${SOURCE}@refs/heads/main`, digest: { gitCommit: 'e'.repeat(40) } },
        { name: 'deps', digest: { sha1: 'a'.repeat(40) }, annotations: { 'release-gate.dev/role': 'lockfile' } },
        { name: 'base', uri: 'registry.example.com/base:1', annotations: { 'release-gate.dev/role': 'base-image' } },
      ]);
      await attachAtt(registry, image, envelope(ci, statement(image.digest, predicate)));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts.lockfileDigest).toBeUndefined();
      expect(result.facts).toMatchObject({
        lockfile: { name: 'deps', digest: `sha1:${'a'.repeat(40)}` },
        baseImage: { uri: 'registry.example.com/base:1' },
      });
    });
  });

  describe('when the image has no provenance', () => {
    it('is MISSING', async () => {
      // Prepare
      const { ctx } = await setup(allowing);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when only an attestation of another predicate type is attached', () => {
    it('is MISSING, not FAIL', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(stranger, statement(image.digest, {}, PredicateTypes.cyclonedx)));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when the policy trusts no attestation key', () => {
    it('fails with the rejection and the policy gap', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ provenance: allowing.provenance });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toBe(`policy trusts no attestation key for ${REPO}`);
      expect(result.reasons[1]).toContain(`tag ${attTag(image.digest)}: DSSE signature not verified by a trusted key`);
    });
  });

  describe('when the envelope is signed by an untrusted key', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(stranger, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toHaveLength(1);
      expect(result.reasons[0]).toMatch(/DSSE signature not verified by a trusted key: no DSSE signature verifies/);
    });
  });

  describe('when the statement is about another digest', () => {
    it('fails naming the subject', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const other = `sha256:${'9'.repeat(64)}`;
      await attachAtt(registry, image, envelope(ci, statement(other, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: statement subject (${other}) does not cover ${image.digest}`,
      ]);
    });
  });

  describe('when the payloadType is not in-toto', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const bytes = envelope(ci, statement(image.digest, provenanceV1()), 'application/json');
      await attachAtt(registry, image, bytes, PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: payloadType is application/json, not ${MediaTypes.inTotoPayload}`,
      ]);
    });
  });

  describe('when the signed statement breaks an in-toto rule', () => {
    it('fails naming the rule', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const broken = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [],
        predicateType: PredicateTypes.slsaProvenanceV1,
        predicate: {},
      };
      await attachAtt(registry, image, envelope(ci, broken));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('SUBJECT_REQUIRED');
    });
  });

  describe('when the envelope is not a DSSE envelope', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, new Uint8Array(Buffer.from('{"hello":1}')), PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('not a DSSE envelope');
    });
  });

  describe('when the registry serves an envelope that does not hash to its digest', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      const [layer] = await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));
      registry.corrupt(
        REPO,
        layer?.digest ?? '',
        envelope(ci, statement(image.digest, provenanceV1('https://evil.example.com'))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('unreadable');
    });
  });

  describe('when the envelope is above the attestation size limit', () => {
    it('fails without reading it', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, new Uint8Array(Limits.attestationBytes + 1), PredicateTypes.slsaProvenanceV1);

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('above the limit');
    });
  });

  describe('when the builder is not allowed', () => {
    it('fails naming the builder', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(
        registry,
        image,
        envelope(ci, statement(image.digest, provenanceV1('https://evil.example.com/builder'))),
      );

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: builder https://evil.example.com/builder is not allowed for ${REPO}`,
      ]);
      expect(result.facts).toMatchObject({ builderId: 'https://evil.example.com/builder' });
    });
  });

  describe('when the source repository is not allowed', () => {
    it('fails naming the source', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        ...allowing,
        provenance: { builders: [BUILDER], sourceRepositories: ['https://github.com/org/other'] },
      });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `tag ${attTag(image.digest)}: source repository ${SOURCE} is not allowed for ${REPO}`,
      ]);
    });
  });

  describe('when the policy allows no builder and no source', () => {
    it('fails closed but still records the facts', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({ attestations: allowing.attestations });
      await attachAtt(registry, image, envelope(ci, statement(image.digest, provenanceV1())));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `policy allows no builder for ${REPO}`,
        `policy allows no source repository for ${REPO}`,
      ]);
      expect(result.facts).toMatchObject({ builderId: BUILDER, lockfileDigest: `sha256:${LOCK_HEX}` });
    });
  });

  describe('when the signed predicate is not valid SLSA provenance', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      await attachAtt(registry, image, envelope(ci, statement(image.digest, { buildDefinition: {} })));

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('SLSA v1 provenance is invalid');
    });
  });

  describe('when the image has more referrers than the limit', () => {
    it('throws TOO_LARGE rather than looking at some of them', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(allowing);
      for (let i = 0; i <= Limits.referrers; i += 1) {
        await pushArtifact(registry, REPO, {
          layers: [{ mediaType: 'text/plain', bytes: new Uint8Array(Buffer.from(String(i))) }],
          subject: image,
        });
      }

      // Act
      const act = collectProvenance(ctx);

      // Assess
      await expect(act).rejects.toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    });
  });

  describe('when the registry fails on the .att tag with something other than not-found', () => {
    it('propagates the error', async () => {
      // Prepare
      const { registry, ctx } = await setup(allowing);
      registry.failOn('getManifest', new RegistryError('registry answered 500'));

      // Act
      const act = collectProvenance(ctx);

      // Assess
      await expect(act).rejects.toThrow(RegistryError);
    });
  });
});
