/**
 * A version range as a person types it for triage (`<3.0.13`, `>=1.2,<1.4`, `>=1.2 <1.4`,
 * `<1.0 || >=2.0,<2.3`), compared with the package's own ecosystem ordering (versions/index.ts:
 * dpkg for deb, apk, rpm, SemVer for npm, PEP 440 for pypi, …).
 *
 * Hand-written because no library parses one range syntax over every ecosystem's ordering: the
 * grammar is only comparator lists; the ordering itself is the one the scan uses.
 */
import { InvalidInputError } from '../errors.js';
import { comparatorFor, type VersionComparator } from '../versions/index.js';

export const RANGE_OPERATORS = ['<=', '>=', '!=', '==', '<', '>', '='] as const;
export type RangeOperator = (typeof RANGE_OPERATORS)[number];

export interface RangeConstraint {
  readonly op: RangeOperator;
  readonly version: string;
}

/** Alternatives (`||`), each a list of constraints that must all hold. */
export interface VersionRange {
  readonly text: string;
  readonly comparator: VersionComparator;
  readonly alternatives: readonly (readonly RangeConstraint[])[];
}

/** Longest range text accepted. */
const MAX_RANGE_CHARS = 1000;

/**
 * Parses `text` for `ecosystem` (a purl type or OSV ecosystem). Throws InvalidInputError naming
 * the `range` field: empty, an unknown operator, or a version the ecosystem cannot order.
 */
export function parseVersionRange(text: string, ecosystem: string): VersionRange {
  if (text.length > MAX_RANGE_CHARS) throw new InvalidInputError(`range: longer than ${MAX_RANGE_CHARS} characters`);
  let comparator: VersionComparator;
  try {
    comparator = comparatorFor(ecosystem);
  } catch (err) {
    throw new InvalidInputError(`range: no version ordering is known for ${JSON.stringify(ecosystem)}`, {
      cause: err,
    });
  }
  const alternatives = text.split('||').map((alternative) => {
    const tokens = alternative
      .split(/[,\s]+/)
      .map((t) => t.trim())
      .filter((t) => t !== '');
    if (tokens.length === 0) throw new InvalidInputError(`range: empty constraint in ${JSON.stringify(text)}`);
    return joinOperators(tokens).map((token) => constraintOf(token, comparator));
  });
  return { text, comparator, alternatives };
}

/** `>= 1.2` written with a space is one constraint. */
function joinOperators(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const next = tokens[i + 1];
    if ((RANGE_OPERATORS as readonly string[]).includes(t) && next !== undefined) {
      out.push(`${t}${next}`);
      i++;
    } else out.push(t);
  }
  return out;
}

function constraintOf(token: string, comparator: VersionComparator): RangeConstraint {
  const op = RANGE_OPERATORS.find((o) => token.startsWith(o)) ?? '=';
  const version = token.startsWith(op) ? token.slice(op.length) : token;
  if (version === '' || /^[<>=!~^]/.test(version)) {
    throw new InvalidInputError(
      `range: ${JSON.stringify(token)} is not "<operator><version>" (operators ${RANGE_OPERATORS.join(' ')})`,
    );
  }
  if (!comparator.isOrderable(version)) {
    throw new InvalidInputError(`range: ${JSON.stringify(version)} is not a valid ${comparator.name} version`);
  }
  return { op, version };
}

/**
 * Whether `version` is in the range. Null when the ecosystem cannot order it: the caller must
 * report it as not evaluable, never as outside the range.
 */
export function inVersionRange(range: VersionRange, version: string): boolean | null {
  if (!range.comparator.isOrderable(version)) return null;
  return range.alternatives.some((constraints) =>
    constraints.every((c) => holds(range.comparator.compare(version, c.version), c.op)),
  );
}

function holds(c: number, op: RangeOperator): boolean {
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '!=':
      return c !== 0;
    case '=':
    case '==':
      return c === 0;
  }
}
