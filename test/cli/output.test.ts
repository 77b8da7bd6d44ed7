/**
 * What the real CLI prints, in child processes: text from evidence never reaches the terminal raw
 * (ESC/CSI/OSC sequences, CR, BEL, C1 controls, bidi overrides), `--json` is one document holding
 * the same data, colour only on a terminal or with FORCE_COLOR and never with NO_COLOR, progress
 * only when stderr is a terminal (a pseudo-terminal from util-linux `script`), and errors are one
 * line naming the fix. The records are written into a local stack's table (dynalite) the way the
 * gate writes them; the image is an OCI layout from the fixture factory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildScenario } from '../../cli/fixtures/factory.js';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEMO_SCENARIOS, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { writeLocalState } from '../../cli/local/state.js';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { CLI_ENV, REPO_ROOT, runCli } from '../support/cli-process.js';
import { indexRelease } from '../support/index-release.js';
import { evidenceRecord, newDigest, promotionEntry, releaseRecord } from '../support/store-records.js';
import { RAW_CONTROL } from '../support/terminal.js';

const run = promisify(execFile);

/** Every kind of terminal control an attacker can put in evidence text. */
const EVIL = [
  'csi\u001b[2J\u001b[31m',
  'osc\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007',
  'title\u001b]0;pwned\u001b\\',
  'FAIL\rPASS',
  'bell\u0007',
  'bidi\u202etxt.exe',
  'c1\u009b31m',
].join(' ');
const SHOWN = ['csi\\u001b[2J', 'osc\\u001b]8;;https://evil.example/\\u0007', 'FAIL\\u000dPASS', 'bidi\\u202etxt.exe'];
const REPOSITORY = 'team/web';

/** The test's environment without colour settings, so that only what a test sets counts. */
const PLAIN_ENV = Object.fromEntries(
  Object.entries(CLI_ENV).filter(([k]) => !['FORCE_COLOR', 'NO_COLOR', 'CI', 'TERM'].includes(k)),
);

describe('CLI output', () => {
  let workDir = '';
  let standIns: StandIns | undefined;
  const quarantined = newDigest();
  const promoted = newDigest();

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-output-'));
    standIns = await startStandIns({ dataDir: join(workDir, 'data') });
    const clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint } });
    const store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName });
    await store.recordRelease(releaseRecord(REPOSITORY, promoted, { state: 'AWAITING_APPROVAL' }));
    await store.updateReleaseState(REPOSITORY, promoted, 'PROMOTED', { outcome: 'PROMOTED', outcomeReasons: [] });
    await store.appendPromotion(promotionEntry(REPOSITORY, promoted, { targetRepository: 'prod/web', tag: 'v1' }));
    await store.recordRelease(releaseRecord(REPOSITORY, quarantined, { state: 'AWAITING_APPROVAL' }));
    const sbom = evidenceRecord(REPOSITORY, quarantined, { status: 'FAIL', reasons: [`component ${EVIL}`] });
    await store.putEvidence({
      ...sbom,
      documents: sbom.documents.map((d) => ({ ...d, name: `sbom ${EVIL}.json` })),
    });
    await store.updateReleaseState(REPOSITORY, quarantined, 'QUARANTINED', {
      outcome: 'QUARANTINED',
      outcomeReasons: [`scan: ${EVIL}`],
    });
    await store.revokeRelease({
      repository: REPOSITORY,
      digest: quarantined,
      revokedAt: '2026-03-01T00:00:00.000Z',
      revokedBy: EVIL,
      reason: EVIL,
    });
    await indexRelease(store, REPOSITORY, quarantined, [`pkg:npm/evil@${encodeURIComponent(`1.0.0 ${EVIL}`)}`]);
    await writeLocalState(workDir, {
      pid: process.pid,
      approvalBaseUrl: 'http://127.0.0.1:1/approvals',
      dynamoEndpoint: standIns.dynamoEndpoint,
      s3Endpoint: 'http://127.0.0.1:1',
      tableName: standIns.tableName,
      bucket: 'release-gate-evidence',
      registryRoot: workDir,
      policyPath: join(workDir, 'policy.yaml'),
    });
  }, 60_000);

  afterAll(async () => {
    await standIns?.stop();
    if (workDir !== '') await rm(workDir, { recursive: true, force: true });
  });

  const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--work-dir', workDir], { env: { ...PLAIN_ENV, ...env } });

  describe('when evidence text holds terminal controls', () => {
    it.each([
      ['status <digest>', ['status', quarantined]],
      ['status', ['status']],
      ['triage', ['triage', 'pkg:npm/evil']],
    ])('%s shows them as visible escapes, never raw', async (_name, args) => {
      // Act
      const res = await cli(args);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).not.toMatch(RAW_CONTROL);
      expect(res.stderr).not.toMatch(RAW_CONTROL);
      if (args.length > 1) for (const shown of SHOWN) expect(res.stdout).toContain(shown);
    });

    it('status <digest> --json is one document with the same strings, and no raw control on stdout', async () => {
      // Act
      const res = await cli(['status', quarantined, '--json'], { FORCE_COLOR: '1' });

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).not.toMatch(RAW_CONTROL);
      const [release] = JSON.parse(res.stdout);
      expect(release.outcomeReasons).toEqual([`scan: ${EVIL}`]);
      expect(release.revocation).toMatchObject({ revokedBy: EVIL, reason: EVIL });
      expect(release.evidence[0].documents[0].name).toBe(`sbom ${EVIL}.json`);
    });

    it('triage --json is one document with the same strings', async () => {
      // Act
      const res = await cli(['triage', 'pkg:npm/evil', '--json']);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).not.toMatch(RAW_CONTROL);
      const answer = JSON.parse(res.stdout);
      expect(answer.releases[0].matches[0].version).toBe(`1.0.0 ${EVIL}`);
      expect(answer.releases[0].revoked).toMatchObject({ by: EVIL, reason: EVIL });
    });
  });

  describe('colour', () => {
    it('colours outcomes with FORCE_COLOR: QUARANTINED red, PROMOTED green', async () => {
      // Act
      const res = await cli(['status'], { FORCE_COLOR: '1' });

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('\u001b[31mQUARANTINED\u001b[39m');
      expect(res.stdout).toContain('\u001b[32mPROMOTED\u001b[39m');
    });

    it.each([
      ['stdout is not a terminal', {}],
      ['NO_COLOR is set (even with FORCE_COLOR)', { NO_COLOR: '1', FORCE_COLOR: '1' }],
    ])('prints no escape code when %s', async (_when, env) => {
      // Act
      const res = await cli(['status', quarantined], env);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('QUARANTINED');
      expect(res.stdout).not.toContain('\u001b');
      expect(res.stderr).not.toContain('\u001b');
    });
  });
});

describe('CLI progress and errors (gate on an OCI layout)', () => {
  let dir = '';
  let policyPath = '';
  let layout = '';
  const good = DEMO_SCENARIOS.find((s) => s.name === 'good');
  const advisories = join(REPO_ROOT, 'cli', 'fixtures', 'advisories');

  beforeAll(async () => {
    if (good === undefined) throw new Error('no good scenario');
    dir = await mkdtemp(join(tmpdir(), 'rg-cli-progress-'));
    const keys = await generateFixtureKeys();
    policyPath = join(dir, 'policy.yaml');
    await writeFile(policyPath, stringify(demoPolicy(keys)));
    const registry = new OciLayoutRegistry({ root: join(dir, 'layouts') });
    const built = await buildScenario(registry, good, keys);
    // A tag someone chose: the "no tag" error lists it.
    await registry.moveTag(good.repository, `evil${EVIL.replaceAll(' ', '')}`, built.current.digest);
    layout = join(dir, 'layouts', good.repository);
  }, 120_000);

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const gateArgs = () => [
    'gate',
    `oci-layout:${layout}:${good?.tag}`,
    '--repository',
    good?.repository ?? '',
    '--policy',
    policyPath,
    '--advisories',
    advisories,
  ];

  it('prints nothing on stderr when it is not a terminal (no progress)', async () => {
    // Act
    const res = await runCli(gateArgs(), { env: PLAIN_ENV });

    // Assess
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('decision: PASS');
    expect(res.stdout).not.toContain('\u001b');
  });

  it('shows progress and colour on a terminal (a pseudo-terminal from `script`)', async () => {
    // Prepare: `script -qec CMD /dev/null` runs CMD on a new pseudo-terminal, its output ours.
    const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, '--import', 'tsx', 'cli/main.ts', ...gateArgs()].map(quote).join(' ');

    // Act
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...PLAIN_ENV, TERM: 'xterm-256color' },
      timeout: 60_000,
    });

    // Assess
    expect(stdout).toContain(`collecting the evidence of ${good?.repository}@sha256:`);
    expect(stdout).toContain(`decision: \u001b[32mPASS\u001b[39m`);
  });

  it('lists the existing tags for a missing one in one error line, with their controls escaped', async () => {
    // Act
    const res = await runCli(
      ['gate', `oci-layout:${layout}:9.9.9`, '--repository', 'demo/good', '--policy', policyPath],
      {
        env: PLAIN_ENV,
      },
    );

    // Assess
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).not.toMatch(RAW_CONTROL);
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*no tag 9\.9\.9.*existing tags: .*evilcsi\\u001b\[2J/);
  });

  it.each([
    [
      'an unreadable --policy names the option',
      ['gate', 'oci-layout:/nonexistent:1', '--policy', '/nonexistent.yaml'],
      '--policy /nonexistent.yaml cannot be read (pass --policy FILE)',
    ],
    ['no local stack names how to start one', ['status', '--work-dir', '/nonexistent'], 'run `npm start` first'],
    ['an unknown option is a usage error with the usage', ['status', '--jsn'], "usage error: Unknown option '--jsn'"],
  ])('exits non-zero without a stack trace: %s', async (_what, args, fix) => {
    // Act
    const res = await runCli(args, { env: PLAIN_ENV });

    // Assess
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toContain(fix);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
