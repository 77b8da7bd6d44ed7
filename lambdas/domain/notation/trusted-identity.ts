/**
 * Trusted x509 signers of the Notary trust policy (trust-store-trust-policy.md "Trusted
 * Identities Constraints"): `*`, or `x509.subject:` and a distinguished name whose attributes the
 * signing certificate's subject must all carry.
 */
import type { X509Certificate } from 'node:crypto';
import { describeError } from '../errors.js';
import { oneLine } from './chain.js';
import { NotationError } from './errors.js';

type Rdns = ReadonlyMap<string, string>;
export type TrustedX509 =
  | { readonly any: true }
  | { readonly any: false; readonly source: string; readonly rdns: Rdns };

const X509_SUBJECT_PREFIX = 'x509.subject:';

/**
 * trust-store-trust-policy.md "Trusted Identities Constraints": `*`, or `x509.subject:` and a DN
 * with at least C, ST and O; `\,` `\;` `\\` and an escaped leading or trailing space are escapes.
 */
export function parseIdentities(identities: readonly string[]): TrustedX509[] {
  return identities.map((identity) => {
    if (identity === '*') return { any: true };
    if (!identity.startsWith(X509_SUBJECT_PREFIX)) {
      throw new NotationError(
        'POLICY_INVALID',
        `trusted identity "${identity}" does not start with ${X509_SUBJECT_PREFIX}`,
      );
    }
    let rdns: Map<string, string>;
    try {
      rdns = parseDn(identity.slice(X509_SUBJECT_PREFIX.length));
    } catch (err) {
      throw new NotationError('POLICY_INVALID', `trusted identity "${identity}": ${describeError(err)}`);
    }
    const missing = ['C', 'ST', 'O'].filter((k) => !rdns.has(k));
    if (missing.length > 0) {
      throw new NotationError('POLICY_INVALID', `trusted identity "${identity}" lacks ${missing.join(', ')}`);
    }
    return { any: false, source: identity, rdns };
  });
}

function parseDn(dn: string): Map<string, string> {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const ch = dn.charAt(i);
    if (ch === '\\' && i + 1 < dn.length) {
      // Keep escapes until the value is trimmed, so an escaped edge space survives.
      current += ch + dn.charAt(i + 1);
      i++;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  const rdns = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`"${part.trim()}" is not ATTRIBUTE=value`);
    const key = part.slice(0, eq).trim();
    const value = unescapeDnValue(part.slice(eq + 1).trim());
    if (rdns.has(key)) throw new Error(`attribute ${key} appears twice`);
    rdns.set(key, value);
  }
  return rdns;
}

function unescapeDnValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Node renders a subject as `C=US\nST=WA\n…` (one attribute per line). */
function subjectRdns(subject: string): Map<string, string> | undefined {
  const rdns = new Map<string, string>();
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const key = line.slice(0, eq);
    // A subject with a repeated attribute is ambiguous to match against; treat it as unmatched.
    if (rdns.has(key)) return undefined;
    rdns.set(key, unescapeDnValue(line.slice(eq + 1)));
  }
  return rdns;
}

export function matchX509Signer(leaf: X509Certificate, identities: readonly TrustedX509[]): string {
  const signer = oneLine(leaf.subject);
  if (identities.length === 0) {
    throw new NotationError('IDENTITY_MISMATCH', `signer ${signer} is an x509 signer; the policy trusts none`);
  }
  const subject = subjectRdns(leaf.subject);
  const matched = identities.some(
    (identity) =>
      identity.any || (subject !== undefined && [...identity.rdns].every(([key, value]) => subject.get(key) === value)),
  );
  if (!matched) {
    throw new NotationError(
      'IDENTITY_MISMATCH',
      `signer ${signer} matches none of the trusted identities ${identities.map((i) => (i.any ? '*' : i.source)).join('; ')}`,
    );
  }
  return signer;
}
