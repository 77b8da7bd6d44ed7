/**
 * Every VEX file of the vendored corpus (test/corpus/data/openvex/ and the CycloneDX VEX example
 * sbom-cyclonedx/bom-examples/vex-use-case-1.cdx.json) parses or fails as MANIFEST.md says, with
 * the statement counts and statuses it states or that follow from reading each file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import type { VulnerabilityFinding } from '../../lambdas/domain/ports.js';
import { applyVex } from '../../lambdas/domain/vex/apply.js';
import { parseCycloneDxVex } from '../../lambdas/domain/vex/cyclonedx-vex.js';
import { parseOpenVex, parseOpenVexLegacy } from '../../lambdas/domain/vex/openvex.js';
import { withMaxAge } from '../../lambdas/domain/vex/statement.js';

const DATA = join(import.meta.dirname, 'data');
const OPENVEX_DIR = join(DATA, 'openvex');
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(join(DATA, file)));

const ALPINE_DIGEST = 'sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126';
const ALPINE_PRODUCT = 'pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(DATA, join(e.parentPath, e.name)))
    .sort();
}

/** MANIFEST rows for openvex/*, file by file, and the CycloneDX VEX example. */
const FILES = {
  v020: 'openvex/go-vex/v0.2.0.json',
  v001: 'openvex/go-vex/v0.0.1.json',
  v001NoVersion: 'openvex/go-vex/v0.0.1-noversion.json',
  v020Merge1: 'openvex/go-vex/v020-1.vex.json',
  v020Merge2: 'openvex/go-vex/v020-2.vex.json',
  trivy: 'openvex/trivy/openvex.json',
  jsonSchema: 'openvex/spec/openvex_json_schema.json',
  cyclonedxVex: 'sbom-cyclonedx/bom-examples/vex-use-case-1.cdx.json',
} as const;

describe('Corpus: OpenVEX and CycloneDX VEX', () => {
  describe('when listing test/corpus/data/openvex', () => {
    it('has exactly the files the MANIFEST describes (each is tested below)', () => {
      // Act
      const files = filesUnder(OPENVEX_DIR);

      // Assess
      expect(files).toEqual(
        [
          FILES.v001NoVersion,
          FILES.v001,
          FILES.v020,
          FILES.v020Merge1,
          FILES.v020Merge2,
          FILES.jsonSchema,
          FILES.trivy,
        ].sort(),
      );
    });
  });

  describe('Function: parseOpenVex', () => {
    describe('when given go-vex v0.2.0.json', () => {
      it('reads 5 statements for the alpine image, CVE-2023-3446/3817 not_affected (vulnerable_code_not_present)', () => {
        // Act
        const vex = parseOpenVex(read(FILES.v020));

        // Assess
        expect(vex.format).toBe('openvex-0.2.0');
        expect(vex.author).toBe('The OpenVEX Project <openvex@openssf.org>');
        expect(vex.statementCount).toBe(5);
        expect(vex.statements.map((s) => [s.vulnerability, s.status, s.justification ?? null])).toEqual([
          ['CVE-2023-1255', 'fixed', null],
          ['CVE-2023-2650', 'fixed', null],
          ['CVE-2023-2975', 'fixed', null],
          ['CVE-2023-3446', 'not_affected', 'vulnerable_code_not_present'],
          ['CVE-2023-3817', 'not_affected', 'vulnerable_code_not_present'],
        ]);
        for (const s of vex.statements) {
          expect(s.products).toEqual([ALPINE_PRODUCT]);
          expect(s.subcomponents).toEqual(['pkg:apk/alpine/libcrypto3@3.0.8-r3', 'pkg:apk/alpine/libssl3@3.0.8-r3']);
          // Statements inherit the document timestamp (2023-07-17T18:28:47.696004345-06:00).
          expect(s.issued).toBe('2023-07-18T00:28:47.696Z');
          expect(s.expires).toBeUndefined();
        }
      });
    });
  });

  /** Documents of one statement: the parser, the file, and the statement it reads. */
  const ONE_STATEMENT = [
    ...(
      [
        [FILES.v020Merge1, 'CVE-9876-54321', 'pkg:apk/wolfi/bash@1.0.0'],
        [FILES.v020Merge2, 'CVE-1234-5678', 'pkg:apk/wolfi/git@2.41.0-1'],
      ] as const
    ).map(
      ([file, vulnerability, product]) =>
        [
          'parseOpenVex',
          `the merge-test document ${file}`,
          'reads one under_investigation statement dated by its own timestamp',
          () => parseOpenVex(read(file)),
          {
            vulnerability,
            status: 'under_investigation',
            products: [product],
            subcomponents: [],
            author: 'John Doe',
            issued: '2022-12-22T21:36:43.000Z',
          },
        ] as const,
    ),
    [
      'parseOpenVex',
      'trivy openvex.json (vulnerability as @id)',
      'reads CVE-2022-23628 not_affected (vulnerable_code_not_in_execute_path) for opa v0.35.0',
      () => parseOpenVex(read(FILES.trivy)),
      {
        vulnerability: 'CVE-2022-23628',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impactStatement: "The vulnerable code isn't called",
        products: ['pkg:golang/github.com/testdata/testdata'],
        subcomponents: ['pkg:golang/github.com/open-policy-agent/opa@v0.35.0'],
        author: 'Aqua Security',
      },
    ] as const,
    ...[FILES.v001, FILES.v001NoVersion].map(
      (file) =>
        [
          'parseOpenVexLegacy',
          file,
          'reads the vulnerability and products strings as go-vex Open() does',
          () => parseOpenVexLegacy(read(file)),
          {
            vulnerability: 'CVE-2023-12345',
            status: 'fixed',
            products: ['pkg:apk/wolfi/git@2.39.0-r1?arch=armv7', 'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64'],
            author: 'Wolfi J Inkinson',
            issued: '2023-01-09T00:02:03.647Z',
          },
          'openvex-0.0.1',
        ] as const,
    ),
    [
      'parseCycloneDxVex',
      'bom-examples VEX use case 1',
      'reads CVE-2020-25649 not_affected (code_not_reachable) for the acme-product bom-ref',
      () => parseCycloneDxVex(read(FILES.cyclonedxVex)),
      {
        vulnerability: 'CVE-2020-25649',
        status: 'not_affected',
        sourceStatus: 'not_affected',
        justification: 'code_not_reachable',
        // The bom-ref's component has no purl: the ref stays as written and matches nothing.
        products: ['acme-product'],
        // The BOM names no author, supplier or manufacturer.
        author: '',
        issued: '2022-01-13T00:00:00.000Z',
      },
      'cyclonedx',
    ] as const,
  ];

  describe.each(ONE_STATEMENT)('Function: %s', (_fn, given, then, parse, statement, format?: string) => {
    describe(`when given ${given}`, () => {
      it(then, () => {
        // Act
        const vex = parse();

        // Assess
        if (format !== undefined) expect(vex.format).toBe(format);
        expect(vex.statements).toHaveLength(1);
        expect(vex.statements[0]).toMatchObject(statement);
      });
    });
  });

  describe.each([
    [
      'parseOpenVex',
      'the OpenVEX JSON schema itself',
      'rejects it: a schema is not a VEX document',
      () => parseOpenVex(read(FILES.jsonSchema)),
      undefined,
    ],
    ...[FILES.v001, FILES.v001NoVersion].map(
      (file) =>
        [
          'parseOpenVex',
          `the legacy v0.0.1 document ${file}`,
          'fails the strict v0.2.0 parse and names the compat path',
          () => parseOpenVex(read(file)),
          /v0\.0\.1 document; see parseOpenVexLegacy/,
        ] as const,
    ),
    [
      'parseOpenVexLegacy',
      'a v0.2.0 document',
      'rejects it (v0.2.0 goes through parseOpenVex)',
      () => parseOpenVexLegacy(read(FILES.v020)),
      undefined,
    ],
  ] as const)('Function: %s', (_fn, given, then, act, says) => {
    describe(`when given ${given}`, () => {
      it(then, () => {
        // Act & Assess
        expect(act).toThrow(InvalidInputError);
        if (says !== undefined) expect(act).toThrow(says);
      });
    });
  });

  describe('Function: applyVex on go-vex v0.2.0.json', () => {
    describe('when the scanned image is the alpine digest the document names', () => {
      it('suppresses the libssl3 findings of its fixed and not_affected CVEs and keeps the rest', () => {
        // Prepare
        const statements = withMaxAge(parseOpenVex(read(FILES.v020)).statements, 90);
        const finding = (id: string, purl: string): VulnerabilityFinding => ({
          id,
          aliases: [],
          severity: 'HIGH',
          packageName: 'libssl3',
          packageVersion: '3.0.8-r3',
          purl,
        });
        const findings = [
          finding('CVE-2023-3446', 'pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64'),
          finding('CVE-2023-1255', 'pkg:apk/alpine/libcrypto3@3.0.8-r3'),
          finding('CVE-2023-3446', 'pkg:apk/alpine/busybox@1.36.1-r0'),
          finding('CVE-2024-0001', 'pkg:apk/alpine/libssl3@3.0.8-r3'),
        ];

        // Act
        const outcome = applyVex(findings, statements, {
          imageDigest: ALPINE_DIGEST,
          repository: 'library/alpine',
          now: new Date('2023-08-01T00:00:00Z'),
        });

        // Assess
        expect(outcome.suppressed.map((s) => [s.finding.id, s.finding.purl])).toEqual([
          ['CVE-2023-3446', 'pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64'],
          ['CVE-2023-1255', 'pkg:apk/alpine/libcrypto3@3.0.8-r3'],
        ]);
        expect(outcome.remaining.map((f) => f.purl)).toEqual([
          'pkg:apk/alpine/busybox@1.36.1-r0',
          'pkg:apk/alpine/libssl3@3.0.8-r3',
        ]);
      });
    });

    describe('when 90 days have passed since the document was issued', () => {
      it('applies none of it and says each statement expired', () => {
        // Prepare
        const statements = withMaxAge(parseOpenVex(read(FILES.v020)).statements, 90);
        const findings: VulnerabilityFinding[] = [
          {
            id: 'CVE-2023-3446',
            aliases: [],
            severity: 'HIGH',
            packageName: 'libssl3',
            packageVersion: '3.0.8-r3',
            purl: 'pkg:apk/alpine/libssl3@3.0.8-r3',
          },
        ];

        // Act
        const outcome = applyVex(findings, statements, {
          imageDigest: ALPINE_DIGEST,
          repository: 'library/alpine',
          now: new Date('2023-10-17T00:28:47.696Z'),
        });

        // Assess
        expect(outcome.remaining).toEqual(findings);
        expect(outcome.notApplied.map((n) => n.code)).toEqual(Array(5).fill('EXPIRED'));
        expect(outcome.notApplied[3]?.reason).toContain('expired at 2023-10-16T00:28:47.696Z');
      });
    });
  });
});
