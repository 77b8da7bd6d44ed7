import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { describeError, GateError } from '../domain/errors.js';
import { describeAnswer, renderApprovalPage, renderResultPage } from '../domain/workflow/approval-page.js';
import { decideApproval } from '../domain/workflow/decide-approval.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { logger } from './logger.js';

const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
const FormSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string().trim().min(1).max(200),
  comment: z.string().max(1000).optional(),
});

const html = (statusCode: number, body: string): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  },
  body,
});

const STATUS_FOR: Partial<Record<GateError['code'], number>> = {
  NOT_FOUND: 404,
  ALREADY_DECIDED: 409,
  EXPIRED: 410,
  UNTRUSTED: 403,
  INVALID_INPUT: 400,
};

/**
 * Approval links: `GET /approvals/{id}` renders the confirmation page, `POST /approvals/{id}`
 * decides (single use). The approver identity is the authorizer's verified email when an
 * authorizer is configured, else the form field.
 */
export const makeHandler =
  (getDeps: () => Promise<HandlerDeps>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const id = IdSchema.safeParse(event.pathParameters?.id);
    if (!id.success) return html(400, renderResultPage('Bad request', 'malformed approval id'));
    const deps = await getDeps();
    try {
      if (event.requestContext.http.method === 'GET') {
        const approval = await deps.gate.store.getApproval(id.data);
        if (approval === null) return html(404, renderResultPage('Not found', 'no such approval'));
        const decision = await deps.gate.store.getDecision(approval.repository, approval.digest);
        return html(200, renderApprovalPage(approval, decision, event.rawPath));
      }
      if (event.requestContext.http.method !== 'POST') return html(405, renderResultPage('Method not allowed', ''));
      if ((event.body?.length ?? 0) > 16_384) return html(413, renderResultPage('Too large', 'form too large'));
      const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
      const form = FormSchema.safeParse(Object.fromEntries(new URLSearchParams(raw)));
      if (!form.success) return html(400, renderResultPage('Bad request', 'decision and identity are required'));
      const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } })
        .authorizer?.jwt?.claims;
      const verified = typeof claims?.email === 'string' ? claims.email : undefined;
      const decided = await decideApproval(deps.gate, {
        approvalId: id.data,
        decision: form.data.decision,
        by: verified ?? form.data.by,
        ...(form.data.comment ? { comment: form.data.comment } : {}),
      });
      logger.info('approval decided', { approvalId: id.data, state: decided.state, by: decided.decidedBy });
      const { title, message } = describeAnswer(decided);
      return html(200, renderResultPage(title, message));
    } catch (err) {
      const status = err instanceof GateError ? (STATUS_FOR[err.code] ?? 500) : 500;
      if (status === 500) logger.error('approval failed', { error: describeError(err) });
      return html(status, renderResultPage('Not done', describeError(err)));
    }
  };

export const handler = makeHandler(awsDeps);
