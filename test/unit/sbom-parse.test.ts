import { PackageURL } from 'packageurl-js';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_DEPTH, parseJsonValue } from '../../lambdas/domain/document.js';
import { InvalidInputError, TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Component, NormalizedSbomSchema } from '../../lambdas/domain/sbom/component.js';
import { decodeCycloneDx, decodeCycloneDxInto } from '../../lambdas/domain/sbom/cyclonedx.js';
import {
  type DecodedComponent,
  normalizeDecoded,
  normalizeSbomObject,
  normalizeSbomObjectWithNotes,
  type PurlCache,
  parseSbom,
  parseSbomWithNotes,
  sbomFormatOfMediaType,
} from '../../lambdas/domain/sbom/parse.js';

const LOCK = `sha256:${'a'.repeat(64)}`;
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function cdx(components: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components, ...extra };
}

function spdx(packages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    spdxVersion: 'SPDX-2.3',
    SPDXID: 'SPDXRef-DOCUMENT',
    dataLicense: 'CC0-1.0',
    name: 'test',
    documentNamespace: 'https://example.com/test',
    creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: test-1.0'] },
    packages,
    ...extra,
  };
}

function spdxPackage(name: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { SPDXID: `SPDXRef-${name}`, name, versionInfo: version, downloadLocation: 'NOASSERTION', ...extra };
}

describe('Function: parseSbom', () => {
  describe('when given CycloneDX JSON', () => {
    const lib = (name: string, version: string, purl?: string) => ({
      type: 'library',
      name,
      version,
      ...(purl !== undefined && { purl }),
    });

    /** A CycloneDX document, the view of the parsed components a test looks at, and what it must be. */
    const PARSED: readonly (readonly [string, Record<string, unknown>, (c: Component) => unknown, unknown])[] = [
      [
        'reads licences in all three forms (id, name, expression)',
        cdx([
          {
            ...lib('a', '1.0.0', 'pkg:npm/a@1.0.0'),
            licenses: [{ license: { id: 'MIT' } }, { license: { name: 'Custom Licence' } }],
          },
          { ...lib('b', '2.0.0', 'pkg:npm/b@2.0.0'), licenses: [{ expression: 'Apache-2.0 OR MIT' }] },
        ]),
        (c) => c.licenses,
        [['MIT', 'Custom Licence'], ['Apache-2.0 OR MIT']],
      ],
      [
        'flattens nested components and leaves metadata.component (the subject) out',
        cdx(
          [
            {
              type: 'application',
              name: 'outer',
              version: '1',
              components: [{ ...lib('inner', '2'), components: [lib('innermost', '3')] }],
            },
            lib('sibling', '4'),
          ],
          { metadata: { component: { type: 'container', name: 'my-image', version: 'sha256:abc' } } },
        ),
        (c) => c.name,
        ['outer', 'inner', 'innermost', 'sibling'],
      ],
      [
        'classifies scope from the purl type and the operating-system component type',
        cdx([
          lib('left-pad', '1.3.0', 'pkg:npm/left-pad@1.3.0'),
          lib('requests', '2.31.0', 'pkg:pypi/requests@2.31.0'),
          lib('bash', '5.0-4', 'pkg:deb/debian/bash@5.0-4?distro=debian-10'),
          lib('musl', '1.2.4-r2', 'pkg:apk/alpine/musl@1.2.4-r2'),
          { type: 'operating-system', name: 'debian', version: '12' },
          lib('action', 'v4', 'pkg:github/actions/checkout@v4'),
          { type: 'file', name: 'README' },
        ]),
        (c) => [c.name, c.scope, c.ecosystem],
        [
          ['left-pad', 'application', 'npm'],
          ['requests', 'application', 'pypi'],
          ['bash', 'os', 'deb'],
          ['musl', 'os', 'apk'],
          ['debian', 'os', undefined],
          ['action', 'other', 'github'],
          ['README', 'other', undefined],
        ],
      ],
      [
        'canonicalises purls (type case, npm scope encoding, qualifier order)',
        cdx([
          { ...lib('foo', '1.0.0', 'pkg:NPM/@scope/foo@1.0.0'), group: '@scope' },
          lib('x', '1', 'pkg:deb/debian/x@1?distro=d&arch=amd64'),
        ]),
        (c) => [c.name, c.purl],
        [
          ['@scope/foo', 'pkg:npm/%40scope/foo@1.0.0'],
          ['x', 'pkg:deb/debian/x@1?arch=amd64&distro=d'],
        ],
      ],
      [
        'dedupes identical components, also when their purls differ only in spelling',
        cdx([
          lib('a', '1.0.0', 'pkg:npm/a@1.0.0'),
          lib('a', '1.0.0', 'pkg:NPM/a@1.0.0'),
          lib('a', '1.0.1', 'pkg:npm/a@1.0.1'),
        ]),
        (c) => c.version,
        ['1.0.0', '1.0.1'],
      ],
    ];

    it.each(PARSED)('%s', (_name, bom, view, expected) => {
      // Prepare
      const bytes = encode(bom);

      // Act
      const sbom = parseSbom(bytes);

      // Assess
      expect(sbom.components.map(view)).toEqual(expected);
    });

    it('keeps a component with an invalid purl, without the purl, and notes it', () => {
      // Prepare
      const bytes = encode(cdx([{ type: 'library', name: 'package-1', version: '1.0.1', purl: 'a-purl-1' }]));

      // Act
      const { sbom, notes } = parseSbomWithNotes(bytes);

      // Assess
      expect(sbom.components).toEqual([{ name: 'package-1', version: '1.0.1', licenses: [], scope: 'other' }]);
      expect(notes).toEqual(['dropped 1 invalid purl(s): package-1 ("a-purl-1")']);
    });

    it.each(['release-gate.dev:lockfile-digest', 'cdx:lockfile:digest'])(
      'reads the lockfile digest from the %s metadata property',
      (name) => {
        // Prepare
        const bytes = encode(
          cdx([], {
            metadata: {
              properties: [
                { name: 'other', value: 'x' },
                { name, value: LOCK },
              ],
            },
          }),
        );

        // Act
        const sbom = parseSbom(bytes);

        // Assess
        expect(sbom.lockfileDigest).toBe(LOCK);
      },
    );

    it('rejects a lockfile digest property that is not sha256:<hex>', () => {
      // Prepare
      const bytes = encode(
        cdx([], { metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: 'md5:abc' }] } }),
      );

      // Act & Assess
      expect(() => parseSbom(bytes)).toThrow(/lockfile-digest must be sha256/);
    });

    it('rejects two different lockfile digests', () => {
      // Prepare
      const properties = [
        { name: 'release-gate.dev:lockfile-digest', value: LOCK },
        { name: 'cdx:lockfile:digest', value: `sha256:${'b'.repeat(64)}` },
      ];

      // Act & Assess
      expect(() => parseSbom(encode(cdx([], { metadata: { properties } })))).toThrow(/conflicting lockfile digests/);
    });

    it('tolerates unknown fields and produces a valid NormalizedSbom', () => {
      // Prepare
      const bytes = encode(
        cdx([{ type: 'library', name: 'a', version: '1', 'x-vendor': { deep: [1, 2] }, hashes: [] }], {
          dependencies: [{ ref: 'a' }],
          'x-extra': true,
        }),
      );

      // Act
      const sbom = parseSbom(bytes);

      // Assess
      expect(NormalizedSbomSchema.parse(sbom)).toEqual(sbom);
      expect(sbom).toMatchObject({ format: 'cyclonedx', specVersion: '1.6' });
    });

    it.each([
      ['a wrong bomFormat', { ...cdx([]), bomFormat: 'cyclonedx' }],
      ['an unsupported specVersion', { ...cdx([]), specVersion: '1.1' }],
      ['a component without a name', cdx([{ type: 'library', version: '1' }])],
      ['a component of an unknown type', cdx([{ type: 'gadget', name: 'a' }])],
      [
        'a licence with neither id nor name',
        cdx([{ type: 'library', name: 'a', licenses: [{ license: { url: 'x' } }] }]),
      ],
      ['a version that is not a string', cdx([{ type: 'library', name: 'a', version: 1 }])],
      ['components that are not an array', { ...cdx([]), components: { a: 1 } }],
    ])('rejects %s', (_what, doc) => {
      // Act & Assess
      expect(() => parseSbom(encode(doc))).toThrow(InvalidInputError);
    });
  });

  describe('when given SPDX JSON', () => {
    it('reads purls of both reference category spellings and ignores NOASSERTION/NONE licences', () => {
      // Prepare
      const bytes = encode(
        spdx([
          spdxPackage('busybox', '1.36.1-r2', {
            licenseConcluded: 'GPL-2.0-only',
            licenseDeclared: 'GPL-2.0-only',
            externalRefs: [
              { referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: 'cpe:2.3:a:b:b:1:*' },
              {
                referenceCategory: 'PACKAGE_MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:apk/alpine/busybox@1.36.1-r2',
              },
            ],
          }),
          spdxPackage('express', '4.18.2', {
            licenseConcluded: 'NOASSERTION',
            licenseDeclared: 'MIT',
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:npm/express@4.18.2',
              },
            ],
          }),
          spdxPackage('thing', '1', { licenseConcluded: 'NONE', licenseDeclared: 'NOASSERTION' }),
        ]),
      );

      // Act
      const sbom = parseSbom(bytes);

      // Assess
      expect(sbom).toEqual({
        format: 'spdx',
        specVersion: '2.3',
        components: [
          {
            name: 'busybox',
            version: '1.36.1-r2',
            purl: 'pkg:apk/alpine/busybox@1.36.1-r2',
            ecosystem: 'apk',
            licenses: ['GPL-2.0-only'],
            scope: 'os',
          },
          {
            name: 'express',
            version: '4.18.2',
            purl: 'pkg:npm/express@4.18.2',
            ecosystem: 'npm',
            licenses: ['MIT'],
            scope: 'application',
          },
          { name: 'thing', version: '1', licenses: [], scope: 'other' },
        ],
      });
    });

    it('marks a package whose primaryPackagePurpose is OPERATING-SYSTEM as os', () => {
      // Prepare
      const bytes = encode(spdx([spdxPackage('alpine', '3.19', { primaryPackagePurpose: 'OPERATING-SYSTEM' })]));

      // Act
      const sbom = parseSbom(bytes);

      // Assess
      expect(sbom.components[0]?.scope).toBe('os');
    });

    it.each([
      ['SPDX 2.1', { ...spdx([]), spdxVersion: 'SPDX-2.1' }],
      ['creators as objects', { ...spdx([]), creationInfo: { created: 'x', creators: [{ Tool: 'x' }] } }],
      ['no creators', { ...spdx([]), creationInfo: { created: 'x', creators: [] } }],
      ['filesAnalyzed as a string', spdx([spdxPackage('a', '1', { filesAnalyzed: 'false' })])],
      ['packageName instead of name', spdx([{ SPDXID: 'SPDXRef-a', packageName: 'a' }])],
    ])('rejects %s', (_what, doc) => {
      // Act & Assess
      expect(() => parseSbom(encode(doc))).toThrow(InvalidInputError);
    });
  });

  describe('when given an in-toto statement', () => {
    it('normalises its CycloneDX predicate', () => {
      // Prepare
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'img', digest: { sha256: 'a'.repeat(64) } }],
        predicateType: 'https://cyclonedx.org/bom',
        predicate: cdx([{ type: 'library', name: 'a', version: '1', purl: 'pkg:cargo/a@1' }]),
      };

      // Act
      const sbom = normalizeSbomObject(statement);

      // Assess
      expect(sbom.components).toEqual([
        { name: 'a', version: '1', purl: 'pkg:cargo/a@1', ecosystem: 'cargo', licenses: [], scope: 'application' },
      ]);
    });

    it('normalises a bare SPDX predicate object', () => {
      // Act
      const sbom = normalizeSbomObject(spdx([spdxPackage('a', '1')]));

      // Assess
      expect(sbom.format).toBe('spdx');
    });

    it('rejects a statement without a predicate', () => {
      // Act & Assess
      expect(() => normalizeSbomObject({ _type: 'https://in-toto.io/Statement/v1', subject: [] })).toThrow(
        /no predicate/,
      );
    });
  });

  describe('when the input is not a usable SBOM', () => {
    it('rejects bytes above the SBOM size limit before decoding them', () => {
      // Prepare
      const bytes = new Uint8Array(Limits.sbomBytes + 1);

      // Act & Assess
      expect(() => parseSbom(bytes)).toThrow(TooLargeError);
    });

    it('rejects more components than the component limit before validating them', () => {
      // Prepare
      const doc = cdx(Array.from({ length: Limits.sbomComponents + 1 }, () => ({})));

      // Act & Assess
      expect(() => normalizeSbomObject(doc)).toThrow(/more than 200000 components/);
    });

    it('accepts exactly the component limit, the subject in metadata.component not counted', () => {
      // Prepare
      const components = Array.from({ length: Limits.sbomComponents }, (_, i) => ({ type: 'library', name: `p${i}` }));
      const doc = cdx(components, { metadata: { component: { type: 'container', name: 'the-image' } } });

      // Act
      const sbom = normalizeSbomObject(doc);

      // Assess
      expect(sbom.components).toHaveLength(Limits.sbomComponents);
    });

    it('rejects SPDX with more packages than the component limit', () => {
      // Prepare
      const doc = spdx(Array.from({ length: Limits.sbomComponents + 1 }, () => ({})));

      // Act & Assess
      expect(() => normalizeSbomObject(doc)).toThrow(/more than 200000 components/);
    });

    it('rejects pathologically nested components', () => {
      // Prepare
      let component: Record<string, unknown> = { type: 'library', name: 'leaf' };
      for (let i = 0; i < 100; i++) component = { type: 'library', name: `n${i}`, components: [component] };

      // Act & Assess
      expect(() => normalizeSbomObject(cdx([component]))).toThrow(/nested more than/);
    });

    it.each([
      ['garbage', new TextEncoder().encode('bogus!'), /not JSON/],
      ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
      ['JSON that is neither format', encode({ hello: 'world' }), /neither CycloneDX/],
      ['JSON that claims both formats', encode({ ...cdx([]), spdxVersion: 'SPDX-2.3' }), /both/],
      ['a JSON array', encode([1, 2]), /neither CycloneDX/],
    ])('rejects %s', (_what, bytes, message) => {
      // Act & Assess
      expect(() => parseSbom(bytes)).toThrow(message);
    });

    it('accepts a UTF-8 byte order mark', () => {
      // Prepare
      const body = encode(cdx([]));
      const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...body]);

      // Act
      const sbom = parseSbom(bytes);

      // Assess
      expect(sbom.format).toBe('cyclonedx');
    });
  });

  describe('when a media type hint is given', () => {
    it('accepts CycloneDX content with a versioned CycloneDX media type', () => {
      // Act
      const sbom = parseSbom(encode(cdx([])), 'application/vnd.cyclonedx+json; version=1.6');

      // Assess
      expect(sbom.format).toBe('cyclonedx');
    });

    it('rejects content of the other format', () => {
      // Act & Assess
      expect(() => parseSbom(encode(cdx([])), 'application/spdx+json')).toThrow(/announces spdx/);
    });
  });
});

describe('Function: normalizeSbomObjectWithNotes', () => {
  describe('when the SBOMs of one image share a purl cache', () => {
    it('parses each purl once, however many SBOMs list it', () => {
      // Prepare: the same inventory, as the signed attestation and the referrer both carry it, with
      // purls not in canonical form (npm names are lowercase), which packageurl-js must parse.
      const doc = cdx(
        Array.from({ length: 50 }, (_, i) => ({ type: 'library', name: `p${i}`, purl: `pkg:npm/P${i}@1.0.${i}` })),
      );
      const parse = vi.spyOn(PackageURL, 'fromString');
      const purls: PurlCache = new Map();

      // Act
      const first = normalizeSbomObjectWithNotes(doc, purls);
      const second = normalizeSbomObjectWithNotes(structuredClone(doc), purls);

      // Assess
      expect(parse).toHaveBeenCalledTimes(50);
      expect(second.sbom).toEqual(first.sbom);
      parse.mockRestore();
    });
  });
});

describe('Function: decodeCycloneDxInto', () => {
  const nested = cdx([
    {
      type: 'application',
      name: 'app',
      purl: 'pkg:npm/app@1.0.0',
      components: [{ type: 'library', name: 'inner', version: '2.0.0', purl: 'pkg:npm/inner@2.0.0' }],
    },
    { type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
  ]);

  describe('when the document is valid', () => {
    it('hands each component to the sink in document order, parents before their nested components, and lists none', () => {
      // Prepare
      const seen: DecodedComponent[] = [];

      // Act
      const header = decodeCycloneDxInto(nested, (c) => seen.push(c));

      // Assess
      expect(header).toEqual({ format: 'cyclonedx', specVersion: '1.6' });
      expect(seen).toEqual(decodeCycloneDx(nested).components);
      expect(seen.map((c) => c.name)).toEqual(['app', 'inner', 'left-pad']);
    });

    it('normalises to the same inventory as decoding the whole list first', () => {
      // Act
      const streamed = normalizeSbomObjectWithNotes(nested);

      // Assess
      expect(streamed).toEqual(normalizeDecoded(decodeCycloneDx(nested)));
    });
  });

  describe('when a component after the first is invalid', () => {
    it('throws the same reason as before, whatever the sink already took', () => {
      // Prepare
      const doc = cdx([
        { type: 'library', name: 'ok', purl: 'pkg:npm/ok@1.0.0' },
        { type: 'library', name: '' },
      ]);
      const seen: DecodedComponent[] = [];

      // Act & Assess
      expect(() => decodeCycloneDxInto(doc, (c) => seen.push(c))).toThrow(
        'not a valid CycloneDX document: components[1].name: expected a non-empty string',
      );
      expect(() => normalizeSbomObjectWithNotes(doc)).toThrow(
        'not a valid CycloneDX document: components[1].name: expected a non-empty string',
      );
    });
  });
});

describe('Function: parseSbomWithNotes of a raw CycloneDX document (read a few components at a time)', () => {
  // Enough components that the batches (64 KiB each) are each a small part of the text.
  const components = Array.from({ length: 2000 }, (_, i) => ({
    type: 'library',
    name: `p${i}`,
    version: `1.0.${i}`,
    purl: `pkg:npm/p${i}@1.0.${i}`,
    licenses: [{ license: { id: 'MIT' } }],
    components: i % 10 === 0 ? [{ type: 'library', name: `n${i}`, purl: `pkg:npm/n${i}@2.0.0` }] : undefined,
  }));
  const text = `\ufeff${JSON.stringify(cdx(components, { metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: LOCK }] } }), null, 2)}`;

  /** What the whole-document path makes of `raw`: the inventory, or the reason it throws. */
  const wholeDocument = (raw: string): unknown => {
    try {
      const value = parseJsonValue(new TextEncoder().encode(raw), {
        what: 'SBOM',
        maxBytes: Limits.sbomBytes,
        byteOrderMark: 'ignore',
      });
      return normalizeSbomObjectWithNotes(value);
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : err;
    }
  };
  const outcome = (raw: string): unknown => {
    try {
      return parseSbomWithNotes(new TextEncoder().encode(raw));
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : err;
    }
  };

  describe('when the document is valid', () => {
    it('never parses the whole text at once, and reads the same inventory as the whole-document path', () => {
      // Prepare
      const parse = vi.spyOn(JSON, 'parse');

      // Act
      const parsed = parseSbomWithNotes(new TextEncoder().encode(text));
      const longest = Math.max(...parse.mock.calls.map(([t]) => String(t).length));
      parse.mockRestore();

      // Assess
      expect(longest).toBeLessThan(text.length / 4);
      expect(parsed).toEqual(wholeDocument(text));
      expect(parsed.sbom.components).toHaveLength(2200);
      expect(parsed.sbom.lockfileDigest).toBe(LOCK);
    });
  });

  describe('when the document is refused', () => {
    const doc = (inner: string) => `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${inner}]}`;
    const ok = '{"type":"library","name":"a","purl":"pkg:npm/a@1.0.0"}';
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    it.each([
      ['a repeated name in a component', doc(`${ok},{"type":"library","name":"b","name":"c"}`)],
      ['a repeated components member', `${doc(ok).slice(0, -1)},"components":[]}`],
      ['a repeated name at the root', `${doc(ok).slice(0, -1)},"bomFormat":"CycloneDX"}`],
      ['an empty element', doc(`${ok},,${ok}`)],
      ['a trailing comma', doc(`${ok},`)],
      ['two values in one element', doc(`${ok} ${ok}`)],
      ['a byte order mark inside the array', doc(`\ufeff${ok}`)],
      ['a repeated name deep in a component', doc(`${ok},{"type":"library","name":"b","x":[{"a:\\"":1,"a:\\"":2}]}`)],
      ['a name repeated with an escape', doc(`${ok},{"type":"library","name":"b","n\\u0061me":"c"}`)],
      ['an unterminated string', doc(`${ok},{"type":"library","name":"b\\"}`)],
      ['an invalid component', doc(`${ok},{"type":"library","name":""}`)],
      [
        'a component too deep for the document',
        doc(`{"type":"library","name":"d","x":${deep(DEFAULT_MAX_DEPTH - 2)}}`),
      ],
      [
        'an SPDX document with a components array',
        `{"spdxVersion":"SPDX-2.3","bomFormat":"CycloneDX","components":[${ok}]}`,
      ],
    ])('refuses with the same reason as the whole-document path: %s', (_case, raw) => {
      // Act
      const result = outcome(raw);

      // Assess
      expect(typeof result).toBe('string');
      expect(result).toEqual(wholeDocument(raw));
    });

    it('accepts strings holding colons, commas, brackets, escaped quotes and backslashes, and multi-byte text', () => {
      // Prepare: what the splitter and the name count must read as string content.
      const tricky = '{"type":"library","name":"a:b,[c]{d}\\"e\\\\","version":"ü😀","x":{"k:\\"":"v"}}';
      const raw = doc(`${ok},${tricky},${ok.replace('"a"', '"z"')}`);
      const parse = vi.spyOn(JSON, 'parse');

      // Act
      const result = outcome(raw);
      const texts = parse.mock.calls.map(([t]) => String(t));
      parse.mockRestore();

      // Assess: read in pieces (the whole text never parsed), as the whole-document path reads it.
      expect(texts).not.toContain(raw);
      expect(result).not.toBeTypeOf('string');
      expect(result).toEqual(wholeDocument(raw));
    });

    it('accepts a component exactly as deep as the whole-document path accepts', () => {
      // Prepare
      const raw = doc(`{"type":"library","name":"d","x":${deep(DEFAULT_MAX_DEPTH - 3)}}`);

      // Act & Assess
      expect(outcome(raw)).toEqual(wholeDocument(raw));
      expect(outcome(raw)).not.toBeTypeOf('string');
    });
  });
});

describe("Function: parseSbomWithNotes against another SBOM's inventory (expected)", () => {
  const component = (i: number, extra: Record<string, unknown> = {}) => ({
    type: 'library',
    name: `p${i}`,
    version: `1.0.${i}`,
    purl: `pkg:npm/p${i}@1.0.${i}`,
    licenses: [{ license: { id: 'MIT' } }],
    ...extra,
  });
  const base = Array.from({ length: 6 }, (_, i) => component(i));
  const bytesOf = (components: unknown[]) => new TextEncoder().encode(JSON.stringify(cdx(components), null, 1));
  const expected = parseSbomWithNotes(bytesOf(base)).sbom.components;

  it('reads an SBOM listing the same components in order as that very inventory', () => {
    // Act
    const parsed = parseSbomWithNotes(bytesOf(base), undefined, new Map(), expected);

    // Assess: the expected components themselves, nothing built a second time.
    expect(parsed.sbom.components).toEqual(expected);
    parsed.sbom.components.forEach((c, i) => {
      expect(c).toBe(expected[i]);
    });
  });

  it.each([
    ['one fewer at the end', base.slice(0, -1)],
    ['one more at the end', [...base, component(9)]],
    ['another order', [base[1], base[0], ...base.slice(2)]],
    ['a repeated component', [...base.slice(0, 3), base[2], ...base.slice(3)]],
    ['a repeat of one already listed, in place of the next', [...base.slice(0, 3), base[0], ...base.slice(4)]],
    ['another version in the middle', [...base.slice(0, 2), component(2, { version: '9' }), ...base.slice(3)]],
    ['another licence', [component(0, { licenses: [] }), ...base.slice(1)]],
    ['the operating system flag', [component(0, { type: 'operating-system' }), ...base.slice(1)]],
    ['none at all', []],
  ])('reads an SBOM that differs (%s) exactly as without it', (_case, components) => {
    // Act
    const parsed = parseSbomWithNotes(bytesOf(components), undefined, new Map(), expected);

    // Assess
    expect(parsed).toEqual(parseSbomWithNotes(bytesOf(components)));
  });
});

describe('Function: sbomFormatOfMediaType', () => {
  it.each([
    ['application/vnd.cyclonedx+json', 'cyclonedx'],
    ['application/vnd.cyclonedx+json;version=1.5', 'cyclonedx'],
    ['application/spdx+json', 'spdx'],
    ['text/spdx+json', 'spdx'],
    ['application/vnd.cyclonedx+xml', undefined],
    ['text/spdx', undefined],
    [undefined, undefined],
  ])('maps %s to %s', (mediaType, format) => {
    // Act & Assess
    expect(sbomFormatOfMediaType(mediaType)).toBe(format);
  });
});
