/**
 * `release-gate status|approve … --stack NAME` against the embedded stack: the stack's outputs are
 * read with DescribeStacks (the one AWS call with no stand-in: a real CloudFormation client
 * answered in front of its middleware), and everything behind them is real: SigV4 signing with the
 * caller's key, the local stand-in for API Gateway's IAM authorization verifying it, and the
 * approval-api and ops-read handlers acting as the signing principal.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runAnswerOnAws } from '../../cli/commands/approve-aws.js';
import { runOpsOnAws } from '../../cli/commands/ops-aws.js';
import { LOCAL_APPROVER, localUserArn } from '../../cli/local/iam-route.js';
import { CLI_ENV, captureIo, runCli } from '../support/cli-process.js';
import { gateOutputs, STACK_NAME, stackResolver, stubbedCloudFormation } from '../support/cloudformation-stub.js';
import { type LocalWorld, localUsersMayApprove, pushUntilApprovalRequested, useLocalWorld } from '../support/world.js';

const REPO = 'demo/stack-cli';
const APPROVER_ARN = localUserArn(LOCAL_APPROVER);

/** Local users may approve (`local-*`). */
const world = useLocalWorld({ tweak: localUsersMayApprove });

/** The stack as DescribeStacks answers it, its API being the embedded stack's; signed as the local approver. */
async function stackOf(w: LocalWorld) {
  const { client, calls } = stubbedCloudFormation({
    outputs: gateOutputs(`${new URL(w.gate.approvalBaseUrl).origin}/`),
  });
  const resolve = stackResolver(client, await w.gate.iamUsers.credentialsOf(LOCAL_APPROVER));
  return { resolve, calls };
}

const StatusJsonSchema = z.array(
  z.object({
    repository: z.string(),
    digest: z.string(),
    state: z.string(),
    approvalTrail: z.array(z.object({ identity: z.string() })),
  }),
);

describe('Commands: release-gate status|approve --stack NAME (stack outputs read, the rest real)', () => {
  it('lists the pending release, approves it as the signing principal (a late reject refused), and shows its evidence and trail', async () => {
    // Prepare
    const w = world();
    const { resolve, calls } = await stackOf(w);
    const { pushed, detail } = await pushUntilApprovalRequested(w, REPO);
    const approvalId = String(detail.approvalId);
    const stack = ['--stack', STACK_NAME];

    // Act
    const pending = captureIo();
    const pendingCode = await runOpsOnAws('status', stack, pending.io, resolve);
    const approve = captureIo();
    const approveCode = await runAnswerOnAws(
      { approvalId, decision: 'approve', comment: 'looks good', where: { stack: STACK_NAME } },
      approve.io.stdout,
      resolve,
    );
    const late = captureIo();
    const lateCode = await runAnswerOnAws(
      { approvalId, decision: 'reject', comment: 'too late', where: { stack: STACK_NAME } },
      late.io.stdout,
      resolve,
    );
    await w.gate.waitForExecution(pushed.executionName ?? '');
    const detailed = captureIo();
    const detailedCode = await runOpsOnAws('status', [pushed.digest.slice(0, 20), ...stack], detailed.io, resolve);
    const asJson = captureIo();
    const jsonCode = await runOpsOnAws('status', [pushed.digest, '--json', ...stack], asJson.io, resolve);
    const none = captureIo();
    const noneCode = await runOpsOnAws('status', [`sha256:${'0'.repeat(12)}`, ...stack], none.io, resolve);

    // Assess: the list while pending.
    expect(pendingCode, pending.err()).toBe(0);
    expect(pending.out()).toMatch(new RegExp(`^${REPO}@${pushed.digest}  AWAITING_APPROVAL  recorded `, 'm'));
    // The answer, as the signing principal.
    expect(approveCode).toBe(0);
    expect(approve.out()).toContain(`state APPROVED; approvals 1 of 1: ${APPROVER_ARN}`);
    expect(await w.deps.gate.store.getApproval(approvalId)).toMatchObject({
      approvals: [expect.objectContaining({ by: APPROVER_ARN, via: 'cli-aws', comment: 'looks good' })],
    });
    expect(lateCode).toBe(1);
    expect(late.out()).toMatch(/^409: approval \S+ was already answered: APPROVED/);
    // One release in detail: evidence with where its documents are, the approval trail, the promotion.
    expect(detailedCode, detailed.err()).toBe(0);
    const text = detailed.out();
    expect(text).toMatch(new RegExp(`^${REPO}@${pushed.digest}  PROMOTED  recorded `, 'm'));
    expect(text).toMatch(/^ {4}sbom\s+PASS/m);
    expect(text).toMatch(new RegExp(`^ {6}s3://${w.gate.standIns.bucket}/evidence/sha256/[0-9a-f]{64}  \\S+`, 'm'));
    expect(text).toContain('    approval trail:');
    expect(text).toContain(`${APPROVER_ARN} via cli-aws`);
    expect(text).toMatch(new RegExp(`^ {4}live from \\S+ in prod/${REPO}:1.4.0 \\(promoted\\)$`, 'm'));
    expect(jsonCode).toBe(0);
    expect(StatusJsonSchema.parse(JSON.parse(asJson.out()))).toEqual([
      expect.objectContaining({ repository: REPO, digest: pushed.digest, state: 'PROMOTED' }),
    ]);
    expect(noneCode).toBe(1);
    expect(none.err()).toBe(`404: no release with digest sha256:${'0'.repeat(12)}\n`);
    // Every command read the stack once, by name.
    expect(calls.map((c) => c.input)).toEqual(Array(6).fill({ StackName: STACK_NAME }));
  }, 120_000);

  it('refuses a typed identity with --stack and names the fix when the region is unknown, before any request', async () => {
    // Prepare: no AWS settings of the test runner; no region anywhere.
    const env = {
      ...Object.fromEntries(Object.entries(CLI_ENV).filter(([k]) => !k.startsWith('AWS_'))),
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    // Act
    const typed = await runCli(['approve', 'a'.repeat(32), '--stack', STACK_NAME, '--by', 'alice@example.com'], {
      env,
    });
    const noRegion = await runCli(['status', '--stack', STACK_NAME], { env });

    // Assess
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('--by is for the local stack; with --aws you are your AWS principal');
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain(`cannot read stack ${STACK_NAME}: `);
    expect(noRegion.stderr).toContain('set AWS_REGION to the stack’s region (or give the stack ARN)');
  }, 120_000);
});
