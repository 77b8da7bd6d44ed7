/**
 * Property tests of the document door (`parseJsonDocument`) with fast-check.
 *
 * The one property that matters: whatever the input, the parser returns a value that satisfies
 * the schema, or throws an InvalidInputError / TooLargeError naming the document, and it does so
 * within a small time budget. Never a SyntaxError, a RangeError, a ZodError or a hang. The other
 * properties pin down that it is still JSON: it agrees with JSON.parse on documents without
 * repeated names, and never accepts invalid UTF-8, a cut-off document or a repeated name.
 *
 * Runs are bounded (a few hundred each, small inputs) so the file takes a few seconds; a failure
 * prints the seed and the shrunk counterexample to replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DsseEnvelopeSchema } from '../../lambdas/domain/attest/dsse.js';
import {
  arrayBatches,
  type DocumentLimits,
  locateArray,
  parseJsonDocument,
  parseJsonValue,
  withEmptiedArray,
} from '../../lambdas/domain/document.js';
import { InvalidInputError, TooLargeError } from '../../lambdas/domain/errors.js';
import { ImageManifestSchema, MediaTypes } from '../../lambdas/domain/oci.js';
import * as z from '../../lambdas/domain/zod.js';

/** Per call; the inputs are at most a few KiB, so a call takes well under a millisecond. */
const CALL_BUDGET_MS = 250;
const RUNS = 1000;
const LIMITS: DocumentLimits = { what: 'fuzzed document', maxBytes: 64 * 1024, maxDepth: 64 };

const SCHEMAS = [
  ['any JSON value', z.unknown()],
  ['an image manifest', ImageManifestSchema],
  ['a DSSE envelope', DsseEnvelopeSchema],
] as const;

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const VALID_MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaTypes.ociManifest,
  config: { mediaType: MediaTypes.ociConfig, digest: `sha256:${'a'.repeat(64)}`, size: 2 },
  layers: [{ mediaType: MediaTypes.ociLayerTarGzip, digest: `sha256:${'b'.repeat(64)}`, size: 10 }],
  annotations: { 'org.opencontainers.image.title': 'x' },
});
const VALID_ENVELOPE = JSON.stringify({
  payloadType: MediaTypes.inTotoPayload,
  payload: 'e30=',
  signatures: [{ sig: 'AA==' }],
});

/** JSON texts without repeated names (fast-check builds objects from unique keys), unicode included. */
const jsonText = fc.json({ maxDepth: 6, stringUnit: 'binary' });

/** `[[[…]]]` / `{"a":{"a":…}}` of any depth, closed or cut off. */
const deepNesting = fc
  .tuple(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']), fc.boolean())
  .map(([depth, [open, close], closed]) => `${open.repeat(depth)}0${closed ? close.repeat(depth) : ''}`);

/** A valid text with some bytes overwritten. */
const mutated = fc
  .tuple(
    fc.oneof(jsonText, fc.constant(VALID_MANIFEST), fc.constant(VALID_ENVELOPE)),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  )
  .map(([text, edits]) => {
    const bytes = utf8(text);
    for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  });

/** Every kind of input the property runs on, as bytes or as a string. */
const anyInput: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ unit: 'binary', maxLength: 256 }),
  fc.string({ unit: 'binary', maxLength: 256 }).map(utf8),
  jsonText,
  jsonText.map(utf8),
  jsonText.chain((t) => fc.nat({ max: Math.max(0, t.length - 1) }).map((n) => t.slice(0, n))),
  fc.constantFrom(VALID_MANIFEST, VALID_ENVELOPE),
  fc.constantFrom(VALID_MANIFEST, VALID_ENVELOPE).chain((t) => fc.nat({ max: t.length - 1 }).map((n) => t.slice(0, n))),
  deepNesting,
  mutated,
);

/** Runs the parser on `input` and checks the outcome; returns what happened, for the statistics below. */
function outcomeOf(input: Uint8Array | string, schema: z.ZodMiniType, limits: DocumentLimits): 'value' | string {
  const started = performance.now();
  let outcome: string;
  try {
    const value = parseJsonDocument(input, schema, limits);
    expect(schema.safeParse(value).success).toBe(true);
    // Only well-formed UTF-8 gets this far: decoding and re-encoding gives the same bytes back.
    if (typeof input !== 'string') expect(utf8(new TextDecoder().decode(input))).toStrictEqual(input);
    outcome = 'value';
  } catch (err) {
    // Anything else (SyntaxError, RangeError, ZodError, TypeError…) fails the property.
    if (!(err instanceof InvalidInputError || err instanceof TooLargeError)) throw err;
    expect(err.message.startsWith(limits.what)).toBe(true);
    outcome = err.name;
  }
  expect(performance.now() - started).toBeLessThan(CALL_BUDGET_MS);
  return outcome;
}

describe('Function: parseJsonDocument (properties)', () => {
  describe.each(SCHEMAS)('when the schema is %s', (_name, schema) => {
    it('returns a value that satisfies the schema or throws a document error, within the time budget', () => {
      // Prepare
      const seen = new Set<string>();
      const limits = fc.oneof(
        fc.constant(LIMITS),
        fc.integer({ min: 0, max: 512 }).map((maxBytes) => ({ ...LIMITS, maxBytes })),
      );

      // Act & Assess
      fc.assert(
        fc.property(anyInput, limits, (input, l) => {
          seen.add(outcomeOf(input, schema, l));
        }),
        { numRuns: RUNS },
      );
      // Every path was taken at least once, so the property was not vacuous.
      expect(seen).toContain('InvalidInputError');
      expect(seen).toContain('TooLargeError');
      expect(seen).toContain('value');
    });
  });

  describe('when the document is JSON without repeated names', () => {
    it('agrees with JSON.parse, from bytes and from a string', () => {
      fc.assert(
        fc.property(jsonText, (text) => {
          // Act
          const fromBytes = parseJsonValue(utf8(text), LIMITS);
          const fromText = parseJsonValue(text, LIMITS);

          // Assess
          expect(fromBytes).toStrictEqual(JSON.parse(text));
          expect(fromText).toStrictEqual(fromBytes);
        }),
        { numRuns: RUNS },
      );
    });

    it('round-trips any unicode string', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 512 }), (s) => {
          // Act & Assess
          expect(parseJsonDocument(utf8(JSON.stringify(s)), z.string(), LIMITS)).toBe(s);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('when the bytes are not valid UTF-8', () => {
    it('never returns a value', () => {
      // Prepare: random bytes, kept only when a fatal decoder refuses them.
      const invalid = fc.uint8Array({ minLength: 1, maxLength: 256 }).filter((b) => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(b);
          return false;
        } catch {
          return true;
        }
      });

      fc.assert(
        fc.property(invalid, (bytes) => {
          // Act
          const act = (): unknown => parseJsonValue(bytes, LIMITS);

          // Assess
          expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          expect(act).toThrow('fuzzed document is not valid UTF-8');
        }),
        { numRuns: RUNS },
      );
    });

    it('refuses them inside an otherwise valid JSON string, where a lossy decoder would read U+FFFD', () => {
      // Prepare: ill-formed sequences (Unicode §3.9 table 3-7) spliced into a string member.
      const illFormed = fc.constantFrom(
        [0x80], // lone continuation byte
        [0xbf],
        [0xc0, 0xaf], // overlong "/"
        [0xc1, 0xbf],
        [0xe0, 0x80, 0xaf], // overlong, three bytes
        [0xed, 0xa0, 0x80], // encoded surrogate half
        [0xed, 0xbf, 0xbf],
        [0xf0, 0x80, 0x80, 0xaf], // overlong, four bytes
        [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
        [0xf5, 0x80, 0x80, 0x80],
        [0xe2, 0x82], // truncated
        [0xfe],
        [0xff],
      );
      const document = fc
        .tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), illFormed, fc.string({ maxLength: 20 }))
        .map(([before, bad, after]) => {
          const [head, tail] = [
            utf8(`{"name":${JSON.stringify(before).slice(0, -1)}`),
            utf8(`${after.replace(/["\\]/g, '')}"}`),
          ];
          return new Uint8Array([...head, ...bad, ...tail]);
        });

      fc.assert(
        fc.property(document, (bytes) => {
          // Act & Assess
          expect(() => parseJsonValue(bytes, LIMITS)).toThrow('fuzzed document is not valid UTF-8');
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('when an object or array is cut off', () => {
    it('never returns a value', () => {
      // Prepare: a strict prefix of a serialised object or array is never JSON.
      const container = fc.oneof(
        fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1 }),
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1 }),
      );
      const cut = container
        .map((v) => JSON.stringify(v))
        .chain((t) => fc.nat({ max: t.length - 1 }).map((n) => t.slice(0, n)));

      fc.assert(
        fc.property(cut, (text) => {
          // Act & Assess
          expect(() => parseJsonValue(utf8(text), LIMITS)).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('when an object repeats a member name, at any depth and however it is escaped', () => {
    it('refuses the document', () => {
      // Prepare: an object plus one of its own names again; the repeat is written plainly or as \uXXXX escapes.
      const escapeAll = (name: string): string =>
        `"${Array.from({ length: name.length }, (_, i) => `\\u${name.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;
      const withDuplicate = fc
        .tuple(
          fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }),
          fc.nat(),
          fc.jsonValue({ maxDepth: 2 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 20 }),
        )
        .map(([object, pick, value, escaped, depth]) => {
          const names = Object.keys(object);
          const name = names[pick % names.length] ?? '';
          const repeat = escaped ? escapeAll(name) : JSON.stringify(name);
          const inner = `${JSON.stringify(object).slice(0, -1)},${repeat}:${JSON.stringify(value)}}`;
          return `${'[{"x":'.repeat(depth)}${inner}${'}]'.repeat(depth)}`;
        });

      fc.assert(
        fc.property(withDuplicate, (text) => {
          // Act
          const act = (): unknown => parseJsonValue(utf8(text), LIMITS);

          // Assess
          expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          expect(act).toThrow(/duplicate member name/);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('when arrays and objects nest to any depth', () => {
    it('returns the value up to maxDepth and refuses it beyond, never a RangeError', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5000 }), fc.boolean(), (depth, arrays) => {
          // Prepare
          const text = arrays
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;

          // Act
          const act = (): unknown => parseJsonValue(text, LIMITS);

          // Assess
          if (depth <= (LIMITS.maxDepth ?? 0)) expect(act).not.toThrow();
          else expect(act).toThrow(/nests arrays and objects more than 64 levels deep/);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe('Functions: locateArray and arrayBatches (properties)', () => {
  /** Members of an object, none named as the path to the array. */
  const members = fc.dictionary(
    fc.string({ maxLength: 6 }).filter((k) => k !== 'predicate' && k !== 'components'),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 4 },
  );
  const placed = (entries: Record<string, unknown>, at: number, name: string, value: unknown) => {
    const list = Object.entries(entries);
    list.splice(at % (list.length + 1), 0, [name, value]);
    return Object.fromEntries(list);
  };

  it('read in batches, the rest with the array emptied then its elements, is what JSON.parse reads', () => {
    fc.assert(
      fc.property(
        members,
        fc.nat(),
        members,
        fc.nat(),
        fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 40 }),
        fc.constantFrom(0, 2, '\t'),
        (outer, outerAt, inner, innerAt, elements, indent) => {
          // Prepare: `{…, "predicate": {…, "components": [elements], …}, …}`, compact or pretty.
          const document = placed(outer, outerAt, 'predicate', placed(inner, innerAt, 'components', elements));
          const text = JSON.stringify(document, null, indent);
          const bytes = utf8(text);

          // Act
          const at = locateArray(bytes, ['predicate', 'components']);
          if (at === undefined) throw new Error('the array was not located');
          const rest = parseJsonValue(withEmptiedArray(bytes, at), LIMITS) as { predicate: { components: unknown[] } };
          const emptied = rest.predicate.components;
          rest.predicate.components = [...arrayBatches(bytes, at, 'fuzzed document')].flat();

          // Assess
          expect(emptied).toEqual([]);
          expect(rest).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
