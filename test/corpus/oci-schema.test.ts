/**
 * The image-spec's own schema test cases (vendored from opencontainers/image-spec schema/*_test.go,
 * see test/corpus/data/MANIFEST.md) against our parsers. CASES.tsv says which must fail.
 *
 * - `checkManifestSpec` / `checkIndexSpec` implement the image-spec JSON-schema rules and must agree
 *   with CASES.tsv on every case.
 * - `parseManifest` / `parseIndex` add the gate's rules; they reject every `_fail` case and accept
 *   every passing one except those listed in GATE_STRICTER (non-sha256 digests: the gate cannot
 *   verify them, so it refuses them).
 * - The lenient zod shapes in oci.ts miss some `_fail` cases; ZOD_LENIENT pins exactly which, so a
 *   change to those schemas shows up here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageIndexSchema, ImageManifestSchema } from '../../lambdas/domain/oci.js';
import { checkIndexSpec, checkManifestSpec, parseIndex, parseManifest } from '../../lambdas/domain/oci-validate.js';

const DIR = join(import.meta.dirname, 'data', 'oci', 'image-spec-schema-tests');

interface Case {
  readonly file: string;
  readonly expectedFail: boolean;
  readonly comment: string;
  readonly kind: 'manifest' | 'index';
  readonly bytes: Uint8Array;
}

function loadCases(): Case[] {
  const lines = readFileSync(join(DIR, 'CASES.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [file = '', expectedFail = '', , comment = ''] = line.split('\t');
    if (expectedFail !== 'True' && expectedFail !== 'False') {
      throw new Error(`CASES.tsv: bad expected_fail in ${line}`);
    }
    return {
      file,
      expectedFail: expectedFail === 'True',
      comment,
      kind: file.startsWith('imageindex-') ? 'index' : 'manifest',
      bytes: new Uint8Array(readFileSync(join(DIR, file))),
    };
  });
}

const CASES = loadCases();

/** Valid per image-spec, refused by the gate: digests it cannot verify (sha256+b64, multihash, …). */
const GATE_STRICTER = new Set(['manifest-06.json']);
/** Cases where the oci.ts zod shapes disagree with image-spec (checked in oci-validate.ts instead). */
const ZOD_LENIENT = new Set([
  'manifest-00_fail.json', // config.mediaType "invalid" (RFC 6838 pattern)
  'manifest-05_fail.json', // layers: [] (minItems 1)
  'imageindex-00_fail.json', // manifests[].mediaType "invalid"
  'imageindex-04_fail.json', // manifests[].mediaType "invalid"
]);
const ZOD_STRICTER = new Set(['manifest-06.json']);

function zodAccepts(c: Case): boolean {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(c.bytes));
  } catch {
    return false;
  }
  return (c.kind === 'index' ? ImageIndexSchema : ImageManifestSchema).safeParse(json).success;
}

describe('Corpus: image-spec schema test cases', () => {
  it('has all 24 cases', () => {
    expect(CASES).toHaveLength(24);
    expect(CASES.filter((c) => c.expectedFail)).toHaveLength(13);
  });

  describe('Function: checkManifestSpec / checkIndexSpec', () => {
    describe.each(CASES)('when the case is $file ($comment)', (c) => {
      it(`${c.expectedFail ? 'rejects' : 'accepts'} it as image-spec does`, () => {
        // Act
        const result = c.kind === 'index' ? checkIndexSpec(c.bytes) : checkManifestSpec(c.bytes);

        // Assess
        expect(result.valid, result.problems.join('; ')).toBe(!c.expectedFail);
        expect(result.problems.length === 0).toBe(result.valid);
      });
    });
  });

  describe('Function: parseManifest / parseIndex', () => {
    describe.each(CASES)('when the case is $file', (c) => {
      const shouldAccept = !c.expectedFail && !GATE_STRICTER.has(c.file);
      it(shouldAccept ? 'returns the parsed document' : 'throws', () => {
        // Act
        const act = () => (c.kind === 'index' ? parseIndex(c.bytes) : parseManifest(c.bytes));

        // Assess
        if (shouldAccept) {
          expect(act()).toMatchObject({ schemaVersion: 2 });
        } else if (GATE_STRICTER.has(c.file)) {
          expect(act).toThrow(/expected sha256:<64 lowercase hex>/);
        } else {
          expect(act).toThrow();
        }
      });
    });

    describe('when a valid manifest is served with an index media type', () => {
      it('throws UNSUPPORTED_MEDIA_TYPE', () => {
        // Prepare
        const manifest = CASES.find((c) => c.file === 'manifest-04.json');

        // Act
        const act = () => parseManifest(manifest?.bytes ?? new Uint8Array(), 'application/vnd.oci.image.index.v1+json');

        // Assess
        expect(act).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
      });
    });

    describe('when a valid index is parsed as a manifest', () => {
      it('throws', () => {
        // Prepare
        const index = CASES.find((c) => c.file === 'imageindex-07.json');

        // Act
        const act = () => parseManifest(index?.bytes ?? new Uint8Array());

        // Assess
        expect(act).toThrow();
      });
    });

    describe('when the served media type matches', () => {
      it('accepts a Docker schema 2 media type hint for a manifest without mediaType', () => {
        // Prepare
        const bytes = new TextEncoder().encode(
          JSON.stringify({
            schemaVersion: 2,
            config: {
              mediaType: 'application/vnd.docker.container.image.v1+json',
              size: 2,
              digest: `sha256:${'a'.repeat(64)}`,
            },
            layers: [
              {
                mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
                size: 3,
                digest: `sha256:${'b'.repeat(64)}`,
              },
            ],
          }),
        );

        // Act
        const manifest = parseManifest(bytes, 'application/vnd.docker.distribution.manifest.v2+json');

        // Assess
        expect(manifest.layers).toHaveLength(1);
      });
    });
  });

  describe('Schemas: ImageManifestSchema / ImageIndexSchema (oci.ts)', () => {
    it('disagree with image-spec on exactly the documented cases', () => {
      // Act
      const disagreements = CASES.filter((c) => zodAccepts(c) === c.expectedFail).map((c) => c.file);

      // Assess
      expect(new Set(disagreements)).toEqual(new Set([...ZOD_LENIENT, ...ZOD_STRICTER]));
    });
  });
});
