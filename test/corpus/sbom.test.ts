/**
 * Every SBOM of the vendored corpus (test/corpus/data/sbom-*) parses or fails as MANIFEST.md says.
 * Counts and names below are the MANIFEST's statements or follow from reading each file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { parseSbomWithNotes } from '../../lambdas/domain/sbom/parse.js';

const DATA = join(import.meta.dirname, 'data');
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(join(DATA, file)));

interface Expectation {
  readonly file: string;
  readonly format: 'cyclonedx' | 'spdx';
  readonly specVersion: string;
  readonly count: number;
  /** The first components' names, in document order. */
  readonly names: readonly string[];
  readonly notes?: number;
}

const VALID: readonly Expectation[] = [
  {
    file: 'sbom-cyclonedx/bom-examples/proton-bridge-v1.8.0.cdx-1.2.json',
    format: 'cyclonedx',
    specVersion: '1.2',
    count: 201,
    names: ['github.com/0xAX/notificator', 'github.com/AndreasBriese/bbloom'],
  },
  {
    file: 'sbom-cyclonedx/bom-examples/laravel-7.12.0.bom.1.4.json',
    format: 'cyclonedx',
    specVersion: '1.4',
    count: 62,
    names: ['asm89/stack-cors', 'brick/math'],
  },
  {
    file: 'sbom-cyclonedx/bom-examples/vex-use-case-1.cdx.json',
    format: 'cyclonedx',
    specVersion: '1.4',
    count: 0,
    names: [],
  },
  {
    file: 'sbom-cyclonedx/syft/identify-1.5.cdx.json',
    format: 'cyclonedx',
    specVersion: '1.5',
    count: 1,
    names: ['github.com/wagoodman/go-partybus'],
  },
  {
    file: 'sbom-cyclonedx/syft/identify-1.6.cdx.json',
    format: 'cyclonedx',
    specVersion: '1.6',
    count: 1,
    names: ['github.com/wagoodman/go-partybus'],
  },
  {
    file: 'sbom-cyclonedx/trivy/centos-7-cyclonedx.json',
    format: 'cyclonedx',
    specVersion: '1.5',
    count: 3,
    names: ['bash', 'openssl-libs', 'centos'],
  },
  {
    file: 'sbom-cyclonedx/trivy/fluentd-multiple-lockfiles-short.cdx.json',
    format: 'cyclonedx',
    specVersion: '1.7',
    count: 4,
    names: ['debian', 'bash', 'libidn2-0', 'activesupport'],
  },
  {
    file: 'sbom-cyclonedx/syft/TestCycloneDxImageEncoder.golden.cdx.json',
    format: 'cyclonedx',
    specVersion: '1.7',
    count: 3,
    names: ['package-1', 'package-2', 'debian'],
    notes: 1, // package-1's purl is the placeholder "a-purl-1"
  },
  {
    file: 'sbom-spdx/syft/alpine-3.10.syft.spdx.json',
    format: 'spdx',
    specVersion: '2.2',
    count: 3,
    names: ['busybox', 'libssl1.1', 'ssl_client'],
  },
  {
    file: 'sbom-spdx/syft/alpine-3.10.vendor.spdx.json',
    format: 'spdx',
    specVersion: '2.2',
    count: 3,
    names: ['alpine', 'busybox', 'ssl_client'],
  },
  {
    file: 'sbom-spdx/syft/TestSPDXJSONImageEncoder.golden.spdx.json',
    format: 'spdx',
    specVersion: '2.3',
    count: 3,
    names: ['package-1', 'package-2', 'user-image-input'],
    notes: 1,
  },
  {
    file: 'sbom-spdx/syft/example7-go-module.spdx.json',
    format: 'spdx',
    specVersion: '2.2',
    count: 1,
    names: ['example.com/hello'],
  },
];

const INVALID: readonly { file: string; message: RegExp }[] = [
  { file: 'sbom-spdx/syft/bad_example7-go-module.spdx.json', message: /not a valid SPDX 2\.2\/2\.3 document/ },
  { file: 'sbom-spdx/syft/bad_bad-sbom', message: /not JSON/ },
];

describe('Corpus: SBOMs (sbom-cyclonedx, sbom-spdx)', () => {
  it('has an expectation for every file in the corpus directories', () => {
    // Prepare
    const files = ['sbom-cyclonedx', 'sbom-spdx'].flatMap((top) =>
      readdirSync(join(DATA, top), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => readdirSync(join(DATA, top, d.name)).map((f) => `${top}/${d.name}/${f}`)),
    );

    // Act
    const covered = new Set([...VALID.map((v) => v.file), ...INVALID.map((v) => v.file)]);

    // Assess
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });

  describe.each(VALID)('$file', (expected) => {
    it(`parses as ${expected.format} ${expected.specVersion} with ${expected.count} components`, () => {
      // Act
      const { sbom, notes } = parseSbomWithNotes(read(expected.file));

      // Assess
      expect(sbom.format).toBe(expected.format);
      expect(sbom.specVersion).toBe(expected.specVersion);
      expect(sbom.components).toHaveLength(expected.count);
      expect(sbom.components.slice(0, expected.names.length).map((c) => c.name)).toEqual(expected.names);
      expect(notes).toHaveLength(expected.notes ?? 0);
    });
  });

  describe.each(INVALID)('$file', ({ file, message }) => {
    it('is rejected', () => {
      // Act & Assess
      expect(() => parseSbomWithNotes(read(file))).toThrow(InvalidInputError);
      expect(() => parseSbomWithNotes(read(file))).toThrow(message);
    });
  });

  describe('details the MANIFEST and the files state', () => {
    it('decodes the Syft alpine-3.10 SPDX purls as Alpine OS packages', () => {
      // Act
      const { sbom } = parseSbomWithNotes(read('sbom-spdx/syft/alpine-3.10.syft.spdx.json'));

      // Assess
      expect(sbom.components.map((c) => [c.name, c.version, c.scope, c.licenses])).toEqual([
        ['busybox', '1.30.1-r5', 'os', ['GPL-2.0']],
        ['libssl1.1', '1.1.1k-r0', 'os', ['OpenSSL']],
        ['ssl_client', '1.30.1-r5', 'os', ['GPL-2.0']],
      ]);
      expect(sbom.components[0]?.purl).toBe('pkg:apk/alpine/busybox@1.30.1-r5?arch=x86_64&distro=alpine-3.10.9');
    });

    it('reads the Composer application packages of the Laravel SBOM with their licences', () => {
      // Act
      const { sbom } = parseSbomWithNotes(read('sbom-cyclonedx/bom-examples/laravel-7.12.0.bom.1.4.json'));

      // Assess
      expect(sbom.components.every((c) => c.scope === 'application' && c.ecosystem === 'composer')).toBe(true);
      expect(sbom.components[0]).toMatchObject({ version: '1.3.0', licenses: ['MIT'] });
    });

    it('classifies the Trivy fluentd SBOM: Debian OS, debs, and a Ruby gem', () => {
      // Act
      const { sbom } = parseSbomWithNotes(read('sbom-cyclonedx/trivy/fluentd-multiple-lockfiles-short.cdx.json'));

      // Assess
      expect(sbom.components.map((c) => c.scope)).toEqual(['os', 'os', 'os', 'application']);
    });
  });
});
