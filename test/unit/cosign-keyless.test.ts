import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTestSigstore,
  issueKeylessCertificate,
  KEYLESS_SIGNED_AT,
  type KeylessCertificateOptions,
  type KeylessLayer,
  keylessAttestationLayer,
  keylessSignatureLayer,
  type RekorEntryOptions,
  type TestSigstore,
} from '../../cli/fixtures/keyless.js';
import { simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { collectProvenance } from '../../lambdas/domain/evidence/provenance.js';
import { collectSignature } from '../../lambdas/domain/evidence/signature.js';
import { digestToTag } from '../../lambdas/domain/oci.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { cosignTagBundle } from '../../lambdas/domain/sigstore/cosign-tag.js';
import { parseTrustedRoot, trustedRootDigest } from '../../lambdas/domain/sigstore/trusted-root.js';
import {
  type SigstoreFailure,
  SigstoreVerificationError,
  verifyBundle,
} from '../../lambdas/domain/sigstore/verify-bundle.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { CosignSaveKinds, markAsCosignSave, pushArtifact, pushImage } from '../support/images.js';
import { collectContext, imageContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { bytesOf, statementAbout } from '../support/signers.js';

const REPO = 'app/x';
const WORKFLOW = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const ACTIONS = 'https://token.actions.githubusercontent.com';
const IDENTITY = { subject: WORKFLOW, issuer: ACTIONS };
const NOW = new Date('2026-06-01T00:00:00Z');

const sigstore = await createTestSigstore();
const stranger = await createTestSigstore();
const noCtlogs = await createTestSigstore({ ctlogs: false });
const root = (s: TestSigstore) => parseTrustedRoot(s.trustedRootJson);

const IMAGE = `sha256:${'a'.repeat(64)}` as Digest;
const payload = simpleSigningPayload(`${REPO}:1.0`, IMAGE);

/** Converts a keyless `.sig` layer and verifies it over its payload, as the signature evidence does. */
function verifySig(layer: KeylessLayer, against: TestSigstore = sigstore, identities = [IDENTITY]) {
  const bundle = cosignTagBundle(layer);
  return verifyBundle(bundle, { bytes: layer.bytes }, { trustedRoot: root(against), identities, now: NOW });
}

async function sigLayer(
  cert: Partial<KeylessCertificateOptions> = {},
  entry: RekorEntryOptions = {},
  issuedBy: TestSigstore = sigstore,
): Promise<KeylessLayer> {
  const signer = await issueKeylessCertificate(issuedBy, { ...IDENTITY, ...cert });
  return keylessSignatureLayer(issuedBy, signer, payload, entry);
}

function failure(act: () => unknown): SigstoreFailure | undefined {
  try {
    act();
  } catch (err) {
    if (err instanceof SigstoreVerificationError) return err.detail;
    throw err;
  }
  return undefined;
}

function reason(act: () => unknown): string {
  try {
    act();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return '';
}

describe('Function: cosignTagBundle (keyless cosign tag format, issue 10 finding 21)', () => {
  describe('when a keyless .sig layer carries a valid certificate, SCT and SET', () => {
    it('verifies offline against the trusted root and returns the identity', async () => {
      // Act
      const verified = verifySig(await sigLayer());

      // Assess
      expect(verified).toMatchObject({ signer: WORKFLOW, issuer: ACTIONS, content: 'message-signature' });
      expect(verified.signedAt).toBe(KEYLESS_SIGNED_AT.toISOString());
    });
  });

  describe('when a keyless .att layer carries a valid certificate, SCT and SET', () => {
    it('verifies the DSSE statement against the image digest', async () => {
      // Prepare
      const signer = await issueKeylessCertificate(sigstore, IDENTITY);
      const statement = bytesOf(statementAbout({ name: REPO, digest: IMAGE }, PredicateTypes.slsaProvenanceV1, {}));
      const layer = keylessAttestationLayer(sigstore, signer, statement, PredicateTypes.slsaProvenanceV1);

      // Act
      const verified = verifyBundle(
        cosignTagBundle(layer),
        { digest: IMAGE },
        { trustedRoot: root(sigstore), identities: [IDENTITY], now: NOW },
      );

      // Assess
      expect(verified).toMatchObject({ signer: WORKFLOW, content: 'dsse-envelope' });
      expect(verified.statement?.predicateType).toBe(PredicateTypes.slsaProvenanceV1);
    });
  });

  const otherSignature = (body: Record<string, unknown>) => {
    const spec = body.spec as { signature: { content: string } };
    spec.signature.content = Buffer.from('another signature').toString('base64');
  };
  const otherDigest = (body: Record<string, unknown>) => {
    const spec = body.spec as { data: { hash: { value: string } } };
    spec.data.hash.value = 'b'.repeat(64);
  };

  describe.each<[string, () => Promise<() => unknown>, SigstoreFailure, RegExp]>([
    [
      'the certificate chains to a CA that is not in the trusted root',
      async () => {
        const layer = await sigLayer({}, {}, stranger);
        return () => verifySig(layer);
      },
      'CERTIFICATE_UNTRUSTED',
      /certificate not trusted/,
    ],
    [
      'the certificate had expired at the logged integratedTime',
      async () => {
        const layer = await sigLayer({}, { integratedTime: new Date('2026-01-01T00:30:00Z') });
        return () => verifySig(layer);
      },
      'CERTIFICATE_EXPIRED',
      /signing time proven by the transparency log \(2026-01-01T00:30:00.000Z\)/,
    ],
    [
      'the certificate has no SCT and the trusted root lists CT logs',
      async () => {
        const layer = await sigLayer({ sct: 'none' });
        return () => verifySig(layer);
      },
      'CERTIFICATE_UNTRUSTED',
      /expected 1 SCTs, got 0/,
    ],
    [
      'the SCT is not signed by a CT log of the trusted root',
      async () => {
        const layer = await sigLayer({ sct: 'bad' });
        return () => verifySig(layer);
      },
      'CERTIFICATE_UNTRUSTED',
      /SCT verification failed/,
    ],
    [
      'the SET is not signed by the transparency log',
      async () => {
        const layer = await sigLayer({}, { setKey: stranger.rekor.privateKey });
        return () => verifySig(layer);
      },
      'TLOG_INVALID',
      /inclusion promise could not be verified/,
    ],
    [
      'the log entry records a different signature',
      async () => {
        const layer = await sigLayer({}, { editBody: otherSignature });
        return () => verifySig(layer);
      },
      'TLOG_INCONSISTENT',
      /signature mismatch/,
    ],
    [
      'the log entry records a different payload digest',
      async () => {
        const layer = await sigLayer({}, { editBody: otherDigest });
        return () => verifySig(layer);
      },
      'TLOG_INCONSISTENT',
      /digest mismatch/,
    ],
    [
      "the log entry is another certificate's (same signature bytes, logged for someone else)",
      async () => {
        const other = await issueKeylessCertificate(sigstore, { ...IDENTITY, subject: 'https://github.com/evil/x' });
        const layer = await sigLayer(
          {},
          {
            editBody: (body) => {
              const spec = body.spec as { signature: { publicKey: { content: string } } };
              spec.signature.publicKey.content = Buffer.from(other.certificatePem).toString('base64');
            },
          },
        );
        return () => verifySig(layer);
      },
      'TLOG_INCONSISTENT',
      /records another signer than the certificate presented/,
    ],
    [
      'the certificate identity is not one the policy trusts',
      async () => {
        const layer = await sigLayer({
          subject: 'https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main',
        });
        return () => verifySig(layer);
      },
      'WRONG_IDENTITY',
      /is not trusted; expected/,
    ],
    [
      'the OIDC issuer is not the one the policy trusts for that identity',
      async () => {
        const layer = await sigLayer({ issuer: 'https://accounts.example.com' });
        return () => verifySig(layer);
      },
      'WRONG_ISSUER',
      /was issued by https:\/\/accounts.example.com/,
    ],
    [
      'the layer has no Rekor bundle annotation',
      async () => {
        const layer = await sigLayer();
        const { 'dev.sigstore.cosign/bundle': _, ...annotations } = layer.annotations;
        return () => verifySig({ ...layer, annotations });
      },
      'NO_TLOG_ENTRY',
      /no dev.sigstore.cosign\/bundle annotation/,
    ],
    [
      'the payload was altered after signing',
      async () => {
        const layer = await sigLayer();
        return () => verifySig({ ...layer, bytes: simpleSigningPayload('evil/x:1.0', IMAGE) });
      },
      'TLOG_INCONSISTENT',
      /digest mismatch/,
    ],
  ])('when %s', (_when, arrange, detail, says) => {
    it(`refuses it with ${detail}`, async () => {
      // Prepare
      const act = await arrange();

      // Act / Assess
      expect(failure(act)).toBe(detail);
      expect(reason(act)).toMatch(says);
    });
  });

  describe('when the trusted root lists no CT log', () => {
    it('refuses the certificate: an SCT cannot be checked (the library requires one)', async () => {
      // Prepare
      const layer = await sigLayer({ sct: 'none' }, {}, noCtlogs);

      // Act / Assess
      expect(failure(() => verifySig(layer, noCtlogs))).toBe('CERTIFICATE_UNTRUSTED');
      expect(reason(() => verifySig(layer, noCtlogs))).toMatch(/trusted root lists no CT log/);
    });
  });
});

describe('Function: collectSignature and collectProvenance with keyless cosign tags', () => {
  const rootFile = 'sigstore/trusted_root.json';
  const keyless = {
    identities: [IDENTITY],
    trustedRoot: { file: rootFile, sha256: trustedRootDigest(sigstore.trustedRootJson) },
  };
  const trustedRoots = new Map([[rootFile, root(sigstore)]]);
  const SOURCE = 'https://github.com/org/app';
  const provenancePolicy = {
    attestations: { sigstore: keyless },
    provenance: { builders: [WORKFLOW], sourceRepositories: [SOURCE] },
  };

  /** A signature context whose `.sig` tag holds one keyless signature by `subject` over `payloadDigest` (the image's by default). */
  async function signedImage(opts: { subject?: string; payloadDigest?: Digest } = {}) {
    const { registry, image, ctx } = await imageContext(
      REPO,
      { signature: { sigstore: keyless } },
      { trustedRoots, now: NOW },
    );
    const signer = await issueKeylessCertificate(sigstore, {
      ...IDENTITY,
      ...(opts.subject && { subject: opts.subject }),
    });
    const signed = simpleSigningPayload(`${REPO}:1.0`, opts.payloadDigest ?? image.digest);
    const layer = keylessSignatureLayer(sigstore, signer, signed);
    await pushArtifact(registry, REPO, { layers: [layer], tag: `${digestToTag(image.digest)}.sig` });
    return { image, ctx };
  }

  /**
   * A provenance context whose `.att` tag holds keyless SLSA v1 provenance of the image: in memory,
   * or in an OCI layout written as `cosign save` writes it (no tags, `kind` annotations).
   */
  async function attestedImage(entry: RekorEntryOptions = {}, cosignSaveDir?: string) {
    const registry = cosignSaveDir === undefined ? new MemoryRegistry() : OciLayoutRegistry.single(cosignSaveDir);
    const image = await pushImage(registry, REPO);
    const signer = await issueKeylessCertificate(sigstore, IDENTITY);
    const predicate = {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: { repository: SOURCE, ref: 'refs/heads/main', path: '.github/workflows/release.yml' },
        },
        resolvedDependencies: [],
      },
      runDetails: { builder: { id: WORKFLOW } },
    };
    const statement = bytesOf(
      statementAbout({ name: REPO, digest: image.digest }, PredicateTypes.slsaProvenanceV1, predicate),
    );
    const layer = keylessAttestationLayer(sigstore, signer, statement, PredicateTypes.slsaProvenanceV1, entry);
    const tag = cosignSaveDir === undefined ? `${digestToTag(image.digest)}.att` : undefined;
    const atts = await pushArtifact(registry, REPO, { layers: [layer], ...(tag !== undefined && { tag }) });
    if (cosignSaveDir !== undefined) {
      await markAsCosignSave(cosignSaveDir, {
        [image.digest]: CosignSaveKinds.image,
        [atts.digest]: CosignSaveKinds.atts,
      });
    }
    const subject = { repository: REPO, digest: image.digest };
    return collectContext({ subject, registry, policy: provenancePolicy, trustedRoots, now: NOW });
  }

  describe('when the .sig tag holds a valid keyless signature of this image', () => {
    it('passes with the certificate identity as signer', async () => {
      // Prepare
      const { ctx } = await signedImage();

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.reasons).toEqual([`signed by ${WORKFLOW} (${ACTIONS})`]);
      expect(result.status).toBe('PASS');
      expect(result.documents.map((d) => d.name)).toEqual([
        'signature-1.payload.json',
        'signature-1.sigstore.json',
        'signatures.json',
      ]);
    });
  });

  describe('when the keyless signature names another image', () => {
    it('fails: the verified payload does not cover this digest', async () => {
      // Prepare
      const { image, ctx } = await signedImage({ payloadDigest: IMAGE });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join('\n')).toContain(`signature covers ${IMAGE} not this image ${image.digest}`);
    });
  });

  describe('when the keyless signature is by an identity the policy does not trust', () => {
    it('fails with the identity in the reason', async () => {
      // Prepare
      const { ctx } = await signedImage({ subject: 'https://github.com/evil/x' });

      // Act
      const result = await collectSignature(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.join('\n')).toMatch(
        /keyless signature not verified: certificate identity https:\/\/github.com\/evil\/x/,
      );
    });
  });

  describe('when the .att tag holds keyless SLSA provenance of this image', () => {
    it('passes provenance with the certificate identity as signer', async () => {
      // Prepare
      const ctx = await attestedImage();

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.reasons.join('\n')).not.toContain('keyless attestation');
      expect(result.status).toBe('PASS');
      expect(result.documents.map((d) => d.name)).toContain('provenance.sigstore.json');
    });
  });

  describe('when the keyless provenance sits in an OCI layout written by cosign save', () => {
    it('finds it through the kind annotations and passes provenance', async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), 'cosign-save-'));
      try {
        const ctx = await attestedImage({}, dir);

        // Act
        const result = await collectProvenance(ctx);

        // Assess
        expect(result.status).toBe('PASS');
        expect(result.documents.map((d) => d.name)).toContain('provenance.sigstore.json');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when the keyless provenance has an invalid SET', () => {
    it('fails provenance with the reason', async () => {
      // Prepare
      const ctx = await attestedImage({ setKey: stranger.rekor.privateKey });

      // Act
      const result = await collectProvenance(ctx);

      // Assess
      expect(result.status).not.toBe('PASS');
      expect(result.reasons.join('\n')).toMatch(/\.att \(keyless\): transparency log inclusion not proven/);
    });
  });
});
