/**
 * What an audit write failure does (workflow/approval-audit.ts): a decision whose record cannot be
 * stored is not acted on, and the same answer again completes it; a view or a refusal whose record
 * cannot be stored is still shown, still refused, and reported. Plus the Slack channel's records.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../lambdas/adapters/store/errors.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { slackButtonValue, slackSignature } from '../../lambdas/domain/approval/slack.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import type { ApprovalAuditRecord } from '../../lambdas/domain/records.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { auditText } from '../../lambdas/domain/workflow/approval-audit.js';
import { makeHandler as approvalApi } from '../../lambdas/handlers/approval-api.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { HANDLER_SLACK_SECRET } from '../support/handler-world.js';
import { handlerWorld, policyOf, STAGE, WORLD_NOW } from '../support/world.js';

const DIGEST: Digest = `sha256:${'5e'.repeat(32)}`;
const ORIGIN = { sourceIp: '198.51.100.23', userAgent: 'Mozilla/5.0 (audit test)' };

/** A MemoryStore whose audit writes fail while `failing` is set (a DynamoDB outage). */
class AuditOutageStore extends MemoryStore {
  public failing = false;

  public override async appendApprovalAudit(rec: ApprovalAuditRecord) {
    if (this.failing) throw new StoreError('DynamoDB appendApprovalAudit failed (test outage)');
    return super.appendApprovalAudit(rec);
  }
}

/** A pending approval of demo/app that alice and bob may answer, and a handler that reports audit failures. */
async function pending() {
  const store = new AuditOutageStore();
  const w = handlerWorld({
    store,
    policy: policyOf({
      rules: [
        { repositories: ['**'], approval: { approvers: ['alice@example.com', 'U0BOB'], separationOfDuties: false } },
      ],
    }),
  });
  await w.store.recordRelease({
    repository: 'demo/app',
    digest: DIGEST,
    mediaType: MediaTypes.ociManifest,
    stage: STAGE,
    platforms: [],
    state: 'EVALUATED',
    executionName: 'audit-execution',
    recordedAt: WORLD_NOW.toISOString(),
  });
  const { approvalId } = await requestApproval(w.getDeps)({
    repository: 'demo/app',
    digest: DIGEST,
    stage: STAGE,
    taskToken: 'task-token-audit',
    reasons: ['awaiting human approval'],
    policyDigest: `sha256:${'cd'.repeat(32)}`,
    timeoutSeconds: 3600,
  });
  const unstored: ApprovalAuditRecord[] = [];
  const deps: HandlerDeps = { ...w.deps, gate: { ...w.deps.gate, auditFailures: (_err, rec) => unstored.push(rec) } };
  const api = approvalApi(async () => deps);
  const token = new URL(w.mailer.sent.find((m) => m.to === 'alice@example.com')?.link ?? '').searchParams.get('t');
  const http = (method: 'GET' | 'POST', extra: Record<string, unknown>) =>
    api({
      version: '2.0',
      routeKey: `${method} /approvals/{id}`,
      rawPath: `/approvals/${approvalId}`,
      rawQueryString: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pathParameters: { id: approvalId },
      isBase64Encoded: false,
      requestContext: { http: { method, path: `/approvals/${approvalId}`, ...ORIGIN } },
      ...extra,
    } as never);
  const answer = () =>
    http('POST', { body: new URLSearchParams({ decision: 'approve', token: token ?? '' }).toString() });
  const view = () => http('GET', { rawQueryString: `t=${token ?? ''}` });
  const trail = () => w.store.listApprovalAudit('demo/app', DIGEST);
  return { w, store, approvalId, api, http, answer, view, trail, unstored };
}

/** A Slack click as API Gateway hands it over, signed with `secret`. */
function slackClick(api: ReturnType<typeof approvalApi>, user: string, value: string, secret: string) {
  const payload = { type: 'block_actions', user: { id: user }, actions: [{ action_id: 'approve', value }] };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(WORLD_NOW.getTime() / 1000));
  return api({
    version: '2.0',
    routeKey: 'POST /slack/interactions',
    rawPath: '/slack/interactions',
    rawQueryString: '',
    headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature(secret, ts, body) },
    isBase64Encoded: false,
    body,
    requestContext: {
      http: { method: 'POST', path: '/slack/interactions', sourceIp: '203.0.113.9', userAgent: 'Slackbot 1.0' },
    },
  } as never);
}

describe('Module: approval-audit', () => {
  describe('when the audit record of a decision cannot be stored', () => {
    it('does not answer the workflow (500); the same link again, once the store is back, completes and records it', async () => {
      // Prepare
      const t = await pending();
      t.store.failing = true;

      // Act
      const failed = await t.answer();
      const workflowAnsweredDuringOutage = t.w.tokens.successes.length;
      t.store.failing = false;
      const again = await t.answer();

      // Assess
      expect(failed).toMatchObject({ statusCode: 500 });
      expect(workflowAnsweredDuringOutage).toBe(0);
      // The link is used up by its first (stored) answer: the second use completes it and is refused.
      expect(again).toMatchObject({ statusCode: 409 });
      expect(t.w.tokens.successes).toHaveLength(1);
      const decided = (await t.trail()).filter((r) => r.kind === 'decided');
      expect(decided).toEqual([
        expect.objectContaining({ identity: 'alice@example.com', channel: 'email-link', state: 'APPROVED', ...ORIGIN }),
      ]);
      expect(t.w.outcomes.events.map((e) => e.type)).toEqual(['Approval Requested', 'Approval Decided']);
    });
  });

  describe('when the audit record of a page view cannot be stored', () => {
    it('still shows the page, and reports the record it could not store', async () => {
      // Prepare
      const t = await pending();
      t.store.failing = true;

      // Act
      const page = await t.view();

      // Assess
      expect(page).toMatchObject({ statusCode: 200 });
      expect(JSON.stringify(page)).toContain('You decide as');
      expect(t.unstored).toEqual([
        expect.objectContaining({ kind: 'viewed', identity: 'alice@example.com', channel: 'email-link', ...ORIGIN }),
      ]);
    });
  });

  describe('when the form carries a typed identity', () => {
    it('refuses it (400) and leaves a refused record with where it came from, and nothing else', async () => {
      // Prepare
      const t = await pending();
      const before = await t.store.getApproval(t.approvalId);
      t.w.clock.advance(1);

      // Act
      const typed = await t.http('POST', {
        body: new URLSearchParams({ decision: 'approve', token: 'x', by: 'alice@example.com' }).toString(),
      });

      // Assess
      expect(typed).toMatchObject({ statusCode: 400 });
      expect(await t.store.getApproval(t.approvalId)).toEqual(before);
      expect((await t.trail()).map((r) => r.kind)).toEqual(['requested', 'refused']);
      expect((await t.trail())[1]).toMatchObject({
        identity: 'anonymous',
        channel: 'email-link',
        code: 'UNTRUSTED',
        outcome: expect.stringContaining('typed identity'),
        ...ORIGIN,
      });
    });
  });

  describe('when Slack clicks arrive, one without a valid signature', () => {
    it('records the forged click as refused and anonymous, and the signed one as decided by its Slack user', async () => {
      // Prepare
      const t = await pending();
      const approval = await t.store.getApproval(t.approvalId);
      const value = slackButtonValue(t.approvalId, approval?.evidenceSetDigest ?? '');

      // Act
      t.w.clock.advance(1);
      const forged = await slackClick(t.api, 'U0BOB', value, 'f'.repeat(32));
      t.w.clock.advance(1);
      const signed = await slackClick(t.api, 'U0BOB', value, HANDLER_SLACK_SECRET);
      await t.w.slackWork.settled();

      // Assess
      expect([forged, signed]).toMatchObject([{ statusCode: 401 }, { statusCode: 200 }]);
      const slack = { sourceIp: '203.0.113.9', userAgent: 'Slackbot 1.0' };
      expect((await t.trail()).slice(1)).toEqual([
        expect.objectContaining({
          kind: 'refused',
          identity: 'anonymous',
          channel: 'slack',
          code: 'BAD_SIGNATURE',
          ...slack,
        }),
        expect.objectContaining({ kind: 'decided', identity: 'U0BOB', channel: 'slack', state: 'APPROVED', ...slack }),
      ]);
    });
  });
});

describe('Function: auditText', () => {
  it('removes control characters and bidi overrides, and cuts to the bound without splitting a character', () => {
    // Act
    const cleaned = auditText('curl\u001b[2J\r\n\u202eevil\u0085', 100);
    const cut = auditText(`${'a'.repeat(8)}😀😀`, 10);

    // Assess
    expect(cleaned).toBe('curl[2Jevil');
    expect(cut).toBe(`${'a'.repeat(8)}…`);
    expect(cut.length).toBeLessThanOrEqual(10);
  });
});
