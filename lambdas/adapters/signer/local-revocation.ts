/**
 * A revocation list file for the local stack, standing in for AWS Signer's `GetRevocationStatus`.
 */

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseJsonDocument } from '../../domain/document.js';
import { NotFoundError, TooLargeError } from '../../domain/errors.js';
import type { RevocationChecker, RevocationQuery, RevocationStatus } from '../../domain/notation/revocation.js';
import * as z from '../../domain/zod.js';

/** Largest revocation list read. */
export const REVOCATION_LIST_MAX_BYTES = 1024 * 1024;

/**
 * The file format, JSON:
 * ```json
 * {
 *   "revokedCertificates": ["<sha256 of a DER certificate, hex; colons and case ignored>"],
 *   "revokedProfileVersions": ["arn:aws:signer:us-east-1:111122223333:/signing-profiles/p/Ab12Cd34Ef"],
 *   "revokedJobs": ["arn:aws:signer:us-east-1:111122223333:/signing-jobs/…"]
 * }
 * ```
 * Every field is optional and defaults to an empty list; unknown fields are rejected (a typo must
 * not silently revoke nothing). ARNs compare case-insensitively. A certificate fingerprint is the
 * same SHA-256 the `io.cncf.notary.x509chain.thumbprint#S256` annotation lists.
 */
export const RevocationListSchema = z.strictObject({
  revokedCertificates: z._default(z.array(z.string().check(z.regex(/^[0-9a-fA-F:]+$/))), []),
  revokedProfileVersions: z._default(z.array(z.string().check(z.minLength(1))), []),
  revokedJobs: z._default(z.array(z.string().check(z.minLength(1))), []),
});
export type RevocationList = z.infer<typeof RevocationListSchema>;

export interface FileRevocationListProps {
  readonly path: string;
  /**
   * What a missing file means. Only an explicit `'nothing-revoked'` lets signatures pass without a
   * file; by default a missing file makes every check fail (REVOCATION_UNAVAILABLE).
   * @default 'fail'
   */
  readonly whenMissing?: 'fail' | 'nothing-revoked';
}

/**
 * {@link RevocationChecker} backed by a JSON revocation list (format: {@link RevocationListSchema}).
 * The file is read on every check, so edits apply to the next verification. A signature is revoked
 * when its profile version, its job, or any certificate of its chain is listed.
 */
export class FileRevocationList implements RevocationChecker {
  private readonly path: string;
  private readonly whenMissing: 'fail' | 'nothing-revoked';

  public constructor(props: FileRevocationListProps) {
    this.path = props.path;
    this.whenMissing = props.whenMissing ?? 'fail';
  }

  public async check(query: RevocationQuery): Promise<RevocationStatus> {
    const list = await this.load();
    if (list === undefined) return { revoked: false };
    const reasons: string[] = [];
    const profile = query.profileVersionArn?.toLowerCase();
    if (profile !== undefined && list.revokedProfileVersions.some((arn) => arn.toLowerCase() === profile)) {
      reasons.push(`signing profile version ${query.profileVersionArn} is revoked`);
    }
    const job = query.jobArn?.toLowerCase();
    if (job !== undefined && list.revokedJobs.some((arn) => arn.toLowerCase() === job)) {
      reasons.push(`signing job ${query.jobArn} is revoked`);
    }
    const revokedCerts = new Set(list.revokedCertificates.map((f) => f.replaceAll(':', '').toLowerCase()));
    for (const [i, der] of query.certificateChain.entries()) {
      const fingerprint = createHash('sha256').update(der).digest('hex');
      if (revokedCerts.has(fingerprint)) reasons.push(`certificate x5c[${i}] (sha256 ${fingerprint}) is revoked`);
    }
    return reasons.length > 0 ? { revoked: true, reason: reasons.join('; ') } : { revoked: false };
  }

  private async load(): Promise<RevocationList | undefined> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (err) {
      if (isMissing(err)) {
        if (this.whenMissing === 'nothing-revoked') return undefined;
        throw new NotFoundError(`revocation list ${this.path} does not exist`, { cause: err });
      }
      throw err;
    }
    if (size > REVOCATION_LIST_MAX_BYTES) {
      throw new TooLargeError(`revocation list ${this.path}`, size, REVOCATION_LIST_MAX_BYTES);
    }
    return parseJsonDocument(new Uint8Array(await readFile(this.path)), RevocationListSchema, {
      what: `revocation list ${this.path}`,
      maxBytes: REVOCATION_LIST_MAX_BYTES,
    });
  }
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
