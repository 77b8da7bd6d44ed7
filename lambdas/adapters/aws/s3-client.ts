import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * The S3 client the document store and advisories take. Only checksums when the operation requires
 * it: a default CRC32 trailer makes s3rver store the aws-chunked framing as object bytes
 * (notes/local-stand-ins.md). Reads verify sha256 themselves.
 */
export function s3Client(config: S3ClientConfig, local = false): S3Client {
  return new S3Client({
    ...config,
    // Emulators serve buckets by path, not by virtual host.
    forcePathStyle: local,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
