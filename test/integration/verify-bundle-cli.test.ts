import { sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import { runCli } from '../support/cli-process.js';
import { sha256 } from '../support/digest.js';
import { testSigner } from '../support/signers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PYTHON = join(ROOT, 'test', 'corpus', 'data', 'sigstore-bundles', 'sigstore-python');
const SLSA = join(ROOT, 'test', 'corpus', 'data', 'slsa-provenance', 'slsa-verifier');
const GITHUB_LOGIN = 'https://github.com/login/oauth';
const GITHUB_ACTIONS = 'https://token.actions.githubusercontent.com';

/** Runs `cli/commands/verify-bundle-main.ts …args` as a child process. */
const verifyBundleCli = (args: readonly string[]) => runCli(args, { entry: 'cli/commands/verify-bundle-main.ts' });

let work: string;
let keyFile: string;
let otherKeyFile: string;
let keyedBundleFile: string;
const statementDigest = sha256('image manifest');

beforeAll(() => {
  // Prepare: a key-based DSSE bundle over a cosign sign/v1 statement, and two public keys.
  work = mkdtempSync(join(tmpdir(), 'verify-bundle-cli-'));
  const signer = testSigner('cosign.pub');
  keyFile = join(work, 'cosign.pub');
  otherKeyFile = join(work, 'other.pub');
  writeFileSync(keyFile, signer.publicKeyPem);
  writeFileSync(otherKeyFile, testSigner('other.pub').publicKeyPem);
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

/** Expected output: empty, or every piece contained (string) or matched (pattern). */
type Output = '' | readonly (string | RegExp)[];

function expectOutput(text: string, expected: Output | undefined): void {
  if (expected === '') expect(text).toBe('');
  for (const piece of expected === '' ? [] : (expected ?? [])) {
    if (typeof piece === 'string') expect(text).toContain(piece);
    else expect(text).toMatch(piece);
  }
}

/** One verify-bundle run: its arguments (read when the test runs) and what it must exit with and print. */
interface CliCase {
  readonly when: string;
  readonly it: string;
  readonly args: () => string[];
  readonly code: number;
  readonly stdout?: Output;
  readonly stderr?: Output;
}

const keyless = (bundle: string, identity: string, issuer: string, ...rest: string[]) => [
  '--bundle',
  bundle,
  '--certificate-identity',
  identity,
  '--certificate-oidc-issuer',
  issuer,
  ...rest,
];

const RUNS: readonly CliCase[] = [
  {
    when: 'a keyless v0.1 bundle is verified with --staging and its identity',
    it: 'exits 0 and prints what was verified',
    args: () =>
      keyless(join(PYTHON, 'bundle.txt.sigstore'), 'a@tny.town', GITHUB_LOGIN, '--staging', join(PYTHON, 'bundle.txt')),
    code: 0,
    stdout: ['signer: a@tny.town (issuer https://github.com/login/oauth)', 'Sigstore staging (vendored'],
    stderr: '',
  },
  {
    when: 'a keyless bundle is verified with the default (production) root',
    it: 'exits 0 for the GitHub Actions identity',
    args: () =>
      keyless(
        join(PYTHON, 'bundle_v3_github.whl.sigstore'),
        'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/*',
        GITHUB_ACTIONS,
        join(PYTHON, 'bundle_v3_github.whl'),
      ),
    code: 0,
    stdout: ['Sigstore production (vendored'],
  },
  {
    when: 'a DSSE bundle is verified against a sha256 digest with --trusted-root',
    it: 'exits 0 and prints the statement',
    args: () =>
      keyless(
        join(SLSA, 'gha_generic_v2.1.0_binary-linux-amd64-workflow_dispatch.intoto.jsonl'),
        'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
        GITHUB_ACTIONS,
        '--trusted-root',
        join(ROOT, 'test', 'corpus', 'data', 'trust-roots', 'sigstore-public-good-prod.trusted_root.json'),
        'sha256:376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa',
      ),
    code: 0,
    stdout: ['predicate https://slsa.dev/provenance/v0.2'],
  },
  {
    when: 'the certificate identity does not match',
    it: 'exits 1 with the reason on stderr',
    args: () =>
      keyless(
        join(PYTHON, 'bundle.txt.sigstore'),
        'someone@example.com',
        GITHUB_LOGIN,
        '--staging',
        join(PYTHON, 'bundle.txt'),
      ),
    code: 1,
    stdout: '',
    stderr: [/FAILED \(WRONG_IDENTITY\).*a@tny\.town/],
  },
  {
    when: 'the transparency log entry does not match the bundle (CVE-2022-36056)',
    it: 'exits 1 naming the inconsistent log entry',
    args: () =>
      keyless(
        join(PYTHON, 'bundle_cve_2022_36056.txt.sigstore'),
        '*',
        GITHUB_LOGIN,
        '--staging',
        join(PYTHON, 'bundle_cve_2022_36056.txt'),
      ),
    code: 1,
    stderr: [/TLOG_INCONSISTENT.*inconsistent with the bundle/],
  },
  {
    when: 'a key-based bundle is verified with --key',
    it: 'exits 0 with the signing key',
    args: () => ['--bundle', keyedBundleFile, '--key', keyFile, statementDigest],
    code: 0,
    stdout: ['signer: cosign.pub'],
    stderr: '',
  },
  {
    when: 'a key-based bundle is verified with --key of another signer',
    it: 'exits 1: the key is not the signer',
    args: () => ['--bundle', keyedBundleFile, '--key', otherKeyFile, statementDigest],
    code: 1,
    stderr: [/UNTRUSTED_KEY/],
  },
  {
    when: 'a key-based bundle is verified with --key against another digest',
    it: 'exits 1: the digest is not the statement subject',
    args: () => ['--bundle', keyedBundleFile, '--key', keyFile, `sha256:${'0'.repeat(64)}`],
    code: 1,
    stderr: [/DIGEST_MISMATCH/],
  },
  {
    when: 'the bundle file does not exist',
    it: 'exits 2 naming the file',
    args: () => ['--bundle', join(work, 'missing.json'), '--key', keyFile, statementDigest],
    code: 2,
    stderr: ['missing.json'],
  },
  ...(
    [
      ['no --bundle', ['--key', 'k.pub', 'file']],
      ['no trust anchor', ['--bundle', 'b.json', 'file']],
      ['issuer without identity', ['--bundle', 'b.json', '--certificate-oidc-issuer', 'x', 'file']],
      [
        'key and identity',
        ['--bundle', 'b', '--key', 'k', '--certificate-identity', 'i', '--certificate-oidc-issuer', 'x', 'f'],
      ],
      ['no artifact', ['--bundle', 'b.json', '--key', 'k.pub']],
      ['--staging with --trusted-root', ['--bundle', 'b', '--key', 'k', '--staging', '--trusted-root', 'r', 'f']],
    ] as const
  ).map(
    ([name, args]): CliCase => ({
      when: `the arguments are incomplete or contradictory (${name})`,
      it: 'exits 2 with usage',
      args: () => [...args],
      code: 2,
      stderr: ['Usage:'],
    }),
  ),
];

describe('Command: release-gate verify-bundle', () => {
  describe.each(RUNS.map((r) => [r.when, r] as const))('when %s', (_when, r) => {
    it(r.it, async () => {
      // Act
      const run = await verifyBundleCli(r.args());

      // Assess
      expect(run.code, run.stderr).toBe(r.code);
      expectOutput(run.stdout, r.stdout);
      expectOutput(run.stderr, r.stderr);
    });
  });
});

describe('release-gate verify-bundle --json', () => {
  it('prints the verified bundle as one document (exit 0), and a refusal as one (exit 1)', async () => {
    // Act
    const ok = await runCli([
      'verify-bundle',
      '--bundle',
      keyedBundleFile,
      '--key',
      keyFile,
      statementDigest,
      '--json',
    ]);
    const refused = await runCli([
      'verify-bundle',
      '--bundle',
      keyedBundleFile,
      '--key',
      otherKeyFile,
      statementDigest,
      '--json',
    ]);

    // Assess
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      verified: true,
      artifact: statementDigest,
      statement: { predicateType: 'https://sigstore.dev/cosign/sign/v1' },
    });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ verified: false });
    expect(refused.stderr).toContain('verify-bundle: FAILED');
  });
});
