/**
 * The package index and triage on real SBOMs (test/corpus/data, MANIFEST.md): the source packages
 * Syft (purl `upstream`) and Trivy (`aquasecurity:trivy:SrcName`/`SrcVersion`/`SrcEpoch`) record
 * become index entries pointing to the binaries, and triage by source package finds them.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { packageIndexItems, sourcePackagesOf } from '../../lambdas/domain/package-index.js';
import { knownPurlPartsOf, parseSbom } from '../../lambdas/domain/sbom/parse.js';
import { triage } from '../../lambdas/domain/triage/triage.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest, releaseRecord } from '../support/store-records.js';

const DATA = fileURLToPath(new URL('./data/', import.meta.url));

function indexOf(file: string) {
  const sbom = parseSbom(readFileSync(`${DATA}${file}`));
  const purls = sbom.components.flatMap((c) => (c.purl === undefined ? [] : [c.purl]));
  return { purls, sources: sourcePackagesOf(sbom.components) };
}

describe('Package index of real SBOMs', () => {
  it('maps a Syft apk binary to its origin (ssl_client from busybox)', () => {
    // Act
    const { purls, sources } = indexOf('sbom-spdx/syft/alpine-3.10.syft.spdx.json');
    const items = packageIndexItems(purls, sources);

    // Assess
    expect(items.find((i) => i.base === 'pkg:apk/alpine/busybox' && i.version === '1.30.1-r5')?.components).toEqual([
      'pkg:apk/alpine/busybox@1.30.1-r5?arch=x86_64&distro=alpine-3.10.9',
      'pkg:apk/alpine/ssl_client@1.30.1-r5?arch=x86_64&distro=alpine-3.10.9&upstream=busybox',
    ]);
  });

  it('maps a Trivy rpm binary to its source with the epoch, and triage by source finds it', async () => {
    // Prepare
    const { purls, sources } = indexOf('sbom-cyclonedx/trivy/centos-7-cyclonedx.json');
    const store = new MemoryStore();
    const digest = newDigest();
    await store.recordRelease(releaseRecord('corpus/centos', digest));
    await indexRelease(store, 'corpus/centos', digest, purls, sources);

    // Act
    const affected = await triage(store, { kind: 'range', purl: 'pkg:rpm/centos/openssl', range: '<1:1.0.2k-19.el7' });
    const epochZero = await triage(store, { kind: 'range', purl: 'pkg:rpm/centos/openssl', range: '<1.0.2k-19.el7' });

    // Assess
    expect(sources).toContainEqual({
      purl: 'pkg:rpm/centos/openssl@1.0.2k-16.el7?epoch=1',
      binary: 'pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1',
    });
    expect(affected.releases).toEqual([
      expect.objectContaining({
        digest,
        matches: [
          expect.objectContaining({
            package: 'pkg:rpm/centos/openssl',
            version: '1.0.2k-16.el7',
            components: ['pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1'],
          }),
        ],
      }),
    ]);
    // Epoch 1 is above every epoch-0 version (rpmvercmp): not in `<1.0.2k-19.el7`.
    expect(epochZero.releases).toEqual([]);
  });
});

describe('Package index of real SBOMs, from the purl parts the SBOM step split', () => {
  const sboms = ['sbom-cyclonedx/syft', 'sbom-cyclonedx/trivy', 'sbom-spdx/syft'].flatMap((dir) =>
    readdirSync(`${DATA}${dir}`)
      .filter((f) => f.endsWith('.json') && !f.startsWith('bad_'))
      .map((f) => `${dir}/${f}`),
  );

  it.each(sboms)('has every purl split already, and the same entries as from the purl text: %s', (file) => {
    // Prepare
    const sbom = parseSbom(readFileSync(`${DATA}${file}`));
    const purls = sbom.components.flatMap((c) => (c.purl === undefined ? [] : [c.purl]));
    const sources = sourcePackagesOf(sbom.components);
    const known = knownPurlPartsOf(sbom);

    // Act
    const items = packageIndexItems(purls, sources, known);

    // Assess: the index parses no purl of the SBOM again.
    expect(purls.filter((p) => known?.(p) === undefined)).toEqual([]);
    expect(items).toEqual(packageIndexItems(purls, sources));
  });
});
