/**
 * The local stand-in for API Gateway's IAM authorization of `POST /cli/approvals/{id}`: it
 * verifies the request's SigV4 signature against local access keys, as API Gateway does against
 * IAM, and only then names the signing principal to the handler. The keys live in an AWS shared
 * credentials file (`.release-gate/aws-credentials`, generated once, 0600), one profile per local
 * IAM user, so the real default credential chain signs with them:
 * `AWS_SHARED_CREDENTIALS_FILE=.release-gate/aws-credentials AWS_PROFILE=local-approver`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { Sha256 } from '@smithy/core/checksum';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { SignatureV4 } from '@smithy/signature-v4';
import { readOrCreateSecretFile } from '../../lambdas/adapters/secrets/secret-file.js';

/** The account of every local principal (the local ECR stand-in's pusher is in it too). */
export const LOCAL_ACCOUNT = '000000000000';
/** The profile the credentials file is generated with. */
export const LOCAL_APPROVER = 'local-approver';
/** How far X-Amz-Date may be from the server's clock, either way (SigV4: five minutes). */
export const SIGV4_MAX_SKEW_MS = 5 * 60 * 1000;

/** A local IAM user: the principal API Gateway would report for its access key. */
export interface LocalIamUser {
  readonly userArn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The ARN of local IAM user `name`. */
export const localUserArn = (name: string): string => `arn:aws:iam::${LOCAL_ACCOUNT}:user/${name}`;

/** IAM user names: 1–64 of these characters. */
const USER_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/**
 * The local IAM users of a credentials file, by access key id. The first read generates the file
 * with one user, `local-approver` (an AKIA-style key id, a 40-character secret); add profiles to
 * make more. A profile that is not a user name or lacks a key is ignored, so it signs nothing.
 */
export class LocalIamUsers {
  public constructor(public readonly path: string) {}

  /** In the gate's work directory. */
  public static in(workDir: string): LocalIamUsers {
    return new LocalIamUsers(join(workDir, 'aws-credentials'));
  }

  public async byAccessKey(accessKeyId: string): Promise<LocalIamUser | undefined> {
    for (const [name, profile] of Object.entries(await this.profiles())) {
      const id = profile.aws_access_key_id;
      const secret = profile.aws_secret_access_key;
      if (!USER_NAME.test(name) || id === undefined || secret === undefined || id === '' || secret === '') continue;
      if (id === accessKeyId) return { userArn: localUserArn(name), accessKeyId: id, secretAccessKey: secret };
    }
    return undefined;
  }

  /** The credentials of local user `name` (tests sign with them). */
  public async credentialsOf(name: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const profile = (await this.profiles())[name];
    if (profile?.aws_access_key_id === undefined || profile.aws_secret_access_key === undefined) {
      throw new Error(`no local user ${name} in ${this.path}`);
    }
    return { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key };
  }

  private async profiles() {
    await readOrCreateSecretFile(this.path, generateCredentialsFile, 'local AWS credentials');
    // Read on every request: a profile added while the gate runs counts at once. A file the INI
    // parser cannot read yields no profiles, so nothing verifies (fail closed).
    const { credentialsFile } = await loadSharedConfigFiles({
      filepath: this.path,
      configFilepath: `${this.path}.no-config`,
      ignoreCache: true,
    });
    return credentialsFile;
  }
}

/** A new key pair shaped like IAM's: `AKIA` + 16 base-32 characters, a 40-character secret. */
export function generateAccessKey(): { accessKeyId: string; secretAccessKey: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((b) => alphabet[b % 32]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

function generateCredentialsFile(): string {
  const key = generateAccessKey();
  return `[${LOCAL_APPROVER}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
}

/** The parts of an HTTP request a SigV4 signature covers. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Why a request is refused; API Gateway answers these 403 (with `message`). */
export class SigV4RefusedError extends Error {
  public override readonly name = 'SigV4RefusedError';
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Verifies a request's SigV4 signature (Authorization header form) for service `execute-api`, and
 * returns the signing user. The signature is computed again with @smithy/signature-v4 over the
 * headers the client says it signed, the path, the query and the body, with the user's secret, at
 * the client's X-Amz-Date, and compared in constant time. A date more than five minutes off, an
 * unknown key, a session token (local keys are long-term) or any difference is refused.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
 */
export async function verifySigV4(
  users: Pick<LocalIamUsers, 'byAccessKey'>,
  request: ReceivedRequest,
  now: Date,
): Promise<LocalIamUser> {
  const auth = AUTHORIZATION.exec(request.headers.authorization ?? '');
  if (auth === null) throw new SigV4RefusedError('Missing Authentication Token');
  const [, accessKeyId = '', scopeDate, region = '', service, signedList = ''] = auth;
  if (service !== 'execute-api')
    throw new SigV4RefusedError(`Credential should be scoped to execute-api, not ${service}`);
  const amzDate = request.headers['x-amz-date'] ?? '';
  const d = AMZ_DATE.exec(amzDate);
  if (d === null) throw new SigV4RefusedError('X-Amz-Date is missing or malformed');
  const signingDate = new Date(
    Date.UTC(+(d[1] ?? 0), +(d[2] ?? 1) - 1, +(d[3] ?? 0), +(d[4] ?? 0), +(d[5] ?? 0), +(d[6] ?? 0)),
  );
  if (amzDate.slice(0, 8) !== scopeDate) throw new SigV4RefusedError('Credential scope date is not the X-Amz-Date day');
  if (Math.abs(now.getTime() - signingDate.getTime()) > SIGV4_MAX_SKEW_MS) {
    throw new SigV4RefusedError(
      `Signature expired or not yet current: ${amzDate} is more than 5 min. from ${now.toISOString()}`,
    );
  }
  const signed = signedList.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    throw new SigV4RefusedError('SignedHeaders must include host and x-amz-date');
  }
  if (signed.includes('x-amz-security-token') || request.headers['x-amz-security-token'] !== undefined) {
    throw new SigV4RefusedError(
      'The security token included in the request is invalid (local keys take no session token)',
    );
  }
  const user = await users.byAccessKey(accessKeyId);
  if (user === undefined) throw new SigV4RefusedError('The security token included in the request is invalid');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value === undefined) throw new SigV4RefusedError(`signed header ${name} is missing`);
    if (name !== 'x-amz-date') headers[name] = value;
  }
  // The signer takes x-amz-content-sha256, when sent, as the payload hash (S3's convention):
  // it must be the body's, or a signed header would vouch for another body.
  const claimedHash = request.headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(request.body).digest('hex')) {
    throw new SigV4RefusedError('The request signature we calculated does not match: the body is not the one signed');
  }
  const query: Record<string, string[]> = {};
  for (const [k, v] of request.query) query[k] = [...(query[k] ?? []), v];
  const signer = new SignatureV4({
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    region,
    service: 'execute-api',
    sha256: Sha256,
    // Sign exactly the headers the client signed: add no x-amz-content-sha256 of our own.
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.path,
      query,
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signed) },
  );
  // The signature is compared, not the header's spelling (clients separate the parts differently).
  const want = Buffer.from(/Signature=([0-9a-f]{64})$/.exec(String(expected.headers.authorization ?? ''))?.[1] ?? '');
  const got = Buffer.from(auth[6] ?? '');
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new SigV4RefusedError(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return user;
}
