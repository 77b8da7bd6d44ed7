/**
 * Alpine package versions (apk-tools), `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`,
 * as documented in apk-tools' apk-package(5) ("pkgver").
 *
 * Hand-written: there is no maintained JavaScript library for apk version ordering. The rules
 * follow apk-tools 3 (test/unit/version.data, all pairs in test/corpus/data/versions/):
 * - number components compare numerically, except that a component after the first one with a
 *   leading zero compares as a string (`1.01` < `1.1`, `8.2.0015` < `8.2.002`);
 * - then an optional single lower-case letter;
 * - then suffixes, `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs` < `_svn` < `_git` < `_hg` <
 *   `_p`, each with an optional number;
 * - then an optional `~hash` (hex), then `-rN`, the package revision;
 * - at the first difference in shape, the longer version is greater, unless what it has more of is
 *   a pre-release suffix (`1.0_rc1` < `1.0`).
 *
 * `compare` is lenient where apk-tools 2 was (the ordering osv.dev and osv-scalibr use for real
 * secdb data): digits after the letter (`1.9.5p3`), empty number components (`0..8`) and `-r`
 * without digits are ordered rather than rejected. `isValid` follows apk-tools 3's strict
 * validation, so such versions are never accepted from an SBOM.
 */
import type { Comparison } from './index.js';

/** Token kinds in the order a version contains them; a later kind ends the shorter version. */
const TokenKind = {
  initial: 0,
  digit: 1,
  letter: 2,
  suffix: 3,
  suffixNumber: 4,
  hash: 5,
  revision: 6,
  end: 7,
  invalid: 8,
} as const;
type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

interface Token {
  readonly kind: TokenKind;
  /** Digits, the letter or the hash; the suffix weight for suffixes. */
  readonly text: string;
  readonly weight: number;
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

/** Pre-release suffixes weigh below zero (no suffix), post-release ones above. */
function suffixWeight(name: string): number | null {
  const pre = PRE_SUFFIXES.indexOf(name);
  if (pre !== -1) return pre - PRE_SUFFIXES.length;
  const post = POST_SUFFIXES.indexOf(name);
  return post === -1 ? null : post + 1;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isHex = (c: string | undefined): boolean => isDigit(c) || (c !== undefined && c >= 'a' && c <= 'f');

interface Tokenized {
  readonly tokens: readonly Token[];
  /** False when the lenient apk-tools 2 rules were needed or the version ends in an invalid token. */
  readonly strict: boolean;
}

function tokenize(version: string): Tokenized {
  const s = version;
  const tokens: Token[] = [];
  let pos = 0;
  let strict = true;
  const take = (pred: (c: string | undefined) => boolean): string => {
    const start = pos;
    while (pos < s.length && pred(s[pos])) pos++;
    return s.slice(start, pos);
  };
  const push = (kind: TokenKind, text = '', weight = 0): void => {
    tokens.push({ kind, text, weight });
  };
  const first = take(isDigit);
  if (first === '') {
    push(TokenKind.invalid);
    return { tokens, strict: false };
  }
  push(TokenKind.initial, first);
  let last: TokenKind = TokenKind.initial;
  for (;;) {
    if (pos >= s.length) {
      push(TokenKind.end);
      break;
    }
    const c = s[pos];
    if (isLower(c) && last <= TokenKind.digit) {
      pos++;
      push(TokenKind.letter, c);
      last = TokenKind.letter;
    } else if (isDigit(c) && last === TokenKind.letter) {
      // apk-tools 2 accepted digits after the letter (`1.9.5p3`); apk-tools 3 rejects them.
      strict = false;
      push(TokenKind.digit, take(isDigit));
      last = TokenKind.digit;
    } else if (c === '.' && last <= TokenKind.digit) {
      pos++;
      const digits = take(isDigit);
      if (digits === '') strict = false;
      push(TokenKind.digit, digits);
      last = TokenKind.digit;
    } else if (c === '_' && (last <= TokenKind.letter || last === TokenKind.suffixNumber)) {
      pos++;
      const weight = suffixWeight(take(isLower));
      if (weight === null) {
        push(TokenKind.invalid);
        break;
      }
      push(TokenKind.suffix, '', weight);
      last = TokenKind.suffix;
      const digits = take(isDigit);
      if (digits !== '') {
        push(TokenKind.suffixNumber, digits);
        last = TokenKind.suffixNumber;
      }
    } else if (c === '~' && last < TokenKind.hash) {
      pos++;
      const hash = take(isHex);
      if (hash === '') {
        push(TokenKind.invalid);
        break;
      }
      push(TokenKind.hash, hash);
      last = TokenKind.hash;
    } else if (c === '-' && s[pos + 1] === 'r' && last < TokenKind.revision) {
      pos += 2;
      const digits = take(isDigit);
      if (digits === '') strict = false;
      push(TokenKind.revision, digits);
      last = TokenKind.revision;
    } else {
      push(TokenKind.invalid);
      break;
    }
  }
  const lastToken = tokens[tokens.length - 1];
  return { tokens, strict: strict && lastToken !== undefined && lastToken.kind === TokenKind.end };
}

function compareNumbers(a: string, b: string): Comparison {
  const x = BigInt(a === '' ? '0' : a);
  const y = BigInt(b === '' ? '0' : b);
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

function compareText(a: string, b: string): Comparison {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareTokens(a: Token, b: Token): Comparison {
  switch (a.kind) {
    case TokenKind.digit:
      // A leading zero makes the component a string ("fractional" part), as apk-tools 3 does.
      if (a.text.startsWith('0') || b.text.startsWith('0')) return compareText(a.text, b.text);
      return compareNumbers(a.text, b.text);
    case TokenKind.initial:
    case TokenKind.suffixNumber:
    case TokenKind.revision:
      return compareNumbers(a.text, b.text);
    case TokenKind.letter:
    case TokenKind.hash:
      return compareText(a.text, b.text);
    case TokenKind.suffix:
      if (a.weight === b.weight) return 0;
      return a.weight < b.weight ? -1 : 1;
    default:
      return 0;
  }
}

const END: Token = { kind: TokenKind.end, text: '', weight: 0 };

function compareFuzzy(a: string, b: string, fuzzy: boolean): Comparison {
  const ta = tokenize(a).tokens;
  const tb = tokenize(b).tokens;
  let i = 0;
  for (;;) {
    const x = ta[i] ?? END;
    const y = tb[i] ?? END;
    if (x.kind !== y.kind || x.kind >= TokenKind.end) break;
    const c = compareTokens(x, y);
    if (c !== 0) return c;
    i++;
  }
  const x = ta[i] ?? END;
  const y = tb[i] ?? END;
  if (x.kind === y.kind) return 0;
  // Fuzzy: `b` is a prefix of `a` (apk's `~` operator, `3.6.9 ~ 3.6`).
  if (fuzzy && y.kind === TokenKind.end) return 0;
  if (x.kind === TokenKind.suffix && x.weight < 0) return -1;
  if (y.kind === TokenKind.suffix && y.weight < 0) return 1;
  return x.kind > y.kind ? -1 : 1;
}

export function isValid(version: string): boolean {
  return tokenize(version).strict;
}

/** Orderable the way apk-tools 2 (and osv.dev) order it: no invalid token, lenient rules allowed. */
export function isOrderable(version: string): boolean {
  const last = tokenize(version).tokens.at(-1);
  return last !== undefined && last.kind === TokenKind.end;
}

export function compare(a: string, b: string): Comparison {
  return compareFuzzy(a, b, false);
}

export const APK_OPERATORS = ['<', '<=', '=', '>=', '>', '~', '!~', '<~', '>~'] as const;
export type ApkOperator = (typeof APK_OPERATORS)[number];

/**
 * apk's dependency operators: `~` is a fuzzy match (`b`'s components are a prefix of `a`'s),
 * `<~`/`>~` are "less/greater than or fuzzy-equal".
 */
export function satisfies(a: string, op: ApkOperator, b: string): boolean {
  const exact = compare(a, b);
  const fuzzyEqual = compareFuzzy(a, b, true) === 0;
  switch (op) {
    case '<':
      return exact < 0;
    case '<=':
      return exact <= 0;
    case '=':
      return exact === 0;
    case '>=':
      return exact >= 0;
    case '>':
      return exact > 0;
    case '~':
      return fuzzyEqual;
    case '!~':
      return !fuzzyEqual;
    case '<~':
      return exact < 0 || fuzzyEqual;
    case '>~':
      return exact > 0 || fuzzyEqual;
  }
}
