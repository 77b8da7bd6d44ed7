import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { blobOf, descriptorOf, EMPTY_CONFIG, jsonBytes, type OciBlob } from '../../cli/fixtures/image.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { DEFAULT_NPM_PACKAGES, type ScenarioTarget } from '../../cli/fixtures/scenarios.js';
import {
  cosignAttestationManifest,
  cosignSign,
  cosignSignatureManifest,
  cosignTag,
  referrerManifest,
  signDsse,
} from '../../cli/fixtures/sign.js';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { GateError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { Annotations, type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import type { StoredEvidence } from '../../lambdas/domain/ports.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { COLLECTED_KINDS, type Digest, type EvidenceKind } from '../../lambdas/domain/types.js';
import { makeHandler as collectEvidence } from '../../lambdas/handlers/collect-evidence.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { makeHandler as recordRelease } from '../../lambdas/handlers/record-release.js';
import {
  gateRelease,
  type LocalWorld,
  lastState,
  postApproval,
  STAGE,
  startLocalWorld,
  stopLocalWorld,
} from '../support/world.js';

const UNKNOWN_MEDIA_TYPE = 'application/vnd.example.unknown+json';

const target = (repository: string, knobs: Partial<ScenarioTarget> = {}): ScenarioTarget => ({
  repository,
  tag: '1.0.0',
  npmPackages: DEFAULT_NPM_PACKAGES,
  ...knobs,
});

/** The descriptor of a pushed manifest, as a referrer's `subject` names it. */
async function descriptorOfManifest(w: LocalWorld, repository: string, reference: string): Promise<Descriptor> {
  const m = await w.registry.getManifest(repository, reference);
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
}

/** Pushes blobs, then raw manifest JSON (for descriptors the fixture builders would never write). */
async function pushRawManifest(
  w: LocalWorld,
  repository: string,
  manifest: Record<string, unknown>,
  blobs: readonly OciBlob[],
  mediaType: string,
  tag?: string,
): Promise<Digest> {
  for (const b of blobs) await w.registry.putBlob(repository, b.digest, b.bytes);
  return w.registry.putManifest(repository, jsonBytes(manifest), mediaType, tag);
}

const evidenceOf = (evidence: readonly StoredEvidence[], kind: EvidenceKind) => evidence.find((e) => e.kind === kind);

async function isPromoted(w: LocalWorld, repository: string, digest: string): Promise<boolean> {
  try {
    await w.registry.getManifest(`prod/${repository}`, digest);
    return true;
  } catch (err) {
    if (err instanceof GateError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/**
 * The release ended Quarantined for `kind` FAIL, with every expected piece in that kind's reasons,
 * and production never received it.
 */
async function expectQuarantinedFor(
  w: LocalWorld,
  repository: string,
  gated: Awaited<ReturnType<typeof gateRelease>>,
  kind: EvidenceKind,
  ...expected: readonly (string | RegExp)[]
): Promise<void> {
  expect(lastState(gated.exec)).toBe('Quarantined');
  const failed = evidenceOf(gated.evidence, kind);
  expect(failed?.status).toBe('FAIL');
  const reasons = failed?.reasons.join(' ') ?? '';
  for (const piece of expected) {
    if (typeof piece === 'string') expect(reasons).toContain(piece);
    else expect(reasons).toMatch(piece);
  }
  expect(gated.release?.state).toBe('QUARANTINED');
  expect(await isPromoted(w, repository, gated.digest)).toBe(false);
}

describe('Workflow: bad input on the local stack', () => {
  let w: LocalWorld;
  beforeAll(async () => {
    w = await startLocalWorld({ scanTimeoutSeconds: 10, approvals: { decision: 'approve', by: 'alice@example.com' } });
  });
  afterAll(() => stopLocalWorld(w));

  /** Builds the default scenario image for `repository`, with the given knobs, into the local registry. */
  const buildTarget = (repository: string, knobs: Partial<ScenarioTarget> = {}) =>
    buildScenarioImage(w.registry, target(repository, knobs), w.keys);

  describe('when the pushed manifest has an unknown media type', () => {
    it('quarantines with a reason naming the media type and promotes nothing', async () => {
      // Prepare
      const repository = 'demo/unknown-media-type';
      const layer = blobOf(MediaTypes.ociLayerTarGzip, new TextEncoder().encode('not really a layer'));
      const manifest = {
        schemaVersion: 2,
        mediaType: UNKNOWN_MEDIA_TYPE,
        config: descriptorOf(EMPTY_CONFIG),
        layers: [descriptorOf(layer)],
      };
      await pushRawManifest(w, repository, manifest, [EMPTY_CONFIG, layer], UNKNOWN_MEDIA_TYPE, '1.0.0');

      // Act
      const { digest, exec, release } = await gateRelease(w, repository, '1.0.0');

      // Assess
      expect(exec.status).toBe('SUCCEEDED');
      expect(lastState(exec)).toBe('Quarantined');
      const quarantined = w.gate.outcomes.find((o) => o.type === 'Release Quarantined' && o.detail.digest === digest);
      expect(String(quarantined?.detail.reasons)).toContain(UNKNOWN_MEDIA_TYPE);
      expect(release?.state).toBe('QUARANTINED');
      expect(release?.outcomeReasons?.join(' ')).toContain(UNKNOWN_MEDIA_TYPE);
      expect(w.gate.outcomes.filter((o) => o.type === 'Release Promoted' && o.detail.digest === digest)).toEqual([]);
      expect(await isPromoted(w, repository, digest)).toBe(false);
    });
  });

  describe('when the SBOM referrer layer is garbage bytes', () => {
    const GARBAGE: readonly (readonly [string, Uint8Array, RegExp])[] = [
      ['bytes that are not UTF-8', new Uint8Array([0x7b, 0x00, 0xff, 0xfe, 0x42, 0x5d, 0x22]), /not valid UTF-8/i],
      ['text that is not JSON', new TextEncoder().encode('{"bomFormat": "CycloneDX", components: ['), /JSON/],
    ];
    it.each(GARBAGE.map(([label, bytes, reason], i) => [label, bytes, reason, i] as const))(
      'records sbom FAIL with the reason and quarantines (%s)',
      async (_label, bytes, reason, i) => {
        // Prepare
        const repository = `demo/garbage-sbom-${i}`;
        const built = await buildTarget(repository, { sbom: false });
        const referrer = referrerManifest({
          artifactType: MediaTypes.cyclonedxJson,
          subject: await descriptorOfManifest(w, repository, built.subject.tag),
          layerMediaType: MediaTypes.cyclonedxJson,
          layer: bytes,
        });
        await pushManifest(w.registry, repository, referrer);

        // Act
        const gated = await gateRelease(w, repository, built.subject.tag);

        // Assess
        await expectQuarantinedFor(w, repository, gated, 'sbom', `referrer ${referrer.digest}`, reason);
        expect(gated.release?.outcomeReasons?.join(' ')).toContain('sbom:');
      },
    );
  });

  describe('when the SBOM referrer claims more than Limits.sbomBytes', () => {
    it('refuses it by its descriptor size before fetching (sbom FAIL, TOO_LARGE reason)', async () => {
      // Prepare: a small blob whose descriptor claims one byte above the limit.
      const repository = 'demo/oversized-sbom';
      const built = await buildTarget(repository, { sbom: false });
      const layer = blobOf(MediaTypes.cyclonedxJson, new TextEncoder().encode('{"bomFormat":"CycloneDX"}'));
      const claimed = Limits.sbomBytes + 1;
      const referrerDigest = await pushRawManifest(
        w,
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          artifactType: MediaTypes.cyclonedxJson,
          config: descriptorOf(EMPTY_CONFIG),
          layers: [{ ...descriptorOf(layer), size: claimed }],
          subject: await descriptorOfManifest(w, repository, built.subject.tag),
        },
        [EMPTY_CONFIG, layer],
        MediaTypes.ociManifest,
      );

      // Act
      const gated = await gateRelease(w, repository, built.subject.tag);

      // Assess
      await expectQuarantinedFor(
        w,
        repository,
        gated,
        'sbom',
        `referrer ${referrerDigest}`,
        `${claimed} bytes, above the limit of ${Limits.sbomBytes} bytes`,
      );
    });
  });

  describe('when the cosign signature payload is larger than Limits.signaturePayloadBytes', () => {
    it('records signature FAIL with a TOO_LARGE reason and quarantines', async () => {
      // Prepare: the payload really is one byte above the limit (1 MiB, cheap).
      const repository = 'demo/oversized-signature';
      const built = await buildTarget(repository, { signature: 'none' });
      const payload = new Uint8Array(Limits.signaturePayloadBytes + 1).fill(0x20);
      const sig = cosignSignatureManifest([cosignSign(w.keys.signing.privateKey, payload)]);
      await pushManifest(w.registry, repository, sig, cosignTag(built.digest, 'sig'));

      // Act
      const gated = await gateRelease(w, repository, built.subject.tag);

      // Assess
      await expectQuarantinedFor(
        w,
        repository,
        gated,
        'signature',
        `${payload.byteLength} bytes, above the limit of ${Limits.signaturePayloadBytes} bytes`,
      );
    });
  });

  describe('when the provenance envelope claims more than Limits.attestationBytes', () => {
    it('refuses it by its descriptor size (provenance FAIL, TOO_LARGE reason)', async () => {
      // Prepare
      const repository = 'demo/oversized-attestation';
      // No attestation of the factory's (SBOM, provenance, eval): the test pushes the `.att` tag itself.
      const built = await buildTarget(repository, { provenance: false, evalMetrics: null, sbom: false });
      const envelope = blobOf(MediaTypes.dsseEnvelope, new TextEncoder().encode('{"payloadType":"x"}'));
      const claimed = Limits.attestationBytes + 1;
      await pushRawManifest(
        w,
        repository,
        {
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          config: descriptorOf(EMPTY_CONFIG),
          layers: [
            {
              ...descriptorOf(envelope),
              size: claimed,
              annotations: { [Annotations.cosignSignature]: '', predicateType: PredicateTypes.slsaProvenanceV1 },
            },
          ],
        },
        [EMPTY_CONFIG, envelope],
        MediaTypes.ociManifest,
        cosignTag(built.digest, 'att'),
      );

      // Act
      const gated = await gateRelease(w, repository, built.subject.tag);

      // Assess
      await expectQuarantinedFor(
        w,
        repository,
        gated,
        'provenance',
        `envelope is ${claimed} bytes, above the limit of ${Limits.attestationBytes} bytes`,
      );
    });
  });

  describe('when a trusted DSSE attestation carries a payload that is not JSON', () => {
    it('records provenance FAIL (not PASS, not a crash) and quarantines', async () => {
      // Prepare: correctly signed by the trusted attestation key, but the payload is garbage.
      const repository = 'demo/garbage-provenance';
      const built = await buildTarget(repository, { provenance: false, evalMetrics: null, sbom: false });
      const garbage = new TextEncoder().encode('{"_type": "https://in-toto.io/Statement/v1", "subject": [');
      const envelope = signDsse(MediaTypes.inTotoPayload, garbage, [{ privateKey: w.keys.attestation.privateKey }]);
      const att = cosignAttestationManifest([{ envelope, predicateType: PredicateTypes.slsaProvenanceV1 }]);
      await pushManifest(w.registry, repository, att, cosignTag(built.digest, 'att'));

      // Act
      const gated = await gateRelease(w, repository, built.subject.tag);

      // Assess
      expect(gated.exec.status).toBe('SUCCEEDED');
      await expectQuarantinedFor(w, repository, gated, 'provenance', /not JSON/i);
    });
  });

  describe('when evidence, decisions and outcomes are already stored', () => {
    const promotedRepository = 'demo/stored-promoted';
    const quarantinedRepository = 'demo/stored-quarantined';
    let promoted: Awaited<ReturnType<typeof gateRelease>>;
    let quarantined: Awaited<ReturnType<typeof gateRelease>>;
    const getDeps = () => w.getDeps();

    beforeAll(async () => {
      const good = await buildTarget(promotedRepository);
      promoted = await gateRelease(w, promotedRepository, good.subject.tag);
      const unsigned = await buildTarget(quarantinedRepository, { signature: 'none' });
      quarantined = await gateRelease(w, quarantinedRepository, unsigned.subject.tag);
    });

    it('starts from one promoted and one quarantined release', () => {
      expect(promoted.release?.state).toBe('PROMOTED');
      expect(quarantined.release?.state).toBe('QUARANTINED');
    });

    it('returns the stored evidence unchanged when a collector runs again', async () => {
      // Prepare
      const { store } = w.gate.deps.gate;
      const before = await store.listEvidence(promotedRepository, promoted.digest);
      const collect = collectEvidence(getDeps);

      // Act: an ASL Catch result would store ERROR evidence, were nothing stored yet.
      const results = [];
      for (const kind of COLLECTED_KINDS) {
        results.push(
          await collect({
            repository: promotedRepository,
            digest: promoted.digest,
            stage: STAGE,
            kind,
            error: { Error: 'Injected', Cause: 'a retry that must not overwrite' },
          }),
        );
      }

      // Assess
      expect(results.map((r) => `${r.kind}:${r.status}`)).toEqual(COLLECTED_KINDS.map((k) => `${k}:PASS`));
      expect(await store.listEvidence(promotedRepository, promoted.digest)).toEqual(before);
    });

    it('keeps the first evidence record when a different one is put for the same kind', async () => {
      // Prepare
      const { store } = w.gate.deps.gate;
      const stored = await store.getEvidence(promotedRepository, promoted.digest, 'sbom');
      if (stored === null) throw new Error('no stored sbom evidence');

      // Act
      const returned = await store.putEvidence({ ...stored, status: 'FAIL', reasons: ['overwrite'], documents: [] });

      // Assess
      expect(returned).toEqual(stored);
      expect(await store.getEvidence(promotedRepository, promoted.digest, 'sbom')).toEqual(stored);
    });

    it('keeps the release record when RecordRelease runs again and ignores a duplicate push', async () => {
      // Prepare
      const { store } = w.gate.deps.gate;
      const before = await store.getRelease(promotedRepository, promoted.digest);

      // Act
      const recorded = await recordRelease(getDeps)({
        repository: promotedRepository,
        digest: promoted.digest,
        stage: STAGE,
        tag: 'other-tag',
        executionName: 'another-execution',
      });
      const again = await w.gate.push(promotedRepository, '1.0.0', { scan: 'never', duplicateEvent: true });

      // Assess
      expect(recorded.created).toBe(false);
      expect(again.startResult).toMatchObject({ started: true, alreadyExisted: true });
      expect(await store.getRelease(promotedRepository, promoted.digest)).toEqual(before);
    });

    it('never lets a stored evidence document be replaced by different bytes', async () => {
      // Prepare
      const { documents, store } = w.gate.deps.gate;
      if (!(documents instanceof S3DocumentStore)) throw new Error('the local gate stores documents in S3');
      const sbom = await store.getEvidence(promotedRepository, promoted.digest, 'sbom');
      const ref = sbom?.documents.find((d) => d.name === 'components.json');
      if (ref === undefined) throw new Error('no components.json stored');
      const original = await documents.get(ref.digest);
      const s3 = awsClients({ endpoints: { s3: w.gate.standIns.s3Endpoint } }).s3;
      const scratch = new TextEncoder().encode(`{"scratch":"${promoted.digest}"}`);
      const scratchDigest = await documents.put(scratch, 'application/json');

      // Act
      const again = await documents.put(original, 'application/json');
      // s3rver ignores If-None-Match, so this raw write lands: a stand-in for a tampered bucket.
      await s3.send(
        new PutObjectCommand({
          Bucket: w.gate.standIns.bucket,
          Key: S3DocumentStore.keyOf(scratchDigest),
          Body: Buffer.from('{"scratch":"replaced"}'),
        }),
      );
      const named = `reports/${promoted.digest.replace(':', '-')}.json`;
      await documents.putObject(named, new TextEncoder().encode('{"first":true}'), 'application/json');

      // Assess
      expect(again).toBe(ref.digest);
      expect(await documents.get(ref.digest)).toEqual(original);
      await expect(documents.get(scratchDigest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      await expect(documents.put(scratch, 'application/json')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      await expect(
        documents.putObject(named, new TextEncoder().encode('{"first":false}'), 'application/json'),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(new TextDecoder().decode(await documents.getObject(named))).toBe('{"first":true}');
    });

    it('refuses a second answer to an answered approval', async () => {
      // Prepare
      const { store } = w.gate.deps.gate;
      const approval = (await store.listApprovals('APPROVED')).find((a) => a.digest === promoted.digest);
      if (approval === undefined) throw new Error('no approved approval');
      const evidenceBefore = await store.getEvidence(promotedRepository, promoted.digest, 'approval');

      // Act
      const res = await postApproval(`${w.gate.approvalBaseUrl}/${approval.approvalId}`, {
        decision: 'reject',
        by: 'mallory@example.com',
      });

      // Assess
      expect(res.status).toBe(409);
      expect(await res.text()).toContain('already answered');
      expect(await store.getApproval(approval.approvalId)).toMatchObject({
        state: 'APPROVED',
        decidedBy: 'alice@example.com',
      });
      expect(await store.getEvidence(promotedRepository, promoted.digest, 'approval')).toEqual(evidenceBefore);
    });

    it.each([
      [
        'refuses to promote a quarantined release (PromotionBlocked)',
        promote,
        'QUARANTINED',
        { name: 'PromotionBlocked' },
      ],
      ['refuses to quarantine a promoted release', quarantine, 'PROMOTED', { code: 'CONFLICT' }],
    ] as const)('%s', async (_name, handler, state, refusal) => {
      // Prepare
      const [repository, { digest }] =
        state === 'PROMOTED' ? [promotedRepository, promoted] : [quarantinedRepository, quarantined];

      // Act
      const act = handler(getDeps)({ repository, digest, stage: STAGE });

      // Assess
      await expect(act).rejects.toMatchObject(refusal);
      expect((await w.deps.gate.store.getRelease(repository, digest))?.state).toBe(state);
      expect(await isPromoted(w, repository, digest)).toBe(state === 'PROMOTED');
      const quarantineTag = `quarantine-${digest.replace(':', '-')}`;
      expect((await w.registry.listTags(repository)).includes(quarantineTag)).toBe(state === 'QUARANTINED');
    });
  });
});
