import { describe, expect, it } from 'vitest';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { scanComponents, sourceCoordinates } from '../../lambdas/domain/scan/local-scanner.js';

/** A Debian advisory as OSV publishes them: keyed by the source package. */
const OPENSSL_DSA = parseOsvRecord(
  JSON.stringify({
    id: 'DSA-0000-1',
    aliases: ['CVE-2099-0001'],
    modified: '2026-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }],
      },
    ],
    database_specific: { severity: 'HIGH' },
  }),
  'json',
);

const deb = (purl: string): Component => ({ name: 'x', purl, licenses: [], scope: 'os' });

describe('Function: scanComponents, distribution source packages (issue 10, finding 23)', () => {
  describe('when a binary package names its source package in the upstream qualifier', () => {
    it('is matched against the advisories of its source package (they were silently missed)', () => {
      // Prepare
      const libssl = deb('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl');

      // Act
      const report = scanComponents([libssl], [OPENSSL_DSA]);

      // Assess
      expect(report.findings).toEqual([
        expect.objectContaining({ id: 'CVE-2099-0001', packageName: 'libssl3', packageVersion: '3.0.11-1~deb12u2' }),
      ]);
    });

    it('uses the source version the qualifier gives, and finds nothing once the source is fixed', () => {
      // Prepare: binNMU-style binary version, fixed source version.
      const fixed = deb(
        'pkg:deb/debian/libssl3@3.0.13-1~deb12u1%2Bb1?distro=debian-12&upstream=openssl%403.0.13-1~deb12u1',
      );

      // Act
      const report = scanComponents([fixed], [OPENSSL_DSA]);

      // Assess
      expect(report.findings).toEqual([]);
      expect(
        sourceCoordinates({
          ecosystem: 'Debian:12',
          name: 'libssl3',
          version: '3.0.13-1~deb12u1+b1',
          purl: fixed.purl,
        }),
      ).toEqual([expect.objectContaining({ name: 'openssl', version: '3.0.13-1~deb12u1' })]);
    });
  });

  describe('when a binary package names no source', () => {
    it('is matched by its own name only', () => {
      // Act
      const report = scanComponents([deb('pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12')], [OPENSSL_DSA]);

      // Assess
      expect(report.findings).toEqual([]);
    });
  });
});
