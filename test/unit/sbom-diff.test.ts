import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitPurl } from '../../lambdas/domain/purl.js';
import type { Component, NormalizedSbom } from '../../lambdas/domain/sbom/component.js';
import {
  applicationChanges,
  componentKey,
  diffSboms,
  MAX_SUMMARY_BYTES,
  summarizeDiff,
} from '../../lambdas/domain/sbom/diff.js';
import { parseSbom } from '../../lambdas/domain/sbom/parse.js';

const CORPUS = new URL('../corpus/data/', import.meta.url).pathname;

function corpusSbomFiles(): string[] {
  return ['sbom-cyclonedx', 'sbom-spdx'].flatMap((dir) =>
    readdirSync(join(CORPUS, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => join(e.parentPath, e.name)),
  );
}

function npm(name: string, version: string, licenses: string[] = ['MIT']): Component {
  return { name, version, purl: `pkg:npm/${name}@${version}`, ecosystem: 'npm', licenses, scope: 'application' };
}

function deb(name: string, version: string, distro = 'debian-12'): Component {
  return {
    name,
    version,
    purl: `pkg:deb/debian/${name}@${version}?arch=amd64&distro=${distro}`,
    ecosystem: 'deb',
    licenses: [],
    scope: 'os',
  };
}

function sbom(components: Component[]): NormalizedSbom {
  return { format: 'cyclonedx', specVersion: '1.6', components };
}

describe('Function: componentKey', () => {
  it('drops version, qualifiers and subpath from the purl', () => {
    // Act & Assess
    expect(componentKey(deb('bash', '5.2-1'))).toBe('pkg:deb/debian/bash');
  });

  it('reads the identity of every canonical corpus purl as splitPurl does, without parsing it', () => {
    // Prepare: every purl of the real SBOMs in the corpus, canonicalised as parse.ts stores them.
    const purls = corpusSbomFiles().flatMap((file) => {
      try {
        return parseSbom(new Uint8Array(readFileSync(file))).components.flatMap((c) => (c.purl ? [c.purl] : []));
      } catch {
        return []; // the corpus holds deliberately broken SBOMs too
      }
    });
    expect(purls.length).toBeGreaterThan(100);

    // Act & Assess
    for (const purl of purls) {
      expect(componentKey({ name: 'x', purl, licenses: [], scope: 'other' })).toBe(splitPurl(purl)?.base);
    }
  });

  it('falls back to ecosystem and name without a purl', () => {
    // Act & Assess
    expect(componentKey({ name: 'thing', version: '1', licenses: [], scope: 'other' })).toBe('name:/thing');
  });
});

describe('Function: diffSboms', () => {
  describe('when there is no previous SBOM', () => {
    it('reports every component as added and every licence as new', () => {
      // Prepare
      const current = sbom([npm('a', '1.0.0', ['MIT']), npm('b', '2.0.0', ['ISC'])]);

      // Act
      const diff = diffSboms(null, current);

      // Assess
      expect(diff).toEqual({
        added: current.components,
        removed: [],
        changed: [],
        newLicenses: ['ISC', 'MIT'],
        firstRelease: true,
      });
    });
  });

  describe('when components were added, removed and upgraded', () => {
    it('reports each once, keyed by purl without version', () => {
      // Prepare
      const previous = sbom([npm('keep', '1.0.0'), npm('gone', '1.0.0'), npm('up', '1.0.0'), deb('bash', '5.2-1')]);
      const current = sbom([
        npm('keep', '1.0.0'),
        npm('up', '1.1.0'),
        npm('fresh', '0.1.0', ['BSD-3-Clause']),
        deb('bash', '5.2-2', 'debian-12.5'),
      ]);

      // Act
      const diff = diffSboms(previous, current);

      // Assess
      expect(diff.added.map((c) => c.name)).toEqual(['fresh']);
      expect(diff.removed.map((c) => c.name)).toEqual(['gone']);
      expect(diff.changed).toEqual([
        { name: 'bash', purlBase: 'pkg:deb/debian/bash', from: '5.2-1', to: '5.2-2', scope: 'os' },
        { name: 'up', purlBase: 'pkg:npm/up', from: '1.0.0', to: '1.1.0', scope: 'application' },
      ]);
      expect(diff.newLicenses).toEqual(['BSD-3-Clause']);
      expect(diff.firstRelease).toBe(false);
    });
  });

  describe('when one package is present in several versions', () => {
    it('pairs a vanished version with the most similar new one and reports the rest as added', () => {
      // Prepare
      const previous = sbom([npm('lodash', '4.17.20'), npm('lodash', '3.10.1')]);
      const current = sbom([npm('lodash', '4.17.21'), npm('lodash', '3.10.1'), npm('lodash', '2.4.2')]);

      // Act
      const diff = diffSboms(previous, current);

      // Assess
      expect(diff.changed.map((c) => [c.from, c.to])).toEqual([['4.17.20', '4.17.21']]);
      expect(diff.added.map((c) => c.version)).toEqual(['2.4.2']);
      expect(diff.removed).toEqual([]);
    });
  });

  describe('when the SBOMs are identical', () => {
    it('reports nothing', () => {
      // Prepare
      const components = [npm('a', '1.0.0'), deb('bash', '5.2-1')];

      // Act
      const diff = diffSboms(sbom(components), sbom([...components].reverse()));

      // Assess
      expect(diff).toEqual({ added: [], removed: [], changed: [], newLicenses: [], firstRelease: false });
    });
  });
});

describe('Function: applicationChanges', () => {
  it('lists only application-scope changes', () => {
    // Prepare
    const diff = diffSboms(
      sbom([npm('a', '1.0.0'), deb('bash', '5.2-1'), npm('gone', '1.0.0')]),
      sbom([npm('a', '1.0.1'), deb('bash', '5.2-2'), npm('new', '1.0.0')]),
    );

    // Act
    const changes = applicationChanges(diff);

    // Assess
    expect(changes).toEqual(['+new@1.0.0', '-gone@1.0.0', 'a 1.0.0→1.0.1']);
  });
});

describe('Function: summarizeDiff', () => {
  it('counts everything and samples the first entries', () => {
    // Prepare
    const diff = diffSboms(
      sbom([npm('a', '1.0.0')]),
      sbom([
        npm('a', '2.0.0'),
        ...Array.from({ length: 15 }, (_, i) => npm(`p${String(i).padStart(2, '0')}`, '1.0.0')),
      ]),
    );

    // Act
    const summary = summarizeDiff(diff, 3);

    // Assess
    expect(summary).toEqual({
      added: 15,
      removed: 0,
      changed: 1,
      newLicenses: [],
      firstRelease: false,
      addedSample: ['p00@1.0.0', 'p01@1.0.0', 'p02@1.0.0'],
      removedSample: [],
      changedSample: ['a 1.0.0→2.0.0'],
    });
  });

  it('stays under the facts size budget for a huge diff with long names', () => {
    // Prepare
    const long = (i: number) =>
      npm(`${'very-long-package-name-'.repeat(8)}${i}`, `1.0.${i}`, [`LicenseRef-${'x'.repeat(200)}-${i}`]);
    const diff = diffSboms(
      sbom(Array.from({ length: 2000 }, (_, i) => long(i))),
      sbom(Array.from({ length: 2000 }, (_, i) => long(i + 1000))),
    );

    // Act
    const summary = summarizeDiff(diff);

    // Assess
    expect(new TextEncoder().encode(JSON.stringify(summary)).byteLength).toBeLessThan(MAX_SUMMARY_BYTES);
    expect(summary.added + summary.changed + summary.removed).toBeGreaterThan(0);
    expect(summary.added).toBe(diff.added.length);
  });
});
