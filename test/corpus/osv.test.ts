/**
 * The OSV matcher against the real advisories in test/corpus/data/osv-advisories/. Every
 * "expected outcome" of MANIFEST.md §1 is one test below ("aff" → affected, "not" → not affected,
 * withdrawn → never). Outcomes marked "record-derived" are not in the MANIFEST; they follow from
 * the record's own events and are added where the MANIFEST says "per record".
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { affects, matchRecord, severityOf } from '../../lambdas/domain/osv/match.js';
import { type OsvRecord, osvFormatOf, parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { scanComponents } from '../../lambdas/domain/scan/local-scanner.js';

const DIR = fileURLToPath(new URL('./data/osv-advisories/', import.meta.url));

function record(file: string): OsvRecord {
  const format = osvFormatOf(file);
  if (format === null) throw new Error(`not an advisory file: ${file}`);
  return parseOsvRecord(readFileSync(`${DIR}${file}`), format, file);
}

interface Case {
  readonly file: string;
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
  readonly affected: boolean;
}

const c = (file: string, ecosystem: string, name: string, version: string, affected: boolean): Case => ({
  file,
  ecosystem,
  name,
  version,
  affected,
});

/** One package of an advisory: the versions it affects, and those it does not. */
const m = (file: string, ecosystem: string, name: string, affected: string[], notAffected: string[]): Case[] => [
  ...affected.map((version) => c(file, ecosystem, name, version, true)),
  ...notAffected.map((version) => c(file, ecosystem, name, version, false)),
];

const LOG4J = 'Maven/GHSA-jfh8-c2jp-5v3q.json';
const LOG4J_CORE = 'org.apache.logging.log4j:log4j-core';
const MINIMIST = 'npm/GHSA-xvch-5gv4-984h.json';
const LODASH = 'npm/GHSA-jf85-cpcp-j695.json';
const URLLIB3_43804 = 'PyPI/GHSA-v845-jxx5-vc9f.json';
const URLLIB3_37891 = 'PyPI/GHSA-34jh-p97f-mpxf.json';
const REQUESTS = 'PyPI/GHSA-j8r2-6x86-q33q.json';
const REQUESTS_YAML = 'PyPI-pysec-yaml/PYSEC-2023-74.yaml';
const URLLIB3_YAML = 'PyPI-pysec-yaml/PYSEC-2023-192.yaml';

/** MANIFEST §1, row by row. */
const MANIFEST_CASES: readonly Case[] = [
  m(LOG4J, 'Maven', LOG4J_CORE, ['2.14.1', '2.12.1', '2.3', '2.0-beta9'], ['2.15.0', '2.12.2', '2.3.1', '2.0-beta8']),
  m(LOG4J, 'Maven', 'com.guicedee.services:log4j-core', ['1.2.1.2-jre17'], []),
  m(LOG4J, 'Maven', 'org.xbib.elasticsearch:log4j', ['6.3.2.1'], ['6.3.2.2']),
  m(MINIMIST, 'npm', 'minimist', ['1.2.5', '0.2.3', '1.0.0'], ['1.2.6', '0.2.4', '0.3.0']),
  m(LODASH, 'npm', 'lodash', ['4.17.11'], ['4.17.12']),
  m(LODASH, 'npm', 'lodash-es', ['4.17.13'], ['4.17.14']),
  m(LODASH, 'npm', 'lodash.defaultsdeep', ['4.6.0'], ['4.6.1']),
  m(URLLIB3_43804, 'PyPI', 'urllib3', ['1.26.16', '2.0.0', '2.0.5'], ['1.26.17', '2.0.6', '2.2.0']),
  m(URLLIB3_37891, 'PyPI', 'urllib3', ['1.26.18', '2.2.1', '2.0.0'], ['1.26.19', '2.2.2']),
  m(REQUESTS, 'PyPI', 'requests', ['2.3.0', '2.10.0', '2.30.0'], ['2.2.1', '2.31.0']),
  m('PyPI/GHSA-h5c8-rqwp-cp95.json', 'PyPI', 'jinja2', ['3.1.2'], ['3.1.3']),
  m('PyPI/GHSA-3863-2447-669p.json', 'PyPI', 'transformers', ['4.35.2', '4.36.0rc1'], ['4.36.0']),
  m('PyPI/GHSA-47fc-vmwq-366v.json', 'PyPI', 'torch', ['1.13.0'], ['1.13.1', '2.0.0']),
  m('PyPI/GHSA-w2r7-9579-27hf.json', 'PyPI', 'vllm', ['0.5.4'], ['0.5.5', '0.5.5.post1']),
  m(REQUESTS_YAML, 'PyPI', 'requests', ['2.3.0', '2.10.0', '2.30.0'], ['2.2.1', '2.31.0']),
  m('PyPI-pysec-yaml/PYSEC-2022-43015.yaml', 'PyPI', 'torch', ['1.13.0'], ['1.13.1']),
  m('PyPI-pysec-yaml/PYSEC-2022-42969.yaml', 'PyPI', 'py', ['1.11.0', '1.10.0'], ['1.11.1']),
  // "cross-check with GHSA-v845": the YAML twin gives the same outcomes.
  m(URLLIB3_YAML, 'PyPI', 'urllib3', ['1.26.16', '2.0.0', '2.0.5'], ['1.26.17', '2.0.6', '2.2.0']),
  m('Debian/DSA-3029-1.json', 'Debian:7', 'nginx', ['1.2.1-2.2+wheezy2', '1.2.1-2.2'], ['1.2.1-2.2+wheezy3']),
  m('Debian/DSA-3029-1.json', 'Debian:8', 'nginx', [], ['1.2.1-2.2+wheezy2']),
  m(
    'Ubuntu/UBUNTU-CVE-2025-38094.json',
    'Ubuntu:Pro:14.04:LTS',
    'linux',
    ['3.13.0-206.257', '3.11.0-12.19', '3.13.0-999.999', '0.1-1'],
    [],
  ),
  m('Alpine/CVE-2018-5407.json', 'Alpine:v3.8', 'openssl', ['1.0.2p-r0'], ['1.0.2q-r0']),
  m('Alpine/CVE-2018-5407.json', 'Alpine:v3.9', 'openssl', [], ['1.0.2p-r0']),
  m('Go/GO-2020-0001.json', 'Go', 'github.com/gin-gonic/gin', ['1.5.0'], ['1.6.0']),
  m(
    'osv-schema-ghsa-converter/multiple_ranges_in_package.osv.json',
    'RubyGems',
    'passenger',
    ['3.0.20', '4.0.1'],
    ['3.0.21', '4.0.5'],
  ),
  m(
    'osv-schema-ghsa-converter/full_ranges.osv.json',
    'Maven',
    'com.typesafe.akka:akka-actor_2.12',
    ['2.5.15'],
    ['2.5.16', '2.4.20'],
  ),
  m(
    'osv-schema-ghsa-converter/full_ranges.osv.json',
    'Maven',
    'com.typesafe.akka:akka-actor_2.11',
    ['2.5.15'],
    ['2.4.20'],
  ),
  m(
    'osv-schema-ghsa-converter/less_than_equals_no_patch.osv.json',
    'npm',
    'shiba',
    ['0.0.1', '1.0.0', '99.3.7-beta.1'],
    [],
  ),
].flat();

/** Not in the MANIFEST: outcomes that follow from the records' own events ("per record"). */
const RECORD_DERIVED_CASES: readonly Case[] = [
  m('PyPI-pysec-yaml/PYSEC-2021-66.yaml', 'PyPI', 'jinja2', ['2.11.2'], ['2.11.3']),
  m('PyPI-pysec-yaml/PYSEC-2021-66.yaml', 'PyPI', 'Jinja2', ['2.0rc1'], []),
  m('Go/GO-2024-2963.json', 'Go', 'stdlib', ['1.21.11', '1.22.0'], ['1.21.12', '1.22.5']),
].flat();

/** Withdrawn records: a version inside their ranges must still not match. */
const WITHDRAWN: readonly Case[] = [
  c('PyPI/PYSEC-2021-63.withdrawn.json', 'PyPI', 'cryptography', '3.2', true),
  c('PyPI-pysec-yaml/PYSEC-2023-73.yaml', 'PyPI', 'redis', '4.5.4', true),
  c('osv-schema-ghsa-converter/withdrawn.osv.json', 'RubyGems', 'activesupport', '4.2.1', true),
];

function label(k: Case): string {
  return `${k.ecosystem} ${k.name} ${k.version} is ${k.affected ? 'affected' : 'not affected'}`;
}

/** The advisory affects (or does not affect) the package version the case names. */
function expectAffects(k: Case): void {
  // Prepare
  const advisory = record(k.file);

  // Act
  const result = affects(advisory, { ecosystem: k.ecosystem, name: k.name, version: k.version });

  // Assess
  expect(result).toBe(k.affected);
}

describe('Function: affects (corpus)', () => {
  describe.each([...new Set(MANIFEST_CASES.map((k) => k.file))])('when matching %s', (file) => {
    it.each(MANIFEST_CASES.filter((k) => k.file === file).map((k) => [label(k), k] as const))('%s', (_, k) =>
      expectAffects(k),
    );
  });

  describe('when an outcome is derived from the record itself', () => {
    it.each(RECORD_DERIVED_CASES.map((k) => [`${k.file}: ${label(k)}`, k] as const))('%s', (_, k) => expectAffects(k));
  });

  describe('when the record is withdrawn', () => {
    it.each(WITHDRAWN.map((k) => [k.file, k] as const))('%s never matches', (_, k) => {
      // Prepare
      const advisory = record(k.file);
      const query = { ecosystem: k.ecosystem, name: k.name, version: k.version };
      const { withdrawn: _withdrawn, ...unwithdrawn } = advisory;

      // Act
      const result = affects(advisory, query);
      const control = affects(unwithdrawn, query);

      // Assess: the version is inside the ranges, only `withdrawn` keeps it from matching.
      expect(advisory.withdrawn).toBeDefined();
      expect(control).toBe(true);
      expect(result).toBe(false);
    });
  });

  describe('when a version is affected and fixed', () => {
    it('reports the fix of the range the version is in', () => {
      // Prepare
      const advisory = record('osv-schema-ghsa-converter/multiple_ranges_in_package.osv.json');

      // Act
      const old = matchRecord(advisory, { ecosystem: 'RubyGems', name: 'passenger', version: '3.0.20' });
      const newer = matchRecord(advisory, { ecosystem: 'RubyGems', name: 'passenger', version: '4.0.2' });

      // Assess
      expect(old).toEqual({ affected: true, fixedIn: '3.0.21' });
      expect(newer).toEqual({ affected: true, fixedIn: '4.0.5' });
    });
  });
});

describe('Function: severityOf (corpus)', () => {
  it.each([
    [LOG4J, 'CRITICAL'],
    [MINIMIST, 'CRITICAL'],
    [URLLIB3_43804, 'MEDIUM'],
    ['PyPI/GHSA-w2r7-9579-27hf.json', 'HIGH'],
    ['Alpine/CVE-2018-5407.json', 'MEDIUM'],
    ['Ubuntu/UBUNTU-CVE-2025-38094.json', 'MEDIUM'],
    ['Debian/DSA-3029-1.json', 'UNDEFINED'],
  ] as const)('rates %s as %s', (file, expected) => {
    // Prepare
    const advisory = record(file);

    // Act
    const severity = severityOf(advisory);

    // Assess
    expect(severity).toBe(expected);
  });
});

describe('Function: scanComponents (corpus)', () => {
  describe('when a GHSA and its PYSEC twin both match', () => {
    it('reports one finding under the CVE id, with both ids as aliases and the higher severity', () => {
      // Prepare
      const advisories = [record(URLLIB3_43804), record(URLLIB3_YAML)];
      const components = [
        { name: 'urllib3', purl: 'pkg:pypi/urllib3@2.0.5', licenses: [], scope: 'application' as const },
      ];

      // Act
      const report = scanComponents(components, advisories);

      // Assess
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        id: 'CVE-2023-43804',
        // GHSA says MODERATE; PYSEC carries NVD's vector AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N (8.1).
        severity: 'HIGH',
        packageName: 'urllib3',
        packageVersion: '2.0.5',
        fixedIn: '2.0.6',
      });
      expect(report.findings[0]?.aliases).toEqual(expect.arrayContaining(['GHSA-v845-jxx5-vc9f', 'PYSEC-2023-192']));
    });
  });
});
