/**
 * The one way in for JSON documents: size, strict UTF-8, structure, JSON, schema, issues.
 *
 * Every document the gate reads (manifests, envelopes, bundles, SBOMs, advisories, stored records,
 * local files) goes through {@link parseJsonDocument} or one of its variants, so each step holds
 * everywhere:
 *
 * 1. **Size first.** Bytes above `maxBytes` are a {@link TooLargeError} before anything is decoded.
 * 2. **Strict UTF-8** (RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8). Invalid bytes
 *    (stray continuation bytes, overlong forms, encoded surrogates, truncated sequences) are refused,
 *    never replaced with U+FFFD: a lossy decode would let two different byte strings (two digests)
 *    read as the same document.
 * 3. **No byte order mark** unless the call site opts in. RFC 8259 §8.1 forbids sending one and lets
 *    parsers ignore it; Go's encoding/json (registries, cosign, notation) refuses it, so a document
 *    we accepted with a BOM is one those tools reject: a parser differential. Refused by default, and
 *    never stripped silently (`TextDecoder` strips it unless told `ignoreBOM`).
 * 4. **Bounded nesting.** Arrays and objects nested deeper than `maxDepth` are refused before
 *    `JSON.parse` builds them, so no recursive reader (zod, JSON.stringify, our own walkers) meets a
 *    pathological depth.
 * 5. **No duplicate member names.** RFC 8259 §4 says names SHOULD be unique and that behaviour with
 *    duplicates is unpredictable: `JSON.parse` keeps the last, Go keeps the last, other parsers keep
 *    the first. A signed in-toto statement or DSSE envelope read one way by the signer's tools and
 *    another way by the gate is a known attack class, so every document refuses them: no document
 *    the gate reads has a legitimate reason to repeat a name.
 * 6. **JSON**, then the **zod schema**, with every issue reported in one format: the document's
 *    name, then `path: message` per issue (`SBOM: components[3].version: expected string`).
 *
 * Failures are always {@link InvalidInputError} or {@link TooLargeError}: nothing else escapes, so a
 * caller that turns a bad document into FAIL evidence can rely on the codes `INVALID_INPUT` /
 * `TOO_LARGE`. Call sites that report in their own vocabulary (Notation, Sigstore, the registry)
 * use {@link safeParseJsonDocument} and map the failure.
 */
import { InvalidInputError, TooLargeError } from './errors.js';
import * as z from './zod.js';

/** Arrays and objects deeper than this are refused unless a call site says otherwise. */
export const DEFAULT_MAX_DEPTH = 256;

/** Schema issues named in a message; the rest are counted (all of them stay on the error's `cause`). */
export const MAX_REPORTED_ISSUES = 10;

/** A parser message quoted in a reason is cut to this many characters. */
const MAX_SYNTAX_DETAIL = 200;

export interface DocumentLimits {
  /** Names the document in every message: `SBOM`, `manifest sha256:…`, `revocation list /etc/x.json`. */
  readonly what: string;
  /** Largest accepted size in bytes (UTF-8 bytes for a string), checked before decoding. */
  readonly maxBytes: number;
  /**
   * Deepest accepted nesting of arrays and objects (the top-level value is depth 1).
   * @default DEFAULT_MAX_DEPTH (256)
   */
  readonly maxDepth?: number;
  /**
   * A leading U+FEFF: `refuse` it (InvalidInputError) or `ignore` it, as RFC 8259 §8.1 allows. Only
   * for documents that tools are known to write with one (SBOM generators on Windows).
   * @default 'refuse'
   */
  readonly byteOrderMark?: 'refuse' | 'ignore';
}

/** What a document failure is: the only two errors the parser throws. */
export type DocumentError = InvalidInputError | TooLargeError;

/** The non-throwing result, as zod's `safeParse`. */
export type DocumentResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: DocumentError };

/**
 * Parses a JSON document: size, strict UTF-8, BOM, nesting, duplicate names, JSON, then `schema`.
 * Returns the schema's output. `input` is the document's bytes, or its text when it is already a
 * string (a template read as text): then the size is its UTF-8 size and unpaired surrogates are
 * refused as invalid UTF-8 would be.
 *
 * @throws TooLargeError when `input` exceeds `limits.maxBytes` (before decoding).
 * @throws InvalidInputError for anything else, with a message that names `limits.what` and says why.
 */
export function parseJsonDocument<S extends z.ZodMiniType>(
  input: Uint8Array | string,
  schema: S,
  limits: DocumentLimits,
): z.output<S> {
  return validateDocument(parseJsonValue(input, limits), schema, limits.what);
}

/**
 * {@link parseJsonDocument} without a schema (as with `z.unknown()`): any JSON value, for readers
 * that validate in stages and report each stage in their own terms.
 */
export function parseJsonValue(input: Uint8Array | string, limits: DocumentLimits): unknown {
  return parseChecked(decodeDocumentText(input, limits), limits);
}

/** {@link parseJsonDocument} that returns the failure instead of throwing it. */
export function safeParseJsonDocument<S extends z.ZodMiniType>(
  input: Uint8Array | string,
  schema: S,
  limits: DocumentLimits,
): DocumentResult<z.output<S>> {
  return attempt(() => parseJsonDocument(input, schema, limits));
}

/** {@link parseJsonValue} that returns the failure instead of throwing it. */
export function safeParseJsonValue(input: Uint8Array | string, limits: DocumentLimits): DocumentResult<unknown> {
  return attempt(() => parseJsonValue(input, limits));
}

/**
 * The schema step alone, for a value that is already parsed (a stage of a staged reader, an object
 * decoded from inside another document). Reports every issue in the one format.
 *
 * @throws InvalidInputError `<what>: <path>: <message>; …`, with the ZodError as `cause`.
 */
export function validateDocument<S extends z.ZodMiniType>(value: unknown, schema: S, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(`${what}: ${formatIssues(parsed.error.issues)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * The size check and strict UTF-8 decoding alone (BOM included), for documents that are not JSON
 * (YAML policies and advisories) but come in through the same door.
 *
 * @throws TooLargeError / InvalidInputError as {@link parseJsonDocument}.
 */
export function decodeDocumentText(input: Uint8Array | string, limits: DocumentLimits): string {
  const text = typeof input === 'string' ? checkedText(input, limits) : decodeUtf8(input, limits);
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) {
    if (limits.byteOrderMark !== 'ignore') {
      throw new InvalidInputError(
        `${limits.what} starts with a byte order mark (U+FEFF), which JSON texts must not carry (RFC 8259 §8.1)`,
      );
    }
    return text.slice(1);
  }
  return text;
}

/**
 * Zod issues as one line: `path: message` per issue, `; ` between them, at most
 * {@link MAX_REPORTED_ISSUES} named and the rest counted. Paths read as in code: `components[3].version`,
 * `annotations["org.opencontainers.image.title"]`, `(root)` for the value itself.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > MAX_REPORTED_ISSUES ? ` (and ${issues.length - MAX_REPORTED_ISSUES} more)` : '';
  return `${shown.join('; ')}${more}`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A path into a document as code would write it; `(root)` when empty. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'symbol') out += `[${String(segment)}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

// ---------------------------------------------------------------------------------------------

const BYTE_ORDER_MARK = 0xfeff;

function attempt<T>(parse: () => T): DocumentResult<T> {
  try {
    return { success: true, data: parse() };
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof TooLargeError) return { success: false, error: err };
    throw err;
  }
}

// ignoreBOM keeps a leading U+FEFF in the text, so whether it is allowed is our choice, not the
// decoder's. One decoder for every document: a decode without `stream` starts afresh.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array, limits: DocumentLimits): string {
  if (bytes.byteLength > limits.maxBytes) throw new TooLargeError(limits.what, bytes.byteLength, limits.maxBytes);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch (err) {
    throw new InvalidInputError(`${limits.what} is not valid UTF-8`, { cause: err });
  }
}

function checkedText(text: string, limits: DocumentLimits): string {
  // A UTF-16 code unit is 1–3 UTF-8 bytes (a surrogate pair 4 for two), so encode only when it matters.
  if (text.length * 3 > limits.maxBytes) {
    const size = text.length > limits.maxBytes ? text.length : new TextEncoder().encode(text).byteLength;
    if (size > limits.maxBytes) throw new TooLargeError(limits.what, size, limits.maxBytes);
  }
  // In `u` mode a surrogate pair is one code point, so this matches only unpaired halves.
  if (/\p{Surrogate}/u.test(text)) {
    throw new InvalidInputError(`${limits.what} is not valid Unicode (it holds an unpaired surrogate)`);
  }
  return text;
}

function parseChecked(text: string, limits: DocumentLimits): unknown {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const names = countMemberNames(text, maxDepth);
  if (names === TOO_DEEP) {
    throw new InvalidInputError(`${limits.what} nests arrays and objects more than ${maxDepth} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // SyntaxError for bad JSON; RangeError should the engine ever run out of stack on nesting.
    const detail = err instanceof Error ? err.message.slice(0, MAX_SYNTAX_DETAIL) : String(err);
    throw new InvalidInputError(`${limits.what} is not JSON: ${detail}`, { cause: err });
  }
  // JSON.parse keeps one member per distinct name of an object, so it kept as many members as the
  // text names exactly when no object repeats a name. Only then is the text scanned name by name,
  // to say where (most documents have none, and comparing names is most of a scan's time).
  if (countMembers(value) !== names) {
    const duplicate = scanStructure(text, maxDepth).duplicate;
    const where = duplicate === undefined ? '' : `${formatPath(duplicate.path)}: `;
    const name = duplicate === undefined ? '' : ` ${JSON.stringify(duplicate.key)}`;
    throw new InvalidInputError(`${limits.what}: ${where}duplicate member name${name} (RFC 8259 §4)`);
  }
  return value;
}

const TOO_DEEP = -1;

/**
 * The member names of the JSON text: its colons outside strings (in JSON a colon outside a string
 * only ever follows a member name). TOO_DEEP as soon as arrays and objects nest past `maxDepth`,
 * before JSON.parse builds them. On text that is not JSON the count means nothing; JSON.parse says so.
 */
function countMemberNames(text: string, maxDepth: number): number {
  let depth = 0;
  let names = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) break; // unterminated: JSON.parse says so
    } else if (c === COLON) names++;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return TOO_DEEP;
    } else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && depth > 0) depth--;
  }
  return names;
}

/**
 * The members of every object in a parsed JSON value (its depth is bounded by the scan before).
 * `for…in`, not `Object.values`: no array per object (JSON.parse objects inherit nothing
 * enumerable, and an inherited member would only count one too many: a refusal, never a pass).
 */
function countMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) n += countMembers(value[i]);
    return n;
  }
  const object = value as Record<string, unknown>;
  for (const name in object) n += 1 + countMembers(object[name]);
  return n;
}

interface Frame {
  /**
   * Member names seen so far; undefined for an array. While the object is small (most are: a
   * component has a handful of members, and an SBOM has hundreds of thousands of components) the
   * [start, end) offsets of their raw text, compared in place, so no string is made per name; the
   * decoded names in a Set once it has more than `SMALL_OBJECT` or a name has an escape.
   */
  names: number[] | Set<string> | undefined;
  /** The element index (array), for paths. */
  at: number;
  /** The current member name (object), for paths: its raw text's offsets, or decoded when escaped. */
  nameStart: number;
  nameEnd: number;
  name: string | undefined;
}

interface StructureScan {
  readonly tooDeep: boolean;
  /** The first repeated name, and the path of the object that repeats it. */
  readonly duplicate?: { readonly path: readonly (string | number)[]; readonly key: string };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * One linear pass over the text, outside strings: the nesting depth (stopping as soon as it passes
 * `maxDepth`) and the first repeated member name. It trusts the JSON grammar, so on text that is not
 * JSON its findings mean nothing; `parseChecked` reports a duplicate only after `JSON.parse` accepted
 * the text. `JSON.parse` cannot tell: it keeps the last value and forgets the rest.
 */
function scanStructure(text: string, maxDepth: number): StructureScan {
  const frames: Frame[] = [];
  let expectName = false;
  let duplicate: StructureScan['duplicate'];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) break; // unterminated: JSON.parse says so
      const top = frames[frames.length - 1];
      if (expectName && top?.names !== undefined) {
        const repeated = addName(text, top, i, end);
        if (repeated !== undefined && duplicate === undefined) {
          duplicate = { path: pathOf(text, frames.slice(0, -1)), key: repeated };
        }
      }
      expectName = false;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (frames.length >= maxDepth) return { tooDeep: true };
      const object = c === OPEN_OBJECT;
      frames.push({ names: object ? [] : undefined, at: 0, nameStart: 0, nameEnd: 0, name: undefined });
      expectName = object;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      frames.pop();
      expectName = false;
    } else if (c === COMMA) {
      const top = frames[frames.length - 1];
      if (top === undefined) continue;
      if (top.names !== undefined) expectName = true;
      else top.at++;
    } else if (c === COLON) {
      expectName = false;
    }
  }
  return duplicate === undefined ? { tooDeep: false } : { tooDeep: false, duplicate };
}

/** Objects with more member names than this keep them in a Set. */
const SMALL_OBJECT = 16;

/**
 * Records the member name whose string runs from the quote at `start` to the one at `end` in the
 * object `frame`, and returns it when the object already had it.
 */
function addName(text: string, frame: Frame, start: number, end: number): string | undefined {
  const escaped = hasBackslash(text, start + 1, end);
  frame.nameStart = start + 1;
  frame.nameEnd = end;
  frame.name = undefined;
  let names = frame.names;
  if (Array.isArray(names) && !escaped) {
    for (let k = 0; k < names.length; k += 2) {
      if (sameText(text, names[k] ?? 0, names[k + 1] ?? 0, start + 1, end)) return text.slice(start + 1, end);
    }
    names.push(start + 1, end);
    if (names.length <= 2 * SMALL_OBJECT) return undefined;
  }
  if (Array.isArray(names)) {
    const raw = names;
    names = new Set(Array.from({ length: raw.length / 2 }, (_, k) => text.slice(raw[2 * k], raw[2 * k + 1])));
    frame.names = names;
    if (!escaped) return undefined; // the raw name is already in
  }
  if (names === undefined) return undefined;
  const name = escaped ? memberName(text, start, end) : text.slice(start + 1, end);
  if (name === undefined) return undefined;
  frame.name = name;
  if (names.has(name)) return name;
  names.add(name);
  return undefined;
}

function hasBackslash(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === BACKSLASH) return true;
  return false;
}

/** Whether text[a, aEnd) and text[b, bEnd) are the same characters. */
function sameText(text: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; k < aEnd - a; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** The path of the frames' current members, as JSON.parse's value would be indexed. */
function pathOf(text: string, frames: readonly Frame[]): (string | number)[] {
  return frames.map((f) => (f.names === undefined ? f.at : (f.name ?? text.slice(f.nameStart, f.nameEnd))));
}

/** Index of the quote that closes the string opening at `start`, or -1. Linear overall. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let k = quote - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Where one array lies in a document's bytes: its brackets and its elements' [start, end) offsets. */
export interface ArrayLocation {
  /** Offset of `[`. */
  readonly open: number;
  /** Offset of the matching `]`. */
  readonly close: number;
  /** Flat pairs: element k is bytes [elements[2k], elements[2k + 1]), surrounding whitespace included. */
  readonly elements: readonly number[];
  /** Member names in element k (its colons outside strings), for {@link parseArrayElements}. */
  readonly names: readonly number[];
  /** The deepest nesting of arrays and objects in the array, the array itself counted (`[]` is 1). */
  readonly depth: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Locates the array under the root object's member `name` in UTF-8 JSON bytes, without decoding
 * or parsing them, so that a large document can be parsed a few elements at a time
 * ({@link parseArrayElements}, sbom/parse.ts). Undefined when the root is not an object, or its
 * first member spelled exactly `"<name>"` does not hold an array. A locator, not a validator: it
 * trusts the grammar, and whoever parses the elements must parse them with
 * {@link parseArrayElements}, hold `depth` against its nesting limit, and also parse the rest (the
 * bytes before `open` and from `close`, joined by `[]`) with {@link parseJsonValue}, which sees
 * every other member and so any repeated name. When all of that parses, the whole document is that
 * rest with these elements in the array: the elements are split at the array's own commas, so a
 * missing or extra comma makes a piece fail. UTF-8 multi-byte sequences never contain ASCII bytes,
 * so scanning bytes for `"`, `\`, brackets, colons and commas is exact.
 */
export function locateRootArray(bytes: Uint8Array, name: string): ArrayLocation | undefined {
  return locateArray(bytes, [name]);
}

/**
 * {@link locateRootArray} of an array further down a chain of objects: `path` names the member of
 * the root object, then the member of that object, and so on, the last one holding the array
 * (`['predicate', 'components']`: an in-toto statement's SBOM). Each name is the first member so
 * spelled in its object; the rest, parsed whole, must show that array empty (a repeated name is
 * refused there). The elements sit `path.length` objects deep, plus the array.
 */
export function locateArray(bytes: Uint8Array, path: readonly string[]): ArrayLocation | undefined {
  const names = path.map((name) => new TextEncoder().encode(JSON.stringify(name)));
  const bom = UTF8_BOM.every((b, k) => bytes[k] === b) ? UTF8_BOM.length : 0;
  let i = skipWhitespace(bytes, bom);
  if (bytes[i] !== OPEN_OBJECT || names.length === 0) return undefined;
  // `level`: how many names of the path matched, the objects entered; their members sit one deeper.
  let level = 0;
  let depth = 0;
  let expectName = false;
  for (; i < bytes.length; i++) {
    const c = bytes[i] ?? 0;
    // Whitespace, the bulk of a pretty-printed document outside its strings, first.
    if (c <= SPACE) continue;
    if (c === QUOTE) {
      const end = byteStringEnd(bytes, i);
      if (end < 0) return undefined;
      const wanted = names[level];
      if (depth === level + 1 && expectName && wanted !== undefined && sameBytes(bytes, i, end + 1, wanted)) {
        let j = skipWhitespace(bytes, end + 1);
        if (bytes[j] !== COLON) return undefined;
        j = skipWhitespace(bytes, j + 1);
        if (level === names.length - 1) return bytes[j] === OPEN_ARRAY ? arrayElements(bytes, j) : undefined;
        if (bytes[j] !== OPEN_OBJECT) return undefined;
        level++;
        depth++;
        expectName = true;
        i = j;
        continue;
      }
      expectName = false;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      expectName = c === OPEN_OBJECT && depth === level + 1;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      // An object the path entered closed without the next name.
      if (depth <= level) return undefined;
      expectName = false;
    } else if (c === COMMA) {
      expectName = depth === level + 1;
    } else if (c === COLON) {
      expectName = false;
    }
  }
  return undefined;
}

/** The elements of the array whose `[` is at `open`, split at its own commas, with their names and depth. */
function arrayElements(bytes: Uint8Array, open: number): ArrayLocation | undefined {
  const elements: number[] = [];
  const names: number[] = [];
  let depth = 0;
  let deepest = 0;
  let colons = 0;
  let start = open + 1;
  for (let i = open + 1; i < bytes.length; i++) {
    const c = bytes[i] ?? 0;
    if (c <= SPACE) continue;
    if (c === QUOTE) {
      i = byteStringEnd(bytes, i);
      if (i < 0) return undefined;
    } else if (c === COLON) {
      colons++;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > deepest) deepest = depth;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (c !== CLOSE_ARRAY) return undefined;
      // `[]` (whitespace only) has no element; anything else is one more, empty or not.
      if (elements.length > 0 || skipWhitespace(bytes, start) < i) {
        elements.push(start, i);
        names.push(colons);
      }
      return { open, close: i, elements, names, depth: deepest + 1 };
    } else if (c === COMMA && depth === 0) {
      elements.push(start, i);
      names.push(colons);
      colons = 0;
      start = i + 1;
    }
  }
  return undefined;
}

/**
 * Elements [from, to) of the array `at` locates in `bytes` ({@link locateRootArray}), parsed as one
 * JSON array (`[` + their bytes, commas included, + `]`) through the checks {@link parseJsonValue}
 * makes: strict UTF-8, JSON, and no repeated member name (the names the locator counted against the
 * members JSON.parse kept). Their nesting the locator measured once for all (`at.depth`), for the
 * caller to hold against its limit; a leading byte order mark is not JSON here. The bytes are not
 * scanned a second time: that scan was most of the cost of parsing a large SBOM in pieces.
 *
 * @throws InvalidInputError naming `what` when the elements are not each one JSON value, or repeat a name.
 */
export function parseArrayElements(
  bytes: Uint8Array,
  at: ArrayLocation,
  from: number,
  to: number,
  what: string,
): unknown[] {
  const start = at.elements[2 * from] ?? 0;
  const end = at.elements[2 * to - 1] ?? start;
  const batch = new Uint8Array(end - start + 2);
  batch[0] = OPEN_ARRAY;
  batch.set(bytes.subarray(start, end), 1);
  batch[batch.length - 1] = CLOSE_ARRAY;
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(batch, { what, maxBytes: batch.byteLength }));
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const detail = err instanceof Error ? err.message.slice(0, MAX_SYNTAX_DETAIL) : String(err);
    throw new InvalidInputError(`${what} is not JSON: ${detail}`, { cause: err });
  }
  // Split at the array's own commas, each element is one value, or JSON.parse refused the batch.
  if (!Array.isArray(value) || value.length !== to - from) {
    throw new InvalidInputError(`${what}: array elements ${from}–${to - 1} are not one JSON value each`);
  }
  let names = 0;
  for (let k = from; k < to; k++) names += at.names[k] ?? 0;
  if (countMembers(value) !== names) {
    throw new InvalidInputError(`${what}: duplicate member name in array elements ${from}–${to - 1} (RFC 8259 §4)`);
  }
  return value;
}

/**
 * The document `bytes` with the array `at` locates emptied (`[]`): the rest, that its caller parses
 * whole (see {@link locateRootArray}).
 */
export function withEmptiedArray(bytes: Uint8Array, at: ArrayLocation): Uint8Array {
  const rest = new Uint8Array(at.open + 1 + bytes.byteLength - at.close);
  rest.set(bytes.subarray(0, at.open + 1));
  rest.set(bytes.subarray(at.close), at.open + 1);
  return rest;
}

/** The most bytes of elements {@link arrayBatches} parses at once (unless one element alone is more). */
export const ARRAY_BATCH_BYTES = 64 * 1024;

/**
 * The elements of the array `at` locates in `bytes`, a few at a time (about
 * {@link ARRAY_BATCH_BYTES}), each batch through {@link parseArrayElements}: one decode and one
 * JSON.parse per batch, not per element (each call costs more than an element's few hundred
 * bytes), and only one batch's text and tree at a time.
 */
export function* arrayBatches(bytes: Uint8Array, at: ArrayLocation, what: string): Generator<readonly unknown[]> {
  const { elements } = at;
  const count = elements.length / 2;
  for (let k = 0; k < count; ) {
    const start = elements[2 * k] ?? 0;
    let next = k + 1;
    while (next < count && (elements[2 * next + 1] ?? 0) - start <= ARRAY_BATCH_BYTES) next++;
    yield parseArrayElements(bytes, at, k, next, what);
    k = next;
  }
}

/**
 * Index of the quote that closes the string opening at `start` in `bytes`, or -1: each backslash
 * escapes the byte after it. A loop, not `indexOf`: most strings of a document are a few bytes,
 * where a call per string costs more than the bytes.
 */
function byteStringEnd(bytes: Uint8Array, start: number): number {
  for (let i = start + 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** JSON whitespace (RFC 8259 §2): space, tab, line feed, carriage return. */
function skipWhitespace(bytes: Uint8Array, from: number): number {
  let i = from;
  while (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d) i++;
  return i;
}

function sameBytes(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (bytes[start + k] !== expected[k]) return false;
  return true;
}

const JsonString = z.string();

/** The member name as JSON.parse will see it (escapes decoded), or undefined if it is not a valid string. */
function memberName(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    const decoded = JsonString.safeParse(JSON.parse(text.slice(start, end + 1)));
    return decoded.success ? decoded.data : undefined;
  } catch {
    return undefined;
  }
}
