import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_MAX_DEPTH,
  decodeDocumentText,
  formatPath,
  locateArray,
  locateRootArray,
  MAX_REPORTED_ISSUES,
  parseJsonDocument,
  parseJsonValue,
  safeParseJsonDocument,
  validateDocument,
} from '../../lambdas/domain/document.js';
import { InvalidInputError, TooLargeError } from '../../lambdas/domain/errors.js';

const LIMITS = { what: 'test document', maxBytes: 1024 * 1024 };
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** What `act` throws. */
function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

/** The message of what `act` throws, for assertions on its wording. */
function messageOf(act: () => unknown): string {
  const err = thrownBy(act);
  return err instanceof Error ? err.message : String(err);
}

const ComponentSchema = z.object({ name: z.string(), version: z.string() });
const SbomLikeSchema = z.object({
  components: z.array(ComponentSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

describe('Function: parseJsonDocument', () => {
  describe('when the document is valid', () => {
    it('returns the schema output (defaults and transforms applied)', () => {
      // Prepare
      const schema = z.object({ n: z.string().transform(Number), tags: z.array(z.string()).default([]) });

      // Act
      const value = parseJsonDocument(utf8(' {"n": "42"}\n'), schema, LIMITS);

      // Assess
      expect(value).toEqual({ n: 42, tags: [] });
    });

    it('accepts a string that is already decoded', () => {
      // Act
      const value = parseJsonDocument('{"name":"é","version":"1"}', ComponentSchema, LIMITS);

      // Assess
      expect(value).toEqual({ name: 'é', version: '1' });
    });
  });

  describe('when the document is above its size limit', () => {
    it('throws TOO_LARGE before decoding: a huge buffer of invalid bytes is too large, not invalid', () => {
      // Prepare: 0xff is never valid UTF-8; a decoder reached first would say so.
      const huge = new Uint8Array(LIMITS.maxBytes + 1).fill(0xff);

      // Act
      const act = (): unknown => parseJsonDocument(huge, z.unknown(), LIMITS);

      // Assess
      expect(act).toThrowWithCode(TooLargeError, 'TOO_LARGE');
      expect(messageOf(act)).toBe(`test document is ${LIMITS.maxBytes + 1} bytes, above the limit of 1048576 bytes`);
    });

    it('counts a string in UTF-8 bytes, not in characters', () => {
      // Prepare: 4 characters, 8 bytes.
      const text = '"éé"';

      // Act
      const act = (): unknown => parseJsonDocument(text, z.string(), { what: 'x', maxBytes: 5 });

      // Assess
      expect(act).toThrowWithCode(TooLargeError, 'TOO_LARGE');
      expect(messageOf(act)).toContain('x is 6 bytes');
    });

    it('accepts a document of exactly the limit', () => {
      // Act
      const value = parseJsonDocument(utf8('[1]'), z.array(z.number()), { what: 'x', maxBytes: 3 });

      // Assess
      expect(value).toEqual([1]);
    });
  });

  describe('when the bytes are not valid UTF-8', () => {
    it.each([
      ['a lone continuation byte', bytes(0x22, 0x80, 0x22)],
      ['an overlong encoding of "/"', bytes(0x22, 0xc0, 0xaf, 0x22)],
      ['a three-byte overlong encoding', bytes(0x22, 0xe0, 0x80, 0xaf, 0x22)],
      ['an encoded surrogate half (CESU-8)', bytes(0x22, 0xed, 0xa0, 0x80, 0x22)],
      ['a truncated sequence', bytes(0x22, 0xe2, 0x82, 0x22)],
      ['a code point above U+10FFFF', bytes(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22)],
      ['the byte 0xff', bytes(0x22, 0xff, 0x22)],
      ['a UTF-16 document with its BOM', bytes(0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00)],
    ])('throws INVALID_INPUT for %s, never a U+FFFD replacement', (_what, input) => {
      // Act
      const act = (): unknown => parseJsonDocument(input, z.string(), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toBe('test document is not valid UTF-8');
    });

    it('throws INVALID_INPUT for a string holding an unpaired surrogate', () => {
      // Act
      const act = (): unknown => parseJsonDocument('"\ud800"', z.string(), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toContain('unpaired surrogate');
    });

    it('accepts a string holding a surrogate pair', () => {
      // Act
      const value = parseJsonDocument('"😀"', z.string(), LIMITS);

      // Assess
      expect(value).toBe('😀');
    });
  });

  describe('when the document starts with a byte order mark', () => {
    const withBom = bytes(0xef, 0xbb, 0xbf, ...utf8('{"a":1}'));

    it('refuses it by default (RFC 8259 §8.1; Go tools refuse it too)', () => {
      // Act
      const act = (): unknown => parseJsonDocument(withBom, z.unknown(), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toContain('starts with a byte order mark (U+FEFF)');
    });

    it('refuses it in a string too', () => {
      // Act
      const act = (): unknown => parseJsonDocument('\ufeff{}', z.unknown(), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
    });

    it('ignores it when the call site opts in', () => {
      // Act
      const value = parseJsonDocument(withBom, z.object({ a: z.number() }), { ...LIMITS, byteOrderMark: 'ignore' });

      // Assess
      expect(value).toEqual({ a: 1 });
    });

    it('never ignores a second one, or one after whitespace', () => {
      // Prepare
      const limits = { ...LIMITS, byteOrderMark: 'ignore' as const };

      // Act & Assess
      expect(() => parseJsonValue('\ufeff\ufeff{}', limits)).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(() => parseJsonValue(' \ufeff{}', limits)).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
    });
  });

  describe('when the document is not JSON', () => {
    it.each([
      ['empty', ''],
      ['only whitespace', ' \n\t '],
      ['trailing garbage', '{"a":1} x'],
      ['two values', '{}{}'],
      ['an extra closing bracket', '[1]]'],
      ['a trailing comma', '[1,]'],
      ['a single-quoted string', "{'a':1}"],
      ['a comment', '{"a":1 /* no */}'],
      ['NaN', '[NaN]'],
      ['an unterminated string', '{"a":"b}'],
      ['an unterminated object', '{"a":['],
      ['a raw control character in a string', '"a\u0001b"'],
    ])('throws INVALID_INPUT for %s, naming the document', (_what, text) => {
      // Act
      const act = (): unknown => parseJsonValue(utf8(text), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toMatch(/^test document is not JSON: /);
    });

    it('keeps the parser error as the cause', () => {
      // Act
      const caught = thrownBy(() => parseJsonValue(utf8('{'), LIMITS));

      // Assess
      expect(caught).toBeInstanceOf(InvalidInputError);
      expect(caught).toHaveProperty('cause', expect.any(SyntaxError));
    });
  });

  describe('when arrays and objects nest deeply', () => {
    it(`accepts ${DEFAULT_MAX_DEPTH} levels by default`, () => {
      // Act
      const value = parseJsonValue(nested(DEFAULT_MAX_DEPTH), LIMITS);

      // Assess
      expect(Array.isArray(value)).toBe(true);
    });

    it(`refuses ${DEFAULT_MAX_DEPTH + 1} levels`, () => {
      // Act
      const act = (): unknown => parseJsonValue(nested(DEFAULT_MAX_DEPTH + 1), LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toBe(`test document nests arrays and objects more than ${DEFAULT_MAX_DEPTH} levels deep`);
    });

    it('refuses a million levels quickly, before JSON.parse builds them', () => {
      // Prepare
      const text = nested(1_000_000);
      const started = performance.now();

      // Act
      const act = (): unknown => parseJsonValue(text, { what: 'x', maxBytes: 4 * 1024 * 1024 });

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('counts objects and arrays alike, and honours maxDepth', () => {
      // Prepare
      const limits = { ...LIMITS, maxDepth: 3 };

      // Act & Assess
      expect(parseJsonValue('{"a":[{"b":1}]}', limits)).toEqual({ a: [{ b: 1 }] });
      expect(() => parseJsonValue('{"a":[{"b":[]}]}', limits)).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
    });

    it('does not count brackets inside strings', () => {
      // Prepare
      const text = JSON.stringify({ s: `${'['.repeat(1000)}\\"{{{`, t: ['"]]]"'] });

      // Act
      const value = parseJsonValue(text, { ...LIMITS, maxDepth: 2 });

      // Assess
      expect(value).toEqual(JSON.parse(text));
    });
  });

  describe('when an object repeats a member name', () => {
    it('refuses it, where JSON.parse alone would silently keep the last value', () => {
      // Prepare: one reader sees "trusted", another "evil" (RFC 8259 §4: behaviour is unpredictable).
      const text = '{"predicateType":"trusted","predicateType":"evil"}';
      expect(JSON.parse(text)).toEqual({ predicateType: 'evil' });

      // Act
      const act = (): unknown => parseJsonValue(text, LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toBe('test document: (root): duplicate member name "predicateType" (RFC 8259 §4)');
    });

    it('names the path of the object that repeats it', () => {
      // Act
      const message = messageOf(() =>
        parseJsonValue('{"subject":[{"a":1},{"digest":{"sha256":"x","sha256":"y"}}]}', LIMITS),
      );

      // Assess
      expect(message).toBe('test document: subject[1].digest: duplicate member name "sha256" (RFC 8259 §4)');
    });

    it.each([3, 16, 17, 40])('finds a repeat of the first of %i names (small objects keep names in a list)', (n) => {
      // Prepare
      const members = Array.from({ length: n }, (_, i) => `"m${i}":${i}`);
      const text = `{"outer":{${[...members, '"m0":"again"'].join(',')}}}`;

      // Act
      const act = (): unknown => parseJsonValue(text, LIMITS);

      // Assess
      expect(messageOf(act)).toBe('test document: outer: duplicate member name "m0" (RFC 8259 §4)');
    });

    it.each([3, 20])('finds a repeat spelled with an escape among %i names', (n) => {
      // Prepare: "m\u0031" is "m1".
      const members = Array.from({ length: n }, (_, i) => `"m${i}":${i}`);
      const text = `{"a":[{${[...members, '"m\\u0031":"again"'].join(',')}}]}`;

      // Act
      const act = (): unknown => parseJsonValue(text, LIMITS);

      // Assess
      expect(messageOf(act)).toBe('test document: a[0]: duplicate member name "m1" (RFC 8259 §4)');
    });

    it('compares names after their escapes are decoded', () => {
      // Act
      const act = (): unknown => parseJsonValue('{"payload":"a","p\\u0061yload":"b"}', LIMITS);

      // Assess
      expect(act).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      expect(messageOf(act)).toContain('duplicate member name "payload"');
    });

    it('allows the same name in different objects, and the same value twice', () => {
      // Prepare
      const text = '{"a":{"x":1},"b":{"x":1},"c":[{"x":"x"},{"x":"x"}],"x":"a"}';

      // Act
      const value = parseJsonValue(text, LIMITS);

      // Assess
      expect(value).toEqual(JSON.parse(text));
    });

    it('reports a syntax error before a duplicate in a document that is not JSON', () => {
      // Act
      const message = messageOf(() => parseJsonValue('{"a":1,"a":2', LIMITS));

      // Assess
      expect(message).toMatch(/is not JSON/);
    });
  });

  describe('when an object has a "__proto__" member', () => {
    it('keeps it as an own property, as JSON.parse does, without touching the prototype', () => {
      // Act
      const value = parseJsonValue('{"__proto__":{"polluted":true}}', LIMITS);

      // Assess
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.hasOwn(value as object, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('when the value does not satisfy the schema', () => {
    it('lists every issue in one message: the document, then path: message per issue', () => {
      // Prepare
      const doc = {
        components: [{ name: 'a', version: '1' }, { name: 'b' }, { name: 3, version: '2' }],
        annotations: { 'org.opencontainers.image.title': 1 },
      };

      // Act
      const message = messageOf(() => parseJsonDocument(utf8(JSON.stringify(doc)), SbomLikeSchema, LIMITS));

      // Assess
      expect(message).toBe(
        'test document: ' +
          'components[1].version: Invalid input: expected string, received undefined; ' +
          'components[2].name: Invalid input: expected string, received number; ' +
          'annotations["org.opencontainers.image.title"]: Invalid input: expected string, received number',
      );
    });

    it('names the root as (root)', () => {
      // Act
      const message = messageOf(() => parseJsonDocument(utf8('[]'), SbomLikeSchema, { ...LIMITS, what: 'manifest' }));

      // Assess
      expect(message).toBe('manifest: (root): Invalid input: expected object, received array');
    });

    it(`names at most ${MAX_REPORTED_ISSUES} issues and counts the rest, keeping all of them on the cause`, () => {
      // Prepare
      const doc = { components: Array.from({ length: 15 }, (_, i) => ({ name: `c${i}` })) };

      // Act
      const caught = thrownBy(() => parseJsonDocument(utf8(JSON.stringify(doc)), SbomLikeSchema, LIMITS));

      // Assess
      expect(caught).toBeInstanceOf(InvalidInputError);
      const message = messageOf(() => {
        throw caught;
      });
      expect(message.split('; ')).toHaveLength(MAX_REPORTED_ISSUES);
      expect(message).toMatch(/components\[9\]\.version: .* \(and 5 more\)$/);
      expect(caught).toHaveProperty('cause', expect.any(z.ZodError));
      expect(caught).toHaveProperty('cause.issues.length', 15);
    });
  });
});

describe('Function: safeParseJsonDocument', () => {
  describe('when the document fails', () => {
    it('returns the error instead of throwing it', () => {
      // Act
      const tooLarge = safeParseJsonDocument(utf8('[1,2]'), z.unknown(), { what: 'x', maxBytes: 2 });
      const invalid = safeParseJsonDocument(utf8('[1,2]'), z.string(), LIMITS);

      // Assess
      expect(tooLarge.success || tooLarge.error).toBeInstanceOf(TooLargeError);
      expect(invalid.success || invalid.error).toBeInstanceOf(InvalidInputError);
    });
  });

  describe('when the document is valid', () => {
    it('returns the data', () => {
      // Act
      const result = safeParseJsonDocument('"x"', z.string(), LIMITS);

      // Assess
      expect(result).toEqual({ success: true, data: 'x' });
    });
  });

  describe('when the schema itself throws (a programming error, not a bad document)', () => {
    it('lets the error through', () => {
      // Prepare
      const schema = z.string().refine(() => {
        throw new TypeError('bug');
      });

      // Act
      const act = (): unknown => safeParseJsonDocument('"x"', schema, LIMITS);

      // Assess
      expect(act).toThrow(TypeError);
    });
  });
});

describe('Function: validateDocument', () => {
  describe('when an already parsed value fails its schema', () => {
    it('reports the issues in the same format', () => {
      // Act
      const message = messageOf(() => validateDocument({ name: 'a' }, ComponentSchema, 'component'));

      // Assess
      expect(message).toBe('component: version: Invalid input: expected string, received undefined');
    });
  });
});

describe('Function: decodeDocumentText', () => {
  describe('when the bytes are valid UTF-8', () => {
    it('returns the text, without parsing it', () => {
      // Act
      const text = decodeDocumentText(utf8('id: GHSA-1\n'), LIMITS);

      // Assess
      expect(text).toBe('id: GHSA-1\n');
    });
  });

  describe('when they are too large or invalid', () => {
    it('throws as parseJsonDocument does', () => {
      // Act & Assess
      expect(() => decodeDocumentText(new Uint8Array(11).fill(0xff), { what: 'x', maxBytes: 10 })).toThrowWithCode(
        TooLargeError,
        'TOO_LARGE',
      );
      expect(() => decodeDocumentText(bytes(0x80), LIMITS)).toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
    });
  });
});

describe('Function: formatPath', () => {
  it.each([
    [[], '(root)'],
    [['components', 3, 'version'], 'components[3].version'],
    [[0, 'a'], '[0].a'],
    [['annotations', 'org.opencontainers.image.title'], 'annotations["org.opencontainers.image.title"]'],
    [['os.version'], '["os.version"]'],
    [['a b', '$ok', '_x1'], '["a b"].$ok._x1'],
  ])('renders %j as %s', (path, expected) => {
    // Act & Assess
    expect(formatPath(path)).toBe(expected);
  });
});

/** The texts of the elements of the array `path` names in `text`, as located. */
const elementTexts = (text: string, path: readonly string[]): string[] | undefined => {
  const at = locateArray(new TextEncoder().encode(text), path);
  if (at === undefined) return undefined;
  const out: string[] = [];
  for (let k = 0; k < at.elements.length; k += 2) out.push(text.slice(at.elements[k], at.elements[k + 1]));
  return out;
};

describe('Function: locateRootArray', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const pieces = (text: string): string[] | undefined => {
    // The same locator: the root array is a path of one name.
    expect(locateRootArray(bytes(text), 'components')).toEqual(locateArray(bytes(text), ['components']));
    return elementTexts(text, ['components']);
  };

  describe('when the root object has the array', () => {
    it('splits it at its own commas, not at those inside strings or nested values', () => {
      // Prepare
      const text =
        '{"metadata":{"tools":{"components":[{"name":"tool"}]}},"components":[ {"name":"a,]\\\\","x":[1,2]} ,\n{"name":"b\\"}"}],"z":1}';

      // Act & Assess
      expect(pieces(text)).toEqual([' {"name":"a,]\\\\","x":[1,2]} ', '\n{"name":"b\\"}"}']);
    });

    it('finds no element in an empty array', () => {
      // Act & Assess
      expect(pieces('\ufeff{ "components" : [ \n ] }')).toEqual([]);
    });

    it('keeps an empty element, so that parsing it refuses the document', () => {
      // Act & Assess
      expect(pieces('{"components":[{},,{}]}')).toEqual(['{}', '', '{}']);
    });
  });

  describe('when the root object has no such array', () => {
    it.each([
      ['only a nested one', '{"metadata":{"components":[{}]}}'],
      ['not an array', '{"components":{"a":1}}'],
      ['a name spelled with escapes', '{"comp\\u006fnents":[{}]}'],
      ['a root that is an array', '[{"components":[{}]}]'],
      ['an array never closed', '{"components":[{}'],
    ])('is undefined: %s', (_case, text) => {
      // Act & Assess
      expect(locateRootArray(bytes(text), 'components')).toBeUndefined();
    });
  });
});

describe('Function: locateArray', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const path = ['predicate', 'components'];
  const pieces = (text: string): string[] | undefined => elementTexts(text, path);

  describe('when the array is under the named members', () => {
    it('finds it past members of the same names elsewhere', () => {
      // Prepare
      const text =
        '{"subject":[{"components":[1]}],"x":{"predicate":{"components":[2]}},"predicate" : {"metadata":{"components":[3]},"components":[{"a":"],"},4]}}';

      // Act & Assess
      expect(pieces(text)).toEqual(['{"a":"],"}', '4']);
    });
  });

  describe('when it is not there', () => {
    it.each([
      ['a predicate without it, and one at the root', '{"predicate":{"x":1},"components":[1]}'],
      ['a predicate that is not an object', '{"predicate":[{"components":[1]}]}'],
      ['only deeper in the predicate', '{"predicate":{"metadata":{"components":[1]}}}'],
      ['no predicate', '{"components":[1]}'],
    ])('is undefined: %s', (_case, text) => {
      // Act & Assess
      expect(locateArray(bytes(text), path)).toBeUndefined();
    });
  });
});
