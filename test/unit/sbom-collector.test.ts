import { generateKeyPairSync, sign } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import { COMPONENTS_DOCUMENT, collectSbom } from '../../lambdas/domain/evidence/sbom.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryReader } from '../../lambdas/domain/ports.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { NormalizedSbomSchema } from '../../lambdas/domain/sbom/component.js';
import type { ImageSubject } from '../../lambdas/domain/types.js';
import { pushArtifact, pushBlob, pushImage } from '../support/images.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'team/app';
const LOCK = `sha256:${'c'.repeat(64)}`;
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

const CYCLONEDX = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: LOCK }] },
  components: [
    {
      type: 'library',
      name: 'express',
      version: '4.18.2',
      purl: 'pkg:npm/express@4.18.2',
      licenses: [{ license: { id: 'MIT' } }],
    },
    { type: 'library', name: 'bash', version: '5.2-1', purl: 'pkg:deb/debian/bash@5.2-1' },
  ],
};

const SPDX = {
  spdxVersion: 'SPDX-2.3',
  SPDXID: 'SPDXRef-DOCUMENT',
  creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: test'] },
  packages: [
    {
      SPDXID: 'SPDXRef-flask',
      name: 'flask',
      versionInfo: '3.0.0',
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/flask@3.0.0' },
      ],
    },
  ],
};

function keyPair(id: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    trusted: { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
  };
}

/** A DSSE envelope over an in-toto statement about `digest`, signed with `privateKey` (DER ECDSA). */
function envelope(
  digest: string,
  predicateType: string,
  predicate: unknown,
  privateKey: ReturnType<typeof keyPair>['privateKey'],
) {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: REPO, digest: { sha256: digest.replace('sha256:', '') } }],
    predicateType,
    predicate,
  };
  const payload = encode(statement);
  const sig = sign('sha256', pae(MediaTypes.inTotoPayload, payload), privateKey);
  return encode({
    payloadType: MediaTypes.inTotoPayload,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ sig: sig.toString('base64') }],
  });
}

describe('Function: collectSbom', () => {
  let registry: MemoryRegistry;
  let image: Descriptor;
  let subject: ImageSubject;

  beforeEach(async () => {
    registry = new MemoryRegistry();
    image = await pushImage(registry, REPO, 'v1');
    subject = { repository: REPO, digest: image.digest };
  });

  describe('when a CycloneDX SBOM is attached as an OCI referrer', () => {
    it('passes with the facts and stores the raw SBOM and components.json', async () => {
      // Prepare
      const raw = encode(CYCLONEDX);
      const { digest } = await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: `${MediaTypes.cyclonedxJson};version=1.6`, bytes: raw }],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({
        format: 'cyclonedx',
        specVersion: '1.6',
        componentCount: 2,
        applicationComponents: 1,
        source: 'referrer',
        location: `referrer ${digest}`,
        lockfileDigest: LOCK,
      });
      expect(result.documents.map((d) => [d.name, d.mediaType])).toEqual([
        ['sbom.cdx.json', `${MediaTypes.cyclonedxJson};version=1.6`],
        [COMPONENTS_DOCUMENT, 'application/json'],
      ]);
      expect(result.documents[0]?.bytes).toEqual(raw);
      const components = NormalizedSbomSchema.parse(JSON.parse(new TextDecoder().decode(result.documents[1]?.bytes)));
      expect(components.components.map((c) => c.purl)).toEqual(['pkg:npm/express@4.18.2', 'pkg:deb/debian/bash@5.2-1']);
    });

    it('reads the artifact type from the manifest when the layer has a generic media type', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.spdxJson,
        layers: [{ mediaType: 'application/octet-stream', bytes: encode(SPDX) }],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ format: 'spdx', specVersion: '2.3', componentCount: 1, source: 'referrer' });
    });

    it('ignores referrers that are not SBOMs', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        artifactType: 'application/vnd.example.other',
        layers: [{ mediaType: 'application/vnd.example.other', bytes: encode({ x: 1 }) }],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('MISSING');
    });

    it('does not trust an index entry that claims an SBOM artifact type', async () => {
      // Prepare: the referrer's manifest is not an SBOM, whatever the listing says.
      const { digest, descriptor } = await pushArtifact(registry, REPO, {
        layers: [{ mediaType: 'application/vnd.example.other', bytes: encode({ x: 1 }) }],
        subject: image,
      });
      const lying: RegistryReader = {
        location: registry.location,
        getManifest: (r, ref) => registry.getManifest(r, ref),
        getBlob: (r, d, max) => registry.getBlob(r, d, max),
        listReferrers: async () => [{ ...descriptor, digest, artifactType: MediaTypes.cyclonedxJson }],
      };

      // Act
      const result = await collectSbom(collectContext({ subject, registry: lying }));

      // Assess
      expect(result.status).toBe('MISSING');
    });

    it('rejects an SBOM referrer whose manifest names another subject', async () => {
      // Prepare
      const other = await pushImage(registry, REPO, 'other', 'other-layer');
      const { digest, descriptor } = await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }],
        subject: other,
      });
      const listing: RegistryReader = {
        location: registry.location,
        getManifest: (r, ref) => registry.getManifest(r, ref),
        getBlob: (r, d, max) => registry.getBlob(r, d, max),
        listReferrers: async () => [{ ...descriptor, digest }],
      };

      // Act
      const result = await collectSbom(collectContext({ subject, registry: listing }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`its subject is ${other.digest}`);
    });
  });

  describe('when the SBOM is attached with cosign attach sbom', () => {
    it('passes from the sha256-<hex>.sbom tag', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.spdxJson, bytes: encode(SPDX) }],
        tag: `${digestToTag(image.digest)}.sbom`,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ source: 'cosign-tag', location: `tag ${digestToTag(image.digest)}.sbom` });
      expect(result.documents[0]?.name).toBe('sbom.spdx.json');
    });

    it('fails when the tag holds no JSON SBOM layer', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: 'text/spdx', bytes: new TextEncoder().encode('SPDXVersion: SPDX-2.3') }],
        tag: `${digestToTag(image.digest)}.sbom`,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('no CycloneDX or SPDX JSON layer');
    });
  });

  describe('when the SBOM is an in-toto attestation', () => {
    it('passes when a trusted key signed it and stores the envelope', async () => {
      // Prepare
      const key = keyPair('ci-2026');
      const env = envelope(image.digest, PredicateTypes.cyclonedx, CYCLONEDX, key.privateKey);
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.inTotoPayload,
        layers: [
          { mediaType: MediaTypes.dsseEnvelope, bytes: env, annotations: { predicateType: PredicateTypes.cyclonedx } },
        ],
        subject: image,
      });

      // Act
      const result = await collectSbom(
        collectContext({ subject, registry, policy: { attestations: { keys: [key.trusted] } } }),
      );

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ source: 'attestation', componentCount: 2, lockfileDigest: LOCK });
      expect(String(result.facts.location)).toContain('signed by ci-2026');
      expect(result.documents[0]).toEqual({
        name: 'sbom.intoto.dsse.json',
        mediaType: MediaTypes.dsseEnvelope,
        bytes: env,
      });
    });

    it('fails when no trusted key signed it', async () => {
      // Prepare
      const signer = keyPair('attacker');
      const trusted = keyPair('ci-2026');
      await pushArtifact(registry, REPO, {
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: envelope(image.digest, PredicateTypes.spdx, SPDX, signer.privateKey),
            annotations: { predicateType: PredicateTypes.spdx },
          },
        ],
        subject: image,
      });

      // Act
      const result = await collectSbom(
        collectContext({ subject, registry, policy: { attestations: { keys: [trusted.trusted] } } }),
      );

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join(' ')).toMatch(/not verified/);
    });
  });

  describe('when the policy requires a signed SBOM (sbom.requireSigned)', () => {
    const policy = (key: { trusted: { id: string; publicKey: string } }) => ({
      attestations: { keys: [key.trusted] },
      sbom: { requireSigned: true },
    });

    it('does not read an unsigned referrer SBOM: MISSING with the policy as the reason', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry, policy: policy(keyPair('ci-2026')) }));

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons[0]).toContain('sbom.requireSigned');
    });

    it('passes with the signed attestation even when an unsigned referrer SBOM is attached too', async () => {
      // Prepare
      const key = keyPair('ci-2026');
      await pushArtifact(registry, REPO, {
        artifactType: MediaTypes.cyclonedxJson,
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode({ ...CYCLONEDX, components: [] }) }],
        subject: image,
      });
      await pushArtifact(registry, REPO, {
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: envelope(image.digest, PredicateTypes.cyclonedx, CYCLONEDX, key.privateKey),
            annotations: { predicateType: PredicateTypes.cyclonedx },
          },
        ],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry, policy: policy(key) }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ source: 'attestation', componentCount: 2 });
    });
  });

  describe('when no SBOM is attached', () => {
    it('reports MISSING', async () => {
      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result).toMatchObject({ kind: 'sbom', status: 'MISSING', documents: [] });
      expect(result.reasons[0]).toContain(`no SBOM found for ${REPO}@${image.digest}`);
    });
  });

  describe('when the SBOM found is unusable', () => {
    it('fails on an SBOM that does not parse', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        layers: [
          { mediaType: MediaTypes.cyclonedxJson, bytes: encode({ bomFormat: 'CycloneDX', specVersion: '9.9' }) },
        ],
        subject: image,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toMatch(/no usable SBOM: referrer sha256:[a-f0-9]{64}: not a valid CycloneDX document/);
    });

    it('fails on a layer above the SBOM size limit without fetching it', async () => {
      // Prepare
      const blob = await pushBlob(registry, REPO, MediaTypes.cyclonedxJson, encode(CYCLONEDX));
      const config = await pushBlob(registry, REPO, MediaTypes.ociEmpty, encode({}));
      const manifest = encode({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config,
        layers: [{ ...blob, size: Limits.sbomBytes + 1 }],
        subject: image,
      });
      await registry.putManifest(REPO, manifest, MediaTypes.ociManifest);

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('above the limit');
    });

    it('fails when the SBOM blob does not hash to its digest', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: encode(CYCLONEDX) }],
        subject: image,
      });
      const blobDigest = (await pushBlob(registry, REPO, MediaTypes.cyclonedxJson, encode(CYCLONEDX))).digest;
      registry.corrupt(REPO, blobDigest, encode({ ...CYCLONEDX, components: [] }));

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('hashes to');
    });

    it('passes with a later good source and names the rejected one', async () => {
      // Prepare
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: new TextEncoder().encode('not json') }],
        subject: image,
      });
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.spdxJson, bytes: encode(SPDX) }],
        tag: `${digestToTag(image.digest)}.sbom`,
      });

      // Act
      const result = await collectSbom(collectContext({ subject, registry }));

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts.source).toBe('cosign-tag');
      expect(result.reasons.some((r) => r.startsWith('ignored: referrer'))).toBe(true);
    });

    it('fails when the image has more referrers than the limit', async () => {
      // Prepare
      const many: RegistryReader = {
        location: registry.location,
        getManifest: (r, ref) => registry.getManifest(r, ref),
        getBlob: (r, d, max) => registry.getBlob(r, d, max),
        listReferrers: async () => Array.from({ length: Limits.referrers + 1 }, () => image),
      };

      // Act
      const result = await collectSbom(collectContext({ subject, registry: many }));

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('referrers, above the limit');
    });
  });

  describe('when the registry fails', () => {
    it('throws, so the handler records ERROR and the workflow retries', async () => {
      // Prepare
      registry.failOn('listReferrers', new RegistryError('503 from registry'));

      // Act & Assess
      await expect(collectSbom(collectContext({ subject, registry }))).rejects.toThrow('503 from registry');
    });
  });
});
