/**
 * Revocation of Notation signatures: the port the verifier asks, and the certificate hashes
 * AWS Signer's `GetRevocationStatus` expects.
 */
import { createHash } from 'node:crypto';
import type { AwsSignerClaims } from './aws-signer.js';
import { type ChainCert, publishesRevocation } from './chain.js';
import { NotationError } from './errors.js';

/** What the verifier knows about a signature when it asks whether it was revoked. */
export interface RevocationQuery {
  /**
   * The time the signature was made: the authentic signing time under
   * `notary.x509.signingAuthority` (AWS Signer), else the signer-claimed signing time.
   */
  readonly signingTime: Date;
  /** `com.amazonaws.signer.signingProfileVersion`, for AWS Signer signatures. */
  readonly profileVersionArn?: string;
  /** `com.amazonaws.signer.signingJob`, for AWS Signer signatures. */
  readonly jobArn?: string;
  /** DER certificates of the signature's `x5c`, leaf first, root last. */
  readonly certificateChain: readonly Uint8Array[];
}

export interface RevocationStatus {
  readonly revoked: boolean;
  /** Why it is revoked (which profile, job or certificate), for the evidence reason. */
  readonly reason?: string;
}

/**
 * Tells whether a verified signature has since been revoked. On AWS this is Signer's
 * `GetRevocationStatus` (adapters/signer/aws-signer-revocation.ts); locally a revocation list file
 * (adapters/signer/local-revocation.ts).
 *
 * An implementation answers `{ revoked: false }` only when it positively knows the signature is
 * not revoked. When it cannot tell (network error, throttling, missing file, a query lacking what
 * it needs) it throws: the verifier then fails the signature with `REVOCATION_UNAVAILABLE`, never
 * passes it.
 */
export interface RevocationChecker {
  check(query: RevocationQuery): Promise<RevocationStatus>;
}

/**
 * The `certificateHashes` of `GetRevocationStatus`, computed as the AWS Signer Notation plugin
 * does (aws/aws-signer-notation-plugin `internal/verifier/verifier.go`, `hashCertificates`): for
 * each certificate, hex(SHA-384(its TBSCertificate)) followed by hex(SHA-384(its issuer's
 * TBSCertificate)); the last certificate (the root) is concatenated with itself.
 */
export function signerCertificateHashes(chain: readonly Uint8Array[]): string[] {
  const hashes = chain.map((der) => createHash('sha384').update(tbsCertificateOf(der)).digest('hex'));
  return hashes.map((hash, i) => hash + (hashes[i + 1] ?? hash));
}

/**
 * The DER bytes of the `tbsCertificate` of an X.509 certificate (RFC 5280 §4.1:
 * `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`).
 *
 * Node's `X509Certificate` does not expose them, so this is a small hand-written DER walk: read
 * the outer SEQUENCE header, then return the whole first element (tag, length and contents) as
 * found, without re-encoding. Only definite lengths are accepted, as DER requires.
 *
 * @throws Error when the bytes are not a DER SEQUENCE whose first element is a SEQUENCE.
 */
export function tbsCertificateOf(der: Uint8Array): Uint8Array {
  const outer = readHeader(der, 0, 'certificate');
  if (outer.end !== der.length) throw new Error('certificate: trailing bytes after the outer SEQUENCE');
  const tbs = readHeader(der, outer.contentStart, 'tbsCertificate');
  if (tbs.end > outer.end) throw new Error('tbsCertificate: length runs past the certificate');
  return der.subarray(outer.contentStart, tbs.end);
}

const SEQUENCE = 0x30;

function readHeader(der: Uint8Array, offset: number, what: string): { contentStart: number; end: number } {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag !== SEQUENCE || first === undefined) throw new Error(`${what}: expected a DER SEQUENCE`);
  if (first < 0x80) {
    return { contentStart: offset + 2, end: offset + 2 + first };
  }
  const count = first & 0x7f;
  // 0x80 is the BER indefinite length, not allowed in DER; 4 length bytes cover any certificate.
  if (count === 0 || count > 4) throw new Error(`${what}: unsupported length encoding`);
  let length = 0;
  for (let i = 0; i < count; i++) {
    const byte = der[offset + 2 + i];
    if (byte === undefined) throw new Error(`${what}: truncated length`);
    length = length * 256 + byte;
  }
  const contentStart = offset + 2 + count;
  const end = contentStart + length;
  if (end > der.length) throw new Error(`${what}: length runs past the end of the input`);
  return { contentStart, end };
}

/**
 * Revocation step of verification, through the `RevocationChecker` port; a check that cannot be
 * made fails closed.
 */
export async function checkRevocation(
  checker: RevocationChecker | undefined,
  chain: readonly ChainCert[],
  aws: AwsSignerClaims | undefined,
  query: RevocationQuery,
): Promise<void> {
  if (checker === undefined) {
    if (aws !== undefined) {
      throw new NotationError(
        'REVOCATION_UNAVAILABLE',
        'AWS Signer signatures need a revocation check (GetRevocationStatus) and no revocation checker is configured',
      );
    }
    // trust-store-trust-policy.md "Certificate Revocation Evaluation": a certificate without OCSP
    // or CRL information is not checked. One with them needs a check this verifier cannot make.
    const publishing = chain.findIndex((c) => publishesRevocation(c.asn1));
    if (publishing !== -1) {
      throw new NotationError(
        'REVOCATION_UNAVAILABLE',
        `certificate x5c[${publishing}] publishes CRL/OCSP revocation information, which cannot be checked offline; configure a revocation checker`,
      );
    }
    return;
  }
  let status: Awaited<ReturnType<RevocationChecker['check']>>;
  try {
    status = await checker.check(query);
  } catch (err) {
    throw new NotationError('REVOCATION_UNAVAILABLE', 'the revocation status could not be determined', { cause: err });
  }
  if (status.revoked) {
    throw new NotationError(
      'REVOKED',
      `the signature is revoked${status.reason !== undefined ? `: ${status.reason}` : ''}`,
    );
  }
}
