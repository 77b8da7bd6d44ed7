/**
 * The embedded stack's SigV4 check of the IAM route (cli/local/iam-route.ts), request by request:
 * what the client signs (cli/commands/approve-aws.ts) verifies once, and any change to what the
 * signature covers is refused.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { cliApprovalUrl, signedPost, signingRegion } from '../../cli/commands/approve-aws.js';
import {
  generateAccessKey,
  type LocalIamUser,
  localUserArn,
  type ReceivedRequest,
  SigV4RefusedError,
  verifySigV4,
} from '../../cli/local/iam-route.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const KEY = generateAccessKey();
const USER: LocalIamUser = { userArn: localUserArn('dana'), ...KEY };
const users = { byAccessKey: async (id: string) => (id === USER.accessKeyId ? USER : undefined) };
const URL_ = new URL('http://127.0.0.1:8080/cli/approvals/0123456789abcdef0123456789abcdef');
const BODY = '{"decision":"approve"}';

/** The request as the server receives it, after the client signed it (optionally as someone else, at another time). */
async function received(
  opts: { credentials?: typeof KEY & { sessionToken?: string }; signingDate?: Date } = {},
): Promise<ReceivedRequest> {
  const { init } = await signedPost(URL_, BODY, {
    region: 'eu-west-1',
    credentials: opts.credentials ?? KEY,
    signingDate: opts.signingDate ?? NOW,
  });
  const headers = Object.fromEntries(
    Object.entries(init.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    method: 'POST',
    path: URL_.pathname,
    query: new URLSearchParams(),
    headers: { ...headers, host: URL_.host },
    body: BODY,
  };
}

/** Signed by a client that sends no x-amz-content-sha256 (botocore's way for execute-api): the server hashes the body. */
async function receivedWithoutContentHash(): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    credentials: KEY,
    region: 'eu-west-1',
    service: 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  const headers = { host: URL_.host, 'content-type': 'application/json' };
  const signed = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: URL_.hostname, path: URL_.pathname, query: {}, headers, body: BODY },
    { signingDate: NOW },
  );
  expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
  return {
    method: 'POST',
    path: URL_.pathname,
    query: new URLSearchParams(),
    headers: { ...signed.headers },
    body: BODY,
  };
}

describe('Function: verifySigV4 (the local IAM route)', () => {
  describe('when the request is as signed', () => {
    it('returns the signing user, with or without a content hash header', async () => {
      // Act
      const users_ = [
        await verifySigV4(users, await received(), NOW),
        await verifySigV4(users, await receivedWithoutContentHash(), NOW),
      ];

      // Assess
      expect(users_.map((u) => u.userArn)).toEqual([localUserArn('dana'), localUserArn('dana')]);
    });
  });

  describe('when anything the signature covers changed, or the key, time or token is wrong', () => {
    it.each<
      [string, (r: ReceivedRequest) => ReceivedRequest, (() => Promise<ReceivedRequest>) | undefined, Date, RegExp]
    >([
      [
        'another body (content hash header kept)',
        (r) => ({ ...r, body: '{"decision":"reject"}' }),
        undefined,
        NOW,
        /body is not the one signed/,
      ],
      [
        'another body (no content hash header)',
        (r) => ({ ...r, body: '{"decision":"reject"}' }),
        receivedWithoutContentHash,
        NOW,
        /does not match/,
      ],
      [
        'another path',
        (r) => ({ ...r, path: '/cli/approvals/ffffffffffffffffffffffffffffffff' }),
        undefined,
        NOW,
        /does not match/,
      ],
      [
        'another host',
        (r) => ({ ...r, headers: { ...r.headers, host: 'evil.example' } }),
        undefined,
        NOW,
        /does not match/,
      ],
      ['a query added', (r) => ({ ...r, query: new URLSearchParams('by=alice') }), undefined, NOW, /does not match/],
      [
        'a wrong secret',
        (r) => r,
        () => received({ credentials: { ...KEY, secretAccessKey: generateAccessKey().secretAccessKey } }),
        NOW,
        /does not match/,
      ],
      [
        'an unknown key',
        (r) => r,
        () => received({ credentials: generateAccessKey() }),
        NOW,
        /security token .* invalid/,
      ],
      [
        'a session token',
        (r) => r,
        () => received({ credentials: { ...KEY, sessionToken: 'token' } }),
        NOW,
        /session token/,
      ],
      ['a date 6 minutes old', (r) => r, undefined, new Date(NOW.getTime() + 6 * 60_000), /more than 5 min/],
      ['a date 6 minutes ahead', (r) => r, undefined, new Date(NOW.getTime() - 6 * 60_000), /more than 5 min/],
      [
        'no Authorization header',
        (r) => ({ ...r, headers: { ...r.headers, authorization: '' } }),
        undefined,
        NOW,
        /Missing Authentication Token/,
      ],
    ])('refuses %s', async (_label, change, signed, now, reason) => {
      // Prepare
      const request = change(await (signed ?? received)());

      // Act
      const act = verifySigV4(users, request, now);

      // Assess
      await expect(act).rejects.toThrow(SigV4RefusedError);
      await expect(act).rejects.toThrow(reason);
    });
  });
});

describe('Function: cliApprovalUrl and signingRegion (release-gate approve --aws)', () => {
  describe('when the API URL is the stack output, a custom domain or the local stack', () => {
    it.each([
      ['https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/', {}, 'eu-west-1'],
      ['https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', { AWS_REGION: 'us-east-1' }, 'eu-west-1'],
      ['https://approvals.example.com/', { AWS_REGION: 'us-east-1' }, 'us-east-1'],
      ['http://127.0.0.1:8080/', { AWS_DEFAULT_REGION: 'eu-central-1' }, 'eu-central-1'],
    ])('posts %s to …/cli/approvals/<id>, signed for the region', (apiUrl, env, region) => {
      // Act
      const url = cliApprovalUrl(apiUrl, '0123456789abcdef0123456789abcdef');

      // Assess
      expect(url.pathname).toBe('/cli/approvals/0123456789abcdef0123456789abcdef');
      expect(signingRegion(url, env)).toBe(region);
    });
  });

  describe('when the URL would send the signed answer in clear, or the region is unknown', () => {
    it('refuses plain http to another machine, and a URL with no region to tell', () => {
      // Act & Assess
      expect(() => cliApprovalUrl('http://approvals.example.com/', 'x'.repeat(16))).toThrow(/must be https/);
      expect(() => signingRegion(new URL('https://approvals.example.com/'), {})).toThrow(/set AWS_REGION/);
    });
  });
});
