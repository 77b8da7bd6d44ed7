import { createHash, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleToJSON, toDSSEBundle, toMessageSignatureBundle } from '@sigstore/bundle';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { GateError, InvalidInputError } from '../../lambdas/domain/errors.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryReader } from '../../lambdas/domain/ports.js';
import { findSigstoreBundles, scanSigstoreBundles } from '../../lambdas/domain/sigstore/discover.js';
import { verifyImageBundles } from '../../lambdas/domain/sigstore/image-signatures.js';
import {
  parseTrustedRoot,
  trustedRootDigest,
  VENDORED_TRUSTED_ROOTS,
} from '../../lambdas/domain/sigstore/trusted-root.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  matchesSubject,
  type SigstoreFailure,
  SigstoreVerificationError,
  verifyBundle,
} from '../../lambdas/domain/sigstore/verify-bundle.js';
import { sha256 } from '../support/digest.js';
import { pushArtifact, pushBlob, pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { type TestSigner, testSigner } from '../support/signers.js';

const DATA = join(import.meta.dirname, '..', 'corpus', 'data');
const PYTHON = join(DATA, 'sigstore-bundles', 'sigstore-python');
const ROOTS = join(import.meta.dirname, '..', '..', 'lambdas', 'domain', 'sigstore', 'roots');
const BUNDLE_V03 = MediaTypes.sigstoreBundleV03;
const GITHUB_LOGIN = 'https://github.com/login/oauth';

const stagingRoot = parseTrustedRoot(
  new Uint8Array(readFileSync(join(ROOTS, VENDORED_TRUSTED_ROOTS.staging.file))),
  VENDORED_TRUSTED_ROOTS.staging,
);

const signingKey = testSigner('ci-signing');
const otherKey = testSigner('someone-else');

function toBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value)));
}

function statementFor(digest: string, predicateType = COSIGN_SIGN_PREDICATE_TYPE): Record<string, unknown> {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: digest.replace('sha256:', '') } }],
    predicateType,
    predicate: {},
  };
}

/** A key-based DSSE bundle as cosign v3 `sign --key` / `attest --key` writes it (no tlog upload). */
function keyedDsseBundle(
  key: TestSigner,
  payload: unknown,
  payloadType: string = MediaTypes.inTotoPayload,
  hint = key.trusted.id,
): Uint8Array {
  const artifact = Buffer.from(JSON.stringify(payload));
  const signature = sign('sha256', pae(payloadType, artifact), key.privateKey);
  return toBytes(bundleToJSON(toDSSEBundle({ artifact, artifactType: payloadType, signature, keyHint: hint })));
}

/** A key-based message-signature bundle over `artifact`. */
function keyedMessageBundle(key: TestSigner, artifact: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(artifact).digest();
  const signature = sign('sha256', artifact, key.privateKey);
  return toBytes(bundleToJSON(toMessageSignatureBundle({ digest, signature, keyHint: key.trusted.id })));
}

function corpus(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PYTHON, name)));
}

const IMAGE_DIGEST = sha256('an image manifest');

describe('Function: verifyBundle', () => {
  describe('when a keyed DSSE bundle is signed by a trusted key over a statement about the artifact', () => {
    it('returns the key id and the statement', () => {
      // Prepare
      const bundle = keyedDsseBundle(signingKey, statementFor(IMAGE_DIGEST));

      // Act
      const verified = verifyBundle(bundle, { digest: IMAGE_DIGEST }, { keys: [otherKey.trusted, signingKey.trusted] });

      // Assess
      expect(verified).toMatchObject({
        mediaType: BUNDLE_V03,
        content: 'dsse-envelope',
        signer: 'ci-signing',
        tlogEntries: 0,
      });
      expect(verified.statement?.predicateType).toBe(COSIGN_SIGN_PREDICATE_TYPE);
    });
  });

  describe('when a keyed message-signature bundle signs the artifact bytes', () => {
    it('returns the key id', () => {
      // Prepare
      const artifact = new Uint8Array(Buffer.from('release notes'));
      const bundle = keyedMessageBundle(signingKey, artifact);

      // Act
      const verified = verifyBundle(bundle, { bytes: artifact }, { keys: [signingKey.trusted] });

      // Assess
      expect(verified).toMatchObject({ content: 'message-signature', signer: 'ci-signing' });
    });
  });

  describe('when a cosign v3.0.0-3.0.4 image signature has no predicate', () => {
    it('accepts it as a cosign sign/v1 statement', () => {
      // Prepare
      const { predicate: _omitted, ...statement } = statementFor(IMAGE_DIGEST);
      const bundle = keyedDsseBundle(signingKey, statement);

      // Act
      const verified = verifyBundle(bundle, { digest: IMAGE_DIGEST }, { keys: [signingKey.trusted] });

      // Assess
      expect(verified.statement?.predicate).toEqual({});
    });
  });

  describe('when the identity is a glob that matches the SAN', () => {
    it('returns the SAN and issuer', () => {
      // Act
      const verified = verifyBundle(
        corpus('bundle.txt.sigstore'),
        { bytes: corpus('bundle.txt') },
        { trustedRoot: stagingRoot, identities: [{ issuer: GITHUB_LOGIN, subject: '*@tny.town' }] },
      );

      // Assess
      expect(verified).toMatchObject({
        signer: 'a@tny.town',
        issuer: GITHUB_LOGIN,
        signedAt: '2023-04-26T00:21:09.000Z',
      });
    });
  });

  const keys = { keys: [signingKey.trusted] };
  const keyless = (subject: string, issuer = GITHUB_LOGIN) => ({
    trustedRoot: stagingRoot,
    identities: [{ issuer, subject }],
  });
  /** The bundle re-serialised after `edit` changed its JSON, as an attacker or a buggy signer would. */
  // biome-ignore lint/suspicious/noExplicitAny: the edits reach into bundle JSON the schema has not checked yet
  const editJson = (bytes: Uint8Array, edit: (json: any) => void): Uint8Array => {
    const json = JSON.parse(Buffer.from(bytes).toString('utf8'));
    edit(json);
    return toBytes(json);
  };
  const text = (value: string) => new Uint8Array(Buffer.from(value));

  /** A bundle verifyBundle refuses: the situation, the test's name, the failure code, what the message says. */
  const REFUSED: readonly (readonly [string, string, SigstoreFailure, () => unknown, RegExp?])[] = [
    [
      'the DSSE payload was altered after signing',
      'throws SIGNATURE_INVALID (tampered payload)',
      'SIGNATURE_INVALID',
      () => {
        const tampered = editJson(keyedDsseBundle(signingKey, statementFor(IMAGE_DIGEST)), (json) => {
          json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statementFor(sha256('evil')))).toString('base64');
        });
        return verifyBundle(tampered, { digest: sha256('evil') }, keys);
      },
    ],
    [
      'the bundle is signed by a key the policy does not trust',
      'throws UNTRUSTED_KEY naming the trusted keys',
      'UNTRUSTED_KEY',
      () => verifyBundle(keyedDsseBundle(otherKey, statementFor(IMAGE_DIGEST)), { digest: IMAGE_DIGEST }, keys),
      /ci-signing/,
    ],
    [
      'the statement subject is another digest',
      'throws DIGEST_MISMATCH (wrong subject digest)',
      'DIGEST_MISMATCH',
      () =>
        verifyBundle(
          keyedDsseBundle(signingKey, statementFor(sha256('another image'))),
          { digest: IMAGE_DIGEST },
          keys,
        ),
      new RegExp(IMAGE_DIGEST),
    ],
    [
      'a message signature is checked against other bytes',
      'throws DIGEST_MISMATCH',
      'DIGEST_MISMATCH',
      () => verifyBundle(keyedMessageBundle(signingKey, text('v1')), { bytes: text('v2') }, keys),
    ],
    [
      'a message signature is checked against a digest only',
      'throws ARTIFACT_REQUIRED',
      'ARTIFACT_REQUIRED',
      () => verifyBundle(keyedMessageBundle(signingKey, text('v1')), { digest: sha256(text('v1')) }, keys),
    ],
    [
      'a keyed bundle meets a policy with no keys',
      'throws NO_TRUST_ANCHOR',
      'NO_TRUST_ANCHOR',
      () =>
        verifyBundle(
          keyedDsseBundle(signingKey, statementFor(IMAGE_DIGEST)),
          { digest: IMAGE_DIGEST },
          {
            identities: [{ issuer: 'x', subject: '*' }],
          },
        ),
    ],
    [
      'the DSSE payload is not an in-toto statement',
      'throws STATEMENT_INVALID',
      'STATEMENT_INVALID',
      () =>
        verifyBundle(
          keyedDsseBundle(signingKey, { hello: 'world' }, 'application/json'),
          { digest: IMAGE_DIGEST },
          keys,
        ),
    ],
    [
      'the media type is not a Sigstore bundle',
      'throws UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_MEDIA_TYPE',
      () => {
        const bundle = editJson(keyedDsseBundle(signingKey, statementFor(IMAGE_DIGEST)), (json) => {
          json.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=9.9';
        });
        return verifyBundle(bundle, { digest: IMAGE_DIGEST }, keys);
      },
    ],
    [
      'the keyless certificate SAN is not a trusted identity',
      'throws WRONG_IDENTITY (corpus bundle.txt, staging)',
      'WRONG_IDENTITY',
      () =>
        verifyBundle(corpus('bundle.txt.sigstore'), { bytes: corpus('bundle.txt') }, keyless('someone@example.com')),
      /a@tny\.town/,
    ],
    [
      'the SAN is trusted only from another OIDC issuer',
      'throws WRONG_ISSUER',
      'WRONG_ISSUER',
      () =>
        verifyBundle(
          corpus('bundle.txt.sigstore'),
          { bytes: corpus('bundle.txt') },
          keyless('a@tny.town', 'https://accounts.google.com'),
        ),
      /https:\/\/github\.com\/login\/oauth/,
    ],
    [
      'the certificate was not valid at the signing time the transparency log proves',
      'throws CERTIFICATE_EXPIRED',
      'CERTIFICATE_EXPIRED',
      () => {
        // bundle_v3 (logged 2024-04-02) carrying the leaf of bundle.txt (valid 10 minutes on 2023-04-26).
        const v1 = JSON.parse(Buffer.from(corpus('bundle.txt.sigstore')).toString('utf8'));
        const v3 = editJson(corpus('bundle_v3.txt.sigstore'), (json) => {
          json.verificationMaterial.certificate.rawBytes =
            v1.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
        });
        return verifyBundle(v3, { bytes: corpus('bundle_v3.txt') }, keyless('*'));
      },
      /2024-04-02/,
    ],
    [
      'the proven signing time is after the verification time',
      'throws TIMESTAMP_INVALID',
      'TIMESTAMP_INVALID',
      () =>
        verifyBundle(
          corpus('bundle.txt.sigstore'),
          { bytes: corpus('bundle.txt') },
          {
            ...keyless('a@tny.town'),
            now: new Date('2023-01-01T00:00:00Z'),
          },
        ),
    ],
    [
      'a keyless bundle has no transparency log entry',
      'throws NO_TLOG_ENTRY',
      'NO_TLOG_ENTRY',
      () =>
        verifyBundle(
          corpus('bundle_no_log_entry.txt.sigstore'),
          { bytes: corpus('bundle_no_log_entry.txt') },
          keyless('*'),
        ),
    ],
    [
      'a keyless log entry keeps its inclusion proof but loses its promise (no proven signing time)',
      'throws TIMESTAMP_INVALID: keyless keeps the library timestamp threshold',
      'TIMESTAMP_INVALID',
      () => {
        const v3 = editJson(corpus('bundle_v3.txt.sigstore'), (json) => {
          delete json.verificationMaterial.tlogEntries[0].inclusionPromise;
        });
        return verifyBundle(v3, { bytes: corpus('bundle_v3.txt') }, keyless('william@yossarian.net'));
      },
    ],
    [
      'a keyless bundle is verified without a trusted root',
      'throws NO_TRUST_ANCHOR',
      'NO_TRUST_ANCHOR',
      () =>
        verifyBundle(
          corpus('bundle.txt.sigstore'),
          { bytes: corpus('bundle.txt') },
          {
            identities: [{ issuer: GITHUB_LOGIN, subject: 'a@tny.town' }],
          },
        ),
    ],
  ];

  describe.each(REFUSED.map((row) => [row[0], row] as const))('when %s', (_when, [, then, code, act, says]) => {
    it(then, () => {
      // Act & Assess
      expect(act).toThrowWithCode(SigstoreVerificationError, code, says);
    });
  });
});

describe('Function: matchesSubject', () => {
  describe('when the pattern has no *', () => {
    it('matches exactly', () => {
      expect(matchesSubject('a@b.c', 'a@b.c')).toBe(true);
      expect(matchesSubject('a@b.c', 'xa@b.c')).toBe(false);
      expect(matchesSubject('a.b', 'aXb')).toBe(false);
    });
  });

  describe('when the pattern has *', () => {
    it('matches any run of characters, anchored at both ends', () => {
      const pattern = 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/*';
      expect(
        matchesSubject(pattern, 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3'),
      ).toBe(true);
      expect(matchesSubject(pattern, 'https://github.com/org/repo/.github/workflows/other.yml@refs/tags/v1')).toBe(
        false,
      );
      expect(matchesSubject('https://github.com/org/*', 'https://github.com/organisation/x')).toBe(false);
    });
  });
});

describe('Function: parseTrustedRoot', () => {
  const bytes = new Uint8Array(readFileSync(join(ROOTS, VENDORED_TRUSTED_ROOTS.production.file)));

  describe('when the root hashes to its pin', () => {
    it('returns the root and its digest', () => {
      // Act
      const root = parseTrustedRoot(bytes, VENDORED_TRUSTED_ROOTS.production);

      // Assess
      expect(root.sha256).toBe(VENDORED_TRUSTED_ROOTS.production.sha256);
      expect(root.summary.certificateAuthorities).toBeGreaterThan(0);
      expect(root.summary.tlogs).toBeGreaterThan(0);
    });
  });

  describe('when the root differs from the pin', () => {
    it('refuses it with DIGEST_MISMATCH', () => {
      // Prepare
      const edited = new Uint8Array(Buffer.from(`${Buffer.from(bytes).toString('utf8')}\n`));

      // Act
      const act = () => parseTrustedRoot(edited, VENDORED_TRUSTED_ROOTS.production);

      // Assess
      expect(act).toThrow(GateError);
      expect(act).toThrow(/pins/);
      expect(trustedRootDigest(edited)).not.toBe(VENDORED_TRUSTED_ROOTS.production.sha256);
    });
  });

  describe('when a key or authority is valid with an open end ("end": null) (issue 10, finding 22)', () => {
    it('loads it, as the Sigstore clients do', () => {
      // Prepare
      const ValidFor = z.looseObject({ end: z.unknown().optional() });
      const json = z
        .looseObject({
          tlogs: z.array(z.looseObject({ publicKey: z.looseObject({ validFor: ValidFor.optional() }) })),
          certificateAuthorities: z.array(z.looseObject({ validFor: ValidFor })),
        })
        .parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
      for (const t of json.tlogs) if (t.publicKey.validFor !== undefined) t.publicKey.validFor.end = null;
      for (const ca of json.certificateAuthorities) ca.validFor.end = null;
      const openEnded = new Uint8Array(Buffer.from(JSON.stringify(json)));

      // Act
      const root = parseTrustedRoot(openEnded);

      // Assess
      expect(root.summary.certificateAuthorities).toBe(json.certificateAuthorities.length);
      expect(() =>
        parseTrustedRoot(
          new Uint8Array(
            Buffer.from(
              JSON.stringify({
                ...json,
                certificateAuthorities: [
                  { ...json.certificateAuthorities[0], validFor: { start: '2021-01-01T00:00:00Z', end: 7 } },
                ],
              }),
            ),
          ),
        ),
      ).toThrow(InvalidInputError);
    });
  });

  describe('when the document is not a trusted root', () => {
    it('throws INVALID_INPUT', () => {
      // Act
      const act = () => parseTrustedRoot(toBytes({ mediaType: 'application/json', tlogs: [] }));

      // Assess
      expect(act).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    });
  });
});

/** A registry without the referrers API: only tags and manifests by digest. */
function withoutReferrersApi(registry: MemoryRegistry): RegistryReader {
  return {
    location: registry.location,
    getManifest: (repository, reference) => registry.getManifest(repository, reference),
    getBlob: (repository, digest, maxBytes) => registry.getBlob(repository, digest, maxBytes),
    listReferrers: async () => [],
  };
}

async function imageWithBundle(bundle: (digest: string) => Uint8Array, artifactType?: string) {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, 'app');
  const attached = await pushArtifact(registry, 'app', {
    layers: [{ mediaType: BUNDLE_V03, bytes: bundle(image.digest) }],
    subject: image,
    artifactType: artifactType ?? BUNDLE_V03,
  });
  return { registry, image, attached };
}

/** The bundles of `app@digest`, verified against the signing key. */
const verifyAppBundles = (registry: RegistryReader, digest: string) =>
  verifyImageBundles(registry, { repository: 'app', digest }, { keys: [signingKey.trusted] });

describe('Function: verifyImageBundles', () => {
  describe('when a cosign v3 signature referrer is indexed with the empty artifactType (cosign#4422)', () => {
    it('reads the manifest and accepts the signature', async () => {
      // Prepare
      const { registry, image } = await imageWithBundle(
        (digest) => keyedDsseBundle(signingKey, statementFor(digest)),
        MediaTypes.ociEmpty,
      );

      // Act
      const result = await verifyAppBundles(registry, image.digest);

      // Assess
      expect(result.rejected).toEqual([]);
      expect(result.accepted).toMatchObject([
        { signer: 'ci-signing', content: 'dsse-envelope', predicateType: COSIGN_SIGN_PREDICATE_TYPE },
      ]);
    });
  });

  describe('when a message-signature bundle signs the image manifest', () => {
    it('accepts it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app');
      const manifest = (await registry.getManifest('app', image.digest)).bytes;
      await pushArtifact(registry, 'app', {
        layers: [{ mediaType: BUNDLE_V03, bytes: keyedMessageBundle(signingKey, manifest) }],
        subject: image,
      });

      // Act
      const result = await verifyAppBundles(registry, image.digest);

      // Assess
      expect(result.accepted).toMatchObject([{ signer: 'ci-signing', content: 'message-signature' }]);
    });
  });

  describe('when the bundle signs another image', () => {
    it('rejects it with a digest mismatch', async () => {
      // Prepare
      const { registry, image } = await imageWithBundle(() => keyedDsseBundle(signingKey, statementFor(IMAGE_DIGEST)));

      // Act
      const result = await verifyAppBundles(registry, image.digest);

      // Assess
      expect(result.accepted).toEqual([]);
      expect(result.rejected).toEqual([
        expect.objectContaining({ reason: expect.stringContaining(`does not cover ${image.digest}`) }),
      ]);
    });
  });

  describe('when the bundle is signed by an untrusted key', () => {
    it('rejects it', async () => {
      // Prepare
      const { registry, image } = await imageWithBundle((digest) => keyedDsseBundle(otherKey, statementFor(digest)));

      // Act
      const result = await verifyAppBundles(registry, image.digest);

      // Assess
      expect(result.accepted).toEqual([]);
      expect(result.rejected[0]?.reason).toMatch(/any trusted key/);
    });
  });

  describe('when the bundle blob was tampered with in the registry', () => {
    it('rejects it as unreadable', async () => {
      // Prepare
      const { registry, image, attached } = await imageWithBundle((digest) =>
        keyedDsseBundle(signingKey, statementFor(digest)),
      );
      const layer = attached.layers[0];
      if (layer === undefined) throw new Error('no layer');
      registry.corrupt('app', layer.digest, new Uint8Array(Buffer.from('{}')));

      // Act
      const result = await verifyAppBundles(registry, image.digest);

      // Assess
      expect(result.accepted).toEqual([]);
      expect(result.rejected[0]?.reason).toMatch(/unreadable/);
    });
  });

  describe('when the bundle is a provenance attestation', () => {
    it('skips it by default and accepts it when its predicate type is asked for', async () => {
      // Prepare
      const slsa = 'https://slsa.dev/provenance/v1';
      const { registry, image } = await imageWithBundle((digest) =>
        keyedDsseBundle(signingKey, statementFor(digest, slsa)),
      );
      const subject = { repository: 'app', digest: image.digest };

      // Act
      const signatures = await verifyImageBundles(registry, subject, { keys: [signingKey.trusted] });
      const provenance = await verifyImageBundles(registry, subject, {
        keys: [signingKey.trusted],
        predicateTypes: [slsa],
      });

      // Assess
      expect(signatures).toEqual({ accepted: [], rejected: [] });
      expect(provenance.accepted).toMatchObject([{ predicateType: slsa, signer: 'ci-signing' }]);
    });
  });
});

describe('Function: findSigstoreBundles', () => {
  describe('when the registry has no referrers API and cosign wrote the referrers tag index', () => {
    it('finds the bundle through the sha256-<hex> tag', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app');
      const bundle = keyedDsseBundle(signingKey, statementFor(image.digest));
      const { descriptor } = await pushArtifact(registry, 'app', {
        layers: [{ mediaType: BUNDLE_V03, bytes: bundle }],
        subject: image,
      });
      const index = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [{ ...descriptor, artifactType: BUNDLE_V03 }],
      };
      await registry.putManifest('app', toBytes(index), MediaTypes.ociIndex, digestToTag(image.digest));

      // Act
      const found = await findSigstoreBundles(withoutReferrersApi(registry), 'app', image.digest);

      // Assess
      expect(found).toEqual([{ source: `referrer ${descriptor.digest}`, bytes: bundle, mediaType: BUNDLE_V03 }]);
    });
  });

  describe('when a bundle layer sits under the cosign .sig tag', () => {
    it('finds it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app');
      const legacyType = 'application/vnd.dev.sigstore.bundle+json;version=0.3';
      await pushArtifact(registry, 'app', {
        layers: [{ mediaType: legacyType, bytes: keyedDsseBundle(signingKey, statementFor(image.digest)) }],
        tag: `${digestToTag(image.digest)}.sig`,
      });

      // Act
      const found = await findSigstoreBundles(registry, 'app', image.digest);

      // Assess
      expect(found.map((f) => [f.source, f.mediaType])).toEqual([[`tag ${digestToTag(image.digest)}.sig`, legacyType]]);
    });
  });

  describe('when a referrer is not a bundle', () => {
    it('ignores it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app');
      await pushArtifact(registry, 'app', {
        layers: [{ mediaType: MediaTypes.spdxJson, bytes: toBytes({ spdxVersion: 'SPDX-2.3' }) }],
        subject: image,
        artifactType: BUNDLE_V03,
      });

      // Act
      const scan = await scanSigstoreBundles(registry, 'app', image.digest);

      // Assess
      expect(scan).toEqual({ found: [], unreadable: [] });
    });
  });

  describe('when there are more referrers than the limit', () => {
    it('throws TOO_LARGE', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, 'app');
      const config = await pushBlob(registry, 'app', MediaTypes.ociEmpty, toBytes({}));
      const many: Descriptor[] = Array.from({ length: 501 }, (_, i) => ({
        ...config,
        digest: sha256(`referrer ${i}`),
      }));
      const reader: RegistryReader = { ...withoutReferrersApi(registry), listReferrers: async () => many };

      // Act
      const act = scanSigstoreBundles(reader, 'app', image.digest);

      // Assess
      await expect(act).rejects.toMatchObject({ code: 'TOO_LARGE' });
    });
  });
});
