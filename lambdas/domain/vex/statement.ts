/**
 * The normalised VEX statement: what OpenVEX v0.2.0 (openvex.ts), CycloneDX VEX (cyclonedx-vex.ts)
 * and the policy store's own exceptions are reduced to before `applyVex` (apply.ts) decides which
 * scan findings they suppress.
 *
 * ## Expiry
 * An exception the gate honours forever is a finding nobody looks at again, so every statement
 * must carry `expires` before it can apply (issue 3 §4: "an expiry the policy requires").
 * - **Policy-store exceptions** carry `expires` explicitly (`VexExceptionSchema`).
 * - **VEX documents** have no expiry field: neither OpenVEX v0.2.0 nor CycloneDX defines one, and
 *   `status_notes` is free text. The policy sets `vex.maxAgeDays` instead, and a document statement
 *   expires at its issue time plus `maxAgeDays` (`withMaxAge`). The issue time is the statement's
 *   `last_updated ?? timestamp`, inheriting the document's `timestamp` when the statement has
 *   neither (OpenVEX spec §"Inheritance"; CycloneDX `analysis.lastUpdated ?? analysis.firstIssued ??
 *   metadata.timestamp`). A re-issued statement therefore lives on only when its author re-affirms
 *   it by updating it, which is the review loop the expiry is there to force.
 * - A statement issued in the future is not honoured (apply.ts): forward-dating would stretch
 *   its lifetime past `maxAgeDays`.
 */
import { parseJsonValue } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';
import * as z from '../zod.js';

/** OpenVEX v0.2.0 §"Status Labels". CycloneDX states are mapped onto these (cyclonedx-vex.ts). */
export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export const VexStatusSchema = z.enum(VEX_STATUSES);
export type VexStatus = z.infer<typeof VexStatusSchema>;

/** The statuses that may suppress a finding; `affected` and `under_investigation` never do. */
export const SUPPRESSING_STATUSES: ReadonlySet<VexStatus> = new Set<VexStatus>(['not_affected', 'fixed']);

/** OpenVEX v0.2.0 §"Status Justifications" (required for `not_affected` unless an impact statement is given). */
export const OPENVEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;

/**
 * One VEX statement about one vulnerability, normalised across formats.
 *
 * Invariant: every product in `products` has exactly the subcomponents in `subcomponents`. An
 * OpenVEX statement whose products list different subcomponents is split into one `VexStatement`
 * per distinct subcomponent set, so the flat lists never pair a subcomponent with the wrong product.
 */
export interface VexStatement {
  /** The vulnerability's main id (OpenVEX `vulnerability.name`, else its `@id`; CycloneDX `id`). */
  readonly vulnerability: string;
  /** Other ids of the same vulnerability (OpenVEX `aliases` and `@id`; CycloneDX `references[].id`). */
  readonly aliases: readonly string[];
  /**
   * Product identifiers: purls (the image as `pkg:oci/<name>@sha256%3A<hex>`), `sha256:<hex>`
   * digests (from `hashes["sha-256"]` or written as such), `<repository>@sha256:<hex>`
   * references, CPEs, or unresolved ids (which match nothing).
   */
  readonly products: readonly string[];
  /** Subcomponents of every product above (purls, usually), narrowing the statement to them. */
  readonly subcomponents: readonly string[];
  /** Normalised status (OpenVEX vocabulary). */
  readonly status: VexStatus;
  /** The status as the source wrote it (e.g. CycloneDX `false_positive`, `resolved_with_pedigree`). */
  readonly sourceStatus: string;
  /** OpenVEX justification label, or CycloneDX `analysis.justification`. */
  readonly justification?: string;
  /** OpenVEX `impact_statement`, CycloneDX `analysis.detail`. */
  readonly impactStatement?: string;
  /** Who made the statement; empty when the source names nobody (such a statement never applies). */
  readonly author: string;
  /** When the statement was issued or last updated: ISO 8601 UTC. */
  readonly issued: string;
  /** When the statement stops applying: ISO 8601 UTC. Absent means it never applies (see above). */
  readonly expires?: string;
  /** Where the statement came from, for reasons (document id, attestation, policy). */
  readonly source: string;
}

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** `issued + maxAgeDays`, ISO 8601 UTC. Throws InvalidInputError on an unparseable `issued`. */
export function expiryOf(issued: string, maxAgeDays: number): string {
  const t = Date.parse(issued);
  if (Number.isNaN(t)) throw new InvalidInputError(`VEX statement time ${JSON.stringify(issued)} is not a date`);
  return new Date(t + maxAgeDays * MS_PER_DAY).toISOString();
}

/**
 * Gives each statement of a VEX document its policy-required expiry, `issued + maxAgeDays`. A
 * statement that already carries an earlier `expires` keeps it: the policy can only shorten a life.
 */
export function withMaxAge(statements: readonly VexStatement[], maxAgeDays: number): VexStatement[] {
  return statements.map((s) => {
    const byAge = expiryOf(s.issued, maxAgeDays);
    const expires = s.expires !== undefined && Date.parse(s.expires) < Date.parse(byAge) ? s.expires : byAge;
    return { ...s, expires };
  });
}

/** Normalises an RFC 3339 timestamp (any offset, any fraction) to ISO 8601 UTC. */
export function toUtc(timestamp: string): string {
  return new Date(Date.parse(timestamp)).toISOString();
}

const Timestamp = z.iso.datetime({ offset: true });

/**
 * An exception kept in the policy store: a VEX statement written by hand, with an explicit
 * expiry (there is no document timestamp to age it from).
 */
export const VexExceptionSchema = z
  .object({
    vulnerability: z.string().check(z.minLength(1)),
    aliases: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** The image (`pkg:oci/…@sha256%3A…`, `sha256:…`) or package purls the exception covers. */
    products: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    subcomponents: z._default(z.array(z.string().check(z.minLength(1))), []),
    status: z.enum(['not_affected', 'fixed']),
    justification: z.optional(z.enum(OPENVEX_JUSTIFICATIONS)),
    impactStatement: z.optional(z.string().check(z.minLength(1))),
    author: z.string().check(z.minLength(1)),
    issued: Timestamp,
    expires: Timestamp,
  })
  .check(
    z.refine(
      (e) => e.status !== 'not_affected' || e.justification !== undefined || e.impactStatement !== undefined,
      'a not_affected exception needs a justification or an impactStatement',
    ),
    z.refine((e) => Date.parse(e.expires) > Date.parse(e.issued), 'expires must be after issued'),
  );
export type VexException = z.infer<typeof VexExceptionSchema>;

/**
 * Proposed policy fragment `scan.vex` (the lead wires it into policy/schema.ts).
 * - `maxAgeDays`: life of a statement from a VEX document (see "Expiry" above).
 * - `trustedAuthors`: when non-empty, only statements whose `author` is listed apply.
 * - `exceptions`: policy-store statements, each with an explicit `expires`.
 */
export const VexPolicySchema = z.object({
  maxAgeDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(366)), 90),
  trustedAuthors: z._default(z.array(z.string().check(z.minLength(1))), []),
  exceptions: z._default(z.array(VexExceptionSchema), []),
});
export type VexPolicy = z.infer<typeof VexPolicySchema>;

/** The policy store's exceptions as statements (`source` names the policy, e.g. its digest). */
export function statementsFromPolicy(exceptions: readonly VexException[], source: string): VexStatement[] {
  return exceptions.map((e, i) => ({
    vulnerability: e.vulnerability,
    aliases: e.aliases,
    products: e.products,
    subcomponents: e.subcomponents,
    status: e.status,
    sourceStatus: e.status,
    ...(e.justification !== undefined && { justification: e.justification }),
    ...(e.impactStatement !== undefined && { impactStatement: e.impactStatement }),
    author: e.author,
    issued: toUtc(e.issued),
    expires: toUtc(e.expires),
    source: `${source} exception ${i + 1}`,
  }));
}

/**
 * Decodes a VEX document's bytes as JSON, refusing (TooLargeError) anything above
 * `Limits.attestationBytes` before parsing: VEX reaches the gate inside an attestation or the
 * policy store, so the attestation limit bounds it.
 */
export function decodeVexJson(bytes: Uint8Array, what: string): unknown {
  return parseJsonValue(bytes, { what, maxBytes: Limits.attestationBytes });
}
