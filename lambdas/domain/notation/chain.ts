/**
 * The `x5c` certificate chain of a Notation signature: parsing, the Notary Project's "Certificate
 * Requirements" link by link, trust anchors, validity at a time, and whether a certificate
 * publishes revocation information (trust-store-trust-policy.md, signature-specification.md).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { X509Certificate as Asn1Certificate } from '@sigstore/core';
import { describeError } from '../errors.js';
import { NotationError } from './errors.js';

export interface TrustAnchor {
  /** Names the anchor in results and reasons (e.g. `aws-signer-ts`). */
  readonly id: string;
  readonly certificatePem: string;
}

export interface ChainCert {
  readonly der: Uint8Array;
  readonly node: X509Certificate;
  readonly asn1: Asn1Certificate;
  readonly sha256: string;
}

export function parseChain(ders: readonly Uint8Array[]): ChainCert[] {
  return ders.map((der, i) => {
    let cert: ChainCert;
    try {
      const buffer = Buffer.from(der);
      cert = {
        der,
        node: new X509Certificate(buffer),
        asn1: Asn1Certificate.parse(buffer),
        sha256: createHash('sha256').update(der).digest('hex'),
      };
    } catch (err) {
      throw new NotationError('MALFORMED_ENVELOPE', `x5c[${i}] is not a DER X.509 certificate`, { cause: err });
    }
    // OpenSSL parses a certificate whose key it cannot decode and throws only when the key is read
    // (the `publicKey` getter): read it here, so no later check meets a raw OpenSSL error.
    try {
      void cert.node.publicKey;
    } catch (err) {
      throw new NotationError(
        'INVALID_CERTIFICATE_CHAIN',
        `x5c[${i}]: its public key cannot be read: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
    return cert;
  });
}

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
} as const;

/** EKUs a signing certificate must not carry (signature-specification.md "Leaf Certificates"). */
const FORBIDDEN_LEAF_EKUS: Readonly<Record<string, string>> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
};

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
const KU = {
  digitalSignature: 0,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/**
 * x5c must be leaf → intermediates → self-signed root, each certificate issued and signed by the
 * next, and meet signature-specification.md "Certificate Requirements". Only basicConstraints,
 * keyUsage and extendedKeyUsage are evaluated, as that section requires.
 */
export function checkChain(chain: readonly ChainCert[]): void {
  const fail = (message: string): never => {
    throw new NotationError('INVALID_CERTIFICATE_CHAIN', message);
  };
  for (const [i, cert] of chain.entries()) {
    const label = `x5c[${i}] (${oneLine(cert.node.subject)})`;
    const issuer = chain[i + 1] ?? cert;
    // Names compared as DER bytes. Not `X509Certificate.checkIssued`: OpenSSL's also demands
    // keyCertSign of the issuer, which a self-signed signing certificate (a one-certificate chain
    // the spec allows) does not have.
    if (!cert.asn1.issuer.equals(issuer.asn1.subject) || !cert.node.verify(issuer.node.publicKey)) {
      fail(
        i === chain.length - 1
          ? `${label} is not self-signed: the chain must end with its root certificate`
          : `${label} is not issued and signed by x5c[${i + 1}]`,
      );
    }
    const sigAlg = signatureAlgorithmOid(cert.asn1);
    if (sigAlg === OID.sha1WithRsa || sigAlg === OID.ecdsaWithSha1) fail(`${label} is signed with SHA-1`);
    const problems = i === 0 ? leafProblems(cert) : caProblems(cert, i - 1);
    if (problems.length > 0) fail(`${label}: ${problems.join('; ')}`);
  }
}

function leafProblems(cert: ChainCert): string[] {
  const problems: string[] = [];
  const bc = cert.asn1.extBasicConstraints;
  if (bc?.isCA === true) problems.push('a signing certificate must not be a CA');
  const bits = keyUsageBits(cert.asn1);
  if (bits === undefined) {
    problems.push('keyUsage must be present and critical');
  } else {
    if (bits[KU.digitalSignature] !== 1) problems.push('keyUsage must include digitalSignature');
    const forbidden = (Object.keys(KU) as (keyof typeof KU)[]).filter(
      (name) => name !== 'digitalSignature' && bits[KU[name]] === 1,
    );
    if (forbidden.length > 0) problems.push(`keyUsage must not include ${forbidden.join(', ')}`);
  }
  const eku = cert.asn1.extension(OID.extKeyUsage);
  if (eku !== undefined) {
    const oids = eku.valueObj.subs[0]?.subs.map((s) => s.toOID()) ?? [];
    const bad = oids.flatMap((oid) => {
      const name = FORBIDDEN_LEAF_EKUS[oid];
      return name === undefined ? [] : [name];
    });
    if (bad.length > 0) problems.push(`extendedKeyUsage must not include ${bad.join(', ')}`);
  }
  const key = cert.node.publicKey;
  const details = key.asymmetricKeyDetails;
  if (
    (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
    (details?.modulusLength ?? 0) < 2048
  ) {
    problems.push('RSA keys must be at least 2048 bits');
  }
  return problems;
}

/** `below` is the number of intermediate CA certificates between this CA and the leaf. */
function caProblems(cert: ChainCert, below: number): string[] {
  const problems: string[] = [];
  const bc = cert.asn1.extBasicConstraints;
  if (bc === undefined || !bc.critical || !bc.isCA) {
    problems.push('a CA certificate needs a critical basicConstraints with cA=true');
  } else {
    const pathLen = bc.pathLenConstraint;
    if (pathLen !== undefined && BigInt(below) > pathLen) {
      problems.push(`pathLenConstraint ${pathLen} allows fewer than the ${below} intermediate(s) below it`);
    }
  }
  const bits = keyUsageBits(cert.asn1);
  if (bits === undefined) problems.push('keyUsage must be present and critical');
  else if (bits[KU.keyCertSign] !== 1) problems.push('keyUsage must include keyCertSign');
  return problems;
}

/** The keyUsage bits, or undefined when the extension is absent or not critical. */
function keyUsageBits(cert: Asn1Certificate): number[] | undefined {
  const ku = cert.extension(OID.keyUsage);
  if (ku === undefined || !ku.critical) return undefined;
  try {
    return ku.valueObj.subs[0]?.toBitString();
  } catch {
    return undefined;
  }
}

function signatureAlgorithmOid(cert: Asn1Certificate): string | undefined {
  try {
    return cert.root.subs[1]?.subs[0]?.toOID();
  } catch {
    return undefined;
  }
}

export interface ParsedAnchor {
  readonly id: string;
  readonly raw: Buffer;
}

export function parseAnchors(anchors: readonly TrustAnchor[]): ParsedAnchor[] {
  if (anchors.length === 0) throw new NotationError('POLICY_INVALID', 'no trust anchor is configured');
  return anchors.map((a) => {
    try {
      return { id: a.id, raw: new X509Certificate(a.certificatePem).raw };
    } catch (err) {
      throw new NotationError('POLICY_INVALID', `trust anchor ${a.id} is not a PEM certificate`, { cause: err });
    }
  });
}

/** The first certificate of the chain, from the leaf up, that is a trust anchor. */
export function findAnchor(chain: readonly ChainCert[], anchors: readonly ParsedAnchor[]): string {
  for (const cert of chain) {
    const anchor = anchors.find((a) => a.raw.equals(cert.der));
    if (anchor !== undefined) return anchor.id;
  }
  const root = chain[chain.length - 1];
  throw new NotationError(
    'UNTRUSTED_ANCHOR',
    `the certificate chain (root ${root === undefined ? '?' : oneLine(root.node.subject)}) reaches none of the trust anchors ${anchors.map((a) => a.id).join(', ')}`,
  );
}

/**
 * trust-store-trust-policy.md "Signature Verification", validity step: every certificate of the
 * chain must be valid at `time` (verification time, or the authentic signing time under
 * notary.x509.signingAuthority; there is no TSA support).
 */
export function checkValidity(chain: readonly ChainCert[], time: Date, label: string): void {
  for (const [i, cert] of chain.entries()) {
    if (!cert.asn1.validForDate(time)) {
      throw new NotationError(
        'EXPIRED',
        `certificate x5c[${i}] (${oneLine(cert.node.subject)}) is not valid at ${label} ${time.toISOString()}: valid ${cert.asn1.notBefore.toISOString()} to ${cert.asn1.notAfter.toISOString()}`,
      );
    }
  }
}

export function publishesRevocation(cert: Asn1Certificate): boolean {
  if (cert.extension(OID.crlDistributionPoints) !== undefined) return true;
  const aia = cert.extension(OID.authorityInfoAccess);
  if (aia === undefined) return false;
  try {
    return (aia.valueObj.subs[0]?.subs ?? []).some((desc) => desc.subs[0]?.toOID() === OID.ocsp);
  } catch {
    // Unparseable AIA: assume it may name an OCSP responder and fail closed.
    return true;
  }
}

/** An x509 subject on one line, for reasons. */
export function oneLine(subject: string): string {
  return subject.split('\n').join(', ');
}
