/**
 * OSV advisory records (https://ossf.github.io/osv-schema/, schema 1.x), the format the local
 * scanner matches SBOM components against. Only the fields the gate reads are typed; others are
 * dropped. JSON and YAML are accepted (PyPA's advisory-database is YAML).
 */
import YAML from 'yaml';
import * as z from 'zod';
import { decodeDocumentText, parseJsonDocument, validateDocument } from '../document.js';
import { describeError, InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';

/**
 * YAML is read with the failsafe schema (every scalar is a string): with the core schema an
 * unquoted version such as `1.10` would become the number 1.1. An empty or `null` scalar then
 * arrives as a string, so list fields accept those as "absent" (PYSEC records have `versions:`
 * with no value).
 */
function nullableList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === null || v === undefined || v === '' || v === 'null' || v === '~' ? [] : v),
    z.array(item),
  );
}

const OpenObject = z.record(z.string(), z.unknown());

/** Exactly one of the four event kinds (osv-schema "events"). */
export const OsvEventSchema = z
  .object({
    introduced: z.string().min(1).optional(),
    fixed: z.string().min(1).optional(),
    last_affected: z.string().min(1).optional(),
    limit: z.string().min(1).optional(),
  })
  .refine(
    (e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((x) => x !== undefined).length === 1,
    'an event has exactly one of introduced, fixed, last_affected, limit',
  );
export type OsvEvent = z.infer<typeof OsvEventSchema>;

export const OsvRangeSchema = z.object({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  repo: z.string().optional(),
  events: z.array(OsvEventSchema).min(1),
  database_specific: OpenObject.nullish(),
});
export type OsvRange = z.infer<typeof OsvRangeSchema>;

export const OsvSeveritySchema = z.object({
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, … */
  type: z.string().min(1),
  score: z.string().min(1),
});
export type OsvSeverity = z.infer<typeof OsvSeveritySchema>;

export const OsvPackageSchema = z.object({
  ecosystem: z.string().min(1),
  name: z.string().min(1),
  purl: z.string().optional(),
});

export const OsvAffectedSchema = z.object({
  /** Optional in the schema (GIT-only entries); entries without one never match a component. */
  package: OsvPackageSchema.optional(),
  severity: nullableList(OsvSeveritySchema).optional(),
  ranges: nullableList(OsvRangeSchema).default([]),
  versions: nullableList(z.string()).default([]),
  database_specific: OpenObject.nullish(),
  ecosystem_specific: OpenObject.nullish(),
});
export type OsvAffected = z.infer<typeof OsvAffectedSchema>;

export const OsvRecordSchema = z.object({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string().optional(),
  published: z.string().optional(),
  /** When set, the record was withdrawn and must never match. */
  withdrawn: z.string().min(1).optional(),
  aliases: nullableList(z.string()).default([]),
  related: nullableList(z.string()).optional(),
  upstream: nullableList(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: nullableList(OsvSeveritySchema).default([]),
  affected: nullableList(OsvAffectedSchema).default([]),
  database_specific: OpenObject.nullish(),
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
