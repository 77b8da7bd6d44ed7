import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pushManifest } from '../../cli/fixtures/push.js';
import { inTotoStatement } from '../../cli/fixtures/sign.js';
import { COSIGN_SIGN_V1, sigstoreBundleReferrer } from '../../cli/fixtures/sigstore.js';
import { collectSignature } from '../../lambdas/domain/evidence/signature.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import { parseTrustedRoot, trustedRootDigest } from '../../lambdas/domain/sigstore/trusted-root.js';
import {
  type SigstoreFailure,
  SigstoreVerificationError,
  type VerifyBundleOptions,
  verifyBundle,
} from '../../lambdas/domain/sigstore/verify-bundle.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { sha256 } from '../support/digest.js';
import { pushImage } from '../support/images.js';
import { COLLECT_NOW, collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { testSigner } from '../support/signers.js';
import {
  type KeylessBundleOptions,
  sigstoreTestInstance,
  type TrustedRootOptions,
} from '../support/sigstore-instance.js';

// Rekor v2 (rekor-tiles) entries carry an inclusion proof with a signed checkpoint, but no SET and
// no integrated time: the signing time comes from an RFC 3161 timestamp. For a DSSE envelope the
// entry is a hashedrekord 0.0.2 over Hash(PAE) (rekor-v2 spec §6.1.4), which @sigstore/verify 3.1.1
// compared with the payload hash and refused with "digest mismatch" (issue 10, finding 22).

const instance = await sigstoreTestInstance();
const rootBytes = instance.trustedRoot();
const trustedRoot = parseTrustedRoot(rootBytes, { sha256: trustedRootDigest(rootBytes) });

const SIGNED_AT = new Date('2026-11-25T11:00:00Z');
const NOW = COLLECT_NOW; // an hour later: the 10-minute certificate has long expired
const REPO = 'app/x';
const IDENTITY = {
  san: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0',
  issuer: 'https://token.actions.githubusercontent.com',
};
const trustsIdentity: VerifyBundleOptions = {
  trustedRoot,
  identities: [{ issuer: IDENTITY.issuer, subject: 'https://github.com/acme/app/.github/workflows/*' }],
  now: NOW,
};

const imageDigest = sha256('the image manifest');
const statementAbout = (digest: Digest): Uint8Array =>
  new Uint8Array(Buffer.from(inTotoStatement([{ name: REPO, digest }], COSIGN_SIGN_V1, {})));

function keyless(opts: Partial<KeylessBundleOptions> = {}): Promise<Uint8Array> {
  return instance.keylessBundle({
    statement: statementAbout(imageDigest),
    signedAt: SIGNED_AT,
    identity: IDENTITY,
    ...opts,
  });
}

describe('Function: verifyBundle, Rekor v2 log entries (issue 10, finding 22)', () => {
  describe.each([
    ['hashedrekord 0.0.2 over the PAE', 'hashedrekord'],
    ['dsse 0.0.2', 'dsse'],
  ] as const)(
    'when a keyless DSSE bundle is logged in a pinned Rekor v2 log as %s and timestamped',
    (_what, entryKind) => {
      it('accepts it, with the signing time the timestamp authority proves', async () => {
        // Prepare
        const bundle = await keyless({ entryKind });

        // Act
        const verified = verifyBundle(bundle, { digest: imageDigest }, trustsIdentity);

        // Assess
        expect(verified).toMatchObject({
          content: 'dsse-envelope',
          signer: IDENTITY.san,
          issuer: IDENTITY.issuer,
          signedAt: SIGNED_AT.toISOString(),
          tlogEntries: 1,
        });
      });
    },
  );

  describe('when a key-based DSSE bundle carries a Rekor v2 entry and a timestamp', () => {
    it('accepts it and checks both against the trusted root', async () => {
      // Prepare
      const signer = testSigner('ci');
      const bundle = await instance.keyedBundle({
        statement: statementAbout(imageDigest),
        signedAt: SIGNED_AT,
        privateKey: signer.privateKey,
      });

      // Act
      const verified = verifyBundle(bundle, { digest: imageDigest }, { trustedRoot, keys: [signer.trusted], now: NOW });

      // Assess
      expect(verified).toMatchObject({ signer: 'ci', signedAt: SIGNED_AT.toISOString(), tlogEntries: 1 });
    });
  });

  const otherLogKey = generateKeyPairSync('ed25519').privateKey;
  /** A good keyless bundle, verified against a root that leaves part of the instance out. */
  const verifyAgainstRoot = async (root: TrustedRootOptions) =>
    verifyBundle(
      await keyless(),
      { digest: imageDigest },
      {
        ...trustsIdentity,
        trustedRoot: parseTrustedRoot(instance.trustedRoot(root)),
      },
    );
  const REFUSED: ReadonlyArray<
    readonly [when: string, code: SigstoreFailure, says: string, act: () => Promise<unknown>]
  > = [
    [
      'the checkpoint is signed by another key under the log name',
      'TLOG_INVALID',
      'invalid checkpoint signature',
      async () => verifyBundle(await keyless({ checkpointKey: otherLogKey }), { digest: imageDigest }, trustsIdentity),
    ],
    [
      'the log entry (really logged and proven) is for another payload',
      'TLOG_INCONSISTENT',
      'digest mismatch',
      async () =>
        verifyBundle(
          await keyless({ loggedStatement: statementAbout(sha256('another image')) }),
          { digest: imageDigest },
          trustsIdentity,
        ),
    ],
    [
      'the log entry (really logged and proven) holds another valid signature over the same content',
      'TLOG_INCONSISTENT',
      'signature mismatch',
      async () => verifyBundle(await keyless({ resignForLog: true }), { digest: imageDigest }, trustsIdentity),
    ],
    [
      'the dsse entry (really logged and proven) is for another payload',
      'TLOG_INCONSISTENT',
      'payload hash mismatch',
      async () =>
        verifyBundle(
          await keyless({ entryKind: 'dsse', loggedStatement: statementAbout(sha256('another image')) }),
          { digest: imageDigest },
          trustsIdentity,
        ),
    ],
    [
      'a keyless bundle has a Rekor v2 entry but no timestamp (Rekor v2 proves no time)',
      'TIMESTAMP_INVALID',
      'expected 1 timestamps, got 0',
      async () => verifyBundle(await keyless({ timestamp: false }), { digest: imageDigest }, trustsIdentity),
    ],
    [
      'the timestamp proves a signing time after the 10-minute certificate expired',
      'CERTIFICATE_EXPIRED',
      'at the signing time proven by a timestamp authority (2026-11-25T11:20:00.000Z)',
      async () =>
        verifyBundle(
          await keyless({ timestampAt: new Date(SIGNED_AT.getTime() + 20 * 60_000) }),
          { digest: imageDigest },
          trustsIdentity,
        ),
    ],
    [
      'a keyless bundle has a timestamp but no log entry',
      'NO_TLOG_ENTRY',
      'no transparency log entry',
      async () => verifyBundle(await keyless({ tlogEntry: false }), { digest: imageDigest }, trustsIdentity),
    ],
    [
      'a keyless bundle has neither a log entry nor a timestamp',
      'NO_TLOG_ENTRY',
      'no transparency log entry',
      async () =>
        verifyBundle(await keyless({ tlogEntry: false, timestamp: false }), { digest: imageDigest }, trustsIdentity),
    ],
    [
      'the trusted root does not pin the Rekor v2 log the entry names',
      'TLOG_INVALID',
      'invalid checkpoint signature',
      async () => verifyAgainstRoot({ withRekorV2: false }),
    ],
    [
      'the trusted root does not list the timestamp authority',
      'TIMESTAMP_INVALID',
      'timestamp could not be verified',
      async () => verifyAgainstRoot({ withTimestampAuthority: false }),
    ],
    [
      'a key-based bundle carries a Rekor v2 entry whose checkpoint does not verify',
      'TLOG_INVALID',
      'invalid checkpoint signature',
      async () => {
        const signer = testSigner('ci');
        const bundle = await instance.keyedBundle({
          statement: statementAbout(imageDigest),
          signedAt: SIGNED_AT,
          privateKey: signer.privateKey,
          checkpointKey: otherLogKey,
        });
        return verifyBundle(bundle, { digest: imageDigest }, { trustedRoot, keys: [signer.trusted], now: NOW });
      },
    ],
  ];

  describe.each(REFUSED.map((row) => [row[0], row] as const))('when %s', (_when, [, code, says, act]) => {
    it(`throws ${code}`, async () => {
      // Act
      const error = await act().then(
        () => undefined,
        (err: unknown) => err,
      );

      // Assess
      expect(error).toBeInstanceOf(SigstoreVerificationError);
      expect(error).toMatchObject({ detail: code });
      expect(String(error)).toContain(says);
    });
  });
});

describe('Function: collectSignature, a policy pinning a trusted root with a Rekor v2 log (issue 10, finding 22)', () => {
  const ROOT_FILE = 'sigstore/rekor-v2.trusted_root.json';
  const policy = loadPolicy(
    new TextEncoder().encode(
      JSON.stringify({
        apiVersion: 'release-gate.dev/v1',
        kind: 'Policy',
        rules: [
          {
            repositories: ['**'],
            signature: {
              accept: ['sigstore-bundle'],
              sigstore: {
                trustedRoot: { file: ROOT_FILE, sha256: trustedRootDigest(rootBytes) },
                identities: [{ issuer: IDENTITY.issuer, subject: IDENTITY.san }],
              },
            },
          },
        ],
      }),
    ),
    (path) => {
      if (path !== ROOT_FILE) throw new Error(`no file ${path}`);
      return rootBytes;
    },
  );

  async function collect(opts: Partial<KeylessBundleOptions>) {
    const registry = new MemoryRegistry();
    const image = await pushImage(registry, REPO, '1.0');
    const bundle = await keyless({ statement: statementAbout(image.digest), ...opts });
    await pushManifest(registry, REPO, sigstoreBundleReferrer(image, bundle));
    const rule = policy.document.rules[0];
    return collectSignature({
      ...collectContext({ subject: { repository: REPO, digest: image.digest }, registry, policy: { ...rule } }),
      trustedRoots: policy.trustedRoots,
    });
  }

  it('passes a keyless image signature logged in that log and timestamped', async () => {
    // Act
    const result = await collect({});

    // Assess
    expect(result.status).toBe('PASS');
    expect(result.facts).toMatchObject({
      signers: [`${IDENTITY.san} (${IDENTITY.issuer})`],
      kinds: ['sigstore-bundle'],
    });
  });

  it.each([
    ['no timestamp', { timestamp: false }, 'no verified signing time'],
    ['no log entry', { tlogEntry: false }, 'no transparency log entry'],
    ['neither', { tlogEntry: false, timestamp: false }, 'no transparency log entry'],
  ] as const)('fails one with %s: transparency stays required', async (_what, opts, says) => {
    // Act
    const result = await collect(opts);

    // Assess
    expect(result.status).toBe('FAIL');
    expect(result.reasons.join(' ')).toContain(says);
  });
});
