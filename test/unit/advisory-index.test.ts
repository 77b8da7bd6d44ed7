/**
 * The advisory index's pure parts (osv/advisory-index.ts, scan/local-scanner.ts match keys): which
 * listed records a rollback reads, and that a record the matcher matches for a component is always
 * one whose match keys the component's meet (so reading by the index never misses a match).
 */
import { describe, expect, it } from 'vitest';
import { advisoryKeysToRead } from '../../lambdas/domain/osv/advisory-index.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { advisoryMatchKeys, componentMatchKeys, scanComponents } from '../../lambdas/domain/scan/local-scanner.js';

const osv = (doc: object) => parseOsvRecord(new TextEncoder().encode(JSON.stringify(doc)), 'json', 'test');
const component = (purl: string, extra: Partial<Component> = {}): Component => ({
  name: purl,
  purl,
  licenses: [],
  scope: 'application',
  ...extra,
});

describe('Function: advisoryKeysToRead', () => {
  const listed = [
    { key: 'a.json', etag: 'a1' },
    { key: 'b.json', etag: 'b2' },
    { key: 'c.json', etag: 'c1' },
    { key: 'd.json', etag: 'd1' },
  ];

  it('reads the named records at their listed ETag and every record not indexed at it', () => {
    // Prepare: a is indexed and named; b is indexed at an older version (named then); c is
    // indexed and not named; d was never indexed; e is indexed and named but no longer listed.
    const indexed = new Map([
      ['a.json', 'a1'],
      ['b.json', 'b1'],
      ['c.json', 'c1'],
      ['e.json', 'e1'],
    ]);
    const named = [
      { key: 'a.json', etag: 'a1' },
      { key: 'b.json', etag: 'b1' },
      { key: 'e.json', etag: 'e1' },
    ];

    // Act & Assess
    expect(advisoryKeysToRead(listed, indexed, named)).toEqual(['a.json', 'b.json', 'd.json']);
  });

  it('reads an object listed without an ETag whatever the index holds', () => {
    // Act & Assess
    expect(advisoryKeysToRead([{ key: 'c.json', etag: '' }], new Map([['c.json', '']]), [])).toEqual(['c.json']);
  });

  it('does not trust a name at another ETag than the indexed one', () => {
    // Prepare: c's current version (c1) is indexed and names nothing; an older one (c0) named it.
    const indexed = new Map([['c.json', 'c1']]);

    // Act & Assess
    expect(advisoryKeysToRead([{ key: 'c.json', etag: 'c1' }], indexed, [{ key: 'c.json', etag: 'c0' }])).toEqual([]);
  });
});

describe('Function: componentMatchKeys', () => {
  describe('when the matcher matches a record for a component', () => {
    it.each([
      ['a PyPI name spelled another way', 'pkg:pypi/zope-interface@5.0.0', 'PyPI', 'zope.interface'],
      [
        'a Debian binary by its source package',
        'pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl',
        'Debian:12',
        'openssl',
      ],
      ['a Maven artifact', 'pkg:maven/org.example/lib@1.0.0', 'Maven', 'org.example:lib'],
      ['a scoped npm package', 'pkg:npm/%40scope/pkg@1.0.0', 'npm', '@scope/pkg'],
    ])('meets the record’s keys: %s', (_, purl, ecosystem, name) => {
      // Prepare
      const record = osv({ id: 'RG-1', affected: [{ package: { ecosystem, name }, versions: [] }] });
      const affected = osv({
        id: 'RG-1',
        affected: [
          {
            package: { ecosystem, name },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
          },
        ],
      });
      const components = [component(purl)];

      // Act
      const matched = scanComponents(components, [affected]).findings;
      const keys = new Set(componentMatchKeys(components));

      // Assess
      expect(matched.map((f) => f.id)).toEqual(['RG-1']);
      expect(advisoryMatchKeys(record).some((k) => keys.has(k))).toBe(true);
    });
  });

  it('gives a withdrawn record no keys', () => {
    // Act & Assess
    expect(
      advisoryMatchKeys(
        osv({
          id: 'RG-W',
          withdrawn: '2026-01-01T00:00:00Z',
          affected: [{ package: { ecosystem: 'npm', name: 'x' } }],
        }),
      ),
    ).toEqual([]);
  });
});
