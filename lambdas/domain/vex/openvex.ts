/**
 * OpenVEX v0.2.0 decoder (https://github.com/openvex/spec, OPENVEX-SPEC.md and
 * openvex_json_schema_0.2.0.json), with an explicit compatibility path for v0.0.1 documents.
 *
 * `parseOpenVex` is strict on what the gate reads: `@context` must be the v0.2.0 context, the
 * vulnerability an object, products objects, statuses and justifications the spec's labels, and a
 * `not_affected` statement must carry a justification or an impact statement (and an `affected`
 * one an action statement), as the schema's `if/then` rules require. It is lenient where real
 * producers are (go-vex and trivy fixtures, test/corpus/data/openvex): `vulnerability.@id`
 * without `name`, and a missing document `timestamp`/`version` when every statement has its own
 * timestamp. Unknown fields pass through.
 *
 * v0.0.1 documents (vulnerability and products as plain strings) fail `parseOpenVex`, as they fail
 * go-vex's `Parse`; `parseOpenVexLegacy` reads them the way go-vex's `Open` does (compat.go
 * `parse001`), and callers choose to use it.
 */
import { formatIssues, validateDocument } from '../document.js';
import { InvalidInputError } from '../errors.js';
import * as z from '../zod.js';
import {
  decodeVexJson,
  OPENVEX_JUSTIFICATIONS,
  toUtc,
  VEX_STATUSES,
  type VexStatement,
  type VexStatus,
} from './statement.js';

/** The v0.2.0 JSON-LD context (spec §"Document"). */
export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';
/** Contexts of v0.0.1 documents: versioned, and the bare namespace go-vex treats as v0.0.1. */
export const OPENVEX_LEGACY_CONTEXTS = ['https://openvex.dev/ns/v0.0.1', 'https://openvex.dev/ns'] as const;
/**
 * in-toto predicate types of OpenVEX attestations: `cosign attest --type openvex` writes the bare
 * namespace; go-vex's attestation package writes the versioned context.
 */
export const OPENVEX_PREDICATE_TYPES = ['https://openvex.dev/ns', 'https://openvex.dev/ns/v0.2.0'] as const;

const Timestamp = z.iso.datetime({ offset: true });

const HashesSchema = z.looseObject({
  'sha-256': z.optional(z.string().check(z.regex(/^[a-fA-F0-9]{64}$/, 'expected 64 hex digits'))),
});

const IdentifiersSchema = z
  .looseObject({
    purl: z.optional(z.string().check(z.minLength(1))),
    cpe22: z.optional(z.string().check(z.minLength(1))),
    cpe23: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.refine(
      (i) => i.purl !== undefined || i.cpe22 !== undefined || i.cpe23 !== undefined,
      'identifiers need a purl or a cpe',
    ),
  );

const ComponentShape = {
  '@id': z.optional(z.string().check(z.minLength(1))),
  identifiers: z.optional(IdentifiersSchema),
  hashes: z.optional(HashesSchema),
};
const identified = (c: { '@id'?: string; identifiers?: unknown; hashes?: unknown }): boolean =>
  c['@id'] !== undefined || c.identifiers !== undefined || c.hashes !== undefined;
const IDENTIFIED = 'a component needs an @id, identifiers or hashes';

const SubcomponentSchema = z.looseObject(ComponentShape).check(z.refine(identified, IDENTIFIED));
type OpenVexComponent = z.infer<typeof SubcomponentSchema>;

const ProductSchema = z
  .looseObject({ ...ComponentShape, subcomponents: z.optional(z.array(SubcomponentSchema)) })
  .check(z.refine(identified, IDENTIFIED));

/** Spec §"Vulnerability": `name` is the main id; `@id` (an IRI) is accepted alone, as trivy writes it. */
const VulnerabilitySchema = z
  .looseObject({
    '@id': z.optional(z.string().check(z.minLength(1))),
    name: z.optional(z.string().check(z.minLength(1))),
    description: z.optional(z.string()),
    aliases: z.optional(z.array(z.string().check(z.minLength(1)))),
  })
  .check(z.refine((v) => v.name !== undefined || v['@id'] !== undefined, 'a vulnerability needs a name or an @id'));

export const OpenVexStatementSchema = z
  .looseObject({
    '@id': z.optional(z.string().check(z.minLength(1))),
    version: z.optional(z.number().check(z.int(), z.gte(1))),
    vulnerability: VulnerabilitySchema,
    timestamp: z.optional(Timestamp),
    last_updated: z.optional(Timestamp),
    products: z.optional(z.array(ProductSchema)),
    status: z.enum(VEX_STATUSES),
    supplier: z.optional(z.string()),
    status_notes: z.optional(z.string()),
    justification: z.optional(z.enum(OPENVEX_JUSTIFICATIONS)),
    impact_statement: z.optional(z.string()),
    action_statement: z.optional(z.string()),
    action_statement_timestamp: z.optional(Timestamp),
  })
  .check(
    z.superRefine((s, ctx) => {
      if (s.status === 'not_affected' && s.justification === undefined && !s.impact_statement) {
        ctx.addIssue({
          code: 'custom',
          message: 'a not_affected statement needs a justification or an impact_statement',
        });
      }
      if (s.status === 'affected' && !s.action_statement) {
        ctx.addIssue({ code: 'custom', message: 'an affected statement needs an action_statement' });
      }
    }),
  );
export type OpenVexStatement = z.infer<typeof OpenVexStatementSchema>;

export const OpenVexDocumentSchema = z
  .looseObject({
    '@context': z.literal(OPENVEX_CONTEXT),
    '@id': z.string().check(z.minLength(1)),
    author: z.string(),
    role: z.optional(z.string()),
    timestamp: z.optional(Timestamp),
    last_updated: z.optional(Timestamp),
    version: z.optional(z.number().check(z.int(), z.gte(1))),
    tooling: z.optional(z.string()),
    statements: z.array(OpenVexStatementSchema),
  })
  .check(
    z.superRefine((d, ctx) => {
      // Spec §"Inheritance": a statement without a timestamp takes the document's. With neither,
      // the statement has no issue time and so no expiry.
      if (d.timestamp !== undefined) return;
      for (const [i, s] of d.statements.entries()) {
        if (s.timestamp === undefined && s.last_updated === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['statements', i, 'timestamp'],
            message: 'the statement has no timestamp and the document none to inherit',
          });
        }
      }
    }),
  );
export type OpenVexDocument = z.infer<typeof OpenVexDocumentSchema>;

/** A decoded VEX document and its normalised statements. */
export interface ParsedVex {
  readonly format: 'openvex-0.2.0' | 'openvex-0.0.1' | 'cyclonedx';
  /** The document's id (`@id`, CycloneDX `serialNumber`), or '' when it has none. */
  readonly id: string;
  readonly author: string;
  /** Statements as the document writes them (before splitting products by subcomponents). */
  readonly statementCount: number;
  readonly statements: readonly VexStatement[];
}

export interface ParseVexOptions {
  /** Where the document came from, prefixed to each statement's `source` (e.g. `attestation sha256:…`). */
  readonly source?: string;
}

/** The identifiers a component is known by; `hashes["sha-256"]` becomes `sha256:<hex>`. */
function componentIds(c: OpenVexComponent): string[] {
  const ids: string[] = [];
  if (c['@id'] !== undefined) ids.push(c['@id']);
  for (const id of [c.identifiers?.purl, c.identifiers?.cpe22, c.identifiers?.cpe23]) {
    if (id !== undefined) ids.push(id);
  }
  const sha256 = c.hashes?.['sha-256'];
  if (sha256 !== undefined) ids.push(`sha256:${sha256.toLowerCase()}`);
  return [...new Set(ids)];
}

/** Groups products by their subcomponent set (see the VexStatement invariant). */
function groupProducts(
  products: readonly { ids: readonly string[]; subcomponents: readonly string[] }[],
): { products: string[]; subcomponents: string[] }[] {
  const groups = new Map<string, { products: string[]; subcomponents: string[] }>();
  for (const p of products) {
    const subcomponents = [...new Set(p.subcomponents)].sort();
    const key = JSON.stringify(subcomponents);
    const group = groups.get(key) ?? { products: [], subcomponents };
    group.products.push(...p.ids.filter((id) => !group.products.includes(id)));
    groups.set(key, group);
  }
  // A statement with no products still yields one (product-less) statement, which never applies.
  return groups.size === 0 ? [{ products: [], subcomponents: [] }] : [...groups.values()];
}

interface CommonStatement {
  readonly vulnerability: string;
  readonly aliases: readonly string[];
  readonly status: VexStatus;
  readonly justification?: string;
  readonly impactStatement?: string;
  readonly issued: string;
}

function normalise(
  common: CommonStatement,
  products: readonly { ids: readonly string[]; subcomponents: readonly string[] }[],
  author: string,
  source: string,
): VexStatement[] {
  return groupProducts(products).map((g) => ({
    vulnerability: common.vulnerability,
    aliases: common.aliases,
    products: g.products,
    subcomponents: g.subcomponents,
    status: common.status,
    sourceStatus: common.status,
    ...(common.justification !== undefined && { justification: common.justification }),
    ...(common.impactStatement !== undefined &&
      common.impactStatement !== '' && {
        impactStatement: common.impactStatement,
      }),
    author,
    issued: toUtc(common.issued),
    source,
  }));
}

function describeSource(options: ParseVexOptions | undefined, id: string): string {
  return `${options?.source ?? 'OpenVEX document'} ${id}`.trim();
}

const LegacyContextSchema = z.looseObject({ '@context': z.enum(OPENVEX_LEGACY_CONTEXTS) });

/**
 * Parses an OpenVEX v0.2.0 document. Throws TooLargeError above the size limit and
 * InvalidInputError when it is not v0.2.0 (a v0.0.1 document names `parseOpenVexLegacy`).
 */
export function parseOpenVex(bytes: Uint8Array, options?: ParseVexOptions): ParsedVex {
  const json = decodeVexJson(bytes, 'OpenVEX document');
  const parsed = OpenVexDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const legacy = LegacyContextSchema.safeParse(json).success
      ? ' (an OpenVEX v0.0.1 document; see parseOpenVexLegacy)'
      : '';
    throw new InvalidInputError(`not an OpenVEX v0.2.0 document${legacy}: ${formatIssues(parsed.error.issues)}`, {
      cause: parsed.error,
    });
  }
  const doc = parsed.data;
  const base = describeSource(options, doc['@id']);
  const statements = doc.statements.flatMap((s, i) => {
    const name = s.vulnerability.name ?? s.vulnerability['@id'] ?? '';
    const aliases = [
      ...(s.vulnerability.aliases ?? []),
      ...(s.vulnerability['@id'] !== undefined ? [s.vulnerability['@id']] : []),
    ];
    // Spec §"Inheritance": the statement's own time, else the document's `timestamp`. The
    // document's `last_updated` is not inherited: updating one statement re-affirms no other.
    const issued = s.last_updated ?? s.timestamp ?? doc.timestamp;
    // Unreachable: the document schema requires a timestamp to inherit.
    if (issued === undefined) throw new InvalidInputError(`${base} statement ${i + 1} has no timestamp`);
    const products = (s.products ?? []).map((p) => ({
      ids: componentIds(p),
      subcomponents: (p.subcomponents ?? []).flatMap(componentIds),
    }));
    return normalise(
      {
        vulnerability: name,
        aliases: [...new Set(aliases)].filter((a) => a !== name),
        status: s.status,
        ...(s.justification !== undefined && { justification: s.justification }),
        ...(s.impact_statement !== undefined && { impactStatement: s.impact_statement }),
        issued,
      },
      products,
      doc.author,
      `${base} statement ${i + 1}${s['@id'] !== undefined ? ` (${s['@id']})` : ''}`,
    );
  });
  return {
    format: 'openvex-0.2.0',
    id: doc['@id'],
    author: doc.author,
    statementCount: doc.statements.length,
    statements,
  };
}

/** OpenVEX v0.0.1 (go-vex compat.go `vex001`): strings where v0.2.0 has objects. */
export const OpenVexLegacyDocumentSchema = z.looseObject({
  '@context': z.enum(OPENVEX_LEGACY_CONTEXTS),
  '@id': z.string().check(z.minLength(1)),
  author: z.string(),
  role: z.optional(z.string()),
  timestamp: Timestamp,
  // v0.0.1 wrote the version as a string; go-vex reads it with Atoi and ignores failures.
  version: z.optional(z.union([z.string(), z.number()])),
  statements: z.array(
    z
      .looseObject({
        vulnerability: z.string().check(z.minLength(1)),
        vuln_description: z.optional(z.string()),
        timestamp: z.optional(Timestamp),
        products: z.optional(z.array(z.string().check(z.minLength(1)))),
        subcomponents: z.optional(z.array(z.string())),
        status: z.enum(VEX_STATUSES),
        status_notes: z.optional(z.string()),
        justification: z.optional(z.enum(OPENVEX_JUSTIFICATIONS)),
        impact_statement: z.optional(z.string()),
        action_statement: z.optional(z.string()),
      })
      .check(
        z.refine(
          (s) => s.status !== 'not_affected' || s.justification !== undefined || !!s.impact_statement,
          'a not_affected statement needs a justification or an impact_statement',
        ),
      ),
  ),
});

/**
 * Reads an OpenVEX v0.0.1 document as go-vex's `Open()` does: each product string becomes a
 * product carrying the statement's subcomponents. Only for callers that chose to accept the
 * legacy format; v0.2.0 documents are rejected here (use `parseOpenVex`).
 */
export function parseOpenVexLegacy(bytes: Uint8Array, options?: ParseVexOptions): ParsedVex {
  const what = 'OpenVEX v0.0.1 document';
  const doc = validateDocument(decodeVexJson(bytes, what), OpenVexLegacyDocumentSchema, what);
  const base = describeSource(options, doc['@id']);
  const statements = doc.statements.flatMap((s, i) => {
    const subcomponents = (s.subcomponents ?? []).filter((sc) => sc !== '');
    return normalise(
      {
        vulnerability: s.vulnerability,
        aliases: [],
        status: s.status,
        ...(s.justification !== undefined && { justification: s.justification }),
        ...(s.impact_statement !== undefined && { impactStatement: s.impact_statement }),
        issued: s.timestamp ?? doc.timestamp,
      },
      (s.products ?? []).map((p) => ({ ids: [p], subcomponents })),
      doc.author,
      `${base} statement ${i + 1}`,
    );
  });
  return {
    format: 'openvex-0.0.1',
    id: doc['@id'],
    author: doc.author,
    statementCount: doc.statements.length,
    statements,
  };
}
