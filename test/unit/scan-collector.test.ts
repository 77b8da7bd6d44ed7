import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { type FixtureKeyPair, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { cosignAttestationManifest, cosignTag, signStatement } from '../../cli/fixtures/sign.js';
import { NotFoundError, RegistryError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectScan } from '../../lambdas/domain/evidence/scan.js';
import type { ScanReport, VulnerabilityFinding } from '../../lambdas/domain/ports.js';
import { indexOf, oneFileImage } from '../support/images.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';

/** The fixture keys the signed OpenVEX attestation cases sign with. */
const keys = await generateFixtureKeys();

const NOW = new Date('2026-06-01T00:00:00Z');
/** The image scanned: a single-platform image (an index is scanned per platform, see multi-arch tests). */
const IMAGE = oneFileImage('scanned');
const SUBJECT = { repository: 'team/app', digest: IMAGE.root.digest } as const;

function finding(id: string, severity: VulnerabilityFinding['severity'], pkg = 'minimist', version = '1.2.5') {
  return { id, aliases: [], severity, packageName: pkg, packageVersion: version } satisfies VulnerabilityFinding;
}

function report(findings: VulnerabilityFinding[], extra: Partial<ScanReport> = {}): ScanReport {
  return { status: 'COMPLETE', scanner: 'ecr-basic', completedAt: '2026-05-31T00:00:00.000Z', findings, ...extra };
}

const unused = (): never => {
  throw new Error('not used by the scan collector');
};

/** The scan collector's context: this scan source, the `scan` policy block, and attestation keys. */
async function context(
  getFindings: CollectContext['scans']['getFindings'],
  scanPolicy: Record<string, unknown> = {},
  registry = new MemoryRegistry(),
  attestationKeys: readonly { id: string; publicKey: string }[] = [],
): Promise<CollectContext> {
  await pushManifest(registry, SUBJECT.repository, IMAGE.root);
  return collectContext({
    subject: SUBJECT,
    registry,
    policy: { scan: scanPolicy, attestations: { keys: attestationKeys } },
    now: NOW,
    releases: { getEvidence: unused, lastPromotion: unused },
    documents: { get: unused },
    scans: { getFindings },
  });
}

const returning = (r: ScanReport) => async () => r;

/** A scan the source returns (or the wait failure the collector is given) and what comes of it. */
interface ScanCase {
  readonly it: string;
  readonly scan?: ScanReport;
  readonly missing?: string;
  readonly waitFailure?: { readonly error: string; readonly cause: string };
  readonly scanPolicy?: Record<string, unknown>;
  readonly expected: ExpectedEvidence;
}

const aliased = { ...finding('GHSA-xvch-5gv4-984h', 'CRITICAL'), aliases: ['CVE-2021-44906'] };
const ignoring = (expires: string) => ({ ignore: [{ id: 'CVE-2021-44906', reason: 'not reachable', expires }] });
const lows = Array.from({ length: 30 }, (_, i) => finding(`CVE-2024-1${String(i).padStart(3, '0')}`, 'LOW', `p${i}`));

/** The local OSV scanner's report, which also lists what it could not evaluate. */
const localScan = {
  ...report([], { scanner: 'release-gate-osv' }),
  unevaluated: [
    { name: 'Newtonsoft.Json', version: '12.0.1', reason: 'no version ordering is known for ecosystem NuGet' },
  ],
};

const CASES: readonly (readonly [string, readonly ScanCase[]])[] = [
  [
    'when WaitForScan did not deliver a scan',
    [
      {
        it: 'is MISSING because the scan did not complete in time when WaitForScan timed out',
        waitFailure: { error: 'States.Timeout', cause: 'task timed out' },
        expected: {
          status: 'MISSING',
          reasons: ['scan did not complete within the wait time (States.Timeout)'],
          exactFacts: { waitError: 'States.Timeout', waitCause: 'task timed out' },
        },
      },
      {
        it: 'is MISSING with the error and cause when WaitForScan failed for another reason',
        waitFailure: { error: 'ScanFailed', cause: 'UNSUPPORTED_IMAGE' },
        expected: {
          status: 'MISSING',
          reasons: ['scan did not complete: waiting for it failed (ScanFailed): UNSUPPORTED_IMAGE'],
        },
      },
      {
        it: 'is MISSING when there is no scan',
        missing: 'no ECR image scan',
        expected: {
          status: 'MISSING',
          reasons: [`no vulnerability scan found for team/app@${SUBJECT.digest}: no ECR image scan`],
        },
      },
    ],
  ],
  [
    'when the scan did not complete',
    [
      {
        it: 'is FAIL with the status',
        scan: report([], { status: 'FAILED' }),
        expected: { status: 'FAIL', reasons: ['scan status FAILED is not a completed scan'] },
      },
      {
        it: 'accepts Inspector ACTIVE as a completed scan',
        scan: report([], { status: 'ACTIVE', scanner: 'inspector' }),
        expected: { status: 'PASS' },
      },
    ],
  ],
  [
    'when a severity exceeds its maximum',
    [
      {
        it: 'is FAIL naming the count, the maximum and the findings',
        scan: report([
          finding('CVE-2021-44906', 'CRITICAL'),
          finding('CVE-2019-10744', 'CRITICAL', 'lodash', '4.17.11'),
        ]),
        expected: {
          status: 'FAIL',
          reasons: ['2 CRITICAL findings (max 0): CVE-2021-44906 in minimist 1.2.5, CVE-2019-10744 in lodash 4.17.11'],
        },
      },
      {
        it: 'lists five findings and counts the rest',
        scan: report(Array.from({ length: 7 }, (_, i) => finding(`CVE-2024-000${i}`, 'HIGH', `p${i}`, '1'))),
        expected: {
          status: 'FAIL',
          reasons: [
            '7 HIGH findings (max 0): CVE-2024-0000 in p0 1, CVE-2024-0001 in p1 1, CVE-2024-0002 in p2 1, ' +
              'CVE-2024-0003 in p3 1, CVE-2024-0004 in p4 1, and 2 more',
          ],
        },
      },
      {
        it: 'does not limit a severity the policy does not list',
        scan: report([finding('CVE-2024-0001', 'CRITICAL')]),
        scanPolicy: { maxFindings: { HIGH: 0 } },
        expected: { status: 'PASS' },
      },
    ],
  ],
  [
    'when the policy ignores a vulnerability',
    [
      {
        it: 'does not count it while unexpired, matching by id or alias',
        scan: report([aliased]),
        scanPolicy: ignoring('2026-07-01T00:00:00Z'),
        expected: {
          status: 'PASS',
          reasons: ['ecr-basic scan COMPLETE: 0 findings within policy (1 vulnerability ignored by policy)'],
          facts: { ignored: ['GHSA-xvch-5gv4-984h'], findings: 0 },
        },
      },
      {
        it: 'counts the finding once the ignore expired and says so',
        scan: report([finding('CVE-2021-44906', 'CRITICAL')]),
        scanPolicy: ignoring('2026-05-01T00:00:00Z'),
        expected: {
          status: 'FAIL',
          reasons: [
            '1 CRITICAL finding (max 0): CVE-2021-44906 in minimist 1.2.5',
            'ignore of CVE-2021-44906 expired at 2026-05-01T00:00:00Z and does not apply',
          ],
        },
      },
    ],
  ],
  [
    'when the local scanner could not evaluate components',
    [
      {
        it: 'is FAIL listing them',
        scan: localScan,
        expected: {
          status: 'FAIL',
          reasons: [
            '1 component could not be evaluated by release-gate-osv: Newtonsoft.Json 12.0.1 (no version ordering is known for ecosystem NuGet)',
          ],
          facts: { unevaluated: 1 },
        },
      },
    ],
  ],
  [
    'when there are many findings',
    [
      {
        it: 'keeps the 20 most severe ids in the facts',
        scan: report([...lows, finding('CVE-2024-9999', 'MEDIUM')]),
        expected: {
          status: 'PASS',
          facts: { topFindings: ['CVE-2024-9999', ...Array.from({ length: 19 }, () => expect.any(String))] },
        },
      },
    ],
  ],
];

describe('Function: collectScan', () => {
  describe.each(CASES)('%s', (_when, cases) => {
    it.each(cases.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Prepare
      const missing = async () => {
        throw new NotFoundError(c.missing ?? 'no scan');
      };
      const ctx = await context(
        c.scan === undefined ? (c.waitFailure === undefined ? missing : unused) : returning(c.scan),
        c.scanPolicy,
      );

      // Act
      const result = await collectScan(ctx, c.waitFailure);

      // Assess
      expectEvidence(result, c.expected);
    });
  });

  describe('when the scan source fails', () => {
    it('rethrows for the workflow to retry', async () => {
      // Prepare
      const ctx = await context(async () => {
        throw new RegistryError('throttled');
      });

      // Act
      const act = collectScan(ctx);

      // Assess
      await expect(act).rejects.toThrow('throttled');
    });
  });

  describe('when findings are within policy', () => {
    it('is PASS with counts, scanner, finding ids and the report', async () => {
      // Prepare
      const scan = report([finding('CVE-2024-0001', 'MEDIUM'), finding('CVE-2024-0002', 'LOW', 'zlib', '1.2')]);
      const ctx = await context(returning(scan));

      // Act
      const result = await collectScan(ctx);

      // Assess
      expectEvidence(result, {
        status: 'PASS',
        reasons: ['ecr-basic scan COMPLETE: 2 findings within policy'],
        exactFacts: {
          scanner: 'ecr-basic',
          status: 'COMPLETE',
          completedAt: '2026-05-31T00:00:00.000Z',
          counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 0 },
          findings: 2,
          ignored: [],
          topFindings: ['CVE-2024-0001', 'CVE-2024-0002'],
        },
      });
      expect(result.documents).toHaveLength(1);
      expect(JSON.parse(new TextDecoder().decode(result.documents[0]?.bytes))).toEqual(scan);
    });
  });
});

describe('Function: collectScan with VEX exceptions', () => {
  const critical = { ...finding('CVE-2021-44906', 'CRITICAL'), purl: 'pkg:npm/minimist@1.2.5' };
  const product = `pkg:oci/app@${SUBJECT.digest.replace(':', '%3A')}`;
  const exception = (overrides: Record<string, unknown> = {}) => ({
    vulnerability: 'CVE-2021-44906',
    products: [product],
    subcomponents: ['pkg:npm/minimist@1.2.5'],
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
    author: 'security@example.com',
    issued: '2026-05-01T00:00:00Z',
    expires: '2026-07-01T00:00:00Z',
    ...overrides,
  });
  const trusted = [{ id: keys.attestation.id, publicKey: keys.attestation.publicKeyPem }];

  const OPENVEX = 'https://openvex.dev/ns/v0.2.0';
  const openvex = {
    '@context': OPENVEX,
    '@id': 'https://example.com/vex/1',
    author: 'security@example.com',
    timestamp: '2026-05-01T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2021-44906' },
        products: [{ '@id': product, subcomponents: [{ '@id': 'pkg:npm/minimist@1.2.5' }] }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
    ],
  };
  const CYCLONEDX_VEX = 'https://cyclonedx.org/vex';
  const cyclonedxVex = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    metadata: { timestamp: '2026-05-01T00:00:00Z', authors: [{ name: 'security@example.com' }] },
    components: [
      { 'bom-ref': 'minimist', type: 'library', name: 'minimist', version: '1.2.5', purl: 'pkg:npm/minimist@1.2.5' },
    ],
    vulnerabilities: [
      {
        id: 'CVE-2021-44906',
        analysis: { state: 'not_affected', justification: 'code_not_reachable' },
        affects: [{ ref: 'minimist' }],
      },
    ],
  };

  /** A registry where the image carries one VEX attestation (`.att` tag) signed by `signer`. */
  async function registryWith(predicateType: string, doc: Record<string, unknown>, signer: FixtureKeyPair) {
    const registry = new MemoryRegistry();
    const envelope = signStatement(
      signer.privateKey,
      [{ name: 'team/app', digest: SUBJECT.digest }],
      predicateType,
      doc,
    );
    await pushManifest(
      registry,
      SUBJECT.repository,
      cosignAttestationManifest([{ envelope, predicateType }]),
      cosignTag(SUBJECT.digest, 'att'),
    );
    return registry;
  }

  /** A VEX source (policy exceptions or an attestation) for a CRITICAL finding, and the result. */
  interface VexCase {
    readonly it: string;
    readonly scanPolicy?: Record<string, unknown>;
    readonly attestation?: readonly [string, Record<string, unknown>, FixtureKeyPair];
    readonly expected: ExpectedEvidence;
  }

  const VEX_CASES: readonly (readonly [string, readonly VexCase[]])[] = [
    [
      'when the policy holds an exception for this image and vulnerability',
      [
        {
          it: 'does not count the finding while unexpired and says which statement accepted it',
          scanPolicy: { vex: { exceptions: [exception()] } },
          expected: { status: 'PASS', reasonsText: 'accepted by VEX' },
        },
        {
          it: 'counts the finding once the exception expired and the reason says so',
          scanPolicy: { vex: { exceptions: [exception({ expires: '2026-05-15T00:00:00Z' })] } },
          expected: { status: 'FAIL', reasonsText: /expired/ },
        },
        {
          it: 'does not apply an exception that names another image',
          scanPolicy: { vex: { exceptions: [exception({ products: [`pkg:oci/app@sha256%3A${'2'.repeat(64)}`] })] } },
          expected: { status: 'FAIL' },
        },
      ],
    ],
    [
      'when the image carries a signed VEX attestation',
      [
        {
          it: 'accepts the finding while the OpenVEX statement is younger than maxAgeDays',
          scanPolicy: { vex: { maxAgeDays: 90 } },
          attestation: [OPENVEX, openvex, keys.attestation],
          expected: { status: 'PASS' },
        },
        {
          it: 'stops applying once the OpenVEX statement is older than maxAgeDays',
          scanPolicy: { vex: { maxAgeDays: 10 } },
          attestation: [OPENVEX, openvex, keys.attestation],
          expected: { status: 'FAIL', reasonsText: /expired/ },
        },
        {
          it: 'accepts a signed CycloneDX VEX attestation for this image',
          attestation: [CYCLONEDX_VEX, cyclonedxVex, keys.attestation],
          expected: { status: 'PASS', reasonsText: 'accepted by VEX' },
        },
        {
          it: 'ignores a VEX attestation signed by an untrusted key',
          attestation: [OPENVEX, openvex, keys.untrusted],
          expected: { status: 'FAIL' },
        },
      ],
    ],
  ];

  describe('when the image is an index whose arm64 platform has the finding (red-team finding 24)', () => {
    const amd64 = oneFileImage('index', PLATFORMS.linuxAmd64);
    const arm64 = oneFileImage('index', PLATFORMS.linuxArm64);

    /** The scan of the index, each platform scanned on its own, under exceptions naming `products`. */
    async function scanIndex(products: (index: string) => string[]) {
      const registry = new MemoryRegistry();
      const index = await pushManifest(registry, SUBJECT.repository, indexOf([amd64, arm64]));
      const exceptions = [exception({ products: products(index) })];
      const ctx = await context(
        async (s) => report(s.digest === arm64.root.digest ? [critical] : []),
        { vex: { exceptions } },
        registry,
      );
      return collectScan({ ...ctx, subject: { ...ctx.subject, digest: index } });
    }
    const productOf = (digest: string) => `pkg:oci/app@${digest.replace(':', '%3A')}`;

    it('applies an exception that names the index: the index pins the platform', async () => {
      // Act
      const result = await scanIndex((index) => [productOf(index)]);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toContain(
        'platform linux/arm64/v8: ecr-basic scan COMPLETE: 0 findings within policy (1 vulnerability ignored by policy)',
      );
    });

    it('does not apply an exception that names another platform', async () => {
      // Act
      const result = await scanIndex(() => [productOf(amd64.root.digest)]);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toMatch(/^platform linux\/arm64\/v8 \(sha256:[a-f0-9]{64}\): FAIL: 1 CRITICAL finding/);
    });
  });

  describe.each(VEX_CASES)('%s', (_when, cases) => {
    it.each(cases.map((c) => [c.it, c] as const))('%s', async (_it, c) => {
      // Prepare
      const registry = c.attestation === undefined ? new MemoryRegistry() : await registryWith(...c.attestation);
      const ctx = await context(returning(report([critical])), c.scanPolicy, registry, c.attestation && trusted);

      // Act
      const result = await collectScan(ctx);

      // Assess
      expectEvidence(result, c.expected);
    });
  });

  describe('when the image carries a CycloneDX SBOM attestation (the predicate type VEX may use too)', () => {
    const CYCLONEDX_BOM = 'https://cyclonedx.org/bom';
    const sbom = { ...cyclonedxVex, vulnerabilities: undefined };

    it('applies the VEX of an SBOM attestation that carries vulnerabilities', async () => {
      // Prepare
      const registry = await registryWith(CYCLONEDX_BOM, cyclonedxVex, keys.attestation);
      const ctx = await context(returning(report([critical])), undefined, registry, trusted);

      // Act
      const result = await collectScan(ctx);

      // Assess
      expectEvidence(result, { status: 'PASS', reasonsText: 'accepted by VEX' });
    });

    it('skips one without vulnerabilities before verifying it: nothing to apply, nothing to reject', async () => {
      // Prepare: signed by an untrusted key, which verification would report.
      const registry = await registryWith(CYCLONEDX_BOM, sbom, keys.untrusted);
      const ctx = await context(returning(report([critical])), undefined, registry, trusted);

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.filter((r) => r.includes('VEX'))).toEqual([]);
    });

    it('skips one without vulnerabilities before parsing its envelope: a malformed one is not even read', async () => {
      // Prepare: an envelope without signatures, which parsing it would refuse (and report).
      const registry = new MemoryRegistry();
      const envelope = signStatement(
        keys.attestation.privateKey,
        [{ name: 'team/app', digest: SUBJECT.digest }],
        CYCLONEDX_BOM,
        sbom,
      );
      const manifest = cosignAttestationManifest([
        { envelope: { ...envelope, signatures: [] }, predicateType: CYCLONEDX_BOM },
      ]);
      await pushManifest(registry, SUBJECT.repository, manifest, cosignTag(SUBJECT.digest, 'att'));
      const ctx = await context(returning(report([critical])), undefined, registry, trusted);

      // Act
      const result = await collectScan(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons.filter((r) => r.includes('VEX'))).toEqual([]);
    });

    it('still reads one whose payload names vulnerabilities, at any offset and in either base64 alphabet', async () => {
      // Prepare: the same VEX, shifted one and two bytes, each signed and attached (URL-safe for one).
      const offsets = new Set<number>();
      for (const pad of ['', ' ', '  ']) {
        const registry = new MemoryRegistry();
        const doc = { ...cyclonedxVex, serialNumber: `urn:uuid:${pad}x` };
        const signed = signStatement(
          keys.attestation.privateKey,
          [{ name: 'team/app', digest: SUBJECT.digest }],
          CYCLONEDX_BOM,
          doc,
        );
        offsets.add(Buffer.from(signed.payload, 'base64').indexOf('"vulnerabilities"') % 3);
        const envelope =
          pad === ' ' ? { ...signed, payload: Buffer.from(signed.payload, 'base64').toString('base64url') } : signed;
        await pushManifest(
          registry,
          SUBJECT.repository,
          cosignAttestationManifest([{ envelope, predicateType: CYCLONEDX_BOM }]),
          cosignTag(SUBJECT.digest, 'att'),
        );
        const ctx = await context(returning(report([critical])), undefined, registry, trusted);

        // Act
        const result = await collectScan(ctx);

        // Assess
        expectEvidence(result, { status: 'PASS', reasonsText: 'accepted by VEX' });
      }
      expect(offsets.size).toBe(3);
    });
  });
});
