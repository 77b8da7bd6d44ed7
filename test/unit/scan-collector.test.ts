import { describe, expect, it } from 'vitest';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { cosignAttestationManifest, cosignTag, signStatement } from '../../cli/fixtures/sign.js';
import { NotFoundError, RegistryError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectScan } from '../../lambdas/domain/evidence/scan.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type { RegistryWriter, ScanReport, VulnerabilityFinding } from '../../lambdas/domain/ports.js';
import { MemoryRegistry } from '../support/memory-registry.js';

/** The fixture keys the signed OpenVEX attestation cases sign with. */
const keys = await generateFixtureKeys();

const NOW = new Date('2026-06-01T00:00:00Z');
const SUBJECT = {
  repository: 'team/app',
  digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
} as const;

function finding(id: string, severity: VulnerabilityFinding['severity'], pkg = 'minimist', version = '1.2.5') {
  return { id, aliases: [], severity, packageName: pkg, packageVersion: version } satisfies VulnerabilityFinding;
}

function report(findings: VulnerabilityFinding[], extra: Partial<ScanReport> = {}): ScanReport {
  return { status: 'COMPLETE', scanner: 'ecr-basic', completedAt: '2026-05-31T00:00:00.000Z', findings, ...extra };
}

const unused = (): never => {
  throw new Error('not used by the scan collector');
};

function context(
  getFindings: CollectContext['scans']['getFindings'],
  scanPolicy: Record<string, unknown> = {},
  registry: RegistryWriter = new MemoryRegistry(),
  attestationKeys: readonly { id: string; publicKey: string }[] = [],
): CollectContext {
  return {
    subject: SUBJECT,
    registry,
    policy: RepositoryPolicySchema.parse({
      repositories: ['**'],
      scan: scanPolicy,
      attestations: { keys: attestationKeys },
    }),
    now: NOW,
    releases: { getEvidence: unused, lastPromotion: unused },
    documents: { get: unused },
    scans: { getFindings },
  };
}

const returning = (r: ScanReport) => async () => r;

describe('Function: collectScan', () => {
  describe('when WaitForScan timed out', () => {
    it('is MISSING because the scan did not complete in time', async () => {
      // Prepare
      const ctx = context(unused);

      // Act
      const result = await collectScan(ctx, { error: 'States.Timeout', cause: 'task timed out' });

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons).toEqual(['scan did not complete within the wait time (States.Timeout)']);
      expect(result.facts).toEqual({ waitError: 'States.Timeout', waitCause: 'task timed out' });
    });
  });

  describe('when WaitForScan failed for another reason', () => {
    it('is MISSING with the error and cause', async () => {
      // Prepare
      const ctx = context(unused);

      // Act
      const result = await collectScan(ctx, { error: 'ScanFailed', cause: 'UNSUPPORTED_IMAGE' });

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons).toEqual(['scan did not complete: waiting for it failed (ScanFailed): UNSUPPORTED_IMAGE']);
    });
  });

  describe('when there is no scan', () => {
    it('is MISSING', async () => {
      // Prepare
      const ctx = context(async () => {
        throw new NotFoundError('no ECR image scan');
      });

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
      expect(result.reasons).toEqual([`no vulnerability scan found for team/app@${SUBJECT.digest}: no ECR image scan`]);
    });
  });

  describe('when the scan source fails', () => {
    it('rethrows for the workflow to retry', async () => {
      // Prepare
      const ctx = context(async () => {
        throw new RegistryError('throttled');
      });

      // Act
      const act = collectScan(ctx);

      // Assess
      await expect(act).rejects.toThrow('throttled');
    });
  });

  describe('when the scan did not complete', () => {
    it('is FAIL with the status', async () => {
      // Prepare
      const ctx = context(returning(report([], { status: 'FAILED' })));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['scan status FAILED is not a completed scan']);
    });
  });

  describe('when findings are within policy', () => {
    it('is PASS with counts, scanner, finding ids and the report', async () => {
      // Prepare
      const scan = report([finding('CVE-2024-0001', 'MEDIUM'), finding('CVE-2024-0002', 'LOW', 'zlib', '1.2')]);
      const ctx = context(returning(scan));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual(['ecr-basic scan COMPLETE: 2 findings within policy']);
      expect(result.facts).toEqual({
        scanner: 'ecr-basic',
        status: 'COMPLETE',
        completedAt: '2026-05-31T00:00:00.000Z',
        counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 0 },
        findings: 2,
        ignored: [],
        topFindings: ['CVE-2024-0001', 'CVE-2024-0002'],
      });
      expect(result.documents).toHaveLength(1);
      expect(JSON.parse(new TextDecoder().decode(result.documents[0]?.bytes))).toEqual(scan);
    });

    it('accepts Inspector ACTIVE as a completed scan', async () => {
      // Prepare
      const ctx = context(returning(report([], { status: 'ACTIVE', scanner: 'inspector' })));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('PASS');
    });
  });

  describe('when a severity exceeds its maximum', () => {
    it('is FAIL naming the count, the maximum and the findings', async () => {
      // Prepare
      const ctx = context(
        returning(
          report([finding('CVE-2021-44906', 'CRITICAL'), finding('CVE-2019-10744', 'CRITICAL', 'lodash', '4.17.11')]),
        ),
      );

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        '2 CRITICAL findings (max 0): CVE-2021-44906 in minimist 1.2.5, CVE-2019-10744 in lodash 4.17.11',
      ]);
    });

    it('lists five findings and counts the rest', async () => {
      // Prepare
      const many = Array.from({ length: 7 }, (_, i) => finding(`CVE-2024-000${i}`, 'HIGH', `p${i}`, '1'));
      const ctx = context(returning(report(many)));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.reasons).toEqual([
        '7 HIGH findings (max 0): CVE-2024-0000 in p0 1, CVE-2024-0001 in p1 1, CVE-2024-0002 in p2 1, ' +
          'CVE-2024-0003 in p3 1, CVE-2024-0004 in p4 1, and 2 more',
      ]);
    });

    it('does not limit a severity the policy does not list', async () => {
      // Prepare
      const ctx = context(returning(report([finding('CVE-2024-0001', 'CRITICAL')])), { maxFindings: { HIGH: 0 } });

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('PASS');
    });
  });

  describe('when an unexpired ignore covers a finding', () => {
    it('does not count it, matching by id or alias', async () => {
      // Prepare
      const aliased = { ...finding('GHSA-xvch-5gv4-984h', 'CRITICAL'), aliases: ['CVE-2021-44906'] };
      const ctx = context(returning(report([aliased])), {
        ignore: [{ id: 'CVE-2021-44906', reason: 'not reachable', expires: '2026-07-01T00:00:00Z' }],
      });

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual([
        'ecr-basic scan COMPLETE: 0 findings within policy (1 vulnerability ignored by policy)',
      ]);
      expect(result.facts).toMatchObject({ ignored: ['GHSA-xvch-5gv4-984h'], findings: 0 });
    });
  });

  describe('when an ignore has expired', () => {
    it('counts the finding and says the ignore expired', async () => {
      // Prepare
      const ctx = context(returning(report([finding('CVE-2021-44906', 'CRITICAL')])), {
        ignore: [{ id: 'CVE-2021-44906', reason: 'not reachable', expires: '2026-05-01T00:00:00Z' }],
      });

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        '1 CRITICAL finding (max 0): CVE-2021-44906 in minimist 1.2.5',
        'ignore of CVE-2021-44906 expired at 2026-05-01T00:00:00Z and does not apply',
      ]);
    });
  });

  describe('when the local scanner could not evaluate components', () => {
    it('is FAIL listing them', async () => {
      // Prepare
      const local = {
        ...report([], { scanner: 'release-gate-osv' }),
        unevaluated: [
          { name: 'Newtonsoft.Json', version: '12.0.1', reason: 'no version ordering is known for ecosystem NuGet' },
        ],
      };
      const ctx = context(returning(local));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        '1 component could not be evaluated by release-gate-osv: Newtonsoft.Json 12.0.1 (no version ordering is known for ecosystem NuGet)',
      ]);
      expect(result.facts).toMatchObject({ unevaluated: 1 });
    });
  });

  describe('when there are many findings', () => {
    it('keeps the 20 most severe ids in the facts', async () => {
      // Prepare
      const lows = Array.from({ length: 30 }, (_, i) =>
        finding(`CVE-2024-1${String(i).padStart(3, '0')}`, 'LOW', `p${i}`),
      );
      const ctx = context(returning(report([...lows, finding('CVE-2024-9999', 'MEDIUM')])));

      // Act
      const result = await collectScan(ctx);

      // Assess
      const top = result.facts.topFindings;
      expect(Array.isArray(top) ? top.length : 0).toBe(20);
      expect(Array.isArray(top) ? top[0] : undefined).toBe('CVE-2024-9999');
    });
  });
});

describe('Function: collectScan with VEX exceptions', () => {
  const critical = { ...finding('CVE-2021-44906', 'CRITICAL'), purl: 'pkg:npm/minimist@1.2.5' };
  const exception = (overrides: Record<string, unknown> = {}) => ({
    vulnerability: 'CVE-2021-44906',
    products: [`pkg:oci/app@${SUBJECT.digest.replace(':', '%3A')}`],
    subcomponents: ['pkg:npm/minimist@1.2.5'],
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
    author: 'security@example.com',
    issued: '2026-05-01T00:00:00Z',
    expires: '2026-07-01T00:00:00Z',
    ...overrides,
  });

  describe('when the policy holds an unexpired exception for this image and vulnerability', () => {
    it('does not count the finding and says which statement accepted it', async () => {
      const r = await collectScan(context(returning(report([critical])), { vex: { exceptions: [exception()] } }));
      expect(r.status).toBe('PASS');
      expect(r.reasons.join(' ')).toContain('accepted by VEX');
    });
  });

  describe('when the exception has expired', () => {
    it('counts the finding and the reason says it expired', async () => {
      const r = await collectScan(
        context(returning(report([critical])), {
          vex: { exceptions: [exception({ expires: '2026-05-15T00:00:00Z' })] },
        }),
      );
      expect(r.status).toBe('FAIL');
      expect(r.reasons.join(' ')).toMatch(/expired/);
    });
  });

  describe('when the exception names another image', () => {
    it('does not apply', async () => {
      const other = `pkg:oci/app@sha256%3A${'2'.repeat(64)}`;
      const r = await collectScan(
        context(returning(report([critical])), { vex: { exceptions: [exception({ products: [other] })] } }),
      );
      expect(r.status).toBe('FAIL');
    });
  });

  describe('when the image carries a signed OpenVEX attestation', () => {
    const openvex = (timestamp: string) => ({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'security@example.com',
      timestamp,
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2021-44906' },
          products: [
            {
              '@id': `pkg:oci/app@${SUBJECT.digest.replace(':', '%3A')}`,
              subcomponents: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
            },
          ],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      ],
    });
    async function registryWith(doc: Record<string, unknown>, signer = keys.attestation) {
      const registry = new MemoryRegistry();
      const envelope = signStatement(
        signer.privateKey,
        [{ name: 'team/app', digest: SUBJECT.digest }],
        'https://openvex.dev/ns/v0.2.0',
        doc,
      );
      await pushManifest(
        registry,
        SUBJECT.repository,
        cosignAttestationManifest([{ envelope, predicateType: 'https://openvex.dev/ns/v0.2.0' }]),
        cosignTag(SUBJECT.digest, 'att'),
      );
      return registry;
    }
    const trusted = [{ id: keys.attestation.id, publicKey: keys.attestation.publicKeyPem }];

    it('accepts the finding while the statement is younger than maxAgeDays', async () => {
      const r = await collectScan(
        context(
          returning(report([critical])),
          { vex: { maxAgeDays: 90 } },
          await registryWith(openvex('2026-05-01T00:00:00Z')),
          trusted,
        ),
      );
      expect(r.status).toBe('PASS');
    });

    it('stops applying once the statement is older than maxAgeDays', async () => {
      const r = await collectScan(
        context(
          returning(report([critical])),
          { vex: { maxAgeDays: 10 } },
          await registryWith(openvex('2026-05-01T00:00:00Z')),
          trusted,
        ),
      );
      expect(r.status).toBe('FAIL');
      expect(r.reasons.join(' ')).toMatch(/expired/);
    });

    it('accepts a signed CycloneDX VEX attestation for this image', async () => {
      const cdx = {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        metadata: { timestamp: '2026-05-01T00:00:00Z', authors: [{ name: 'security@example.com' }] },
        components: [
          {
            'bom-ref': 'minimist',
            type: 'library',
            name: 'minimist',
            version: '1.2.5',
            purl: 'pkg:npm/minimist@1.2.5',
          },
        ],
        vulnerabilities: [
          {
            id: 'CVE-2021-44906',
            analysis: { state: 'not_affected', justification: 'code_not_reachable' },
            affects: [{ ref: 'minimist' }],
          },
        ],
      };
      const registry = new MemoryRegistry();
      const envelope = signStatement(
        keys.attestation.privateKey,
        [{ name: 'team/app', digest: SUBJECT.digest }],
        'https://cyclonedx.org/vex',
        cdx,
      );
      await pushManifest(
        registry,
        SUBJECT.repository,
        cosignAttestationManifest([{ envelope, predicateType: 'https://cyclonedx.org/vex' }]),
        cosignTag(SUBJECT.digest, 'att'),
      );
      const r = await collectScan(context(returning(report([critical])), {}, registry, trusted));
      expect(r.status).toBe('PASS');
      expect(r.reasons.join(' ')).toContain('accepted by VEX');
    });

    it('ignores a VEX attestation signed by an untrusted key', async () => {
      const r = await collectScan(
        context(
          returning(report([critical])),
          {},
          await registryWith(openvex('2026-05-01T00:00:00Z'), keys.untrusted),
          trusted,
        ),
      );
      expect(r.status).toBe('FAIL');
    });
  });
});
