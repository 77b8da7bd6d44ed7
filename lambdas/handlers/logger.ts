import { Logger } from '@aws-lambda-powertools/logger';

/** Structured logs (repository, digest, executionArn as keys), never interpolated strings. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'release-gate' });
