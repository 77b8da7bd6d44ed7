/**
 * applyVex: one test per rule of lambdas/domain/vex/apply.ts, plus the expiry helpers and the
 * policy-store exceptions of statement.ts, the OpenVEX rules the corpus does not exercise, and
 * the CycloneDX state mapping.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import type { VulnerabilityFinding } from '../../lambdas/domain/ports.js';
import {
  applyVex,
  identifiesImage,
  purlCovers,
  type VexContext,
  type VexNotAppliedCode,
} from '../../lambdas/domain/vex/apply.js';
import { parseCycloneDxVex } from '../../lambdas/domain/vex/cyclonedx-vex.js';
import { parseOpenVex } from '../../lambdas/domain/vex/openvex.js';
import {
  statementsFromPolicy,
  VexExceptionSchema,
  type VexStatement,
  withMaxAge,
} from '../../lambdas/domain/vex/statement.js';

const HEX = 'a'.repeat(64);
const OTHER_HEX = 'b'.repeat(64);
const DIGEST = `sha256:${HEX}`;
const IMAGE_PURL = `pkg:oci/app@sha256%3A${HEX}`;
const NOW = new Date('2026-03-01T12:00:00Z');
const CTX: VexContext = { imageDigest: DIGEST, repository: 'team/app', now: NOW };

const LODASH = 'pkg:npm/lodash@4.17.20';

function finding(overrides: Partial<VulnerabilityFinding> = {}): VulnerabilityFinding {
  return {
    id: 'CVE-2021-23337',
    aliases: [],
    severity: 'HIGH',
    packageName: 'lodash',
    packageVersion: '4.17.20',
    purl: LODASH,
    ...overrides,
  };
}

function statement(overrides: Partial<VexStatement> = {}): VexStatement {
  return {
    vulnerability: 'CVE-2021-23337',
    aliases: [],
    products: [IMAGE_PURL],
    subcomponents: [LODASH],
    status: 'not_affected',
    sourceStatus: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
    author: 'Platform Security <security@example.com>',
    issued: '2026-02-01T00:00:00.000Z',
    expires: '2026-05-01T00:00:00.000Z',
    source: 'test',
    ...overrides,
  };
}

describe('Function: applyVex', () => {
  describe('when a valid not_affected statement names the image and the finding as subcomponent', () => {
    it('suppresses the finding and says by which statement', () => {
      // Prepare
      const s = statement();

      // Act
      const outcome = applyVex([finding()], [s], CTX);

      // Assess
      expect(outcome.remaining).toEqual([]);
      expect(outcome.suppressed).toHaveLength(1);
      expect(outcome.suppressed[0]?.statement).toBe(s);
      expect(outcome.suppressed[0]?.reason).toContain('vulnerable_code_not_in_execute_path');
      expect(outcome.notApplied).toEqual([]);
    });
  });

  /** One statement against the finding(s): suppressed, or kept for the given reason code. */
  interface VexCase {
    readonly when: string;
    readonly it: string;
    readonly statement: VexStatement;
    readonly findings?: readonly VulnerabilityFinding[];
    readonly ctx?: Partial<VexContext>;
    readonly outcome: 'suppressed' | VexNotAppliedCode;
    /** A piece of the reason the statement was not applied. */
    readonly reason?: string;
  }

  const without = (key: 'expires' | 'justification', s: VexStatement = statement()): VexStatement => {
    const { [key]: _dropped, ...rest } = s;
    return rest;
  };

  const CASES: readonly VexCase[] = [
    {
      when: 'the statement is for another product',
      it: 'keeps the finding (NO_MATCHING_PRODUCT)',
      statement: statement({ products: ['pkg:npm/express@4.21.2'], subcomponents: [] }),
      outcome: 'NO_MATCHING_PRODUCT',
    },
    {
      when: 'the statement is for another vulnerability',
      it: 'keeps the finding (NO_MATCHING_VULNERABILITY)',
      statement: statement({ vulnerability: 'CVE-2020-8203' }),
      outcome: 'NO_MATCHING_VULNERABILITY',
    },
    {
      when: 'the statement names the vulnerability by an alias of the finding',
      it: 'suppresses it',
      statement: statement({ vulnerability: 'ghsa-35jh-r3h4-6jhm' }),
      findings: [finding({ id: 'CVE-2021-23337', aliases: ['GHSA-35jh-r3h4-6jhm'] })],
      outcome: 'suppressed',
    },
    {
      when: 'the finding is named by an alias of the statement',
      it: 'suppresses it',
      statement: statement({ vulnerability: 'CVE-2021-23337', aliases: ['GHSA-35jh-r3h4-6jhm'] }),
      findings: [finding({ id: 'GHSA-35jh-r3h4-6jhm', aliases: [] })],
      outcome: 'suppressed',
    },
    {
      when: 'the statement has expired',
      it: 'keeps the finding and the reason says when it expired',
      statement: statement({ expires: '2026-02-28T00:00:00.000Z' }),
      outcome: 'EXPIRED',
      reason: 'expired at 2026-02-28T00:00:00.000Z',
    },
    {
      when: 'the statement has no expiry',
      it: 'keeps the finding (NO_EXPIRY)',
      statement: without('expires'),
      outcome: 'NO_EXPIRY',
    },
    ...(['under_investigation', 'affected'] as const).map(
      (status): VexCase => ({
        when: `the status is ${status}`,
        it: 'never suppresses',
        statement: statement({ status, sourceStatus: status }),
        outcome: 'STATUS_DOES_NOT_SUPPRESS',
      }),
    ),
    {
      when: 'the status is fixed',
      it: 'suppresses without a justification',
      statement: without('justification', statement({ status: 'fixed', sourceStatus: 'fixed' })),
      outcome: 'suppressed',
    },
    {
      when: 'a not_affected statement has neither justification nor impact statement',
      it: 'keeps the finding and says a justification is missing',
      statement: without('justification'),
      outcome: 'NO_JUSTIFICATION',
      reason: 'needs a justification or an impact statement',
    },
    {
      when: 'a not_affected statement has only an impact statement',
      it: 'suppresses',
      statement: without('justification', statement({ impactStatement: 'the template function is never called' })),
      outcome: 'suppressed',
    },
    {
      when: 'the statement has no author',
      it: 'keeps the finding (NO_AUTHOR)',
      statement: statement({ author: ' ' }),
      outcome: 'NO_AUTHOR',
    },
    {
      when: 'the policy trusts other authors only',
      it: 'keeps the finding (UNTRUSTED_AUTHOR)',
      statement: statement(),
      ctx: { trustedAuthors: ['someone-else'] },
      outcome: 'UNTRUSTED_AUTHOR',
    },
    {
      when: 'the statement was issued in the future',
      it: 'keeps the finding (ISSUED_IN_FUTURE)',
      statement: statement({ issued: '2026-03-02T00:00:00.000Z' }),
      outcome: 'ISSUED_IN_FUTURE',
    },
    {
      when: 'the statement names no product',
      it: 'keeps the finding (NO_PRODUCT)',
      statement: statement({ products: [], subcomponents: [] }),
      outcome: 'NO_PRODUCT',
    },
    {
      when: 'the image is the product and the finding is not among its subcomponents',
      it: 'keeps the finding',
      statement: statement({ subcomponents: ['pkg:npm/minimist@1.2.5'] }),
      outcome: 'NO_MATCHING_PRODUCT',
    },
    {
      when: 'the image is the product and the statement has no subcomponents',
      it: 'suppresses every finding of that vulnerability in the image, with or without a purl',
      statement: statement({ subcomponents: [] }),
      findings: [finding(), finding({ purl: 'pkg:npm/lodash@4.17.19' }), finding({ purl: undefined })],
      outcome: 'suppressed',
    },
    ...(
      [
        ['the image digest', DIGEST, true],
        [
          'a repository reference with the digest',
          `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@${DIGEST}`,
          true,
        ],
        ['pkg:oci with the digest', IMAGE_PURL, true],
        ['pkg:oci with the digest unencoded', `pkg:oci/app@sha256:${HEX}?repository_url=ghcr.io/team/app`, true],
        ['another digest', `sha256:${OTHER_HEX}`, false],
        ['pkg:oci with another digest', `pkg:oci/app@sha256%3A${OTHER_HEX}`, false],
        ['pkg:oci of another name', `pkg:oci/other@sha256%3A${HEX}`, false],
        ['pkg:oci without a digest', 'pkg:oci/app', false],
        ['pkg:oci from another repository_url', `pkg:oci/app@sha256%3A${HEX}?repository_url=ghcr.io/evil/app`, false],
        ['a reference to another repository', `ghcr.io/other/app@${DIGEST}`, false],
      ] as const
    ).map(
      ([label, product, matches]): VexCase => ({
        when: `the product is ${label}`,
        it: matches ? 'matches the image' : 'does not match the image',
        statement: statement({ products: [product], subcomponents: [] }),
        outcome: matches ? 'suppressed' : 'NO_MATCHING_PRODUCT',
      }),
    ),
    {
      when: 'the product is the finding package by an unversioned purl',
      it: 'suppresses it (an unversioned purl covers every version)',
      statement: statement({ products: ['pkg:npm/lodash'], subcomponents: [] }),
      outcome: 'suppressed',
    },
  ];

  describe.each(CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, () => {
      // Prepare
      const findings = c.findings ?? [finding()];

      // Act
      const outcome = applyVex(findings, [c.statement], { ...CTX, ...c.ctx });

      // Assess
      if (c.outcome === 'suppressed') {
        expect(outcome.suppressed).toHaveLength(findings.length);
        expect(outcome.remaining).toEqual([]);
      } else {
        expect(outcome.remaining).toHaveLength(1);
        expect(outcome.notApplied[0]?.code).toBe(c.outcome);
        expect(outcome.notApplied[0]?.reason).toContain(c.reason ?? '');
      }
    });
  });

  describe('when a later under_investigation statement covers the same finding', () => {
    it('keeps the finding: the earlier not_affected is superseded', () => {
      // Prepare
      const earlier = statement();
      const later = statement({
        status: 'under_investigation',
        sourceStatus: 'under_investigation',
        issued: '2026-02-15T00:00:00.000Z',
      });

      // Act
      const outcome = applyVex([finding()], [earlier, later], CTX);

      // Assess
      expect(outcome.remaining).toHaveLength(1);
      expect(outcome.notApplied.find((n) => n.statement === earlier)?.code).toBe('SUPERSEDED');
    });
  });

  describe('when an earlier under_investigation statement covers the same finding', () => {
    it('suppresses: the later not_affected overrides it', () => {
      // Prepare
      const earlier = statement({
        status: 'under_investigation',
        sourceStatus: 'under_investigation',
        issued: '2026-01-15T00:00:00.000Z',
      });
      const later = statement();

      // Act
      const outcome = applyVex([finding()], [earlier, later], CTX);

      // Assess
      expect(outcome.suppressed.map((s) => s.statement)).toEqual([later]);
    });
  });
});

describe('Function: purlCovers', () => {
  /** [general, specific] pairs: the general purl covers the specific one, or does not. */
  const COVERS = [
    ['pkg:npm/lodash', 'pkg:npm/lodash@4.17.20'],
    ['pkg:apk/alpine/libssl3@3.0.8-r3', 'pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64'],
  ] as const;
  const DOES_NOT_COVER = [
    ['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.21'],
    ['pkg:apk/alpine/libssl3@3.0.8-r3?arch=aarch64', 'pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64'],
    ['pkg:apk/wolfi/libssl3@3.0.8-r3', 'pkg:apk/alpine/libssl3@3.0.8-r3'],
    ['not a purl', 'pkg:npm/lodash@4.17.20'],
  ] as const;

  describe.each([
    ...COVERS.map(([general, specific]) => [general, specific, true] as const),
    ...DOES_NOT_COVER.map(([general, specific]) => [general, specific, false] as const),
  ])('when %s is compared with %s', (general, specific, expected) => {
    it(`returns ${expected}`, () => {
      // Act
      const covered = purlCovers(general, specific);

      // Assess
      expect(covered).toBe(expected);
    });
  });
});

describe('Function: identifiesImage', () => {
  describe('when the repository has a single segment', () => {
    it('matches pkg:oci by that name', () => {
      // Act
      const matched = identifiesImage(IMAGE_PURL, { imageDigest: DIGEST, repository: 'app' });

      // Assess
      expect(matched).toBe(true);
    });
  });
});

describe('Function: withMaxAge', () => {
  describe('when a statement has no expiry', () => {
    it('expires it maxAgeDays after it was issued', () => {
      // Prepare
      const { expires: _, ...s } = statement({ issued: '2026-01-01T00:00:00.000Z' });

      // Act
      const [aged] = withMaxAge([s], 30);

      // Assess
      expect(aged?.expires).toBe('2026-01-31T00:00:00.000Z');
    });
  });

  describe('when a statement already expires earlier', () => {
    it('keeps the earlier expiry', () => {
      // Prepare
      const s = statement({ issued: '2026-01-01T00:00:00.000Z', expires: '2026-01-10T00:00:00.000Z' });

      // Act
      const [aged] = withMaxAge([s], 30);

      // Assess
      expect(aged?.expires).toBe('2026-01-10T00:00:00.000Z');
    });
  });
});

describe('Function: statementsFromPolicy', () => {
  const exception = {
    vulnerability: 'CVE-2021-23337',
    products: [IMAGE_PURL],
    subcomponents: [LODASH],
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
    author: 'platform-security',
    issued: '2026-02-01T00:00:00Z',
    expires: '2026-04-01T00:00:00+02:00',
  };

  describe('when the policy holds a justified exception with an expiry', () => {
    it('turns it into a statement that applies until it expires', () => {
      // Prepare
      const [s] = statementsFromPolicy([VexExceptionSchema.parse(exception)], 'policy sha256:1');
      if (s === undefined) throw new Error('no statement');

      // Act
      const before = applyVex([finding()], [s], CTX);
      const after = applyVex([finding()], [s], { ...CTX, now: new Date('2026-04-01T00:00:00Z') });

      // Assess
      expect(s.expires).toBe('2026-03-31T22:00:00.000Z');
      expect(before.suppressed).toHaveLength(1);
      expect(after.notApplied[0]?.code).toBe('EXPIRED');
    });
  });

  describe.each([
    ['without an expiry', { expires: undefined }],
    ['not_affected without a justification', { justification: undefined }],
    ['with status under_investigation', { status: 'under_investigation' }],
    ['without an author', { author: '' }],
  ])('when the exception is %s', (_, change) => {
    it('rejects it at policy load', () => {
      // Act
      const parsed = VexExceptionSchema.safeParse({ ...exception, ...change });

      // Assess
      expect(parsed.success).toBe(false);
    });
  });
});

describe('Function: parseCycloneDxVex', () => {
  const bom = (state: string, extra: Record<string, unknown> = {}): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        metadata: {
          timestamp: '2026-02-01T00:00:00Z',
          authors: [{ name: 'Platform Security' }],
          component: { type: 'container', name: 'app', 'bom-ref': 'image', purl: IMAGE_PURL },
        },
        components: [{ type: 'library', name: 'lodash', 'bom-ref': 'lodash', purl: LODASH }],
        vulnerabilities: [
          {
            id: 'CVE-2021-23337',
            references: [{ id: 'GHSA-35jh-r3h4-6jhm', source: { name: 'GitHub' } }],
            analysis: { state, detail: 'reviewed', ...extra },
            affects: [{ ref: 'lodash' }],
          },
        ],
      }),
    );

  describe.each([
    ['not_affected', 'not_affected', 1],
    ['false_positive', 'not_affected', 1],
    ['resolved', 'fixed', 1],
    ['resolved_with_pedigree', 'fixed', 1],
    ['exploitable', 'affected', 0],
    ['in_triage', 'under_investigation', 0],
  ])('when analysis.state is %s', (state, status, suppressedCount) => {
    it(`maps it to ${status} and suppresses ${suppressedCount} finding(s)`, () => {
      // Prepare
      const statements = withMaxAge(parseCycloneDxVex(bom(state)).statements, 90);

      // Act
      const outcome = applyVex([finding()], statements, CTX);

      // Assess
      expect(statements[0]).toMatchObject({
        status,
        sourceStatus: state,
        products: [LODASH],
        aliases: ['GHSA-35jh-r3h4-6jhm'],
        author: 'Platform Security',
      });
      expect(outcome.suppressed).toHaveLength(suppressedCount);
    });
  });

  describe('when an affects entry carries version ranges', () => {
    it('drops it rather than cover every version', () => {
      // Prepare
      const bytes = new TextEncoder().encode(
        JSON.stringify({
          bomFormat: 'CycloneDX',
          specVersion: '1.5',
          metadata: { timestamp: '2026-02-01T00:00:00Z', authors: [{ name: 'x' }] },
          vulnerabilities: [
            {
              id: 'CVE-2021-23337',
              analysis: { state: 'not_affected', justification: 'code_not_reachable' },
              affects: [{ ref: LODASH, versions: [{ range: 'vers:npm/<4.17.21', status: 'unaffected' }] }],
            },
          ],
        }),
      );

      // Act
      const [s] = parseCycloneDxVex(bytes).statements;

      // Assess
      expect(s?.products).toEqual([]);
    });
  });
});

describe('Function: parseOpenVex', () => {
  const doc = (statements: unknown[], extra: Record<string, unknown> = {}): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'Platform Security',
        timestamp: '2026-02-01T00:00:00Z',
        version: 1,
        statements,
        ...extra,
      }),
    );

  describe('when a not_affected statement has neither justification nor impact_statement', () => {
    it('rejects the document', () => {
      // Prepare
      const bytes = doc([
        { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': IMAGE_PURL }], status: 'not_affected' },
      ]);

      // Act
      const act = () => parseOpenVex(bytes);

      // Assess
      expect(act).toThrow(InvalidInputError);
      expect(act).toThrow(/justification or an impact_statement/);
    });
  });

  describe('when an affected statement has no action_statement', () => {
    it('rejects the document', () => {
      // Prepare
      const bytes = doc([
        { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': LODASH }], status: 'affected' },
      ]);

      // Act
      const act = () => parseOpenVex(bytes);

      // Assess
      expect(act).toThrow(/action_statement/);
    });
  });

  describe('when neither the statement nor the document has a timestamp', () => {
    it('rejects the document: the statement could not expire', () => {
      // Prepare
      const bytes = doc(
        [{ vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': LODASH }], status: 'fixed' }],
        {
          timestamp: undefined,
        },
      );

      // Act
      const act = () => parseOpenVex(bytes);

      // Assess
      expect(act).toThrow(/no timestamp/);
    });
  });

  describe('when products carry different subcomponents', () => {
    it('splits the statement so no subcomponent is paired with the wrong product', () => {
      // Prepare
      const bytes = doc([
        {
          vulnerability: { name: 'CVE-2021-23337', aliases: ['GHSA-35jh-r3h4-6jhm'] },
          products: [
            { '@id': `pkg:oci/other@sha256%3A${OTHER_HEX}`, subcomponents: [{ '@id': LODASH }] },
            { identifiers: { purl: IMAGE_PURL }, hashes: { 'sha-256': HEX.toUpperCase() } },
          ],
          status: 'fixed',
          last_updated: '2026-02-10T00:00:00Z',
        },
      ]);

      // Act
      const vex = parseOpenVex(bytes);

      // Assess
      expect(vex.statementCount).toBe(1);
      expect(vex.statements.map((s) => [s.products, s.subcomponents])).toEqual([
        [[`pkg:oci/other@sha256%3A${OTHER_HEX}`], [LODASH]],
        [[IMAGE_PURL, DIGEST], []],
      ]);
      expect(vex.statements[0]?.aliases).toEqual(['GHSA-35jh-r3h4-6jhm']);
      expect(vex.statements[0]?.issued).toBe('2026-02-10T00:00:00.000Z');
    });
  });

  describe('when the document is above the size limit', () => {
    it('refuses it before parsing', () => {
      // Prepare
      const bytes = new Uint8Array(16 * 1024 * 1024 + 1);

      // Act
      const act = () => parseOpenVex(bytes);

      // Assess
      expect(act).toThrow(/above the limit/);
    });
  });
});
