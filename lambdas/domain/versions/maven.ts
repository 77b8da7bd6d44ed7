/**
 * Maven version ordering: `org.apache.maven.artifact.versioning.ComparableVersion`, as described in
 * https://maven.apache.org/pom.html#version-order-specification and maven-artifact's Javadoc.
 *
 * Hand-written: there is no maintained JavaScript port of ComparableVersion. A version is split
 * into a tree of items at `.` and `-` and at digit/letter transitions; `-` (and a transition)
 * opens a sub-list. Trailing "null" items (0, "", "final", "ga", "release", empty lists) are
 * dropped. Items compare as: numbers > lists > strings; known qualifiers
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp; unknown
 * qualifiers sort after all known ones, alphabetically (case-insensitive).
 *
 * Parse rules are those of maven-artifact 3.8 (before MNG-7644), which the ComparableVersionTest
 * vectors and osv-scalibr's generated vectors (made with ComparableVersion itself) both follow:
 * a qualifier after a dot stays in the same list (`2-1` < `2.0.a`). Maven 3.9 reads `2.0.a` as
 * `2-a` and orders it below `2-1`; the difference only affects dot-attached qualifiers.
 */
import type { Comparison } from './index.js';

type Item =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'] as const;
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(text: string, followedByDigit: boolean): Item {
  let value = text;
  if (followedByDigit && value.length === 1) {
    // 1a1 = 1-alpha-1, 1b2 = 1-beta-2, 1m3 = 1-milestone-3
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { kind: 'string', value: ALIASES[value] ?? value };
}

/** The sort key of a qualifier: its index for known ones, `7-<name>` after them for unknown ones. */
function qualifierKey(value: string): string {
  const i = (QUALIFIERS as readonly string[]).indexOf(value);
  return i === -1 ? `${QUALIFIERS.length}-${value}` : String(i);
}

function parseItem(isDigit: boolean, text: string): Item {
  return isDigit ? { kind: 'int', value: BigInt(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
      return item.value === 0n;
    case 'string':
      return qualifierKey(item.value) === RELEASE_INDEX;
    case 'list':
      return item.items.length === 0;
  }
}

/** Drop trailing null items, walking back over them until a non-null non-list item. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i];
    if (item === undefined) continue;
    if (isNull(item)) list.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

function parse(version: string): Item[] {
  const text = version.trim().toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  const openList = (): void => {
    const child: Item[] = [];
    list.push({ kind: 'list', items: child });
    list = child;
    stack.push(child);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '.' || c === '-') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      if (c === '-') openList();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(text.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, text.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (text.length > start) {
    list.push(parseItem(isDigit, text.slice(start)));
  }
  while (stack.length > 0) {
    const l = stack.pop();
    if (l !== undefined) normalize(l);
  }
  return root;
}

function sign(n: number | bigint): Comparison {
  if (n < 0) return -1;
  if (n > 0) return 1;
  return 0;
}

function negate(c: Comparison): Comparison {
  if (c === 0) return 0;
  return c < 0 ? 1 : -1;
}

function compareStrings(a: string, b: string): Comparison {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `compareItem(a, undefined)` compares an item with "nothing" (the shorter side's padding). */
function compareItem(a: Item, b: Item | undefined): Comparison {
  switch (a.kind) {
    case 'int':
      if (b === undefined) return a.value === 0n ? 0 : 1;
      if (b.kind === 'int') return sign(a.value - b.value);
      return 1; // 1.1 > 1-sp and 1.1 > 1-1
    case 'string':
      if (b === undefined) return compareStrings(qualifierKey(a.value), RELEASE_INDEX);
      if (b.kind === 'string') return compareStrings(qualifierKey(a.value), qualifierKey(b.value));
      return -1; // 1-rc < 1-1 and 1-rc < 1.1
    case 'list': {
      if (b === undefined) {
        // MNG-6964: compare the whole list with "nothing", not just its first item.
        for (const item of a.items) {
          const c = compareItem(item, undefined);
          if (c !== 0) return c;
        }
        return 0;
      }
      if (b.kind === 'int') return -1; // 1-1 < 1.0.x
      if (b.kind === 'string') return 1; // 1-1 > 1-sp
      return compareLists(a.items, b.items);
    }
  }
}

function compareLists(a: readonly Item[], b: readonly Item[]): Comparison {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i];
    const r = b[i];
    let c: Comparison;
    if (l === undefined) c = r === undefined ? 0 : negate(compareItem(r, undefined));
    else c = compareItem(l, r);
    if (c !== 0) return c;
  }
  return 0;
}

/** Every string is a Maven version (ComparableVersion accepts anything); empty is refused. */
export function isValid(version: string): boolean {
  return version.trim() !== '';
}

export function compare(a: string, b: string): Comparison {
  return compareLists(parse(a), parse(b));
}
