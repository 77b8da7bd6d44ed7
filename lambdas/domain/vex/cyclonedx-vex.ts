/**
 * CycloneDX VEX decoder: the `vulnerabilities[]` of a CycloneDX 1.4 – 1.7 BOM
 * (https://cyclonedx.org/docs/1.6/json/#vulnerabilities) reduced to `VexStatement`s.
 *
 * Only vulnerabilities with an `analysis.state` are statements; the rest are plain findings and
 * are skipped. States map onto OpenVEX statuses (the source state is kept in `sourceStatus`):
 * `not_affected` and `false_positive` → not_affected, `resolved` and `resolved_with_pedigree` →
 * fixed, `exploitable` → affected, `in_triage` → under_investigation.
 *
 * `affects[].ref` names the products: a bom-ref is resolved to its component's purl (or
 * `sha256:<hex>` from a SHA-256 hash) in the same BOM; a purl is used as is; a BOM-Link to another
 * BOM or an unresolvable ref is kept verbatim and matches nothing. An `affects` entry with
 * `versions` is narrowed by version ranges the gate does not evaluate, so it is dropped rather
 * than read as covering every version (fail closed).
 *
 * CycloneDX has no per-statement author: the author is the BOM's `metadata.authors`, else its
 * `metadata.supplier`, else its manufacturer. A BOM naming none yields statements with an empty
 * author, which never apply.
 */
import { validateDocument } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { CYCLONEDX_SPEC_VERSIONS } from '../sbom/cyclonedx.js';
import * as z from '../zod.js';
import type { ParsedVex, ParseVexOptions } from './openvex.js';
import { decodeVexJson, toUtc, type VexStatement, type VexStatus } from './statement.js';

/** `vulnerabilities[].analysis.state` (CycloneDX 1.4 – 1.7 `impactAnalysisState`). */
export const CYCLONEDX_ANALYSIS_STATES = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;
export type CycloneDxAnalysisState = (typeof CYCLONEDX_ANALYSIS_STATES)[number];

/** `vulnerabilities[].analysis.justification` (CycloneDX `impactAnalysisJustification`). */
export const CYCLONEDX_JUSTIFICATIONS = [
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
] as const;

const STATUS_OF: Readonly<Record<CycloneDxAnalysisState, VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

const Timestamp = z.iso.datetime({ offset: true });

const HashSchema = z.looseObject({ alg: z.string(), content: z.string() });

const CdxRefComponentSchema = z.looseObject({
  'bom-ref': z.optional(z.string()),
  purl: z.optional(z.string()),
  hashes: z.optional(z.array(HashSchema)),
  get components() {
    return z.optional(z.array(CdxRefComponentSchema));
  },
});
type CdxRefComponent = z.infer<typeof CdxRefComponentSchema>;

const PartySchema = z.looseObject({ name: z.optional(z.string()), email: z.optional(z.string()) });

const CdxVulnerabilitySchema = z
  .looseObject({
    id: z.optional(z.string().check(z.minLength(1))),
    references: z.optional(z.array(z.looseObject({ id: z.string().check(z.minLength(1)) }))),
    analysis: z.optional(
      z.looseObject({
        state: z.optional(z.enum(CYCLONEDX_ANALYSIS_STATES)),
        justification: z.optional(z.enum(CYCLONEDX_JUSTIFICATIONS)),
        response: z.optional(z.array(z.string())),
        detail: z.optional(z.string()),
        firstIssued: z.optional(Timestamp),
        lastUpdated: z.optional(Timestamp),
      }),
    ),
    affects: z.optional(
      z.array(z.looseObject({ ref: z.string().check(z.minLength(1)), versions: z.optional(z.array(z.unknown())) })),
    ),
  })
  .check(
    z.refine((v) => v.analysis?.state === undefined || v.id !== undefined, 'an analysed vulnerability needs an id'),
  );

export const CycloneDxVexSchema = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.enum(CYCLONEDX_SPEC_VERSIONS),
  serialNumber: z.optional(z.string()),
  metadata: z.optional(
    z.looseObject({
      timestamp: z.optional(Timestamp),
      authors: z.optional(z.array(PartySchema)),
      supplier: z.optional(PartySchema),
      manufacturer: z.optional(PartySchema),
      /** CycloneDX ≤ 1.5 spelling, deprecated in 1.6. */
      manufacture: z.optional(PartySchema),
      component: z.optional(CdxRefComponentSchema),
    }),
  ),
  components: z.optional(z.array(CdxRefComponentSchema)),
  vulnerabilities: z.optional(z.array(CdxVulnerabilitySchema)),
});
export type CycloneDxVex = z.infer<typeof CycloneDxVexSchema>;

/** Every bom-ref of the BOM → the identifiers its component is known by. */
function refIndex(bom: CycloneDxVex): Map<string, string[]> {
  const index = new Map<string, string[]>();
  const visit = (c: CdxRefComponent): void => {
    const ids: string[] = [];
    if (c.purl !== undefined && c.purl !== '') ids.push(c.purl);
    for (const h of c.hashes ?? []) {
      if (h.alg === 'SHA-256' && /^[a-fA-F0-9]{64}$/.test(h.content)) ids.push(`sha256:${h.content.toLowerCase()}`);
    }
    const ref = c['bom-ref'];
    if (ref !== undefined && ids.length > 0) index.set(ref, ids);
    for (const child of c.components ?? []) visit(child);
  };
  if (bom.metadata?.component !== undefined) visit(bom.metadata.component);
  for (const c of bom.components ?? []) visit(c);
  return index;
}

function authorOf(bom: CycloneDxVex): string {
  const m = bom.metadata;
  const authors = (m?.authors ?? []).map((a) => a.name ?? a.email ?? '').filter((a) => a !== '');
  if (authors.length > 0) return authors.join(', ');
  return m?.supplier?.name ?? m?.manufacturer?.name ?? m?.manufacture?.name ?? '';
}

/**
 * Parses the VEX statements of a CycloneDX BOM. Throws TooLargeError above the size limit and
 * InvalidInputError when the BOM or a field read here has the wrong shape, or when an analysed
 * vulnerability has no time to expire from (no `analysis.lastUpdated`/`firstIssued` and no
 * `metadata.timestamp`).
 */
export function parseCycloneDxVex(bytes: Uint8Array, options?: ParseVexOptions): ParsedVex {
  const what = 'CycloneDX VEX document';
  const bom = validateDocument(decodeVexJson(bytes, what), CycloneDxVexSchema, what);
  const index = refIndex(bom);
  const author = authorOf(bom);
  const id = bom.serialNumber ?? '';
  const base = `${options?.source ?? 'CycloneDX VEX'} ${id}`.trim();
  const statements: VexStatement[] = [];
  for (const [i, v] of (bom.vulnerabilities ?? []).entries()) {
    const state = v.analysis?.state;
    if (v.analysis === undefined || state === undefined || v.id === undefined) continue;
    const issued = v.analysis.lastUpdated ?? v.analysis.firstIssued ?? bom.metadata?.timestamp;
    if (issued === undefined) {
      throw new InvalidInputError(
        `CycloneDX VEX vulnerability ${v.id} has no analysis.lastUpdated, analysis.firstIssued or metadata.timestamp to date it`,
      );
    }
    const products = (v.affects ?? [])
      .filter((a) => a.versions === undefined)
      .flatMap((a) => index.get(a.ref) ?? [a.ref]);
    const aliases = [...new Set((v.references ?? []).map((r) => r.id))].filter((a) => a !== v.id);
    const detail = v.analysis.detail;
    statements.push({
      vulnerability: v.id,
      aliases,
      products: [...new Set(products)],
      subcomponents: [],
      status: STATUS_OF[state],
      sourceStatus: state,
      ...(v.analysis.justification !== undefined && { justification: v.analysis.justification }),
      ...(detail !== undefined && detail !== '' && { impactStatement: detail }),
      author,
      issued: toUtc(issued),
      source: `${base} vulnerability ${i + 1}`,
    });
  }
  return { format: 'cyclonedx', id, author, statementCount: statements.length, statements };
}
