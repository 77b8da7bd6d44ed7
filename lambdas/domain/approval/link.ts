/**
 * Signed approval links. A link names one approval and one approver address, carries the
 * evidence-set digest the approver was shown and an expiry, and is signed with HMAC-SHA256. The
 * signed address is the approver's identity: nothing typed into the page is.
 *
 * Token: `base64url(JSON claims) "." base64url(HMAC-SHA256(key, "rg-link-v1." + first part))`.
 * Hand-written on node:crypto because it is a dozen lines and a JWT library would add algorithm
 * negotiation (`alg` headers) that a link signed and verified by the same service does not need.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, GateError } from '../errors.js';
import * as z from '../zod.js';

/** The keys links are signed with: sign with `current`; verify with `current` or `previous` (rotation). */
export interface LinkKeys {
  readonly current: Uint8Array;
  readonly previous?: Uint8Array;
}

/** HMAC-SHA256 keys shorter than the hash output weaken it (RFC 2104 §3). */
export const MIN_LINK_KEY_BYTES = 32;

export const LinkClaimsSchema = z.strictObject({
  /** Approval id. */
  aid: z.string().check(z.minLength(1), z.maxLength(128)),
  /** Approver address: the identity the decision is recorded under. */
  sub: z.string().check(z.minLength(3), z.maxLength(320)),
  /** Evidence-set digest of the approval request ('' while the request records none). */
  esd: z.string().check(z.maxLength(200)),
  /** Expiry, seconds since the epoch. */
  exp: z.number().check(z.int(), z.positive()),
});
export type LinkClaims = z.infer<typeof LinkClaimsSchema>;

/** Why a link was refused; the handler maps these to 403 (forged, misdirected) and 410 (expired). */
export type LinkRefusal = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'OTHER_APPROVAL' | 'OTHER_EVIDENCE';

export class LinkRefusedError extends GateError<LinkRefusal> {
  public constructor(detail: LinkRefusal, message: string) {
    super(detail === 'EXPIRED' ? 'EXPIRED' : 'UNTRUSTED', message, { detail });
  }
}

const DOMAIN = 'rg-link-v1.';
/** A token is a few hundred bytes; anything far longer is not one of ours. */
const MAX_TOKEN_CHARS = 2048;

const mac = (key: Uint8Array, body: string): Buffer =>
  createHmac('sha256', key)
    .update(DOMAIN + body)
    .digest();

function checkKey(key: Uint8Array): void {
  if (key.byteLength < MIN_LINK_KEY_BYTES) {
    throw new ConfigError(`a link signing key must be at least ${MIN_LINK_KEY_BYTES} bytes`);
  }
}

export function signLink(keys: LinkKeys, claims: LinkClaims): string {
  checkKey(keys.current);
  const body = Buffer.from(JSON.stringify(LinkClaimsSchema.parse(claims))).toString('base64url');
  return `${body}.${mac(keys.current, body).toString('base64url')}`;
}

/**
 * Returns the claims of a token signed with one of `keys` for `expected.approvalId` and not expired
 * at `expected.now`, or throws LinkRefusedError saying which check failed. The signature is checked
 * first, so nothing of an unsigned token is believed.
 */
export function verifyLink(
  keys: LinkKeys,
  token: string,
  expected: { readonly approvalId: string; readonly now: Date; readonly evidenceSetDigest?: string },
): LinkClaims {
  if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw new LinkRefusedError('MALFORMED', 'the approval link is malformed');
  }
  const [body = '', sig = ''] = token.split('.');
  // The signature is compared as text, not decoded: base64url decoding ignores the last
  // character's spare bits, so several spellings would decode to the same MAC.
  const given = Buffer.from(sig);
  const candidates = [keys.current, ...(keys.previous === undefined ? [] : [keys.previous])];
  // Every key is tried (no early exit) and each comparison is constant-time.
  let valid = false;
  for (const key of candidates) {
    checkKey(key);
    const want = Buffer.from(mac(key, body).toString('base64url'));
    if (given.byteLength === want.byteLength && timingSafeEqual(given, want)) valid = true;
  }
  if (!valid)
    throw new LinkRefusedError('BAD_SIGNATURE', 'the approval link was not signed by this gate (tampered or forged)');
  let claims: LinkClaims;
  try {
    claims = LinkClaimsSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw new LinkRefusedError('MALFORMED', 'the approval link is malformed');
  }
  if (claims.aid !== expected.approvalId) {
    throw new LinkRefusedError('OTHER_APPROVAL', 'the approval link is for another approval');
  }
  if ((expected.evidenceSetDigest ?? '') !== claims.esd) {
    throw new LinkRefusedError('OTHER_EVIDENCE', 'the approval link was issued for other evidence than this request');
  }
  if (expected.now.getTime() >= claims.exp * 1000) {
    throw new LinkRefusedError('EXPIRED', `the approval link expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  return claims;
}

/**
 * The secret's format, the same in Secrets Manager and in the local file: a JSON object
 * `{"current": "<at least 32 characters>", "previous": "<…>"}` (`previous` only during a
 * rotation). Each key is the UTF-8 bytes of its string. Anything else is a ConfigError: links then
 * fail closed rather than being signed with a weak or missing key.
 */
export function parseLinkSecret(secret: string, where: string): LinkKeys {
  const Key = z.string().check(z.minLength(MIN_LINK_KEY_BYTES));
  const parsed = z.strictObject({ current: Key, previous: z.optional(Key) }).safeParse(
    (() => {
      try {
        return JSON.parse(secret);
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success) {
    throw new ConfigError(
      `${where} is not a link signing secret: expected JSON {"current": "<${MIN_LINK_KEY_BYTES}+ characters>", "previous"?: "…"}`,
    );
  }
  const enc = new TextEncoder();
  return {
    current: enc.encode(parsed.data.current),
    ...(parsed.data.previous === undefined ? {} : { previous: enc.encode(parsed.data.previous) }),
  };
}
