/**
 * Revocation of AWS Signer Notation signatures through Signer's `GetRevocationStatus`
 * (`GET /revocations` on the `data-` host prefix; IAM `signer:GetRevocationStatus`), with the
 * parameters the AWS Signer Notation plugin sends (aws/aws-signer-notation-plugin
 * `internal/verifier/verifier.go`, `validateRevocation`).
 */
import { GetRevocationStatusCommand, type GetRevocationStatusCommandOutput } from '@aws-sdk/client-signer';
import {
  type RevocationChecker,
  type RevocationQuery,
  type RevocationStatus,
  signerCertificateHashes,
} from '../../domain/notation/revocation.js';
import * as z from '../../domain/zod.js';

/** The only platform Notation signatures are made on (the plugin's `platformNotation`). */
export const NOTATION_SIGNER_PLATFORM = 'Notation-OCI-SHA384-ECDSA';

/** The one call this adapter makes; a `SignerClient` satisfies it, tests pass a stub. */
export interface SignerRevocationClient {
  send(command: GetRevocationStatusCommand): Promise<GetRevocationStatusCommandOutput>;
}

export interface AwsSignerRevocationCheckerProps {
  readonly client: SignerRevocationClient;
  /** @default NOTATION_SIGNER_PLATFORM */
  readonly platformId?: string;
}

const ResponseSchema = z.object({ revokedEntities: z.optional(z.array(z.string())) });

/**
 * Answers from `GetRevocationStatus`: revoked when `revokedEntities` is non-empty. Throws (so the
 * verifier fails closed with `REVOCATION_UNAVAILABLE`) when the query lacks the profile version or
 * job ARN the API requires, or the call fails.
 */
export class AwsSignerRevocationChecker implements RevocationChecker {
  private readonly client: SignerRevocationClient;
  private readonly platformId: string;

  public constructor(props: AwsSignerRevocationCheckerProps) {
    this.client = props.client;
    this.platformId = props.platformId ?? NOTATION_SIGNER_PLATFORM;
  }

  public async check(query: RevocationQuery): Promise<RevocationStatus> {
    if (query.profileVersionArn === undefined || query.jobArn === undefined) {
      throw new Error('GetRevocationStatus needs the signing profile version ARN and the signing job ARN');
    }
    const output = await this.client.send(
      new GetRevocationStatusCommand({
        signatureTimestamp: query.signingTime,
        platformId: this.platformId,
        profileVersionArn: query.profileVersionArn,
        jobArn: query.jobArn,
        certificateHashes: signerCertificateHashes(query.certificateChain),
      }),
    );
    const revoked = ResponseSchema.parse({ revokedEntities: output.revokedEntities }).revokedEntities ?? [];
    if (revoked.length === 0) return { revoked: false };
    return { revoked: true, reason: describeRevoked(revoked) };
  }
}

/** Like the plugin: ARNs are named, certificate hashes are summarised. */
function describeRevoked(entities: readonly string[]): string {
  const arns = entities.filter((e) => e.startsWith('arn'));
  const certificates = entities.length - arns.length;
  return [
    ...(arns.length > 0 ? [`revoked by AWS Signer: ${arns.join(', ')}`] : []),
    ...(certificates > 0 ? [`${certificates} certificate(s) of the chain revoked by AWS Signer`] : []),
  ].join('; ');
}
