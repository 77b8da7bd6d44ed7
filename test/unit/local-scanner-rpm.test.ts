/**
 * The local scanner on RPM-based images and on source packages named by the SBOM's own fields
 * (issue 10, finding 23). The SBOMs are real Trivy and Syft output from test/corpus/data.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type OsvRecord, OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { normalizeSbomObject } from '../../lambdas/domain/sbom/parse.js';
import { componentCoordinates, scanComponents } from '../../lambdas/domain/scan/local-scanner.js';

function corpus(path: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../corpus/data/${path}`, import.meta.url)), 'utf8'));
}

function advisory(id: string, ecosystem: string, name: string, fixed: string): OsvRecord {
  return OsvRecordSchema.parse({
    id,
    aliases: [`CVE-2099-${id.slice(-4)}`],
    affected: [
      { package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] },
    ],
    database_specific: { severity: 'HIGH' },
  });
}

const rpm = (purl: string, source?: Component['source']): Component => ({
  name: 'x',
  purl,
  licenses: [],
  scope: 'os',
  ...(source !== undefined && { source }),
});

/** Trivy's CycloneDX SBOM of centos:7 (openssl-libs, epoch 1, built from source rpm openssl). */
const CENTOS7 = normalizeSbomObject(corpus('sbom-cyclonedx/trivy/centos-7-cyclonedx.json')).components;

describe('Function: scanComponents, RPM packages', () => {
  describe('when a Red Hat advisory names the source package of a CentOS 7 binary (Trivy SrcName)', () => {
    it('reports the binary, comparing epoch:version-release', () => {
      // Prepare: openssl-libs 1:1.0.2k-16.el7 is below the fix 1:1.0.2k-19.el7.
      const rhsa = advisory('RHSA-0001', 'Red Hat:enterprise_linux:7::server', 'openssl', '1:1.0.2k-19.el7');

      // Act
      const report = scanComponents(CENTOS7, [rhsa]);

      // Assess
      expect(report.unevaluated).toEqual([]);
      expect(report.findings).toEqual([
        expect.objectContaining({
          id: 'CVE-2099-0001',
          packageName: 'openssl-libs',
          packageVersion: '1:1.0.2k-16.el7',
          fixedIn: '1:1.0.2k-19.el7',
        }),
      ]);
    });

    it('reads the epoch from the purl qualifier, so the fixed version itself is not reported', () => {
      // Prepare: without the epoch, 1.0.2k-16.el7 would be 0:… and below 1:1.0.2k-16.el7.
      const rhsa = advisory('RHSA-0002', 'Red Hat:enterprise_linux:7::server', 'openssl', '1:1.0.2k-16.el7');

      // Act
      const report = scanComponents(CENTOS7, [rhsa]);

      // Assess
      expect(report.findings).toEqual([]);
    });

    it('does not match an advisory of another major release', () => {
      // Prepare
      const rhsa = advisory('RHSA-0003', 'Red Hat:enterprise_linux:8::baseos', 'openssl', '1:1.1.1k-7.el8');

      // Act
      const report = scanComponents(CENTOS7, [rhsa]);

      // Assess
      expect(report.findings).toEqual([]);
    });
  });

  describe('when the purl names the source RPM in the upstream qualifier (Syft)', () => {
    it('matches the source name with the binary epoch and the SRPM version-release', () => {
      // Prepare
      const libs = rpm(
        'pkg:rpm/almalinux/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm&distro=almalinux-9.3',
      );
      const alsa = advisory('ALSA-0004', 'AlmaLinux:9', 'openssl', '1:3.0.7-28.el9_4');
      const fixedAlready = advisory('ALSA-0005', 'AlmaLinux:9', 'openssl', '1:3.0.7-27.el9');

      // Act
      const report = scanComponents([libs], [alsa, fixedAlready]);

      // Assess
      expect(report.findings.map((f) => f.id)).toEqual(['CVE-2099-0004']);
      expect(componentCoordinates(libs)).toEqual(expect.objectContaining({ ecosystem: 'AlmaLinux:9' }));
    });
  });

  describe.each([
    ['pkg:rpm/rocky/curl@7.76.1-26.el9?distro=rocky-9.3', 'Rocky Linux:9'],
    ['pkg:rpm/redhat/curl@7.76.1-26.el9?distro=rhel-9.3', 'Red Hat:9'],
    ['pkg:rpm/opensuse/curl@8.0.1-150400.5.26.1?distro=opensuse-leap-15.5', 'openSUSE'],
    ['pkg:rpm/suse/curl@8.0.1-150400.5.26.1?distro=sles-15.5', 'SUSE'],
    ['pkg:rpm/openeuler/curl@7.79.1-23.oe2203?distro=openeuler-22.03', 'openEuler'],
  ])('when the purl is %s', (purl, ecosystem) => {
    it(`is in the OSV ecosystem ${ecosystem}`, () => {
      // Act
      const coords = componentCoordinates(rpm(purl));

      // Assess
      expect(coords).toEqual(expect.objectContaining({ ecosystem }));
    });
  });

  describe('when the distribution has no OSV ecosystem (Amazon Linux, Fedora, Oracle Linux)', () => {
    it.each([
      'pkg:rpm/amzn/curl@8.3.0-1.amzn2023.0.2',
      'pkg:rpm/fedora/curl@8.2.1-3.fc39',
      'pkg:rpm/oracle/curl@7.76.1-26.el9',
    ])('lists %s as unevaluated, so the scan fails closed', (purl) => {
      // Act
      const report = scanComponents([rpm(purl)], [advisory('RHSA-0006', 'Red Hat', 'curl', '0:9-1')]);

      // Assess
      expect(report.unevaluated).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('has no OSV ecosystem') }),
      ]);
    });
  });
});

describe('Function: scanComponents, source packages from the SBOM fields', () => {
  describe('when Syft names the apk origin in the upstream qualifier (alpine 3.10 SPDX)', () => {
    it('reports ssl_client for a busybox advisory', () => {
      // Prepare
      const components = normalizeSbomObject(corpus('sbom-spdx/syft/alpine-3.10.syft.spdx.json')).components;
      const busybox = advisory('ALPINE-0007', 'Alpine:v3.10', 'busybox', '1.30.1-r6');

      // Act
      const report = scanComponents(components, [busybox]);

      // Assess
      expect(report.findings.map((f) => f.packageName).sort()).toEqual(['busybox', 'ssl_client']);
    });
  });

  describe('when Trivy names the source in CycloneDX properties (apk: SrcName, SrcVersion)', () => {
    it('reports the binary for an advisory on its origin', () => {
      // Prepare: libcrypto1.1 is built from openssl; its purl does not say so.
      const sbom = normalizeSbomObject({
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [
          {
            type: 'library',
            name: 'libcrypto1.1',
            version: '1.1.1l-r7',
            purl: 'pkg:apk/alpine/libcrypto1.1@1.1.1l-r7?distro=3.15.0',
            properties: [
              { name: 'aquasecurity:trivy:SrcName', value: 'openssl' },
              { name: 'aquasecurity:trivy:SrcVersion', value: '1.1.1l-r7' },
            ],
          },
        ],
      });
      const openssl = advisory('ALPINE-0008', 'Alpine:v3.15', 'openssl', '1.1.1n-r0');

      // Act
      const report = scanComponents(sbom.components, [openssl]);

      // Assess
      expect(sbom.components[0]?.source).toEqual({ name: 'openssl', version: '1.1.1l-r7' });
      expect(report.findings).toEqual([
        expect.objectContaining({ id: 'CVE-2099-0008', packageName: 'libcrypto1.1', fixedIn: '1.1.1n-r0' }),
      ]);
    });
  });

  describe('when Trivy names the source in SPDX sourceInfo (deb)', () => {
    it('reports the binary, with the source version from sourceInfo', () => {
      // Prepare
      const sbom = normalizeSbomObject({
        spdxVersion: 'SPDX-2.3',
        SPDXID: 'SPDXRef-DOCUMENT',
        creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: trivy-0.58.0'] },
        packages: [
          {
            SPDXID: 'SPDXRef-Package-1',
            name: 'libssl3',
            versionInfo: '3.0.11-1~deb12u2',
            sourceInfo: 'built package from: openssl 3.0.11-1~deb12u2',
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12.4',
              },
            ],
          },
        ],
      });
      const dsa = advisory('DSA-0009', 'Debian:12', 'openssl', '3.0.13-1~deb12u1');

      // Act
      const report = scanComponents(sbom.components, [dsa]);

      // Assess
      expect(report.findings).toEqual([expect.objectContaining({ id: 'CVE-2099-0009', packageName: 'libssl3' })]);
    });
  });
});
