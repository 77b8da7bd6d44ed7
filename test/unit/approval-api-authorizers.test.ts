/**
 * The approval-api handler behind API Gateway authorizers (issue 8 §1): the IAM-authorized CLI
 * route (`release-gate approve|reject --aws`), whose approver is the principal API Gateway
 * verified, and the optional JWT authorizer on the link routes, whose verified email must be the
 * link's signed address.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../lambdas/domain/types.js';
import { makeHandler as approvalApi } from '../../lambdas/handlers/approval-api.js';
import { CLI_APPROVAL_ROUTE_KEY } from '../../lambdas/handlers/cli-approvals.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { httpApiEvent, iamAuthorizer } from '../support/api-events.js';
import { recordEvaluatedRelease } from '../support/handler-world.js';
import { type HandlerWorld, handlerWorld, policyOf, STAGE, WORLD_NOW } from '../support/world.js';

const DIGEST: Digest = `sha256:${'5e'.repeat(32)}`;
const PUSHER = 'arn:aws:sts::111122223333:assumed-role/Approvers/dana';

/** Approvers are anyone in the Approvers role of any account, and bob by email (link routes). */
const POLICY = policyOf({
  rules: [
    {
      repositories: ['**'],
      approval: { approvers: ['arn:aws:sts::*:assumed-role/Approvers/*', 'bob@example.com'] },
    },
  ],
});

function event(
  routeKey: string,
  path: string,
  id: string,
  body: string,
  authorizer: Record<string, unknown> | undefined,
): APIGatewayProxyEventV2 {
  return httpApiEvent(routeKey, path, {
    pathParameters: { id },
    body,
    ...(authorizer === undefined ? {} : { authorizer }),
  });
}

async function cliAnswer(
  w: HandlerWorld,
  id: string,
  body: unknown,
  principal: string | null,
  iamContext: Record<string, unknown> = {},
) {
  const authorizer = principal === null ? undefined : iamAuthorizer(principal);
  const out = await approvalApi(w.getDeps)(
    event(
      CLI_APPROVAL_ROUTE_KEY,
      `/cli/approvals/${id}`,
      id,
      JSON.stringify(body),
      authorizer === undefined ? undefined : { iam: { ...authorizer.iam, ...iamContext } },
    ),
  );
  if (typeof out === 'string') throw new Error('expected a structured response');
  return { status: out.statusCode, body: JSON.parse(out.body ?? '') as Record<string, unknown> };
}

async function pendingApproval(w: HandlerWorld): Promise<string> {
  await recordEvaluatedRelease(w, 'demo/app', DIGEST);
  await w.store.recordPusher({
    repository: 'demo/app',
    digest: DIGEST,
    identity: PUSHER,
    source: 'cloudtrail',
    at: WORLD_NOW.toISOString(),
  });
  const requested = await requestApproval(w.getDeps)({
    repository: 'demo/app',
    digest: DIGEST,
    stage: STAGE,
    taskToken: 'task-token-1',
    reasons: ['awaiting human approval'],
    policyDigest: POLICY.digest,
    timeoutSeconds: 3600,
  });
  return requested.approvalId;
}

const ERIN = 'arn:aws:sts::444455556666:assumed-role/Approvers/erin';

/** A world on POLICY with demo/app waiting for its approval. */
async function waiting() {
  const w = handlerWorld({ policy: POLICY });
  return { w, approvalId: await pendingApproval(w) };
}

describe('Function: approval-api handler, the IAM-authorized CLI route (issue 8)', () => {
  describe('when an approver in the Approvers role answers', () => {
    it('approves as the principal API Gateway verified, recorded as cli-aws, and answers JSON', async () => {
      // Prepare
      const { w, approvalId } = await waiting();

      // Act
      const res = await cliAnswer(w, approvalId, { decision: 'approve', comment: 'looks right' }, ERIN);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        state: 'APPROVED',
        approvals: [{ by: ERIN }],
        required: 1,
        decidedBy: ERIN,
      });
      const approval = await w.store.getApproval(approvalId);
      expect(approval?.approvals).toEqual([expect.objectContaining({ by: ERIN, via: 'cli-aws' })]);
      expect(w.tokens.successes).toHaveLength(1);
      const evidence = (await w.store.listEvidence('demo/app', DIGEST)).find((e) => e.kind === 'approval');
      expect(evidence?.reasons).toContain(`identities: ${ERIN} (AWS CLI, caller principal)`);
    });
  });

  describe('when the principal is not allowed, or pushed the release', () => {
    it.each([
      [
        'a role outside the allowlist',
        'arn:aws:sts::111122223333:assumed-role/Developers/erin',
        'not an allowed approver',
      ],
      ['an IAM user outside the allowlist', 'arn:aws:iam::111122223333:user/erin', 'not an allowed approver'],
      ['the pusher (separation of duties)', PUSHER, 'separation of duties'],
    ])('refuses %s with 403 and stores nothing', async (_label, principal, reason) => {
      // Prepare
      const { w, approvalId } = await waiting();

      // Act
      const res = await cliAnswer(w, approvalId, { decision: 'approve' }, principal);

      // Assess
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'UNTRUSTED' });
      expect(String(res.body.message)).toContain(reason);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING', approvals: [] });
      expect(w.tokens.successes).toHaveLength(0);
    });
  });

  describe('when the body names an approver', () => {
    it('refuses the typed identity with 400, even for an allowed principal', async () => {
      // Prepare
      const { w, approvalId } = await waiting();

      // Act: an allowed principal, naming someone else
      const res = await cliAnswer(w, approvalId, { decision: 'approve', by: 'bob@example.com' }, ERIN);

      // Assess
      expect(res.status).toBe(400);
      expect(String(res.body.message)).toContain('a typed identity is not accepted');
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING' });
    });
  });

  describe('when the caller signed with Cognito identity pool credentials', () => {
    it('refuses with 403: every pool user signs as the same role', async () => {
      // Prepare
      const { w, approvalId } = await waiting();
      const pool = { amr: ['authenticated'], identityId: 'eu-west-1:0f1e2d3c', identityPoolId: 'eu-west-1:4b5a6978' };

      // Act
      const res = await cliAnswer(w, approvalId, { decision: 'approve' }, ERIN, { cognitoIdentity: pool });

      // Assess
      expect(res.status).toBe(403);
      expect(String(res.body.message)).toContain('shared role');
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING' });
    });
  });

  describe('when the request carries no IAM authorizer context (a route deployed without IAM auth)', () => {
    it('fails closed with 500 and decides nothing', async () => {
      // Prepare
      const { w, approvalId } = await waiting();

      // Act
      const res = await cliAnswer(w, approvalId, { decision: 'approve' }, null);

      // Assess
      expect(res.status).toBe(500);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING' });
    });
  });

  describe('when a rejection comes without a reason', () => {
    it('answers 400 naming the missing reason and leaves the approval pending; approve needs none', async () => {
      // Prepare
      const { w, approvalId } = await waiting();

      // Act
      const bare = await cliAnswer(w, approvalId, { decision: 'reject' }, ERIN);
      const blank = await cliAnswer(w, approvalId, { decision: 'reject', comment: '   ' }, ERIN);
      const pending = await w.store.getApproval(approvalId);
      const approved = await cliAnswer(w, approvalId, { decision: 'approve' }, ERIN);

      // Assess
      for (const res of [bare, blank]) {
        expect(res).toMatchObject({ status: 400, body: { error: 'INVALID_INPUT' } });
        expect(String(res.body.message)).toContain('a reject needs a reason');
      }
      expect(pending).toMatchObject({ state: 'PENDING', approvals: [] });
      expect(w.tokens.failures).toEqual([]);
      expect(approved).toMatchObject({ status: 200, body: { state: 'APPROVED', decidedBy: ERIN } });
    });
  });

  describe('when the answer is a rejection, then another answer', () => {
    it('rejects, then answers 409 to the late approval', async () => {
      // Prepare
      const { w, approvalId } = await waiting();
      const finn = 'arn:aws:sts::444455556666:assumed-role/Approvers/finn';

      // Act
      const rejected = await cliAnswer(w, approvalId, { decision: 'reject', comment: 'no' }, ERIN);
      const late = await cliAnswer(w, approvalId, { decision: 'approve' }, finn);

      // Assess
      expect(rejected).toMatchObject({ status: 200, body: { state: 'REJECTED', decidedBy: ERIN } });
      expect(late).toMatchObject({ status: 409, body: { error: 'ALREADY_DECIDED' } });
      expect(w.tokens.failures).toHaveLength(1);
    });
  });
});

describe('Function: approval-api handler, the link routes behind a JWT authorizer (issue 8)', () => {
  /** bob's link, posted with the claims an OIDC issuer's token carried (API Gateway passes them as strings). */
  async function postWithClaims(claims: Record<string, unknown>) {
    const { w, approvalId } = await waiting();
    const mail = w.mailer.sent.find((m) => m.approvalId === approvalId && m.to === 'bob@example.com');
    const token = new URL(mail?.link ?? 'https://x/').searchParams.get('t') ?? '';
    const form = new URLSearchParams({ decision: 'approve', token }).toString();
    const out = await approvalApi(w.getDeps)(
      event('POST /approvals/{id}', `/approvals/${approvalId}`, approvalId, form, { jwt: { claims, scopes: null } }),
    );
    const res = out as APIGatewayProxyStructuredResultV2;
    return { status: res.statusCode, body: res.body ?? '', approval: await w.store.getApproval(approvalId) };
  }

  it.each([
    [
      'the link’s address, verified (Cognito: "true")',
      { email: 'bob@example.com', email_verified: 'true' },
      200,
      'APPROVED',
    ],
    [
      'the link’s address, verified (a JSON boolean)',
      { email: 'Bob@example.com', email_verified: true },
      200,
      'APPROVED',
    ],
    ['the link’s address, no email_verified claim', { email: 'bob@example.com' }, 200, 'APPROVED'],
    ['another address', { email: 'mallory@example.com', email_verified: 'true' }, 403, 'PENDING'],
    ['the link’s address, not verified', { email: 'bob@example.com', email_verified: 'false' }, 403, 'PENDING'],
    ['no email claim at all', { sub: '8c1f0b2e', email_verified: 'true' }, 403, 'PENDING'],
  ])('with %s: answers %i', async (_label, claims, status, state) => {
    // Act
    const res = await postWithClaims(claims);

    // Assess
    expect(res.status, res.body).toBe(status);
    expect(res.approval).toMatchObject({ state });
  });
});
