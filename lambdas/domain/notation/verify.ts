/**
 * Offline verification of Notation (Notary Project) JWS signatures, including AWS Signer ones.
 *
 * Follows `specs/trust-store-trust-policy.md` "Signature Verification" of the Notary Project at
 * level `strict` (every validation enforced), in this order, stopping at the first failure:
 * 1. the envelope parses and every `crit` header is understood;
 * 2. integrity: `alg` is the one the leaf key requires (signature-specification.md "Algorithm
 *    Selection"), and the JWS verifies with the leaf key of `x5c`;
 * 3. the payload's `targetArtifact` digest, media type and size are the image's;
 * 4. authenticity: `x5c` is a leaf → root chain, link by link, meeting "Certificate Requirements",
 *    and one of its certificates is a configured trust anchor; the signer is a trusted identity
 *    (x509 subject, or for AWS Signer the signing profile, as the AWS Signer plugin matches it);
 * 5. expiry (`io.cncf.notary.expiry`) against the verification time;
 * 6. validity of every certificate: at verification time under `notary.x509`, at the authentic
 *    signing time under `notary.x509.signingAuthority`;
 * 7. revocation through the `RevocationChecker` port; a check that cannot be made fails closed.
 *
 * Out of scope, and failing closed instead: COSE envelopes, RFC 3161 timestamp
 * countersignatures (a `notary.x509` signature is judged at verification time even when it
 * carries one), verification plugins other than AWS Signer's, and CRL/OCSP fetching (a chain that
 * publishes CRL or OCSP locations needs a configured `RevocationChecker`).
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { X509Certificate as Asn1Certificate } from '@sigstore/core';
import { flattenedVerify } from 'jose';
import { describeError } from '../errors.js';
import {
  NotaryHeaders,
  type NotationAlgorithm,
  type NotationEnvelope,
  NotationError,
  NotationMediaTypes,
  parseNotationEnvelope,
  parseNotationPayload,
  type SigningScheme,
} from './envelope.js';
import type { RevocationChecker, RevocationQuery } from './revocation.js';

export { NotationError, type NotationErrorCode } from './envelope.js';

/** Extended attributes AWS Signer puts in the protected header (aws-signer-notation-plugin verifier.go). */
export const AwsSignerAttributes = {
  signingProfileVersion: 'com.amazonaws.signer.signingProfileVersion',
  signingJob: 'com.amazonaws.signer.signingJob',
  signingProfileAlias: 'com.amazonaws.signer.signingProfileAlias',
} as const;

/** The `io.cncf.notary.verificationPlugin` value of AWS Signer signatures. */
export const AWS_SIGNER_PLUGIN = 'com.amazonaws.signer.notation.plugin';

export interface TrustAnchor {
  /** Names the anchor in results and reasons (e.g. `aws-signer-ts`). */
  readonly id: string;
  readonly certificatePem: string;
}

/** The image the signature must be about: its manifest descriptor. */
export interface NotationTarget {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface NotationVerifyOptions {
  /** Root (or deliberately pinned intermediate) certificates. At least one. */
  readonly trustAnchors: readonly TrustAnchor[];
  /** @default - either scheme is accepted */
  readonly signingScheme?: SigningScheme;
  /**
   * Trusted x509 signers, as in the Notary trust policy: `x509.subject: C=US, ST=WA, O=Acme, CN=ci`
   * (C, ST and O required; the signing certificate's subject must carry every listed attribute
   * with that value), or `*` for any signer chaining to the anchors. Applies to signatures that
   * are not AWS Signer's.
   * @default - no x509 signer is trusted
   */
  readonly trustedIdentities?: readonly string[];
  /**
   * Trusted AWS Signer signing profiles: profile ARNs (`arn:aws:signer:<region>:<account>:/signing-profiles/<name>`,
   * matching every version) or profile-version ARNs (`…/<name>/<version>`, matching that version).
   * `*` is rejected. Applies to AWS Signer signatures only.
   * @default - no AWS Signer profile is trusted
   */
  readonly awsSignerProfiles?: readonly string[];
  /**
   * Asked about every signature. Required for AWS Signer signatures and for chains that publish
   * CRL/OCSP locations; without it those fail with `REVOCATION_UNAVAILABLE`.
   * @default - no revocation check, allowed only where the spec requires none
   */
  readonly revocation?: RevocationChecker;
  /** The verification time. */
  readonly now: Date;
  /** @default - `application/jose+json` */
  readonly envelopeMediaType?: string;
}

export interface VerifiedNotation {
  /** The x509 subject of the signing certificate, or the AWS Signer profile version ARN. */
  readonly signer: string;
  readonly scheme: SigningScheme;
  /** Authentic signing time under signingAuthority, else the signer-claimed signing time. */
  readonly signingTime: Date;
  /** Lowercase hex SHA-256 of each DER certificate of `x5c`, leaf first. */
  readonly certificateChainSha256: string[];
  /** The id of the trust anchor the chain reached. */
  readonly trustAnchor: string;
  /** For AWS Signer signatures. */
  readonly awsSigner?: { readonly profileVersionArn: string; readonly jobArn?: string };
}

/**
 * Verifies one Notation signature envelope over `target`. Returns the verified signer or throws.
 *
 * @throws NotationError with the `detail` code of the first failed step (see module comment).
 */
export async function verifyNotationSignature(
  envelopeBytes: Uint8Array,
  target: NotationTarget,
  opts: NotationVerifyOptions,
): Promise<VerifiedNotation> {
  const anchors = parseAnchors(opts.trustAnchors);
  const identities = parseIdentities(opts.trustedIdentities ?? []);
  const profiles = parseAwsSignerProfiles(opts.awsSignerProfiles ?? []);
  if (identities.length === 0 && profiles.length === 0) {
    throw new NotationError('POLICY_INVALID', 'no trusted identity or AWS Signer profile is configured');
  }

  const envelope = parseNotationEnvelope(envelopeBytes, opts.envelopeMediaType ?? NotationMediaTypes.jws);
  const aws = checkCritical(envelope);
  const chain = parseChain(envelope.certificateChain);
  const leaf = chain[0];
  if (leaf === undefined) {
    throw new NotationError('MALFORMED_ENVELOPE', 'the unprotected header has no x5c certificate chain');
  }

  // 2. Integrity.
  const required = requiredAlgorithm(leaf.node.publicKey);
  if (required !== envelope.header.alg) {
    throw new NotationError(
      'ALGORITHM_MISMATCH',
      `alg ${envelope.header.alg} does not match the signing key (${describeKey(leaf.node.publicKey)} requires ${required})`,
    );
  }
  let payload: Uint8Array;
  try {
    payload = (
      await flattenedVerify(envelope.jws, leaf.node.publicKey, {
        algorithms: [envelope.header.alg],
        crit: Object.fromEntries(envelope.header.crit.map((name) => [name, true])),
      })
    ).payload;
  } catch (err) {
    throw new NotationError(
      'NOTATION_INTEGRITY',
      'the JWS signature does not verify with the signing certificate key',
      {
        cause: err,
      },
    );
  }

  // 3. Target.
  const { targetArtifact } = parseNotationPayload(payload);
  const mismatches = [
    targetArtifact.digest !== target.digest ? `digest ${targetArtifact.digest} ≠ ${target.digest}` : undefined,
    targetArtifact.mediaType !== target.mediaType
      ? `mediaType ${targetArtifact.mediaType} ≠ ${target.mediaType}`
      : undefined,
    targetArtifact.size !== target.size ? `size ${targetArtifact.size} ≠ ${target.size}` : undefined,
  ].filter((m) => m !== undefined);
  if (mismatches.length > 0) {
    throw new NotationError('TARGET_MISMATCH', `the signature is for another artifact: ${mismatches.join(', ')}`);
  }

  // 4. Authenticity.
  checkChain(chain);
  const anchor = findAnchor(chain, anchors);
  const scheme = envelope.header.signingScheme;
  if (opts.signingScheme !== undefined && scheme !== opts.signingScheme) {
    throw new NotationError(
      'SIGNING_SCHEME_MISMATCH',
      `signing scheme is ${scheme}, the policy requires ${opts.signingScheme}`,
    );
  }
  const signer =
    aws !== undefined ? matchAwsSigner(aws.profileVersionArn, profiles) : matchX509Signer(leaf.node, identities);

  // 5. Expiry of the signature itself.
  const { expiry } = envelope.header;
  if (expiry !== undefined && opts.now.getTime() >= expiry.getTime()) {
    throw new NotationError('EXPIRED', `the signature expired on ${expiry.toISOString()}`);
  }

  // 6. Certificate validity: no TSA support, so notary.x509 is judged at verification time.
  const authentic = envelope.header.authenticSigningTime;
  const validityTime = scheme === 'notary.x509.signingAuthority' && authentic !== undefined ? authentic : opts.now;
  const validityLabel = validityTime === opts.now ? 'verification time' : 'the authentic signing time';
  for (const [i, cert] of chain.entries()) {
    if (!cert.asn1.validForDate(validityTime)) {
      throw new NotationError(
        'EXPIRED',
        `certificate x5c[${i}] (${oneLine(cert.node.subject)}) is not valid at ${validityLabel} ${validityTime.toISOString()}: valid ${cert.asn1.notBefore.toISOString()} to ${cert.asn1.notAfter.toISOString()}`,
      );
    }
  }

  // 7. Revocation.
  const signingTime = authentic ?? envelope.header.signingTime ?? opts.now;
  await checkRevocation(opts.revocation, chain, aws, {
    signingTime,
    ...(aws !== undefined ? { profileVersionArn: aws.profileVersionArn } : {}),
    ...(aws?.jobArn !== undefined ? { jobArn: aws.jobArn } : {}),
    certificateChain: envelope.certificateChain,
  });

  return {
    signer,
    scheme,
    signingTime,
    certificateChainSha256: chain.map((c) => c.sha256),
    trustAnchor: anchor,
    ...(aws !== undefined
      ? {
          awsSigner: {
            profileVersionArn: aws.profileVersionArn,
            ...(aws.jobArn !== undefined ? { jobArn: aws.jobArn } : {}),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Critical headers

interface AwsSignerClaims {
  readonly profileVersionArn: string;
  readonly jobArn?: string;
}

/**
 * Fails on any `crit` name outside what this verifier implements. Returns the AWS Signer claims
 * when the signature is an AWS Signer one (its plugin's logic is implemented here, which is what
 * signature-specification.md "Guidelines for implementations" requires of a plugin-less verifier).
 */
function checkCritical(envelope: NotationEnvelope): AwsSignerClaims | undefined {
  const attrs = envelope.extendedAttributes;
  const plugin = attrs[NotaryHeaders.verificationPlugin];
  if (plugin !== undefined && plugin !== AWS_SIGNER_PLUGIN) {
    throw new NotationError(
      'UNKNOWN_CRITICAL_HEADER',
      `${NotaryHeaders.verificationPlugin} requires plugin ${String(plugin)}, whose verification logic this gate does not have (fails closed)`,
    );
  }
  const versionAttr = attrs[AwsSignerAttributes.signingProfileVersion];
  const isAws = plugin === AWS_SIGNER_PLUGIN || versionAttr !== undefined;

  const understood = new Set<string>([
    NotaryHeaders.signingScheme,
    NotaryHeaders.signingTime,
    NotaryHeaders.authenticSigningTime,
    NotaryHeaders.expiry,
  ]);
  if (isAws) {
    understood.add(NotaryHeaders.verificationPlugin);
    understood.add(NotaryHeaders.verificationPluginMinVersion);
    understood.add(AwsSignerAttributes.signingProfileVersion);
    understood.add(AwsSignerAttributes.signingJob);
    // Only ever used by the plugin to match alias identities, which can only widen trust;
    // alias identities are not accepted here, so ignoring it is safe.
    understood.add(AwsSignerAttributes.signingProfileAlias);
  }
  const unknown = envelope.header.crit.filter((name) => !understood.has(name));
  if (unknown.length > 0) {
    throw new NotationError('UNKNOWN_CRITICAL_HEADER', `critical header(s) not understood: ${unknown.join(', ')}`);
  }
  if (!isAws) return undefined;

  if (envelope.header.signingScheme !== 'notary.x509.signingAuthority') {
    throw new NotationError(
      'SIGNING_SCHEME_MISMATCH',
      `an AWS Signer signature must use notary.x509.signingAuthority, not ${envelope.header.signingScheme}`,
    );
  }
  if (typeof versionAttr !== 'string' || versionAttr.length === 0) {
    throw new NotationError(
      'MALFORMED_ENVELOPE',
      `AWS Signer signature without a ${AwsSignerAttributes.signingProfileVersion}`,
    );
  }
  const job = attrs[AwsSignerAttributes.signingJob];
  if (job !== undefined && typeof job !== 'string') {
    throw new NotationError('MALFORMED_ENVELOPE', `${AwsSignerAttributes.signingJob} is not a string`);
  }
  return { profileVersionArn: versionAttr, ...(job !== undefined ? { jobArn: job } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Keys and algorithms

/** signature-specification.md "Algorithm Selection": the key type and size decide the algorithm. */
function requiredAlgorithm(key: KeyObject): NotationAlgorithm | 'none' {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    const byCurve: Readonly<Record<string, NotationAlgorithm>> = {
      prime256v1: 'ES256',
      secp384r1: 'ES384',
      secp521r1: 'ES512',
    };
    return byCurve[details?.namedCurve ?? ''] ?? 'none';
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bySize: Readonly<Record<number, NotationAlgorithm>> = { 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' };
    return bySize[details?.modulusLength ?? 0] ?? 'none';
  }
  return 'none';
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `EC ${d?.namedCurve ?? '?'}`;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `RSA ${d?.modulusLength ?? '?'}`;
  return key.asymmetricKeyType ?? 'unknown key';
}

// ---------------------------------------------------------------------------------------------
// Certificate chain

interface ChainCert {
  readonly der: Uint8Array;
  readonly node: X509Certificate;
  readonly asn1: Asn1Certificate;
  readonly sha256: string;
}

function parseChain(ders: readonly Uint8Array[]): ChainCert[] {
  return ders.map((der, i) => {
    try {
      const buffer = Buffer.from(der);
      return {
        der,
        node: new X509Certificate(buffer),
        asn1: Asn1Certificate.parse(buffer),
        sha256: createHash('sha256').update(der).digest('hex'),
      };
    } catch (err) {
      throw new NotationError('MALFORMED_ENVELOPE', `x5c[${i}] is not a DER X.509 certificate`, { cause: err });
    }
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
function checkChain(chain: readonly ChainCert[]): void {
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

interface ParsedAnchor {
  readonly id: string;
  readonly raw: Buffer;
}

function parseAnchors(anchors: readonly TrustAnchor[]): ParsedAnchor[] {
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
function findAnchor(chain: readonly ChainCert[], anchors: readonly ParsedAnchor[]): string {
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

// ---------------------------------------------------------------------------------------------
// Identities

type Rdns = ReadonlyMap<string, string>;
type TrustedX509 = { readonly any: true } | { readonly any: false; readonly source: string; readonly rdns: Rdns };

const X509_SUBJECT_PREFIX = 'x509.subject:';

/**
 * trust-store-trust-policy.md "Trusted Identities Constraints": `*`, or `x509.subject:` and a DN
 * with at least C, ST and O; `\,` `\;` `\\` and an escaped leading or trailing space are escapes.
 */
function parseIdentities(identities: readonly string[]): TrustedX509[] {
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

function matchX509Signer(leaf: X509Certificate, identities: readonly TrustedX509[]): string {
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

interface TrustedProfile {
  readonly source: string;
  readonly kind: 'profile' | 'version';
}

const SIGNER_ARN = /^arn:[a-z0-9-]+:signer:[a-z0-9-]*:\d{12}:(\/signing-profiles\/.+)$/i;

/**
 * AWS Signer identities (aws-signer-notation-plugin `validateTrustedIdentity`): a profile ARN
 * (`/signing-profiles/<name>`) or a profile-version ARN (`/signing-profiles/<name>/<version>`).
 * `*` is rejected as the plugin rejects it; alias ARNs are not supported.
 */
function parseAwsSignerProfiles(profiles: readonly string[]): TrustedProfile[] {
  return profiles.map((source) => {
    if (source === '*') {
      throw new NotationError('POLICY_INVALID', 'the wildcard identity * is not allowed for AWS Signer profiles');
    }
    const resource = SIGNER_ARN.exec(source)?.[1];
    const segments = resource?.split('/').length;
    if (
      resource === undefined ||
      (segments !== 3 && segments !== 4) ||
      resource.split('/').some((s, i) => i > 0 && s === '')
    ) {
      throw new NotationError(
        'POLICY_INVALID',
        `"${source}" is not an AWS Signer signing-profile or signing-profile-version ARN`,
      );
    }
    return { source, kind: segments === 3 ? 'profile' : 'version' };
  });
}

/**
 * A profile ARN matches every version of that profile: the version ARN minus its last
 * `/segment` equals it. A version ARN matches only itself. Both case-insensitively.
 */
export function matchesAwsSignerProfile(trusted: string, profileVersionArn: string): boolean {
  const kind = parseAwsSignerProfiles([trusted])[0]?.kind;
  const lower = profileVersionArn.toLowerCase();
  if (kind === 'version') return lower === trusted.toLowerCase();
  const slash = lower.lastIndexOf('/');
  return slash !== -1 && lower.slice(0, slash) === trusted.toLowerCase();
}

function matchAwsSigner(profileVersionArn: string, profiles: readonly TrustedProfile[]): string {
  if (profiles.length === 0) {
    throw new NotationError(
      'IDENTITY_MISMATCH',
      `signed by AWS Signer profile version ${profileVersionArn}; the policy trusts no AWS Signer profile`,
    );
  }
  if (!profiles.some((p) => matchesAwsSignerProfile(p.source, profileVersionArn))) {
    throw new NotationError(
      'IDENTITY_MISMATCH',
      `AWS Signer profile version ${profileVersionArn} matches none of the trusted profiles ${profiles.map((p) => p.source).join(', ')}`,
    );
  }
  return profileVersionArn;
}

// ---------------------------------------------------------------------------------------------
// Revocation

async function checkRevocation(
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

function publishesRevocation(cert: Asn1Certificate): boolean {
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

function oneLine(subject: string): string {
  return subject.split('\n').join(', ');
}
