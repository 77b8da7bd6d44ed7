/**
 * `release-gate triage|explain|report|revoke|rollback --aws` end to end against the embedded
 * stack's stand-in for API Gateway's IAM authorization: the real CLI in a child process signs each
 * request with the default credential chain (the local credentials file), the local server
 * verifies the SigV4 signature before the ops handler runs, and the handler acts as the signing
 * principal. A bad signature and missing credentials are refused with a clear error.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateAccessKey, LOCAL_APPROVER, localUserArn } from '../../cli/local/iam-route.js';
import { CLI_ENV, runCli } from '../support/cli-process.js';
import { type LocalWorld, promoteInOrder, useLocalWorld } from '../support/world.js';

const REGION = 'eu-west-1';
const REPO = 'demo/ops-aws';
const PROD = `prod/${REPO}`;
const OPERATOR = localUserArn(LOCAL_APPROVER);
const ONCALL = localUserArn('oncall-*');
const ADVISORY = fileURLToPath(new URL('../../cli/fixtures/advisories/GHSA-xvch-5gv4-984h.json', import.meta.url));

const TriageJsonSchema = z.object({
  releases: z.array(
    z.object({ digest: z.string(), status: z.string(), matches: z.array(z.object({ version: z.string() })) }),
  ),
});

describe('Commands: release-gate triage|explain|report|revoke|rollback --aws (the ops API, SigV4 verified locally)', () => {
  // Local IAM users `oncall-*` may approve (a break-glass's second person); the operator may not.
  const world = useLocalWorld({
    approvals: { decision: 'approve', by: 'alice@example.com' },
    tweak: (policy) => ({
      ...policy,
      rules: policy.rules.map((rule) =>
        rule.approval === undefined
          ? rule
          : { ...rule, approval: { ...rule.approval, approvers: [...(rule.approval.approvers ?? []), ONCALL] } },
      ),
    }),
  });

  /** The environment of a caller signing as local user `profile` of the gate's credentials file. */
  const envOf = (w: LocalWorld, profile: string) => ({
    ...Object.fromEntries(Object.entries(CLI_ENV).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_SHARED_CREDENTIALS_FILE: w.gate.iamUsers.path,
    AWS_CONFIG_FILE: `${w.gate.iamUsers.path}.no-config`,
    AWS_PROFILE: profile,
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    RELEASE_GATE_API_URL: `${new URL(w.gate.approvalBaseUrl).origin}/`,
  });

  it('answers triage, explain and report, revokes and rolls back as the signing principal, and refuses forged or missing credentials', async () => {
    // Prepare: two releases promoted one after the other; a forger knows a key id but not its secret.
    const w = world();
    const [first, second] = await promoteInOrder(w, REPO, ['1.0.0', '1.1.0']);
    if (first === undefined || second === undefined) throw new Error('two releases were built');
    const approverKey = await w.gate.iamUsers.credentialsOf(LOCAL_APPROVER);
    await appendFile(
      w.gate.iamUsers.path,
      `\n[forger]\naws_access_key_id = ${approverKey.accessKeyId}\naws_secret_access_key = ${generateAccessKey().secretAccessKey}\n`,
    );
    const env = envOf(w, LOCAL_APPROVER);
    const aws = (...args: string[]) => runCli([...args, '--aws'], { env, timeoutMs: 60_000 });

    // Act
    const triage = await aws('triage', 'pkg:npm/express', '--range', '<5', '--json');
    const triageTable = await aws('triage', 'pkg:npm/express', '--range', '<4.21.2');
    const advisory = await aws('triage', '--advisory', ADVISORY);
    const explain = await aws('explain', second.digest.slice(0, 20));
    const report = await runCli(['report', second.digest, '--aws', '--work-dir', w.dir], { env, timeoutMs: 60_000 });
    const revoke = await aws('revoke', second.digest, '--reason', 'CVE-2026-1 in the base');
    const rollback = await aws('rollback', PROD, '--reason', 'revoked');
    const refused = await aws('rollback', REPO, '--to', second.digest);
    const typed = await aws('revoke', first.digest, '--reason', 'x', '--by', 'alice@example.com');
    const forged = await runCli(['revoke', first.digest, '--reason', 'forged', '--aws'], {
      env: envOf(w, 'forger'),
      timeoutMs: 60_000,
    });
    const noCredentials = await runCli(['triage', 'pkg:npm/express', '--aws'], {
      env: { ...envOf(w, 'nobody'), AWS_SHARED_CREDENTIALS_FILE: `${w.dir}/no-such-file` },
      timeoutMs: 60_000,
    });

    // Assess: the read routes.
    expect(triage.code, triage.stderr).toBe(0);
    const answer = TriageJsonSchema.parse(JSON.parse(triage.stdout));
    expect(answer.releases.map((r) => r.digest).sort()).toEqual([first.digest, second.digest].sort());
    expect(answer.releases.find((r) => r.digest === second.digest)?.status).toBe('LIVE');
    expect(triageTable.stdout).toContain('no release affected');
    expect(advisory.code, advisory.stderr).toBe(0);
    expect(advisory.stdout).toMatch(/^triage advisory GHSA-xvch-5gv4-984h: no release affected \(1 index query\)/);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain(`${REPO}@${second.digest}`);
    expect(explain.stdout).toMatch(/identical: the outcome and all \d+ reason\(s\)/);
    expect(report.code, report.stderr).toBe(0);
    const [path = '', uri = ''] = report.stdout.trim().split('\n');
    expect(uri).toMatch(new RegExp(`^s3://${w.gate.standIns.bucket}/evidence/sha256/[0-9a-f]{64}$`));
    expect(await readFile(path, 'utf8')).toContain(second.digest);

    // The incident routes: the signing principal is the operator, recorded as such.
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain(`revoked: ${REPO}@${second.digest}`);
    expect(revoke.stdout).toContain(`by ${OPERATOR} (AWS CLI, caller principal): CVE-2026-1 in the base`);
    expect(revoke.stdout).toContain(`rollback target: ${first.digest}`);
    expect(rollback.code, `${rollback.stdout}${rollback.stderr}`).toBe(0);
    expect(rollback.stdout).toContain(`rolled back: ${PROD}:live → ${first.digest} (was ${second.digest})`);
    expect(rollback.stdout).toMatch(/took \d+\.\d\d s, re-verification included/);
    expect((await w.registry.getManifest(PROD, 'live')).digest).toBe(first.digest);
    const track = await w.deps.gate.store.listPromotions(REPO);
    expect(track.find((e) => e.kind === 'rollback')).toMatchObject({
      kind: 'rollback',
      digest: first.digest,
      by: `${OPERATOR} (AWS CLI, caller principal)`,
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REFUSED');
    expect(refused.stdout).toContain(`revoked at`);
    expect(w.gate.outcomes.map((e) => e.type)).toEqual(
      expect.arrayContaining(['Release Revoked', 'Release Rolled Back']),
    );

    // Refusals: local-only options, a forged signature, no credentials at all.
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('--by: not with --aws (with --aws your AWS principal is the operator)');
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('403: The request signature we calculated does not match');
    expect(await w.deps.gate.store.getRevocation(REPO, first.digest)).toBeNull();
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toContain('no AWS credentials to sign the request with');
  }, 240_000);

  it('runs a break-glass rollback in two signed requests: the operator asks, a second allowed local IAM user confirms once', async () => {
    // Prepare: the rollback target is revoked, so a rollback to it is refused without a break-glass.
    const w = world();
    const repo = 'demo/ops-glass';
    const [first, second] = await promoteInOrder(w, repo, ['1.0.0', '1.1.0']);
    if (first === undefined || second === undefined) throw new Error('two releases were built');
    for (const user of ['oncall-erin', 'intruder']) {
      const key = generateAccessKey();
      await appendFile(
        w.gate.iamUsers.path,
        `\n[${user}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
      );
    }
    const as = (profile: string, ...args: string[]) =>
      runCli([...args, '--aws'], { env: envOf(w, profile), timeoutMs: 60_000 });
    const revoked = await as(LOCAL_APPROVER, 'revoke', first.digest, '--reason', 'CVE-2026-2 in the base');

    // Act
    const asked = await as(
      LOCAL_APPROVER,
      'rollback',
      repo,
      '--to',
      first.digest,
      '--break-glass',
      '--reason',
      'outage',
    );
    const id = /break-glass confirm (\S+) --aws/.exec(asked.stdout)?.[1] ?? '';
    const liveWhilePending = (await w.registry.getManifest(`prod/${repo}`, 'live')).digest;
    const self = await as(LOCAL_APPROVER, 'break-glass', 'confirm', id);
    const intruder = await as('intruder', 'break-glass', 'confirm', id);
    const confirmed = await as('oncall-erin', 'break-glass', 'confirm', id);
    const again = await as('oncall-erin', 'break-glass', 'confirm', id);

    // Assess
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain(`BREAK-GLASS PENDING: rollback ${repo}@${first.digest} (nothing done yet)`);
    expect(liveWhilePending).toBe(second.digest);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('403: break-glass needs a second person');
    expect(intruder.code).toBe(1);
    expect(intruder.stderr).toContain(`403: ${localUserArn('intruder')} is not an allowed approver`);
    expect(confirmed.code, `${confirmed.stdout}${confirmed.stderr}`).toBe(0);
    expect(confirmed.stdout).toContain(`rolled back: prod/${repo}:live → ${first.digest} (was ${second.digest})`);
    expect(confirmed.stdout).toContain(
      `BREAK-GLASS by ${OPERATOR} (AWS CLI, caller principal), approved by ${localUserArn('oncall-erin')}`,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409: ');
    expect((await w.registry.getManifest(`prod/${repo}`, 'live')).digest).toBe(first.digest);
    const rollbacks = (await w.deps.gate.store.listPromotions(repo)).filter((e) => e.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]?.breakGlass).toMatchObject({ reason: 'outage', approvedBy: localUserArn('oncall-erin') });
    expect(await w.deps.gate.store.getBreakGlassRequest(id)).toMatchObject({
      state: 'USED',
      operator: OPERATOR,
      usedBy: localUserArn('oncall-erin'),
    });
  }, 240_000);
});
