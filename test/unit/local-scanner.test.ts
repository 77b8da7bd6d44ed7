import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { type OsvRecord, OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { componentCoordinates, scanComponents } from '../../lambdas/domain/scan/local-scanner.js';

function component(purl: string | undefined, name = 'x', version?: string): Component {
  return {
    name,
    ...(version !== undefined && { version }),
    ...(purl !== undefined && { purl }),
    licenses: [],
    scope: 'application',
  };
}

function advisory(input: unknown): OsvRecord {
  return OsvRecordSchema.parse(input);
}

const range = (introduced: string, fixed: string) => ({
  type: 'ECOSYSTEM',
  events: [{ introduced }, { fixed }],
});

const MINIMIST = advisory({
  id: 'GHSA-xvch-5gv4-984h',
  aliases: ['CVE-2021-44906'],
  summary: 'Prototype Pollution in minimist',
  affected: [{ package: { ecosystem: 'npm', name: 'minimist' }, ranges: [range('1.0.0', '1.2.6')] }],
  database_specific: { severity: 'CRITICAL' },
});

describe('Function: scanComponents', () => {
  describe('when a component is in an advisory range', () => {
    it('reports a finding with the CVE id, severity, purl and fix', () => {
      // Prepare
      const components = [component('pkg:npm/minimist@1.2.5', 'minimist')];

      // Act
      const report = scanComponents(components, [MINIMIST], { now: new Date('2026-01-02T03:04:05Z') });

      // Assess
      expect(report).toEqual({
        status: 'COMPLETE',
        scanner: 'release-gate-osv',
        completedAt: '2026-01-02T03:04:05.000Z',
        findings: [
          {
            id: 'CVE-2021-44906',
            aliases: ['GHSA-xvch-5gv4-984h'],
            severity: 'CRITICAL',
            packageName: 'minimist',
            packageVersion: '1.2.5',
            purl: 'pkg:npm/minimist@1.2.5',
            fixedIn: '1.2.6',
            title: 'Prototype Pollution in minimist',
          },
        ],
        unevaluated: [],
        advisoryCount: 1,
      });
    });
  });

  describe('when a component is outside every range', () => {
    it('reports no finding and nothing unevaluated', () => {
      // Prepare
      const components = [component('pkg:npm/minimist@1.2.6', 'minimist')];

      // Act
      const report = scanComponents(components, [MINIMIST]);

      // Assess
      expect(report.findings).toEqual([]);
      expect(report.unevaluated).toEqual([]);
    });
  });

  describe('when the same component is listed twice', () => {
    it('reports its vulnerability once', () => {
      // Prepare
      const components = [component('pkg:npm/minimist@1.2.5'), component('pkg:npm/minimist@1.2.5')];

      // Act
      const report = scanComponents(components, [MINIMIST]);

      // Assess
      expect(report.findings).toHaveLength(1);
    });
  });

  describe('when two advisories describe the same CVE', () => {
    it('reports one finding per package with the union of ids and the higher severity', () => {
      // Prepare
      const twin = advisory({
        id: 'OSV-2021-0001',
        aliases: ['CVE-2021-44906', 'GHSA-xvch-5gv4-984h'],
        affected: [{ package: { ecosystem: 'npm', name: 'minimist' }, ranges: [range('0', '1.2.6')] }],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N' }],
      });
      const components = [component('pkg:npm/minimist@1.2.5')];

      // Act
      const report = scanComponents(components, [twin, MINIMIST]);

      // Assess
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        id: 'CVE-2021-44906',
        aliases: ['GHSA-xvch-5gv4-984h', 'OSV-2021-0001'],
        severity: 'CRITICAL',
      });
    });

    it('keeps separate findings for separate packages', () => {
      // Prepare
      const shared = advisory({
        id: 'GHSA-aaaa-bbbb-cccc',
        aliases: ['CVE-2099-0001'],
        affected: [
          { package: { ecosystem: 'npm', name: 'a' }, ranges: [range('0', '2.0.0')] },
          { package: { ecosystem: 'npm', name: 'b' }, ranges: [range('0', '2.0.0')] },
        ],
      });

      // Act
      const report = scanComponents([component('pkg:npm/a@1.0.0'), component('pkg:npm/b@1.0.0')], [shared]);

      // Assess
      expect(report.findings.map((f) => f.packageName)).toEqual(['a', 'b']);
    });
  });

  describe('when an advisory is withdrawn', () => {
    it('is not reported', () => {
      // Prepare
      const withdrawn = advisory({ ...MINIMIST, withdrawn: '2022-01-01T00:00:00Z' });

      // Act
      const report = scanComponents([component('pkg:npm/minimist@1.2.5')], [withdrawn]);

      // Assess
      expect(report.findings).toEqual([]);
    });
  });

  describe('when a distribution package carries its release in the purl', () => {
    const dsa = advisory({
      id: 'DSA-3029-1',
      aliases: ['CVE-2014-3616'],
      affected: [{ package: { ecosystem: 'Debian:7', name: 'nginx' }, ranges: [range('0', '1.2.1-2.2+wheezy3')] }],
    });

    it('matches an advisory for that release', () => {
      // Act
      const report = scanComponents([component('pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2?distro=debian-7')], [dsa]);

      // Assess
      expect(report.findings.map((f) => f.id)).toEqual(['CVE-2014-3616']);
    });

    it('matches by release codename too', () => {
      // Act
      const report = scanComponents([component('pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2?distro=wheezy')], [dsa]);

      // Assess
      expect(report.findings).toHaveLength(1);
    });

    it('does not match an advisory for another release', () => {
      // Act
      const report = scanComponents([component('pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2?distro=debian-8')], [dsa]);

      // Assess
      expect(report.findings).toEqual([]);
      expect(report.unevaluated).toEqual([]);
    });

    it('matches every release when the purl does not name one (fail closed)', () => {
      // Act
      const report = scanComponents([component('pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2')], [dsa]);

      // Assess
      expect(report.findings).toHaveLength(1);
    });

    it('derives Alpine and Ubuntu ecosystems from the distro qualifier', () => {
      // Act
      const alpine = componentCoordinates(component('pkg:apk/alpine/openssl@1.0.2p-r0?distro=3.8.5'));
      const ubuntu = componentCoordinates(component('pkg:deb/ubuntu/linux@3.13.0-1.16?distro=ubuntu-14.04'));

      // Assess
      expect(alpine).toMatchObject({ ecosystem: 'Alpine:v3.8', name: 'openssl', version: '1.0.2p-r0' });
      expect(ubuntu).toMatchObject({ ecosystem: 'Ubuntu:14.04', name: 'linux' });
    });
  });

  describe('when a purl has a namespace', () => {
    it.each([
      ['pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', 'Maven', 'org.apache.logging.log4j:log4j-core'],
      ['pkg:npm/%40babel/core@7.0.0', 'npm', '@babel/core'],
      ['pkg:golang/github.com/gin-gonic/gin@v1.5.0', 'Go', 'github.com/gin-gonic/gin'],
    ])('names %s as OSV does', (purl, ecosystem, name) => {
      // Act
      const coords = componentCoordinates(component(purl));

      // Assess
      expect(coords).toMatchObject({ ecosystem, name });
    });
  });

  describe('when a component cannot be evaluated', () => {
    it.each([
      [component(undefined, 'libfoo', '1.0'), 'component has no purl, so its ecosystem is unknown'],
      [component('pkg:generic/openssl@3.0.0', 'openssl'), 'purl type generic has no OSV ecosystem'],
      [
        component('pkg:nuget/Newtonsoft.Json@12.0.1', 'Newtonsoft.Json'),
        'no version ordering is known for ecosystem NuGet',
      ],
      [component('pkg:deb/raspbian/curl@7.0-1', 'curl'), 'purl deb namespace "raspbian" is not a known distribution'],
    ])('lists %o as unevaluated: %s', (c, reason) => {
      // Act
      const report = scanComponents([c], [MINIMIST]);

      // Assess
      expect(report.status).toBe('COMPLETE');
      expect(report.findings).toEqual([]);
      expect(report.unevaluated).toEqual([expect.objectContaining({ reason })]);
    });

    it('lists a version the ecosystem cannot order when an advisory names the package', () => {
      // Prepare
      const components = [component('pkg:npm/minimist@not-a-version', 'minimist')];

      // Act
      const report = scanComponents(components, [MINIMIST]);

      // Assess
      expect(report.findings).toEqual([]);
      expect(report.unevaluated).toEqual([
        {
          name: 'minimist',
          version: 'not-a-version',
          reason: 'GHSA-xvch-5gv4-984h: version "not-a-version" is not a valid SemVer version',
        },
      ]);
    });
  });

  describe('when findings have different severities', () => {
    it('lists the most severe first', () => {
      // Prepare
      const low = advisory({
        id: 'GHSA-low',
        affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [range('0', '9')] }],
        database_specific: { severity: 'LOW' },
      });
      const components = [component('pkg:npm/a@1.0.0'), component('pkg:npm/minimist@1.2.5')];

      // Act
      const report = scanComponents(components, [low, MINIMIST]);

      // Assess
      expect(report.findings.map((f) => [f.id, f.severity])).toEqual([
        ['CVE-2021-44906', 'CRITICAL'],
        ['GHSA-low', 'LOW'],
      ]);
    });
  });
});

describe('Function: loadAdvisories', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'advisories-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when reading the vendored advisory corpus', () => {
    it('loads every JSON and YAML record below the folder', async () => {
      // Prepare
      const corpus = fileURLToPath(new URL('../corpus/data/osv-advisories/', import.meta.url));

      // Act
      const records = await loadAdvisories(corpus);

      // Assess
      expect(records).toHaveLength(26);
      expect(records.map((r) => r.id)).toContain('PYSEC-2022-42969');
    });
  });

  describe('when a file does not parse', () => {
    it('throws naming the file', async () => {
      // Prepare
      mkdirSync(join(dir, 'npm'));
      writeFileSync(join(dir, 'npm', 'good.json'), JSON.stringify({ id: 'GOOD-1' }));
      writeFileSync(join(dir, 'npm', 'broken.json'), '{"id": ');

      // Act
      const act = loadAdvisories(dir);

      // Assess
      await expect(act).rejects.toThrow(join(dir, 'npm', 'broken.json'));
    });
  });

  describe('when a file is not an OSV record', () => {
    it('throws naming the file', async () => {
      // Prepare
      writeFileSync(join(dir, 'bad.yaml'), 'summary: no id here\n');

      // Act
      const act = loadAdvisories(dir);

      // Assess
      await expect(act).rejects.toThrow(/OSV record .*bad\.yaml: id: /);
    });
  });

  describe('when a file is larger than the advisory limit', () => {
    it('throws naming the file, before parsing it', async () => {
      // Prepare
      const path = join(dir, 'huge.json');
      writeFileSync(path, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));

      // Act
      const act = loadAdvisories(dir);

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'TooLargeError', message: expect.stringContaining(path) });
    });
  });

  describe('when the folder holds no advisory', () => {
    it('throws rather than report an empty database', async () => {
      // Prepare
      writeFileSync(join(dir, 'README.md'), '# nothing\n');

      // Act
      const act = loadAdvisories(dir);

      // Assess
      await expect(act).rejects.toThrow('holds no .json/.yaml/.yml advisory');
    });

    it('returns nothing when allowed', async () => {
      // Act
      const records = await loadAdvisories(dir, { allowEmpty: true });

      // Assess
      expect(records).toEqual([]);
    });
  });

  describe('when the folder does not exist', () => {
    it('throws NotFoundError', async () => {
      // Act
      const act = loadAdvisories(join(dir, 'missing'));

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'NotFoundError' });
    });
  });
});
