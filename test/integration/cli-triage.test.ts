/**
 * `release-gate triage` end to end: the real CLI in a child process against a local stack's table
 * (the stand-ins a running gate published in `local.json`, then, with no gate running, the
 * stand-ins it starts itself on the persisted data), as `status` reads it.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { writeLocalState } from '../../cli/local/state.js';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { Limits } from '../../lambdas/domain/limits.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { runCli } from '../support/cli-process.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest, releaseRecord } from '../support/store-records.js';

const DSA = fileURLToPath(new URL('../corpus/data/osv-advisories/Debian/DSA-3029-1.json', import.meta.url));
const REPOSITORY = 'team/web';

/** A pid no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('Command: release-gate triage', () => {
  let workDir = '';
  let standIns: StandIns | undefined;
  const digests: Record<'old' | 'live' | 'quarantined' | 'fixed', Digest> = {
    old: newDigest(),
    live: newDigest(),
    quarantined: newDigest(),
    fixed: newDigest(),
  };

  async function publish(pid: number, endpoint: string): Promise<void> {
    await writeLocalState(workDir, {
      pid,
      approvalBaseUrl: 'http://127.0.0.1:1/approvals',
      dynamoEndpoint: endpoint,
      s3Endpoint: 'http://127.0.0.1:1',
      tableName: standIns?.tableName ?? 'release-gate',
      bucket: 'release-gate-evidence',
      registryRoot: workDir,
      policyPath: join(workDir, 'policy.yaml'),
    });
  }

  beforeAll(async () => {
    // Prepare: four releases of one repository, two promoted one after the other, one quarantined.
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-triage-'));
    standIns = await startStandIns({ dataDir: join(workDir, 'data') });
    const clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint } });
    const store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName });
    const nginx = (v: string) => `pkg:deb/debian/nginx@${v}?arch=amd64&distro=debian-7`;
    const releases = [
      { digest: digests.old, nginx: '1.2.1-2.2+wheezy1', state: 'PROMOTED', at: '2026-01-01T00:00:00.000Z' },
      { digest: digests.live, nginx: '1.2.1-2.2+wheezy2', state: 'PROMOTED', at: '2026-02-01T00:00:00.000Z' },
      { digest: digests.quarantined, nginx: '1.2.1-2.2', state: 'QUARANTINED', at: undefined },
      { digest: digests.fixed, nginx: '1.2.1-2.2+wheezy3', state: 'AWAITING_APPROVAL', at: undefined },
    ] as const;
    for (const r of releases) {
      await store.recordRelease(releaseRecord(REPOSITORY, r.digest, { state: 'AWAITING_APPROVAL' }));
      await indexRelease(store, REPOSITORY, r.digest, [nginx(r.nginx), 'pkg:npm/evil@1.0.0%1B%5B31m']);
      if (r.state !== 'AWAITING_APPROVAL') await store.updateReleaseState(REPOSITORY, r.digest, r.state);
      if (r.at !== undefined) {
        await store.appendPromotion({
          repository: REPOSITORY,
          digest: r.digest,
          promotedAt: r.at,
          targetRepository: 'prod/web',
          tag: r.nginx,
        });
      }
    }
    await store.indexVulnerabilities(REPOSITORY, digests.quarantined, ['CVE-2014-3616']);
    await publish(process.pid, standIns.dynamoEndpoint);
  }, 60_000);

  afterAll(async () => {
    await standIns?.stop();
    if (workDir !== '') await rm(workDir, { recursive: true, force: true });
  });

  it('lists the releases in range with their status and live windows (human table, exit 0)', async () => {
    // Act
    const res = await runCli([
      'triage',
      'pkg:deb/debian/nginx',
      '--range',
      '<1.2.1-2.2+wheezy3',
      '--work-dir',
      workDir,
    ]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('3 release(s) affected (1 index query)');
    const row = (d: Digest) => res.stdout.split('\n').find((l) => l.startsWith(`${REPOSITORY}@${d.slice(0, 19)}`));
    expect(row(digests.old)).toMatch(/\sPROMOTED\s+2026-01-01T00:00:00.000Z → 2026-02-01T00:00:00.000Z \(prod\/web:/);
    expect(row(digests.live)).toMatch(/\sLIVE\s+2026-02-01T00:00:00.000Z → now/);
    expect(row(digests.quarantined)).toMatch(/\sQUARANTINED\s+never/);
    expect(row(digests.fixed)).toBeUndefined();
  }, 30_000);

  it('answers JSON with --json', async () => {
    // Act
    const res = await runCli([
      'triage',
      'pkg:deb/debian/nginx',
      '--range',
      '>=1.2.1-2.2+wheezy2',
      '--json',
      '--work-dir',
      workDir,
    ]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    const answer = JSON.parse(res.stdout);
    expect(answer.releases.map((r: { digest: string }) => r.digest).sort()).toEqual(
      [digests.live, digests.fixed].sort(),
    );
    expect(answer.releases.find((r: { digest: string }) => r.digest === digests.live)).toMatchObject({
      status: 'LIVE',
      liveNow: true,
      windows: [{ from: '2026-02-01T00:00:00.000Z', to: null, targetRepository: 'prod/web' }],
      matches: [{ package: 'pkg:deb/debian/nginx', version: '1.2.1-2.2+wheezy2' }],
    });
  }, 30_000);

  it('matches a real OSV advisory (Debian DSA-3029-1) with --advisory', async () => {
    // Act
    const res = await runCli(['triage', '--advisory', DSA, '--json', '--work-dir', workDir]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    const answer = JSON.parse(res.stdout);
    expect(answer.queries).toBe(1);
    expect(answer.releases.map((r: { digest: string }) => r.digest).sort()).toEqual(
      [digests.old, digests.live, digests.quarantined].sort(),
    );
    expect(answer.releases[0].matches[0]).toMatchObject({ by: 'DSA-3029-1', fixedIn: '1.2.1-2.2+wheezy3' });
  }, 30_000);

  it('answers a CVE id from the gate scan index plus the advisory naming it', async () => {
    // Act
    const res = await runCli(['triage', 'CVE-2014-3616', '--advisory', DSA, '--json', '--work-dir', workDir]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    const answer = JSON.parse(res.stdout);
    const quarantined = answer.releases.find((r: { digest: string }) => r.digest === digests.quarantined);
    expect(quarantined.matches.map((m: { by: string }) => m.by).sort()).toEqual(['DSA-3029-1', 'scan']);
    expect(answer.releases).toHaveLength(3);
  }, 30_000);

  it('says no release is affected and exits 0 when nothing matches', async () => {
    // Act
    const res = await runCli(['triage', 'pkg:deb/debian/nginx', '--range', '<1.0', '--work-dir', workDir]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('no release affected');
  }, 30_000);

  it('neutralises terminal control characters from the index', async () => {
    // Act
    const res = await runCli(['triage', 'pkg:npm/evil', '--work-dir', workDir]);

    // Assess
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain('\u001b');
    expect(res.stdout).toContain('1.0.0\\u001b[31m');
  }, 30_000);

  it('prints its usage with --help (exit 0) and refuses no question (exit 2)', async () => {
    // Act
    const help = await runCli(['triage', '--help']);
    const none = await runCli(['triage', '--work-dir', workDir]);

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('release-gate triage --advisory FILE');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give a package URL, a vulnerability id, or --advisory FILE');
  }, 30_000);

  describe('when the input is malformed', () => {
    it('exits 2 naming --range for a malformed range', async () => {
      // Act
      const res = await runCli(['triage', 'pkg:deb/debian/nginx', '--range', '<<1', '--work-dir', workDir]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/range: "<<1" is not "<operator><version>"/);
    }, 30_000);

    it('exits 2 naming the advisory field for a malformed advisory', async () => {
      // Prepare
      const bad = join(workDir, 'bad.json');
      await writeFile(bad, JSON.stringify({ id: 'X-1', affected: [{ package: { name: 'nginx' } }] }));

      // Act
      const res = await runCli(['triage', '--advisory', bad, '--work-dir', workDir]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`--advisory ${bad}`);
      expect(res.stderr).toMatch(/affected\[0\]\.package\.ecosystem: /);
    }, 30_000);
  });

  it('exits 2 for an advisory file above the size limit, before reading it', async () => {
    // Prepare
    const big = join(workDir, 'big.json');
    await writeFile(big, ' '.repeat(Limits.advisoryBytes + 1));

    // Act
    const res = await runCli(['triage', '--advisory', big, '--work-dir', workDir]);

    // Assess
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`above the limit of ${Limits.advisoryBytes}`);
  }, 30_000);

  describe('when no gate is running', () => {
    it('starts the stand-ins on the persisted data and answers the same', async () => {
      // Prepare
      await standIns?.stop();
      standIns = undefined;
      await publish(await deadPid(), 'http://127.0.0.1:1');

      // Act
      const res = await runCli([
        'triage',
        'pkg:deb/debian/nginx',
        '--range',
        '<1.2.1-2.2+wheezy3',
        '--json',
        '--work-dir',
        workDir,
      ]);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout).releases).toHaveLength(3);
    }, 30_000);
  });
});
