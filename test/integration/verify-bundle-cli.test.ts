import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pae } from '../../lambdas/domain/attest/dsse.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'cli', 'commands', 'verify-bundle-main.ts');
const PYTHON = join(ROOT, 'test', 'corpus', 'data', 'sigstore-bundles', 'sigstore-python');
const SLSA = join(ROOT, 'test', 'corpus', 'data', 'slsa-provenance', 'slsa-verifier');
const GITHUB_LOGIN = 'https://github.com/login/oauth';
const GITHUB_ACTIONS = 'https://token.actions.githubusercontent.com';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns `node --import tsx cli/commands/verify-bundle-main.ts …args`. */
function verifyBundleCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

let work: string;
let keyFile: string;
let otherKeyFile: string;
let keyedBundleFile: string;
const statementDigest = `sha256:${createHash('sha256').update('image manifest').digest('hex')}`;

beforeAll(() => {
  // Prepare: a key-based DSSE bundle over a cosign sign/v1 statement, and two public keys.
  work = mkdtempSync(join(tmpdir(), 'verify-bundle-cli-'));
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  keyFile = join(work, 'cosign.pub');
  otherKeyFile = join(work, 'other.pub');
  writeFileSync(keyFile, signer.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(otherKeyFile, other.publicKey.export({ type: 'spki', format: 'pem' }));
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: statementDigest.replace('sha256:', '') } }],
    predicateType: 'https://sigstore.dev/cosign/sign/v1',
    predicate: {},
  };
  const artifact = Buffer.from(JSON.stringify(statement));
  const payloadType = 'application/vnd.in-toto+json';
  const signature = sign('sha256', pae(payloadType, artifact), signer.privateKey);
  keyedBundleFile = join(work, 'image.sigstore.json');
  writeFileSync(
    keyedBundleFile,
    JSON.stringify(
      bundleToJSON(toDSSEBundle({ artifact, artifactType: payloadType, signature, keyHint: 'cosign.pub' })),
    ),
  );
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('Command: release-gate verify-bundle', () => {
  describe('when a keyless v0.1 bundle is verified with --staging and its identity', () => {
    it('exits 0 and prints what was verified', async () => {
      // Act
      const run = await verifyBundleCli([
        '--bundle',
        join(PYTHON, 'bundle.txt.sigstore'),
        '--certificate-identity',
        'a@tny.town',
        '--certificate-oidc-issuer',
        GITHUB_LOGIN,
        '--staging',
        join(PYTHON, 'bundle.txt'),
      ]);

      // Assess
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('signer: a@tny.town (issuer https://github.com/login/oauth)');
      expect(run.stdout).toContain('Sigstore staging (vendored');
    });
  });

  describe('when a keyless bundle is verified with the default (production) root', () => {
    it('exits 0 for the GitHub Actions identity', async () => {
      // Act
      const run = await verifyBundleCli([
        '--bundle',
        join(PYTHON, 'bundle_v3_github.whl.sigstore'),
        '--certificate-identity',
        'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/*',
        '--certificate-oidc-issuer',
        GITHUB_ACTIONS,
        join(PYTHON, 'bundle_v3_github.whl'),
      ]);

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Sigstore production (vendored');
    });
  });

  describe('when a DSSE bundle is verified against a sha256 digest with --trusted-root', () => {
    it('exits 0 and prints the statement', async () => {
      // Act
      const run = await verifyBundleCli([
        '--bundle',
        join(SLSA, 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl'),
        '--certificate-identity',
        'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
        '--certificate-oidc-issuer',
        GITHUB_ACTIONS,
        '--trusted-root',
        join(ROOT, 'test', 'corpus', 'data', 'trust-roots', 'sigstore-public-good-prod.trusted_root.json'),
        'sha256:376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa',
      ]);

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('predicate https://slsa.dev/provenance/v0.2');
    });
  });

  describe('when the certificate identity does not match', () => {
    it('exits 1 with the reason on stderr', async () => {
      // Act
      const run = await verifyBundleCli([
        '--bundle',
        join(PYTHON, 'bundle.txt.sigstore'),
        '--certificate-identity',
        'someone@example.com',
        '--certificate-oidc-issuer',
        GITHUB_LOGIN,
        '--staging',
        join(PYTHON, 'bundle.txt'),
      ]);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/FAILED \(WRONG_IDENTITY\).*a@tny\.town/);
    });
  });

  describe('when the transparency log entry does not match the bundle (CVE-2022-36056)', () => {
    it('exits 1 naming the inconsistent log entry', async () => {
      // Act
      const run = await verifyBundleCli([
        '--bundle',
        join(PYTHON, 'bundle_cve_2022_36056.txt.sigstore'),
        '--certificate-identity',
        '*',
        '--certificate-oidc-issuer',
        GITHUB_LOGIN,
        '--staging',
        join(PYTHON, 'bundle_cve_2022_36056.txt'),
      ]);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/TLOG_INCONSISTENT.*inconsistent with the bundle/);
    });
  });

  describe('when a key-based bundle is verified with --key', () => {
    it('exits 0 with the signing key', async () => {
      // Act
      const run = await verifyBundleCli(['--bundle', keyedBundleFile, '--key', keyFile, statementDigest]);

      // Assess
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('signer: cosign.pub');
    });

    it('exits 1 when the key is not the signer', async () => {
      // Act
      const run = await verifyBundleCli(['--bundle', keyedBundleFile, '--key', otherKeyFile, statementDigest]);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/UNTRUSTED_KEY/);
    });

    it('exits 1 when the digest is not the statement subject', async () => {
      // Act
      const run = await verifyBundleCli(['--bundle', keyedBundleFile, '--key', keyFile, `sha256:${'0'.repeat(64)}`]);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/DIGEST_MISMATCH/);
    });
  });

  describe('when the arguments are incomplete or contradictory', () => {
    it.each([
      { name: 'no --bundle', args: ['--key', 'k.pub', 'file'] },
      { name: 'no trust anchor', args: ['--bundle', 'b.json', 'file'] },
      { name: 'issuer without identity', args: ['--bundle', 'b.json', '--certificate-oidc-issuer', 'x', 'file'] },
      {
        name: 'key and identity',
        args: ['--bundle', 'b', '--key', 'k', '--certificate-identity', 'i', '--certificate-oidc-issuer', 'x', 'f'],
      },
      { name: 'no artifact', args: ['--bundle', 'b.json', '--key', 'k.pub'] },
      {
        name: '--staging with --trusted-root',
        args: ['--bundle', 'b', '--key', 'k', '--staging', '--trusted-root', 'r', 'f'],
      },
    ])('exits 2 with usage ($name)', async ({ args }) => {
      // Act
      const run = await verifyBundleCli(args);

      // Assess
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage:');
    });
  });

  describe('when the bundle file does not exist', () => {
    it('exits 2 naming the file', async () => {
      // Act
      const run = await verifyBundleCli(['--bundle', join(work, 'missing.json'), '--key', keyFile, statementDigest]);

      // Assess
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('missing.json');
    });
  });
});
