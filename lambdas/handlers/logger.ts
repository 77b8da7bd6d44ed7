import { Logger } from '@aws-lambda-powertools/logger';
import { describeError } from '../domain/errors.js';
import type { ApprovalAuditRecord } from '../domain/records.js';

/** Structured logs (repository, digest, executionArn as keys), never interpolated strings. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'release-gate' });

/**
 * A best-effort audit record (a page view, a refusal) that could not be stored: logged with what it
 * would have said, so that the attempt is kept somewhere (GateDeps.auditFailures).
 */
export function logAuditFailure(err: unknown, record: ApprovalAuditRecord): void {
  logger.error('approval audit record not stored', {
    error: describeError(err),
    repository: record.repository,
    digest: record.digest,
    auditRecord: record,
  });
}
