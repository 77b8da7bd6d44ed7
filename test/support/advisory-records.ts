/**
 * A release's components and OSV records of our own, for the advisory index and source tests:
 * the target has npm undici 6.21.1 and Debian's libssl3 built from openssl 3.0.11.
 */
import type { Component } from '../../lambdas/domain/sbom/component.js';

export const ADVISORY_TARGET: Component[] = [
  { name: 'undici', version: '6.21.1', purl: 'pkg:npm/undici@6.21.1', licenses: [], scope: 'application' },
  {
    name: 'libssl3',
    version: '3.0.11-1~deb12u2',
    purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl',
    licenses: [],
    scope: 'os',
  },
];

/** An OSV record `id` saying `ecosystem`/`name` is affected below `fixed`. */
export const advisoryBelow = (id: string, ecosystem: string, name: string, fixed: string): string =>
  JSON.stringify({
    id,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: ecosystem === 'npm' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      },
    ],
  });
