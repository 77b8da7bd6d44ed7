/**
 * `release-gate approve --aws` against the embedded stack's stand-in for API Gateway's IAM
 * authorization (issue 8 §1): the local server verifies each request's SigV4 signature against the
 * local access keys (`aws-credentials` in the work directory) before the approval-api handler runs,
 * and the handler records the signing principal's ARN, never a typed name.
 */
import { appendFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cliApprovalUrl, signedAnswer, signedPost } from '../../cli/commands/approve-aws.js';
import { LOCAL_PUSHER } from '../../cli/local/gate.js';
import { generateAccessKey, LOCAL_APPROVER, localUserArn } from '../../cli/local/iam-route.js';
import { CLI_ENV, runCli } from '../support/cli-process.js';
import { buildGoodRelease, type LocalWorld, lastState, localUsersMayApprove, useLocalWorld } from '../support/world.js';

const REGION = 'eu-west-1';
const APPROVER_ARN = localUserArn(LOCAL_APPROVER);

/** Local users may approve (`local-*`); mallory is a local user outside that pattern. */
const world = useLocalWorld({ tweak: localUsersMayApprove });

/** Adds a local IAM user to the gate's credentials file; returns its key pair. */
async function addLocalUser(w: LocalWorld, name: string) {
  const key = generateAccessKey();
  await appendFile(
    w.gate.iamUsers.path,
    `\n[${name}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
  );
  return key;
}

/** Pushes a good release and waits for its approval request. */
async function pendingRelease(w: LocalWorld, repository: string) {
  await buildGoodRelease(w, repository);
  const requested = new Promise<string>((resolve) =>
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(String(e.detail.approvalId));
    }),
  );
  const pushed = await w.gate.push(repository, '1.4.0');
  return { approvalId: await requested, executionName: pushed.executionName ?? '' };
}

const apiUrl = (w: LocalWorld) => `${new URL(w.gate.approvalBaseUrl).origin}/`;

async function send(request: Promise<{ url: URL; init: RequestInit }>) {
  const { url, init } = await request;
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Route: POST /cli/approvals/{id} on the embedded stack (SigV4 verified locally)', () => {
  describe('when requests are forged, stale, typed or from principals the rules refuse', () => {
    it('refuses each (403 before the handler, or its refusal), stores nothing, then takes the signed answer as the principal', async () => {
      // Prepare
      const w = world();
      const { approvalId, executionName } = await pendingRelease(w, 'demo/iam-route');
      const approver = await w.gate.iamUsers.credentialsOf(LOCAL_APPROVER);
      const pusher = await addLocalUser(w, LOCAL_PUSHER.split('/').at(-1) ?? '');
      const mallory = await addLocalUser(w, 'mallory');
      const answer = { apiUrl: apiUrl(w), approvalId, decision: 'approve' as const, region: REGION };
      const tampered = await signedAnswer({ ...answer, credentials: approver });

      // Act
      const refusals = {
        tamperedBody: await send(
          Promise.resolve({ ...tampered, init: { ...tampered.init, body: '{"decision":"reject"}' } }),
        ),
        wrongSecret: await send(
          signedAnswer({ ...answer, credentials: { ...approver, secretAccessKey: mallory.secretAccessKey } }),
        ),
        staleDate: await send(
          signedAnswer({ ...answer, credentials: approver, signingDate: new Date(Date.now() - 10 * 60_000) }),
        ),
        unsigned: await send(
          Promise.resolve({ url: cliApprovalUrl(answer.apiUrl, approvalId), init: { method: 'POST', body: '{}' } }),
        ),
        typedIdentity: await send(
          signedPost(
            cliApprovalUrl(answer.apiUrl, approvalId),
            JSON.stringify({ decision: 'approve', by: 'alice@example.com' }),
            { region: REGION, credentials: approver },
          ),
        ),
        notAllowed: await send(signedAnswer({ ...answer, credentials: mallory })),
        pusher: await send(signedAnswer({ ...answer, credentials: pusher })),
      };
      const afterRefusals = await w.deps.gate.store.getApproval(approvalId);
      const approved = await send(signedAnswer({ ...answer, comment: 'signed', credentials: approver }));
      const exec = await w.gate.waitForExecution(executionName);

      // Assess
      expect(
        Object.fromEntries(Object.entries(refusals).map(([k, r]) => [k, r.status])),
        JSON.stringify(refusals),
      ).toEqual({
        tamperedBody: 403,
        wrongSecret: 403,
        staleDate: 403,
        unsigned: 403,
        typedIdentity: 400,
        notAllowed: 403,
        pusher: 403,
      });
      expect(String(refusals.tamperedBody.body.message)).toContain('signature we calculated does not match');
      expect(String(refusals.staleDate.body.message)).toContain('more than 5 min.');
      expect(String(refusals.typedIdentity.body.message)).toContain('a typed identity is not accepted');
      expect(String(refusals.notAllowed.body.message)).toContain(
        `${localUserArn('mallory')} is not an allowed approver`,
      );
      expect(String(refusals.pusher.body.message)).toContain('separation of duties');
      expect(afterRefusals).toMatchObject({ state: 'PENDING', approvals: [] });
      expect(approved).toMatchObject({
        status: 200,
        body: { state: 'APPROVED', approvals: [{ by: APPROVER_ARN }], decidedBy: APPROVER_ARN, required: 1 },
      });
      const stored = await w.deps.gate.store.getApproval(approvalId);
      expect(stored?.approvals).toEqual([expect.objectContaining({ by: APPROVER_ARN, via: 'cli-aws' })]);
      expect(lastState(exec)).toBe('Promoted');
    }, 120_000);
  });

  describe('when `release-gate approve --aws` runs with the local credentials file', () => {
    it('signs with the default credential chain, approves as the local principal and prints the outcome; a late reject exits 1', async () => {
      // Prepare
      const w = world();
      const { approvalId, executionName } = await pendingRelease(w, 'demo/iam-cli');
      // The default chain reads the profile from the shared credentials file; no AWS_* of the test runner leaks in.
      const env = {
        ...Object.fromEntries(Object.entries(CLI_ENV).filter(([k]) => !k.startsWith('AWS_'))),
        AWS_SHARED_CREDENTIALS_FILE: w.gate.iamUsers.path,
        AWS_CONFIG_FILE: `${w.gate.iamUsers.path}.no-config`,
        AWS_PROFILE: LOCAL_APPROVER,
        AWS_REGION: REGION,
        AWS_EC2_METADATA_DISABLED: 'true',
        RELEASE_GATE_API_URL: apiUrl(w),
      };

      // Act
      const first = await runCli(['approve', approvalId, '--aws', '--comment', 'from the CLI'], { env });
      const late = await runCli(['reject', approvalId, '--aws', '--comment', 'too late'], { env });
      const lateJson = await runCli(['reject', approvalId, '--aws', '--comment', 'too late', '--json'], { env });
      const noUrl = await runCli(['approve', approvalId, '--aws'], { env: { ...env, RELEASE_GATE_API_URL: '' } });
      const exec = await w.gate.waitForExecution(executionName);

      // Assess
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('Release approved: demo/iam-cli@sha256:');
      expect(first.stdout).toContain(`state APPROVED; approvals 1 of 1: ${APPROVER_ARN}`);
      expect(first.stdout).not.toContain('{');
      expect(late.code).toBe(1);
      expect(late.stdout).toMatch(/^409: approval \S+ was already answered: APPROVED/);
      expect(lateJson.code).toBe(1);
      expect(JSON.parse(lateJson.stdout)).toMatchObject({ answered: false, status: 409 });
      expect(noUrl.code).toBe(2);
      expect(noUrl.stderr).toContain('RELEASE_GATE_API_URL');
      expect(await w.deps.gate.store.getApproval(approvalId)).toMatchObject({
        approvals: [expect.objectContaining({ by: APPROVER_ARN, via: 'cli-aws', comment: 'from the CLI' })],
      });
      expect(lastState(exec)).toBe('Promoted');
    }, 120_000);
  });
});
