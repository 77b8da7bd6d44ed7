/**
 * Signed requests to the gate's IAM-authorized routes (`approve|reject|triage|explain|report|
 * revoke|rollback|release --aws`): SigV4 for `execute-api` with the caller's AWS credentials (the
 * default chain: environment, shared files, SSO, IMDS…). API Gateway verifies the signature and
 * the caller's `execute-api:Invoke` permission and tells the gate who signed: that principal is
 * the identity. The CLI needs no access to the gate's table, bucket or workflow.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import { ConfigError, describeError } from '../../lambdas/domain/errors.js';

/** The environment variable holding the gate's API URL (the stack output ApprovalApiUrl). */
export const API_URL_ENV = 'RELEASE_GATE_API_URL';

/** AWS credentials, or a provider of them (the default chain refreshes temporary ones). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** How requests are signed. */
export interface SigningOptions {
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default - now */
  readonly signingDate?: Date;
}

/** Where the API is and how to sign for it. */
export interface AwsApiTarget extends SigningOptions {
  readonly apiUrl: string;
}

/**
 * The URL of `path` (relative, e.g. `cli/query/triage`) under the API base URL (with or without
 * its trailing slash). HTTPS only, except to this machine (the embedded stack): signed requests
 * and their answers are not sent in clear.
 */
export function apiRouteUrl(apiUrl: string, path: string, query: Record<string, string> = {}): URL {
  const base = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  const url = new URL(path, base);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new ConfigError(`the gate's API URL must be https:// (plain http only to this machine): ${url.origin}`);
  }
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
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

/**
 * The API URL from `--api-url` or RELEASE_GATE_API_URL, and the region to sign for. Throws
 * ConfigError saying what to set when neither is given or the URL is not one.
 */
export function resolveApiUrl(
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): { readonly apiUrl: string; readonly region: string } {
  const apiUrl = given ?? env[API_URL_ENV];
  if (apiUrl === undefined || apiUrl === '') {
    throw new ConfigError(
      `--aws needs the gate's API URL: --api-url URL or ${API_URL_ENV} (stack output ApprovalApiUrl)`,
    );
  }
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch (err) {
    throw new ConfigError(`not a URL: ${apiUrl} (${describeError(err)})`);
  }
  return { apiUrl, region: signingRegion(url, env) };
}

/**
 * A request to `url` signed with SigV4 for `execute-api` (Authorization header); a body is sent
 * as JSON. Throws ConfigError when no credentials can be found, naming how to give them.
 */
export async function signedRequest(
  method: 'GET' | 'POST',
  url: URL,
  body: string | undefined,
  signing: SigningOptions,
): Promise<{ url: URL; init: RequestInit }> {
  const signer = new SignatureV4({
    credentials: signing.credentials,
    region: signing.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
  let signed: Awaited<ReturnType<SignatureV4['sign']>>;
  try {
    // SigV4 signs the Host header; fetch sends `url.host` (the port only when not the default).
    signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query,
        headers: { host: url.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      },
      signing.signingDate === undefined ? {} : { signingDate: signing.signingDate },
    );
  } catch (err) {
    throw new ConfigError(
      `no AWS credentials to sign the request with (${describeError(err)}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with aws sso login`,
      { cause: err },
    );
  }
  const { host: _host, ...headers } = signed.headers;
  return { url, init: { method, headers, ...(body === undefined ? {} : { body }) } };
}

/** A JSON POST of `body` to `url`, signed for `execute-api`. */
export function signedPost(url: URL, body: string, signing: SigningOptions): Promise<{ url: URL; init: RequestInit }> {
  return signedRequest('POST', url, body, signing);
}

/** What a refusal says: the gate's `{error?, message}`, or API Gateway's `{message}`. */
const RefusalSchema = z.object({ message: z.string() }).passthrough();

/** The answer of a signed request: its status, its JSON (undefined when not JSON), and its text. */
export interface ApiAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/** Sends a signed request; a network failure is a ConfigError naming the URL. */
export async function sendSigned(request: { url: URL; init: RequestInit }): Promise<ApiAnswer> {
  let res: Response;
  try {
    res = await fetch(request.url, request.init);
  } catch (err) {
    throw new ConfigError(`cannot reach ${request.url.origin}: ${describeError(err)}`, { cause: err });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Why a request was refused, in one line (never the raw body past 300 characters). */
export function refusalOf(answer: ApiAnswer): string {
  const refusal = RefusalSchema.safeParse(answer.json);
  return refusal.success ? refusal.data.message : answer.text.replace(/\s+/g, ' ').slice(0, 300);
}

/** The exit code of a refused request: 1 refused (4xx: not allowed, bad signature, bad input), 2 the gate failed. */
export function refusalExitCode(status: number): number {
  return status >= 500 || status < 400 ? 2 : 1;
}
