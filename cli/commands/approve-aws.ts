/**
 * `release-gate approve|reject <id> --aws`: the answer goes to the gate's IAM-authorized route
 * (`POST <api>/cli/approvals/<id>`), signed with SigV4 with the caller's AWS credentials (the
 * default chain: environment, shared files, SSO, IMDS…). API Gateway verifies the signature and
 * the caller's `execute-api:Invoke` permission and tells the gate who signed: that principal is
 * the approver. The CLI needs no access to the gate's table or workflow.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { printable } from '../printable.js';

/** The environment variable holding the approval API URL (the stack output ApprovalApiUrl). */
export const API_URL_ENV = 'RELEASE_GATE_API_URL';

/** AWS credentials, or a provider of them (the default chain refreshes temporary ones). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsAnswer {
  readonly apiUrl: string;
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default - now */
  readonly signingDate?: Date;
}

/**
 * The route's URL for `approvalId` under the API base URL (with or without its trailing slash).
 * HTTPS only, except to this machine (the embedded stack): a signed answer is not sent in clear.
 */
export function cliApprovalUrl(apiUrl: string, approvalId: string): URL {
  const base = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  const url = new URL(`cli/approvals/${encodeURIComponent(approvalId)}`, base);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new ConfigError(`the approval API URL must be https:// (plain http only to this machine): ${url.origin}`);
  }
  return url;
}

/**
 * The region to sign for: the one in an `execute-api` host name
 * (`<api-id>.execute-api.<region>.amazonaws.com`), else AWS_REGION / AWS_DEFAULT_REGION (a custom
 * domain name or the local stack).
 */
export function signingRegion(apiUrl: URL, env: NodeJS.ProcessEnv): string {
  const fromHost = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(apiUrl.hostname)?.[1];
  const region = fromHost ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') {
    throw new ConfigError(`cannot tell the region of ${apiUrl.origin}: set AWS_REGION`);
  }
  return region;
}

/** The signed request: POST with a JSON body `{decision, comment?}`, signed for `execute-api`. */
export function signedAnswer(answer: AwsAnswer): Promise<{ url: URL; init: RequestInit }> {
  const body = JSON.stringify({
    decision: answer.decision,
    ...(answer.comment === undefined ? {} : { comment: answer.comment }),
  });
  return signedPost(cliApprovalUrl(answer.apiUrl, answer.approvalId), body, answer);
}

/** A JSON POST of `body` to `url`, signed with SigV4 for `execute-api` (Authorization header). */
export async function signedPost(
  url: URL,
  body: string,
  signing: Pick<AwsAnswer, 'region' | 'credentials' | 'signingDate'>,
): Promise<{ url: URL; init: RequestInit }> {
  const signer = new SignatureV4({
    credentials: signing.credentials,
    region: signing.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  // SigV4 signs the Host header; fetch sends `url.host` (the port only when not the default).
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    signing.signingDate === undefined ? {} : { signingDate: signing.signingDate },
  );
  const { host: _host, ...headers } = signed.headers;
  return { url, init: { method: 'POST', headers, body } };
}

/** What the route answers: the approval after the answer, or why it was refused. */
const AnswerSchema = z.object({
  state: z.string(),
  approvals: z.array(z.object({ by: z.string() })),
  required: z.number(),
  decidedBy: z.string().nullable(),
  message: z.string(),
});
const RefusalSchema = z.object({ message: z.string() }).passthrough();

/**
 * Sends the answer and prints the outcome plainly (never the raw body). Exit code: 0 answered,
 * 1 refused (403 not allowed or a bad signature, 409 already answered, 410 expired, 4xx), 2 the
 * gate failed (5xx).
 */
export async function answerOnAws(answer: AwsAnswer, out: { write(text: string): unknown }): Promise<number> {
  const { url, init } = await signedAnswer(answer);
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    parsed = undefined;
  }
  const ok = AnswerSchema.safeParse(parsed);
  if (res.status === 200 && ok.success) {
    const who = ok.data.approvals.map((a) => a.by).join(', ');
    out.write(`${printable(ok.data.message)}\n`);
    out.write(
      `state ${ok.data.state}; approvals ${ok.data.approvals.length} of ${ok.data.required}${who === '' ? '' : `: ${printable(who)}`}\n`,
    );
    return 0;
  }
  const refusal = RefusalSchema.safeParse(parsed);
  const reason = refusal.success ? refusal.data.message : text.replace(/\s+/g, ' ').slice(0, 300);
  out.write(`${res.status}: ${printable(reason)}\n`);
  return res.status >= 500 || res.status === 200 ? 2 : 1;
}
