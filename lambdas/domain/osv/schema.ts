/**
 * OSV advisory records (https://ossf.github.io/osv-schema/, schema 1.x), the format the local
 * scanner matches SBOM components against. Only the fields the gate reads are typed; others are
 * dropped. JSON and YAML are accepted (PyPA's advisory-database is YAML).
 */
import YAML from 'yaml';
import { decodeDocumentText, parseJsonDocument, validateDocument } from '../document.js';
import { describeError, InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';
import * as z from '../zod.js';

/**
 * YAML is read with the failsafe schema (every scalar is a string): with the core schema an
 * unquoted version such as `1.10` would become the number 1.1. An empty or `null` scalar then
 * arrives as a string, so list fields accept those as "absent" (PYSEC records have `versions:`
 * with no value).
 */
function nullableList<T extends z.ZodMiniType>(item: T) {
  return z.pipe(
    z.transform((v) => (v === null || v === undefined || v === '' || v === 'null' || v === '~' ? [] : v)),
    z.array(item),
  );
}

const OpenObject = z.record(z.string(), z.unknown());

/** Exactly one of the four event kinds (osv-schema "events"). */
export const OsvEventSchema = z
  .object({
    introduced: z.optional(z.string().check(z.minLength(1))),
    fixed: z.optional(z.string().check(z.minLength(1))),
    last_affected: z.optional(z.string().check(z.minLength(1))),
    limit: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.refine(
      (e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((x) => x !== undefined).length === 1,
      'an event has exactly one of introduced, fixed, last_affected, limit',
    ),
  );
export type OsvEvent = z.infer<typeof OsvEventSchema>;

export const OsvRangeSchema = z.object({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  repo: z.optional(z.string()),
  events: z.array(OsvEventSchema).check(z.minLength(1)),
  database_specific: z.nullish(OpenObject),
});
export type OsvRange = z.infer<typeof OsvRangeSchema>;

export const OsvSeveritySchema = z.object({
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, … */
  type: z.string().check(z.minLength(1)),
  score: z.string().check(z.minLength(1)),
});
export type OsvSeverity = z.infer<typeof OsvSeveritySchema>;

export const OsvPackageSchema = z.object({
  ecosystem: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  purl: z.optional(z.string()),
});

export const OsvAffectedSchema = z.object({
  /** Optional in the schema (GIT-only entries); entries without one never match a component. */
  package: z.optional(OsvPackageSchema),
  severity: z.optional(nullableList(OsvSeveritySchema)),
  ranges: z._default(nullableList(OsvRangeSchema), []),
  versions: z._default(nullableList(z.string()), []),
  database_specific: z.nullish(OpenObject),
  ecosystem_specific: z.nullish(OpenObject),
});
export type OsvAffected = z.infer<typeof OsvAffectedSchema>;

export const OsvRecordSchema = z.object({
  schema_version: z.optional(z.string()),
  id: z.string().check(z.minLength(1)),
  modified: z.optional(z.string()),
  published: z.optional(z.string()),
  /** When set, the record was withdrawn and must never match. */
  withdrawn: z.optional(z.string().check(z.minLength(1))),
  aliases: z._default(nullableList(z.string()), []),
  related: z.optional(nullableList(z.string())),
  upstream: z.optional(nullableList(z.string())),
  summary: z.optional(z.string()),
  details: z.optional(z.string()),
  severity: z._default(nullableList(OsvSeveritySchema), []),
  affected: z._default(nullableList(OsvAffectedSchema), []),
  database_specific: z.nullish(OpenObject),
});
export type OsvRecord = z.infer<typeof OsvRecordSchema>;

export type OsvFormat = 'json' | 'yaml';

/**
 * Parse one OSV record through the document door (`parseJsonDocument`): the size limit first, then
 * strict UTF-8, then JSON or YAML, then the OSV schema. Throws `TooLargeError` or
 * `InvalidInputError`, naming `source`.
 */
export function parseOsvRecord(input: Uint8Array | string, format: OsvFormat, source = 'advisory'): OsvRecord {
  const limits = { what: `OSV record ${source}`, maxBytes: Limits.advisoryBytes };
  if (format === 'json') return parseJsonDocument(input, OsvRecordSchema, limits);
  // YAML 1.2 §5.2 allows a byte order mark at the start of a stream.
  const text = decodeDocumentText(input, { ...limits, byteOrderMark: 'ignore' });
  let raw: unknown;
  try {
    // maxAliasCount bounds YAML alias expansion ("billion laughs").
    raw = YAML.parse(text, { schema: 'failsafe', maxAliasCount: 100 });
  } catch (err) {
    throw new InvalidInputError(`${limits.what} is not YAML: ${describeError(err).slice(0, 200)}`, { cause: err });
  }
  return validateDocument(raw, OsvRecordSchema, limits.what);
}

/** The format for a file name (`.json`, `.yaml`, `.yml`), or null for anything else. */
export function osvFormatOf(fileName: string): OsvFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return null;
}
