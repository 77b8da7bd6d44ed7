/**
 * AWS Signer signatures (ECR managed signing): the critical headers its Notation plugin defines,
 * and its identities (signing profiles), implemented here as aws-signer-notation-plugin's verifier
 * does, because this gate runs no plugins (signature-specification.md "Guidelines for
 * implementations").
 */
import { NotaryHeaders, type NotationEnvelope } from './envelope.js';
import { NotationError } from './errors.js';

/** Extended attributes AWS Signer puts in the protected header (aws-signer-notation-plugin verifier.go). */
export const AwsSignerAttributes = {
  signingProfileVersion: 'com.amazonaws.signer.signingProfileVersion',
  signingJob: 'com.amazonaws.signer.signingJob',
  signingProfileAlias: 'com.amazonaws.signer.signingProfileAlias',
} as const;

/** The `io.cncf.notary.verificationPlugin` value of AWS Signer signatures. */
export const AWS_SIGNER_PLUGIN = 'com.amazonaws.signer.notation.plugin';

export interface AwsSignerClaims {
  readonly profileVersionArn: string;
  readonly jobArn?: string;
}

/**
 * Fails on any `crit` name outside what this verifier implements. Returns the AWS Signer claims
 * when the signature is an AWS Signer one (its plugin's logic is implemented here, which is what
 * signature-specification.md "Guidelines for implementations" requires of a plugin-less verifier).
 */
export function checkCritical(envelope: NotationEnvelope): AwsSignerClaims | undefined {
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

export interface TrustedProfile {
  readonly source: string;
  readonly kind: 'profile' | 'version';
}

const SIGNER_ARN = /^arn:[a-z0-9-]+:signer:[a-z0-9-]*:\d{12}:(\/signing-profiles\/.+)$/i;

/**
 * AWS Signer identities (aws-signer-notation-plugin `validateTrustedIdentity`): a profile ARN
 * (`/signing-profiles/<name>`) or a profile-version ARN (`/signing-profiles/<name>/<version>`).
 * `*` is rejected as the plugin rejects it; alias ARNs are not supported.
 */
export function parseAwsSignerProfiles(profiles: readonly string[]): TrustedProfile[] {
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

export function matchAwsSigner(profileVersionArn: string, profiles: readonly TrustedProfile[]): string {
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
