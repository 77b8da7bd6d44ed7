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
import { checkCritical, matchAwsSigner, parseAwsSignerProfiles } from './aws-signer.js';
import { checkChain, checkValidity, findAnchor, parseAnchors, parseChain, type TrustAnchor } from './chain.js';
import { NotationMediaTypes, parseNotationEnvelope, parseNotationPayload, type SigningScheme } from './envelope.js';
import { NotationError } from './errors.js';
import { verifyIntegrity } from './integrity.js';
import { checkRevocation, type RevocationChecker } from './revocation.js';
import { matchX509Signer, parseIdentities } from './trusted-identity.js';

export { AWS_SIGNER_PLUGIN, AwsSignerAttributes, matchesAwsSignerProfile } from './aws-signer.js';
export type { TrustAnchor } from './chain.js';
export { NotationError, type NotationErrorCode } from './errors.js';

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
  const payload = await verifyIntegrity(envelope, leaf);

  // 3. Target.
  checkTarget(parseNotationPayload(payload).targetArtifact, target);

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
  checkValidity(chain, validityTime, validityLabel);

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

/** The payload's `targetArtifact` must be the image: digest, media type and size. */
function checkTarget(targetArtifact: NotationTarget, target: NotationTarget): void {
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
}
