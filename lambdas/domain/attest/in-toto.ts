/**
 * in-toto attestation Statement (v1 and v0.1).
 * Spec: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md; the validation rules
 * mirror in-toto/attestation `go/v1/statement.go` and `resource_descriptor.go`.
 */
import {
  arrayBatches,
  DEFAULT_MAX_DEPTH,
  formatIssues,
  locateArray,
  safeParseJsonValue,
  withEmptiedArray,
} from '../document.js';
import { ErrorName, GateError, InvalidInputError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { StatementTypes } from '../predicate-types.js';
import * as z from '../zod.js';
import type { InTotoStatement } from './types.js';

/** The rule a statement broke, named after the in-toto/attestation Go errors. */
export const IN_TOTO_RULES = [
  'MALFORMED', // not a JSON object of the Statement shape
  'INVALID_STATEMENT_TYPE', // ErrInvalidStatementType
  'SUBJECT_REQUIRED', // ErrSubjectRequired
  'RD_REQUIRED_FIELD', // ErrRDRequiredField
  'DIGEST_REQUIRED', // ErrDigestRequired
  'INVALID_DIGEST_ENCODING', // ErrInvalidDigestEncoding
  'PREDICATE_TYPE_REQUIRED', // ErrPredicateTypeRequired
  'PREDICATE_REQUIRED', // ErrPredicateRequired
] as const;
export type InTotoRule = (typeof IN_TOTO_RULES)[number];

/** A statement that failed validation; `detail` says which rule. */
export class InTotoStatementError extends GateError<InTotoRule> {
  declare public readonly detail: InTotoRule;

  public constructor(rule: InTotoRule, message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', `invalid in-toto statement (${rule}): ${message}`, { ...options, detail: rule });
    this.name = ErrorName.InTotoStatement;
  }
}

const JsonObject = z.record(z.string(), z.unknown());

/** Loose first pass: the fields we need, with their JSON types; the rules run after it. */
const StatementShape = z.object({
  _type: z.optional(z.string()),
  subject: z.optional(
    z.array(
      z.object({
        name: z.optional(z.string()),
        uri: z.optional(z.string()),
        digest: z.optional(z.record(z.string(), z.string())),
      }),
    ),
  ),
  predicateType: z.optional(z.string()),
  predicate: z.optional(z.nullable(JsonObject)),
});

/** Hex lengths of the algorithms resource_descriptor.go checks (others are free-form). */
const HEX_DIGEST_LENGTHS: Readonly<Record<string, number>> = {
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
  sha3_224: 56,
  sha3_256: 64,
  sha3_384: 96,
  sha3_512: 128,
  gitCommit: 40,
};

const KNOWN_TYPES: readonly string[] = [StatementTypes.v1, StatementTypes.v01];

/** Validates a parsed JSON value as an in-toto Statement. Throws InTotoStatementError naming the rule. */
export function parseInTotoStatement(json: unknown): InTotoStatement {
  const shape = StatementShape.safeParse(json);
  if (!shape.success) {
    throw new InTotoStatementError('MALFORMED', `in-toto statement: ${formatIssues(shape.error.issues)}`);
  }
  const { _type: type, subject, predicateType, predicate } = shape.data;
  if (type === undefined || !KNOWN_TYPES.includes(type)) {
    throw new InTotoStatementError('INVALID_STATEMENT_TYPE', `wrong statement type ${JSON.stringify(type ?? null)}`);
  }
  if (subject === undefined || subject.length === 0) {
    throw new InTotoStatementError('SUBJECT_REQUIRED', 'at least one subject required');
  }
  const subjects = subject.map((s, i) => {
    const digest = s.digest ?? {};
    const hasDigest = Object.keys(digest).length > 0;
    if (!s.name && !s.uri && !hasDigest) {
      throw new InTotoStatementError(
        'RD_REQUIRED_FIELD',
        `subject ${i}: at least one of name, uri or digest is required`,
      );
    }
    if (!hasDigest) {
      throw new InTotoStatementError('DIGEST_REQUIRED', `subject ${i}: at least one digest required`);
    }
    for (const [alg, value] of Object.entries(digest)) {
      const length = HEX_DIGEST_LENGTHS[alg];
      if (length !== undefined && !new RegExp(`^[a-fA-F0-9]{${length}}$`).test(value)) {
        throw new InTotoStatementError(
          'INVALID_DIGEST_ENCODING',
          `subject ${i}: ${alg} digest is not ${length} hex digits`,
        );
      }
    }
    return s.name === undefined ? { digest } : { name: s.name, digest };
  });
  if (!predicateType) {
    throw new InTotoStatementError('PREDICATE_TYPE_REQUIRED', 'predicate type required');
  }
  if (predicate === undefined || predicate === null) {
    throw new InTotoStatementError('PREDICATE_REQUIRED', 'predicate object required');
  }
  return { type, subject: subjects, predicateType, predicate };
}

const STATEMENT_LIMITS = { what: 'in-toto statement', maxBytes: Limits.attestationBytes } as const;

/** Parses statement bytes (a DSSE payload): size limit, then JSON, then the rules. */
export function parseInTotoStatementBytes(bytes: Uint8Array): InTotoStatement {
  const json = safeParseJsonValue(bytes, STATEMENT_LIMITS);
  if (!json.success) {
    if (json.error instanceof TooLargeError) throw json.error;
    throw new InTotoStatementError('MALFORMED', json.error.message, { cause: json.error });
  }
  return parseInTotoStatement(json.data);
}

/**
 * True when a subject of the statement carries `digest` (`<alg>:<hex>`, e.g. an OCI manifest
 * digest). Hex is compared case-insensitively; the algorithm name exactly.
 */
export function statementCoversDigest(stmt: InTotoStatement, digest: string): boolean {
  const separator = digest.indexOf(':');
  if (separator <= 0) return false;
  const alg = digest.slice(0, separator);
  const hex = digest.slice(separator + 1).toLowerCase();
  if (hex.length === 0) return false;
  return stmt.subject.some((s) => s.digest[alg]?.toLowerCase() === hex);
}

/** A statement whose predicate's one large array is left in its bytes, to be parsed a batch at a time. */
export interface StatementInPieces {
  /** The statement, its predicate's array empty. */
  readonly statement: InTotoStatement;
  /** The array's elements, each batch parsed as it is taken; throws InvalidInputError for one it refuses. */
  readonly batches: Iterable<readonly unknown[]>;
}

/**
 * `parseInTotoStatementBytes` of a statement whose predicate holds a large array `member` (an
 * SBOM's `components`): the rest of the statement (its bytes with that array emptied) through the
 * same door and the same rules, the array's elements left for the caller to take a batch at a time
 * (document.ts `locateArray`), so that the whole tree never exists. Undefined, for the caller to
 * read the statement whole and to word any refusal as that path does, when the statement is not
 * that shape or the rest is refused. The elements are not parsed yet: a caller takes the statement
 * for read only once every batch parsed, and otherwise reads it whole.
 */
export function parseInTotoStatementInPieces(bytes: Uint8Array, member: string): StatementInPieces | undefined {
  if (bytes.byteLength > Limits.attestationBytes) return undefined;
  const at = locateArray(bytes, ['predicate', member]);
  // The elements sit three levels down (the statement, its predicate, the array): the same budget.
  if (at === undefined || 2 + at.depth > DEFAULT_MAX_DEPTH) return undefined;
  const rest = safeParseJsonValue(withEmptiedArray(bytes, at), STATEMENT_LIMITS);
  if (!rest.success) return undefined;
  let statement: InTotoStatement;
  try {
    statement = parseInTotoStatement(rest.data);
  } catch (err) {
    if (err instanceof InTotoStatementError) return undefined;
    throw err;
  }
  const emptied = statement.predicate[member];
  if (!Array.isArray(emptied) || emptied.length > 0) return undefined;
  return { statement, batches: arrayBatches(bytes, at, STATEMENT_LIMITS.what) };
}

/**
 * How a caller reads a large array of a statement's predicate (an SBOM's `components`) a batch at a
 * time: `read` takes the statement (that array empty) and the batches, and what it returns is kept
 * with the statement. It throws (InvalidInputError, TooLargeError) for anything it refuses; the
 * statement is then read whole, and every refusal is that path's.
 */
export interface PredicateInPieces<R> {
  readonly member: string;
  readonly read: (statement: InTotoStatement, batches: Iterable<readonly unknown[]>) => R;
}

/**
 * The statement of a verified payload read with `inPieces` (`parseInTotoStatementInPieces`), when
 * the whole-statement path would take it as it is (`accepts`: a wanted type, about the subject) and
 * every batch and the reader took it; undefined for the caller to read it whole, as without this,
 * and to refuse it there if that path does.
 */
export function readStatementInPieces<R>(
  payload: Uint8Array,
  inPieces: PredicateInPieces<R>,
  accepts: (statement: InTotoStatement) => boolean,
): { readonly statement: InTotoStatement; readonly read: R } | undefined {
  const pieces = parseInTotoStatementInPieces(payload, inPieces.member);
  if (pieces === undefined || !accepts(pieces.statement)) return undefined;
  try {
    return { statement: pieces.statement, read: inPieces.read(pieces.statement, pieces.batches) };
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof TooLargeError) return undefined;
    throw err;
  }
}

/**
 * The predicate type a statement claims, from the rest of it alone (its predicate's array `member`
 * left unparsed), when `wanted` has it; undefined for the caller to peek at the whole statement.
 * For skipping statements of other types before they are verified: a wanted type read here skips
 * nothing, and where the whole statement would not parse its peek says nothing either, so the
 * same statements are verified, and refused, as with a whole peek.
 */
export function peekWantedPredicateType(
  payload: Uint8Array,
  member: string,
  wanted: ReadonlySet<string>,
): string | undefined {
  const type = parseInTotoStatementInPieces(payload, member)?.statement.predicateType;
  return type !== undefined && wanted.has(type) ? type : undefined;
}
