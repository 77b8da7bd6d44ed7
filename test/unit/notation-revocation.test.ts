/**
 * Revocation: the certificate hashes AWS Signer expects, the GetRevocationStatus adapter and the
 * local revocation list.
 *
 * The Signer client is a stub of `send`. The request and response shapes follow the AWS Signer API
 * reference for GetRevocationStatus (request: signatureTimestamp, platformId, profileVersionArn,
 * jobArn, certificateHashes; response: revokedEntities) as modelled in @aws-sdk/client-signer.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetRevocationStatusCommand } from '@aws-sdk/client-signer';
import { X509Certificate } from '@sigstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_SIGNER_FIXTURE, generateNotationChain, type NotationTestChain } from '../../cli/fixtures/notation.js';
import {
  AwsSignerRevocationChecker,
  NOTATION_SIGNER_PLATFORM,
} from '../../lambdas/adapters/signer/aws-signer-revocation.js';
import { FileRevocationList } from '../../lambdas/adapters/signer/local-revocation.js';
import { signerCertificateHashes, tbsCertificateOf } from '../../lambdas/domain/notation/revocation.js';

const SIGNED_AT = new Date('2026-11-20T09:00:00Z');

let chain: NotationTestChain;
let dir: string;

beforeAll(async () => {
  chain = await generateNotationChain();
  dir = mkdtempSync(join(tmpdir(), 'revocation-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ders = (): Uint8Array[] => chain.chain.map((c) => c.der);

/** SHA-384 of the TBSCertificate as an independent ASN.1 parser (@sigstore/core) re-encodes it. */
const tbsHash = (der: Uint8Array): string =>
  createHash('sha384')
    .update(X509Certificate.parse(Buffer.from(der)).tbsCertificate.toDER())
    .digest('hex');

describe('Function: signerCertificateHashes', () => {
  describe('when given leaf, intermediate and root', () => {
    it('pairs each TBS hash with its issuer’s, and the root with itself', () => {
      // Prepare
      const [leaf, intermediate, root] = ders().map(tbsHash);

      // Act
      const hashes = signerCertificateHashes(ders());

      // Assess
      expect(hashes).toEqual([`${leaf}${intermediate}`, `${intermediate}${root}`, `${root}${root}`]);
      expect(hashes.every((h) => h.length === 192)).toBe(true);
    });
  });
});

describe('Function: tbsCertificateOf', () => {
  describe('when the bytes are not a certificate', () => {
    it('throws', () => {
      // Act
      const act = () => tbsCertificateOf(new Uint8Array([0x02, 0x01, 0x00]));

      // Assess
      expect(act).toThrow(/SEQUENCE/);
    });
  });

  describe('when the certificate is truncated', () => {
    it('throws', () => {
      // Prepare
      const der = chain.leaf.der.subarray(0, chain.leaf.der.length - 10);

      // Act
      const act = () => tbsCertificateOf(der);

      // Assess
      expect(act).toThrow(/length/);
    });
  });
});

describe('Class: AwsSignerRevocationChecker', () => {
  const query = () => ({
    signingTime: SIGNED_AT,
    profileVersionArn: AWS_SIGNER_FIXTURE.profileVersionArn,
    jobArn: AWS_SIGNER_FIXTURE.jobArn,
    certificateChain: ders(),
  });

  describe('Method: check', () => {
    it('sends GetRevocationStatus with the plugin’s parameters and reports not revoked on an empty list', async () => {
      // Prepare
      const sent: GetRevocationStatusCommand[] = [];
      const checker = new AwsSignerRevocationChecker({
        client: {
          send: async (command) => {
            sent.push(command);
            return { revokedEntities: [], $metadata: {} };
          },
        },
      });

      // Act
      const status = await checker.check(query());

      // Assess
      expect(status).toEqual({ revoked: false });
      expect(sent[0]?.input).toEqual({
        signatureTimestamp: SIGNED_AT,
        platformId: NOTATION_SIGNER_PLATFORM,
        profileVersionArn: AWS_SIGNER_FIXTURE.profileVersionArn,
        jobArn: AWS_SIGNER_FIXTURE.jobArn,
        certificateHashes: signerCertificateHashes(ders()),
      });
    });

    it('reports revoked, naming revoked ARNs, when revokedEntities is not empty', async () => {
      // Prepare
      const checker = new AwsSignerRevocationChecker({
        client: {
          send: async () => ({ revokedEntities: [AWS_SIGNER_FIXTURE.jobArn, 'ab'.repeat(96)], $metadata: {} }),
        },
      });

      // Act
      const status = await checker.check(query());

      // Assess
      expect(status.revoked).toBe(true);
      expect(status.reason).toContain(AWS_SIGNER_FIXTURE.jobArn);
      expect(status.reason).toContain('1 certificate(s)');
    });

    it('throws when the call fails, so the verifier fails closed', async () => {
      // Prepare
      const checker = new AwsSignerRevocationChecker({
        client: {
          send: async () => {
            throw new Error('AccessDeniedException');
          },
        },
      });

      // Act / Assess
      await expect(checker.check(query())).rejects.toThrow('AccessDeniedException');
    });

    it('throws without a job ARN instead of calling the API', async () => {
      // Prepare
      let calls = 0;
      const checker = new AwsSignerRevocationChecker({
        client: {
          send: async () => {
            calls++;
            return { revokedEntities: [], $metadata: {} };
          },
        },
      });
      const { jobArn: _omitted, ...withoutJob } = query();

      // Act / Assess
      await expect(checker.check(withoutJob)).rejects.toThrow(/job ARN/);
      expect(calls).toBe(0);
    });
  });
});

describe('Class: FileRevocationList', () => {
  const write = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const query = (profileVersionArn?: string) => ({
    signingTime: SIGNED_AT,
    ...(profileVersionArn !== undefined ? { profileVersionArn } : {}),
    certificateChain: ders(),
  });

  describe('Method: check', () => {
    it('reports a listed certificate fingerprint revoked, whatever its case and colons', async () => {
      // Prepare
      const fingerprint = chain.intermediate.sha256.toUpperCase().replace(/(..)(?!$)/g, '$1:');
      const list = new FileRevocationList({ path: write('certs.json', { revokedCertificates: [fingerprint] }) });

      // Act
      const status = await list.check(query());

      // Assess
      expect(status.revoked).toBe(true);
      expect(status.reason).toContain('x5c[1]');
    });

    it('reports a listed profile version revoked, case-insensitively', async () => {
      // Prepare
      const path = write('profiles.json', {
        revokedProfileVersions: [AWS_SIGNER_FIXTURE.profileVersionArn.toUpperCase()],
      });

      // Act
      const status = await new FileRevocationList({ path }).check(query(AWS_SIGNER_FIXTURE.profileVersionArn));

      // Assess
      expect(status.revoked).toBe(true);
    });

    it('reports not revoked when nothing matches', async () => {
      // Prepare
      const path = write('other.json', { revokedJobs: ['arn:aws:signer:us-east-1:111122223333:/signing-jobs/x'] });

      // Act
      const status = await new FileRevocationList({ path }).check(query(AWS_SIGNER_FIXTURE.profileVersionArn));

      // Assess
      expect(status).toEqual({ revoked: false });
    });

    it('throws when the file is missing and not configured to allow that', async () => {
      // Prepare
      const list = new FileRevocationList({ path: join(dir, 'absent.json') });

      // Act / Assess
      await expect(list.check(query())).rejects.toThrow(/does not exist/);
    });

    it('reports not revoked for a missing file configured as nothing-revoked', async () => {
      // Prepare
      const list = new FileRevocationList({ path: join(dir, 'absent.json'), whenMissing: 'nothing-revoked' });

      // Act
      const status = await list.check(query());

      // Assess
      expect(status).toEqual({ revoked: false });
    });

    it('throws on an unknown field rather than revoking nothing', async () => {
      // Prepare
      const path = write('typo.json', { revokedCertificate: [chain.leaf.sha256] });

      // Act / Assess
      await expect(new FileRevocationList({ path }).check(query())).rejects.toThrow(/revokedCertificate/);
    });
  });
});
