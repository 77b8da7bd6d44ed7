/**
 * `release-gate approve|reject <id> --aws`: the answer goes to the gate's IAM-authorized route
 * (`POST <api>/cli/approvals/<id>`), signed with SigV4 with the caller's AWS credentials (the
 * default chain: environment, shared files, SSO, IMDS…). API Gateway verifies the signature and
 * the caller's `execute-api:Invoke` permission and tells the gate who signed: that principal is
 * the approver. The CLI needs no access to the gate's table or workflow. The signing is shared with
 * the incident commands' `--aws` (signed-request.ts).
 */
import { z } from 'zod';
import { printable } from '../printable.js';
import {
  apiRouteUrl,
  refusalExitCode,
  refusalOf,
  type SigningOptions,
  sendSigned,
  signedPost,
} from './signed-request.js';
import { defaultGateResolver, type GateLocation, type GateResolver } from './stack.js';

export { API_URL_ENV, type AwsCredentials, signedPost, signingRegion } from './signed-request.js';

export interface AwsAnswer extends SigningOptions {
  readonly apiUrl: string;
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
}

/** The route's URL for `approvalId` under the API base URL (https only, except to this machine). */
export function cliApprovalUrl(apiUrl: string, approvalId: string): URL {
  return apiRouteUrl(apiUrl, `cli/approvals/${encodeURIComponent(approvalId)}`);
}

/** The signed request: POST with a JSON body `{decision, comment?}`, signed for `execute-api`. */
export function signedAnswer(answer: AwsAnswer): Promise<{ url: URL; init: RequestInit }> {
  const body = JSON.stringify({
    decision: answer.decision,
    ...(answer.comment === undefined ? {} : { comment: answer.comment }),
  });
  return signedPost(cliApprovalUrl(answer.apiUrl, answer.approvalId), body, answer);
}

/** What the route answers: the approval after the answer, or why it was refused. */
const AnswerSchema = z.object({
  state: z.string(),
  approvals: z.array(z.object({ by: z.string() })),
  required: z.number(),
  decidedBy: z.string().nullable(),
  message: z.string(),
});

/**
 * Sends the answer and prints the outcome plainly (never the raw body). Exit code: 0 answered,
 * 1 refused (403 not allowed or a bad signature, 409 already answered, 410 expired, 4xx), 2 the
 * gate failed (5xx).
 */
export async function answerOnAws(
  answer: AwsAnswer,
  out: { write(text: string): unknown },
  json = false,
): Promise<number> {
  const answered = await sendSigned(await signedAnswer(answer));
  const ok = AnswerSchema.safeParse(answered.json);
  const accepted = answered.status === 200 && ok.success;
  if (json) {
    // `--json`: the approval after the answer, or the refusal, as one document.
    const body =
      ok.success && accepted
        ? { answered: true, status: 200, ...ok.data }
        : { answered: false, status: answered.status, message: refusalOf(answered) };
    out.write(`${JSON.stringify(body, null, 2)}\n`);
  } else if (accepted) {
    const who = ok.data.approvals.map((a) => a.by).join(', ');
    out.write(`${printable(ok.data.message)}\n`);
    out.write(
      `state ${ok.data.state}; approvals ${ok.data.approvals.length} of ${ok.data.required}${who === '' ? '' : `: ${printable(who)}`}\n`,
    );
  } else {
    out.write(`${answered.status}: ${printable(refusalOf(answered))}\n`);
  }
  if (accepted) return 0;
  return answered.status === 200 ? 2 : refusalExitCode(answered.status);
}

/**
 * `approve|reject <id> --aws|--stack NAME`: finds the gate (--api-url, --stack, or the
 * environment; stack.ts), then sends the answer signed as the caller (answerOnAws).
 */
export async function runAnswerOnAws(
  request: Pick<AwsAnswer, 'approvalId' | 'decision' | 'comment'> & {
    readonly where: GateLocation;
    /** `--json`: the answer as one document. */
    readonly json?: boolean;
  },
  out: { write(text: string): unknown },
  resolve: GateResolver = defaultGateResolver,
): Promise<number> {
  const target = await resolve(request.where, {});
  const { where: _where, json, ...answer } = request;
  return answerOnAws({ ...target, ...answer }, out, json);
}
