/**
 * The SBOM collector's last resort (`sbom.acceptInspectorExport`): Amazon Inspector's SBOM export
 * of an image that carries no SBOM. The port is a recording fake here (the adapter's own test runs
 * the real SDK client and S3 on s3rver); the export is an Inspector-shaped CycloneDX 1.4 document
 * (sbom-export.html: `metadata.properties` with `imageId`), parsed by the collector's own parser.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { TooLargeError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { COMPONENTS_DOCUMENT, collectSbom } from '../../lambdas/domain/evidence/sbom.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import type { InspectorSbomExport, InspectorSbomSource } from '../../lambdas/domain/ports.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import type { ImageSubject } from '../../lambdas/domain/types.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { inspectorBom } from '../support/inspector-sbom.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { dsseEnvelope, statementAbout, testSigner } from '../support/signers.js';

const REPO = 'team/app';
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Answers every export with `answer`, and remembers what it was asked. */
class FakeInspector implements InspectorSbomSource {
  public readonly asked: ImageSubject[] = [];
  public constructor(private readonly answer: InspectorSbomExport) {}
  public async exportSbom(subject: ImageSubject): Promise<InspectorSbomExport> {
    this.asked.push(subject);
    return this.answer;
  }
}

const exported = (...bodies: Uint8Array[]): InspectorSbomExport => ({
  status: 'SUCCEEDED',
  reportId: '0a1b2c3d-0000-4000-8000-000000000001',
  objects: bodies.map((bytes, i) => ({ location: `s3://gate/inspector-sbom/${i}.json`, read: async () => bytes })),
});

const ACCEPTING = { sbom: { requireSigned: false, acceptInspectorExport: true } };

describe('Function: collectSbom with an Amazon Inspector SBOM export', () => {
  let registry: MemoryRegistry;
  let image: Descriptor;
  let subject: ImageSubject;
  const context = (policy: Record<string, unknown>, inspector: InspectorSbomSource): CollectContext => ({
    ...collectContext({ subject, registry, policy }),
    inspectorSboms: inspector,
  });

  beforeEach(async () => {
    registry = new MemoryRegistry();
    image = await pushImage(registry, REPO, 'v1');
    subject = { repository: REPO, digest: image.digest };
  });

  describe('when the image carries no SBOM and the policy accepts the export', () => {
    it('passes on the export, parsed as an attached SBOM, with its provenance marked unsigned', async () => {
      // Prepare
      const raw = encode(inspectorBom(image.digest));
      const inspector = new FakeInspector(exported(raw));

      // Act
      const result = await collectSbom(context(ACCEPTING, inspector));

      // Assess
      expect(inspector.asked).toEqual([subject]);
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({
        format: 'cyclonedx',
        specVersion: '1.4',
        componentCount: 2,
        source: 'inspector-export',
        signed: false,
        inspectorReportId: '0a1b2c3d-0000-4000-8000-000000000001',
      });
      expect(result.reasons[0]).toMatch(/^cyclonedx 1\.4 SBOM from the Amazon Inspector SBOM export .*: 2 components/);
      expect(result.reasons[0]).toContain('unsigned');
      expect(result.documents.map((d) => d.name)).toEqual(['sbom.inspector.cdx.json', COMPONENTS_DOCUMENT]);
      expect(result.documents[0]?.bytes).toEqual(raw);
    });
  });

  describe('when the policy does not set sbom.acceptInspectorExport (the default)', () => {
    it('does not ask Inspector: MISSING as before', async () => {
      // Prepare
      const inspector = new FakeInspector(exported(encode(inspectorBom(image.digest))));

      // Act
      const result = await collectSbom(context({ sbom: { requireSigned: false } }, inspector));

      // Assess
      expect(inspector.asked).toEqual([]);
      expect(result.status).toBe('MISSING');
      expect(result.reasons[0]).toContain(`no SBOM found for ${REPO}@${image.digest}`);
    });
  });

  describe('when the policy also requires a signed SBOM', () => {
    it('does not ask Inspector, and says the unsigned export cannot satisfy sbom.requireSigned', async () => {
      // Prepare
      const inspector = new FakeInspector(exported(encode(inspectorBom(image.digest))));

      // Act
      const result = await collectSbom(context({ sbom: { acceptInspectorExport: true } }, inspector));

      // Assess
      expect(inspector.asked).toEqual([]);
      expect(result.status).toBe('MISSING');
      expect(result.reasons[0]).toContain(
        'an Amazon Inspector SBOM export is unsigned, so sbom.acceptInspectorExport does not satisfy sbom.requireSigned',
      );
    });
  });

  describe('when the image carries an SBOM', () => {
    it('uses a signed attestation, never the export', async () => {
      // Prepare
      const signer = testSigner('ci-2026');
      const bom = { ...inspectorBom(image.digest), components: [inspectorBom(image.digest).components[0]] };
      await pushArtifact(registry, REPO, {
        subject: image,
        artifactType: MediaTypes.inTotoPayload,
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: dsseEnvelope(
              signer,
              statementAbout({ name: REPO, digest: image.digest }, PredicateTypes.cyclonedx, bom),
            ),
            annotations: { predicateType: PredicateTypes.cyclonedx },
          },
        ],
      });
      const inspector = new FakeInspector(exported(encode(inspectorBom(image.digest))));
      const policy = { ...ACCEPTING, attestations: { keys: [signer.trusted] } };

      // Act
      const result = await collectSbom(context(policy, inspector));

      // Assess
      expect(inspector.asked).toEqual([]);
      expect(result).toMatchObject({ status: 'PASS', facts: { source: 'attestation', componentCount: 1 } });
    });

    it('uses an unsigned referrer the policy counts, never the export', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        subject: image,
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(inspectorBom(image.digest)) }],
      });
      const inspector = new FakeInspector(exported(encode(inspectorBom(image.digest))));

      // Act
      const result = await collectSbom(context(ACCEPTING, inspector));

      // Assess
      expect(inspector.asked).toEqual([]);
      expect(result.facts.source).toBe('referrer');
    });

    it('does not replace an attached SBOM that failed to read: it still fails', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        subject: image,
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode({ bomFormat: 'CycloneDX' }) }],
      });
      const inspector = new FakeInspector(exported(encode(inspectorBom(image.digest))));

      // Act
      const result = await collectSbom(context(ACCEPTING, inspector));

      // Assess
      expect(inspector.asked).toEqual([]);
      expect(result.status).toBe('FAIL');
    });
  });

  describe('when the export gives no usable SBOM', () => {
    it.each<[string, () => InspectorSbomExport, 'MISSING' | 'FAIL', RegExp]>([
      [
        'Inspector has none (FAILED, refused, not here)',
        () => ({ status: 'UNAVAILABLE', reason: 'Inspector SBOM export r1 ended FAILED (INTERNAL_ERROR: boom)' }),
        'MISSING',
        /no Amazon Inspector SBOM export: Inspector SBOM export r1 ended FAILED \(INTERNAL_ERROR: boom\)$/,
      ],
      ['the export wrote nothing', () => exported(), 'MISSING', /wrote no SBOM for it$/],
      [
        'the export wrote two SBOMs',
        () => exported(encode(inspectorBom(image.digest)), encode(inspectorBom(image.digest))),
        'FAIL',
        /wrote 2 SBOMs for one image .*it must write exactly one$/,
      ],
      [
        'the export is about another image',
        () => exported(encode(inspectorBom(`sha256:${'e'.repeat(64)}`))),
        'FAIL',
        /its metadata names image sha256:e{64}, not sha256:/,
      ],
      [
        'the export names no image',
        () => exported(encode({ ...inspectorBom(image.digest), metadata: { properties: [] } })),
        'FAIL',
        /its metadata names image \(none\)/,
      ],
      [
        'the export is not CycloneDX',
        () => exported(encode({ hello: 'world' })),
        'FAIL',
        /Amazon Inspector SBOM export/,
      ],
      [
        'the export object is too large',
        () => ({
          status: 'SUCCEEDED',
          reportId: 'r2',
          objects: [
            {
              location: 's3://gate/big.json',
              read: async () => {
                throw new TooLargeError('s3://gate/big.json', 70_000_000, 67_108_864);
              },
            },
          ],
        }),
        'FAIL',
        /s3:\/\/gate\/big\.json is 70000000 bytes/,
      ],
    ])('when %s: %s', async (_, answer, status, reason) => {
      // Prepare
      const inspector = new FakeInspector(answer());

      // Act
      const result = await collectSbom(context(ACCEPTING, inspector));

      // Assess
      expect(result.status).toBe(status);
      expect(result.reasons[0]).toMatch(reason);
    });
  });
});
