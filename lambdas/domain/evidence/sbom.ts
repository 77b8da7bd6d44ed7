/**
 * SBOM evidence: find the image's SBOM, parse and normalise it, and store both the raw document
 * and the normalised `components.json` (which the lockfile and dependency-diff collectors read).
 *
 * Sources, all of them read:
 * - signed: in-toto statements with a CycloneDX or SPDX predicate, in DSSE envelopes signed by the
 *   policy's attestation keys, in Sigstore bundles (cosign v3) or in keyless `.att` layers (cosign
 *   2.x), verified with the keys or the keyless identities (signed-statements.ts);
 * - unsigned: OCI referrers of the image digest (image-spec 1.1 / distribution-spec "Listing
 *   Referrers"; the manifest of each is read, since an index entry's `artifactType` is a hint anyone
 *   can forge) and cosign's legacy `sha256-<hex>.sbom` tag (`cosign attach sbom`).
 *
 * Whoever can push can attach an unsigned SBOM, so a signed SBOM always outranks an unsigned one,
 * an unsigned one counts only where the policy allows it (`sbom.requireSigned: false`; the default
 * is true), and any two SBOMs of the image that list different components block: unsigned evidence
 * may add a reason to block, never a reason to pass.
 */

import {
  acceptBuildkitAttestations,
  type BuildkitAttestation,
  type BuildkitScan,
  findBuildkitAttestations,
} from '../attest/buildkit.js';
import { parseJsonDocument, safeParseJsonDocument } from '../document.js';
import { describeError, GateError, InvalidInputError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { type Descriptor, digestToTag, type ImageManifest, ImageManifestSchema, MediaTypes } from '../oci.js';
import { PredicateTypes } from '../predicate-types.js';
import { listReferrersBounded } from '../referrers.js';
import type { Component, NormalizedSbom } from '../sbom/component.js';
import {
  normalizeCycloneDxInPieces,
  normalizeSbomObjectWithNotes,
  type ParsedSbom,
  type PurlCache,
  parseSbomWithNotes,
  sbomFormatOfMediaType,
} from '../sbom/parse.js';
import { type EvidenceDocument, type EvidenceResult, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import {
  COMPONENTS_DOCUMENT,
  componentsDocument,
  parseComponentsDocument,
  type VisitedComponents,
  visitStoredComponents,
} from './components-document.js';
import type { CollectContext } from './context.js';
import { collectPerPlatform, type MergePlatforms } from './per-platform.js';
import { collectSignature } from './signature.js';
import { gatherSignedStatements } from './signed-statements.js';

export {
  COMPONENTS_DOCUMENT,
  type ComponentsHeader,
  componentsDocument,
  encodeComponentsDocument,
  loadStoredComponents,
  parseComponentsDocument,
  type StoredComponents,
  type VisitedComponents,
  visitComponentsDocument,
  visitStoredComponents,
  WHOLE_COMPONENTS_BYTES,
  WHOLE_ENCODE_COMPONENTS,
} from './components-document.js';

export const SBOM_SOURCES = ['referrer', 'cosign-tag', 'attestation', 'inspector-export'] as const;
export type SbomSource = (typeof SBOM_SOURCES)[number];

const SBOM_PREDICATE_TYPES = [PredicateTypes.cyclonedx, PredicateTypes.spdx] as const;

/** At most this many rejected candidates are spelled out in reasons. */
const MAX_REJECTIONS_SHOWN = 5;

export interface FoundSbom {
  readonly source: SbomSource;
  /** `referrer sha256:…`, `tag sha256-….sbom`, `attestation …`: for reasons. */
  readonly location: string;
  readonly parsed: ParsedSbom;
  readonly raw: EvidenceDocument;
}

/**
 * Collect the SBOM evidence of `ctx.subject`: of the image, or of each gated platform of an index
 * (per-platform.ts), whose inventories are merged into one `components.json` for the later steps.
 */
export function collectSbom(ctx: CollectContext): Promise<EvidenceResult> {
  const buildkit = buildkitSbomsOf(ctx);
  return collectPerPlatform(ctx, 'sbom', (one) => collectImageSbom(one, buildkit), mergePlatformSboms);
}

/**
 * The SBOM evidence of one image manifest, with the BuildKit SBOMs of its index when the policy
 * accepts them (`buildkitSbomsOf`). See the module comment for the sources.
 */
export async function collectImageSbom(ctx: CollectContext, buildkit?: BuildkitSboms): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  let referrers: Descriptor[];
  try {
    referrers = await listReferrersBounded(ctx.registry, repository, digest);
  } catch (err) {
    if (err instanceof TooLargeError) return evidenceResult('sbom', 'FAIL', [err.message]);
    throw err;
  }
  const rejected: string[] = [];
  const signed: FoundSbom[] = [];
  // Every SBOM of the image is read (to catch one that disagrees); they list the same purls.
  const purls: PurlCache = new Map();
  let unsigned: FoundSbom[];
  try {
    const bundles = await fromAttestations(ctx, signed, rejected, purls);
    if (buildkit !== undefined) signed.push(...(await buildkit(digest, rejected, purls)));
    // With a signed SBOM, the unsigned ones are only compared with it: read against its inventory.
    const expected = signed[0]?.parsed.sbom.components;
    unsigned = [
      ...(await fromReferrers(ctx, referrers, bundles, rejected, purls, expected)),
      ...[await fromCosignTag(ctx, rejected, purls, expected)].filter((f) => f !== undefined),
    ];
  } catch (err) {
    if (err instanceof TooLargeError) return evidenceResult('sbom', 'FAIL', [err.message]);
    throw err;
  }
  const requireSigned = ctx.policy.sbom.requireSigned;
  const found = signed[0] ?? (requireSigned ? undefined : unsigned[0]);

  if (found === undefined) {
    // Nothing attached at all, and nothing that failed to read: the one case Inspector may answer.
    if (ctx.policy.sbom.acceptInspectorExport && signed.length + unsigned.length + rejected.length === 0) {
      if (requireSigned) {
        return evidenceResult('sbom', 'MISSING', [
          `no signed SBOM attestation found for ${repository}@${digest} (policy sbom.requireSigned); an Amazon Inspector SBOM export is unsigned, so sbom.acceptInspectorExport does not satisfy sbom.requireSigned`,
        ]);
      }
      return fromInspectorExport(ctx);
    }
    if (requireSigned && unsigned.length > 0) {
      return evidenceResult('sbom', 'MISSING', [
        `no signed SBOM attestation found for ${repository}@${digest}; ${unsigned.length} unsigned SBOM(s) (${unsigned.map((u) => u.location).join(', ')}) do not count under the policy's sbom.requireSigned`,
        ...summariseRejections('ignored', rejected),
      ]);
    }
    if (rejected.length === 0) {
      return evidenceResult('sbom', 'MISSING', [
        requireSigned
          ? `no signed SBOM attestation found for ${repository}@${digest} (policy sbom.requireSigned)`
          : `no SBOM found for ${repository}@${digest} (referrers, cosign .sbom tag, attestations)`,
      ]);
    }
    return evidenceResult('sbom', 'FAIL', summariseRejections('no usable SBOM', rejected));
  }

  const conflicts = [...signed, ...unsigned]
    .filter((other) => other !== found)
    .flatMap((other) => {
      const difference = inventoryDifference(found.parsed.sbom, other.parsed.sbom);
      return difference === undefined ? [] : [`${other.location} disagrees with ${found.location}: ${difference}`];
    });
  if (conflicts.length > 0) {
    return evidenceResult(
      'sbom',
      'FAIL',
      [
        `the image carries SBOMs that disagree (an SBOM anyone can attach may add a reason to block, never one to pass)`,
        ...conflicts.slice(0, MAX_REJECTIONS_SHOWN),
      ],
      {},
      [inventoryDocument([...signed, ...unsigned])],
    );
  }

  const { sbom, notes } = found.parsed;
  const applicationComponents = sbom.components.filter((c) => c.scope === 'application').length;
  const reasons = [
    `${sbom.format} ${sbom.specVersion} SBOM from ${found.location}: ${sbom.components.length} components (${applicationComponents} application)`,
    ...notes,
    ...(rejected.length > 0 ? summariseRejections('ignored', rejected) : []),
  ];
  return evidenceResult(
    'sbom',
    'PASS',
    reasons,
    {
      format: sbom.format,
      specVersion: sbom.specVersion,
      componentCount: sbom.components.length,
      applicationComponents,
      source: found.source,
      location: found.location,
      ...(sbom.lockfileDigest !== undefined && { lockfileDigest: sbom.lockfileDigest }),
    },
    [found.raw, componentsDocument(sbom)],
  );
}

/**
 * Amazon Inspector's metadata of an exported image (sbom-export.html: `metadata.properties` with
 * `imageId`, the image digest). The export must be about this digest: a filter that matched another
 * image, or an object someone else wrote under the prefix, is not this image's inventory.
 */
const InspectorExportMetadataSchema = z.object({
  metadata: z.object({
    properties: z._default(z.array(z.object({ name: z.string(), value: z.string() })), []),
  }),
});

/**
 * The image's SBOM from an Amazon Inspector SBOM export (`sbom.acceptInspectorExport`, with
 * `sbom.requireSigned: false`), parsed by the same parser as an attached SBOM. Evidence records
 * the provenance (`source: inspector-export`, `signed: false`). No export, no object, two objects,
 * or one about another digest is no SBOM (MISSING) or a FAIL, never a pass.
 */
async function fromInspectorExport(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const none = `no SBOM found for ${repository}@${digest} (referrers, cosign .sbom tag, attestations)`;
  const answer =
    ctx.inspectorSboms === undefined
      ? { status: 'UNAVAILABLE' as const, reason: 'Amazon Inspector is not available here' }
      : await ctx.inspectorSboms.exportSbom(ctx.subject);
  if (answer.status === 'UNAVAILABLE') {
    return evidenceResult('sbom', 'MISSING', [`${none}, and no Amazon Inspector SBOM export: ${answer.reason}`]);
  }
  const exportName = `Amazon Inspector SBOM export ${answer.reportId}`;
  const [object, ...more] = answer.objects;
  if (object === undefined) {
    return evidenceResult('sbom', 'MISSING', [`${none}, and the ${exportName} wrote no SBOM for it`]);
  }
  if (more.length > 0) {
    return evidenceResult('sbom', 'FAIL', [
      `the ${exportName} wrote ${answer.objects.length} SBOMs for one image (${answer.objects.map((o) => o.location).join(', ')}); it must write exactly one`,
    ]);
  }
  const location = `${exportName} (${object.location})`;
  let parsed: ParsedSbom;
  let bytes: Uint8Array;
  try {
    bytes = await object.read();
    parsed = parseSbomWithNotes(bytes, MediaTypes.cyclonedxJson);
    const imageIds = parseJsonDocument(bytes, InspectorExportMetadataSchema, {
      what: location,
      maxBytes: Limits.sbomBytes,
    }).metadata.properties.filter((p) => p.name === 'imageId');
    if (imageIds.length !== 1 || imageIds[0]?.value !== digest) {
      throw new InvalidInputError(
        `its metadata names image ${imageIds.map((p) => p.value).join(', ') || '(none)'}, not ${digest}`,
      );
    }
  } catch (err) {
    if (!isContentError(err)) throw err;
    return evidenceResult('sbom', 'FAIL', [`${location}: ${describeError(err)}`]);
  }
  const { sbom, notes } = parsed;
  const applicationComponents = sbom.components.filter((c) => c.scope === 'application').length;
  return evidenceResult(
    'sbom',
    'PASS',
    [
      `${sbom.format} ${sbom.specVersion} SBOM from the ${location}: ${sbom.components.length} components (${applicationComponents} application); unsigned, counted because the image carries no SBOM and the policy sets sbom.acceptInspectorExport (sbom.requireSigned: false)`,
      ...notes,
    ],
    {
      format: sbom.format,
      specVersion: sbom.specVersion,
      componentCount: sbom.components.length,
      applicationComponents,
      source: 'inspector-export',
      signed: false,
      location,
      inspectorReportId: answer.reportId,
      ...(sbom.lockfileDigest !== undefined && { lockfileDigest: sbom.lockfileDigest }),
    },
    [{ name: 'sbom.inspector.cdx.json', mediaType: MediaTypes.cyclonedxJson, bytes }, componentsDocument(sbom)],
  );
}

/** Unsigned SBOM referrers; `alreadyRead` SBOM bundles count towards Limits.sbomReferrers with them. */
async function fromReferrers(
  ctx: CollectContext,
  referrers: readonly Descriptor[],
  alreadyRead: number,
  rejected: string[],
  purls: PurlCache,
  expected?: readonly Component[],
): Promise<FoundSbom[]> {
  const found: FoundSbom[] = [];
  const { digest } = ctx.subject;
  let sbomReferrers = alreadyRead;
  for (const descriptor of referrers) {
    const location = `referrer ${descriptor.digest}`;
    const manifest = await readManifest(ctx, descriptor.digest);
    if (manifest === undefined) {
      if (sbomFormatOfMediaType(descriptor.artifactType) !== undefined) {
        rejected.push(`${location}: announced as an SBOM but its manifest is not an image manifest`);
      }
      continue;
    }
    const layer = sbomLayerOf(manifest);
    if (layer === undefined) continue;
    if (manifest.subject?.digest !== digest) {
      rejected.push(`${location}: its subject is ${manifest.subject?.digest ?? 'missing'}, not ${digest}`);
      continue;
    }
    if (++sbomReferrers > Limits.sbomReferrers) {
      throw new TooLargeError(
        `${ctx.subject.repository}@${digest}`,
        sbomReferrers,
        Limits.sbomReferrers,
        'SBOM referrers',
      );
    }
    const result = await loadLayer(ctx, 'referrer', location, layer, rejected, purls, expected);
    if (result !== undefined) found.push(result);
  }
  return found;
}

async function fromCosignTag(
  ctx: CollectContext,
  rejected: string[],
  purls: PurlCache,
  expected?: readonly Component[],
): Promise<FoundSbom | undefined> {
  const tag = `${digestToTag(ctx.subject.digest)}.sbom`;
  const location = `tag ${tag}`;
  let bytes: Uint8Array;
  try {
    bytes = (await ctx.registry.getManifest(ctx.subject.repository, tag)).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const manifest = decodeManifest(bytes);
  const layer = manifest === undefined ? undefined : sbomLayerOf(manifest);
  if (layer === undefined) {
    rejected.push(`${location}: no CycloneDX or SPDX JSON layer`);
    return undefined;
  }
  return loadLayer(ctx, 'cosign-tag', location, layer, rejected, purls, expected);
}

/**
 * SBOMs in signed statements (signed-statements.ts). The Sigstore bundles among them count towards
 * Limits.sbomReferrers, as every SBOM read is compared with the others; returns how many there were.
 */
async function fromAttestations(
  ctx: CollectContext,
  found: FoundSbom[],
  rejected: string[],
  purls: PurlCache,
): Promise<number> {
  const signed = await gatherSignedStatements(ctx, {
    predicateTypes: SBOM_PREDICATE_TYPES,
    maxBundles: Limits.sbomReferrers,
    // A CycloneDX predicate's components a batch at a time, as a raw SBOM's (sbom/parse.ts): the
    // statement's whole tree (about 6× its text) would outlive the scan; anything else is read whole.
    inPieces: {
      member: 'components',
      read: (statement, batches) => normalizeCycloneDxInPieces(statement.predicate, batches, purls),
    },
  });
  rejected.push(...signed.rejected.map((r) => `attestation not verified: ${r}`));
  for (const att of signed.trusted) {
    const location = `attestation ${att.source} signed by ${att.signer}`;
    try {
      const parsed = att.read ?? normalizeSbomObjectWithNotes(att.statement.predicate, purls);
      found.push({
        source: 'attestation',
        location,
        parsed,
        raw: {
          name: `sbom.intoto.${att.document.extension}`,
          mediaType: att.document.mediaType,
          bytes: att.document.bytes,
        },
      });
    } catch (err) {
      rejected.push(`${location}: ${describeError(err)}`);
    }
  }
  return signed.bundles;
}

/**
 * One inventory for the release from its platforms' SBOMs: the union of their components (what the
 * package index and the dependency diff read). The platforms are built from one source, so their
 * lockfile digests must agree.
 */
const mergePlatformSboms: MergePlatforms = (outcomes) => {
  const sboms: NormalizedSbom[] = [];
  for (const o of outcomes) {
    const doc = o.result.documents.find((d) => d.name === COMPONENTS_DOCUMENT);
    if (doc === undefined)
      return { facts: {}, documents: [], conflict: `platform ${o.platform.platform} has no ${COMPONENTS_DOCUMENT}` };
    // Written a moment ago by collectImageSbom in this process: nothing to validate again.
    const sbom = parseComponentsDocument(doc.bytes);
    if (sbom === undefined) {
      return { facts: {}, documents: [], conflict: `${COMPONENTS_DOCUMENT} of ${o.platform.platform} is malformed` };
    }
    sboms.push(sbom);
  }
  const lockfileDigests = [
    ...new Set(sboms.flatMap((s) => (s.lockfileDigest === undefined ? [] : [s.lockfileDigest]))),
  ];
  if (lockfileDigests.length > 1) {
    return {
      facts: {},
      documents: [],
      conflict: `the platforms' SBOMs name different lockfile digests (${lockfileDigests.join(', ')}): one release is built from one lockfile`,
    };
  }
  const merged = unionOf(sboms, lockfileDigests[0]);
  return {
    facts: {
      format: merged.format,
      specVersion: merged.specVersion,
      componentCount: merged.components.length,
      applicationComponents: merged.components.filter((c) => c.scope === 'application').length,
      source: 'platforms',
      ...(merged.lockfileDigest !== undefined && { lockfileDigest: merged.lockfileDigest }),
    },
    documents: [componentsDocument(merged)],
  };
};

/** One inventory with every component of `sboms` (first occurrence kept). */
function unionOf(sboms: readonly NormalizedSbom[], lockfileDigest: string | undefined): NormalizedSbom {
  const components = new Map<string, NormalizedSbom['components'][number]>();
  for (const s of sboms)
    for (const c of s.components) if (!components.has(inventoryKey(c))) components.set(inventoryKey(c), c);
  const first = sboms[0];
  return {
    format: first?.format ?? 'cyclonedx',
    specVersion: first?.specVersion ?? '',
    components: [...components.values()],
    ...(lockfileDigest !== undefined && { lockfileDigest }),
  };
}

/**
 * The `components.json` of SBOMs that parsed but disagree: their union, for the package index
 * only, so triage still finds the (quarantined) release. The later steps read components of PASS
 * evidence alone.
 */
function inventoryDocument(found: readonly FoundSbom[]): EvidenceDocument {
  const union = unionOf(
    found.map((f) => f.parsed.sbom),
    undefined,
  );
  return componentsDocument(union);
}

/** The BuildKit SBOMs of one platform manifest, judged once for the whole index. */
export type BuildkitSboms = (platformDigest: string, rejected: string[], purls?: PurlCache) => Promise<FoundSbom[]>;

/**
 * The SBOMs BuildKit attached to the platforms of the index `ctx.subject` (attest/buildkit.ts),
 * when `sbom.acceptBuildkit` is set: read once, and counted only under an index signature the
 * signature evidence accepts, exactly as provenance counts BuildKit statements. Undefined when the
 * policy does not accept them.
 */
export function buildkitSbomsOf(ctx: CollectContext): BuildkitSboms | undefined {
  if (!ctx.policy.sbom.acceptBuildkit) return undefined;
  const { repository, digest } = ctx.subject;
  interface Judged {
    readonly scan: BuildkitScan;
    readonly verified: readonly BuildkitAttestation[];
    readonly rejected: readonly { readonly source: string; readonly reason: string }[];
  }
  let judged: Promise<Judged> | undefined;
  const judge = async (): Promise<Judged> => {
    const scan = await findBuildkitAttestations(ctx.registry, repository, digest, SBOM_PREDICATE_TYPES);
    if (scan.attestations.length === 0) return { scan, verified: [], rejected: scan.rejected };
    const signature = await collectSignature(ctx);
    return { scan, ...acceptBuildkitAttestations(scan, signature.status === 'PASS' ? new Set([digest]) : new Set()) };
  };
  return async (platformDigest, rejected, purls) => {
    judged ??= judge();
    const { scan, verified, rejected: refused } = await judged;
    // A rejection is this platform's when it is about one of its statements, or about none.
    const others = new Set(scan.attestations.filter((a) => a.platformDigest !== platformDigest).map((a) => a.source));
    rejected.push(...refused.filter((r) => !others.has(r.source)).map((r) => `BuildKit ${r.source}: ${r.reason}`));
    const found: FoundSbom[] = [];
    for (const a of verified.filter((v) => v.platformDigest === platformDigest)) {
      const location = `BuildKit ${a.source} under the signed index ${a.indexDigest}`;
      try {
        found.push({
          source: 'attestation',
          location,
          parsed: normalizeSbomObjectWithNotes(a.statement.predicate, purls),
          raw: { name: 'sbom.intoto.json', mediaType: MediaTypes.inTotoPayload, bytes: a.bytes },
        });
      } catch (err) {
        rejected.push(`${location}: ${describeError(err)}`);
      }
    }
    return found;
  };
}

/** How a component is compared across SBOMs: its purl, else its name and version. */
function inventoryKey(c: NormalizedSbom['components'][number]): string {
  return c.purl ?? `${c.name}@${c.version ?? ''}`;
}

/**
 * Why two SBOMs of one image are not the same inventory (components, or the lockfile digest they
 * carry), or undefined when they agree. Order and format (CycloneDX vs SPDX) do not matter.
 */
function inventoryDifference(a: NormalizedSbom, b: NormalizedSbom): string | undefined {
  if (sameInventoryInOrder(a, b)) return undefined;
  const left = new Set(a.components.map(inventoryKey));
  const right = new Set(b.components.map(inventoryKey));
  const onlyLeft = [...left].filter((k) => !right.has(k)).sort();
  const onlyRight = [...right].filter((k) => !left.has(k)).sort();
  const parts: string[] = [];
  const shown = (keys: readonly string[]) =>
    `${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}`;
  if (onlyRight.length > 0) parts.push(`it adds ${shown(onlyRight)}`);
  if (onlyLeft.length > 0) parts.push(`it omits ${shown(onlyLeft)}`);
  if (a.lockfileDigest !== undefined && b.lockfileDigest !== undefined && a.lockfileDigest !== b.lockfileDigest) {
    parts.push(`its lockfile digest is ${b.lockfileDigest}, not ${a.lockfileDigest}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Whether two SBOMs list the same components in the same order and no conflicting lockfile digest
 * (one inventory written twice, the usual case): `inventoryDifference` finds nothing then, and this
 * tells it in one pass, without a set of keys for each.
 */
function sameInventoryInOrder(a: NormalizedSbom, b: NormalizedSbom): boolean {
  if (a.components.length !== b.components.length) return false;
  if (a.lockfileDigest !== undefined && b.lockfileDigest !== undefined && a.lockfileDigest !== b.lockfileDigest) {
    return false;
  }
  for (let i = 0; i < a.components.length; i++) {
    const x = a.components[i];
    const y = b.components[i];
    if (x === undefined || y === undefined || inventoryKey(x) !== inventoryKey(y)) return false;
  }
  return true;
}

interface SbomLayer {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/**
 * The SBOM blob of an artifact manifest: a layer whose media type is CycloneDX/SPDX JSON, or, when
 * the artifact type says SBOM (image-spec 1.1 `artifactType`, else `config.mediaType` for
 * artifacts pushed before 1.1), its only layer.
 */
function sbomLayerOf(manifest: ImageManifest): SbomLayer | undefined {
  const typed = manifest.layers.find((l) => sbomFormatOfMediaType(l.mediaType) !== undefined);
  if (typed !== undefined) return typed;
  const artifactType = manifest.artifactType ?? manifest.config.mediaType;
  const only = manifest.layers.length === 1 ? manifest.layers[0] : undefined;
  if (sbomFormatOfMediaType(artifactType) !== undefined && only !== undefined) {
    return { digest: only.digest, size: only.size, mediaType: artifactType };
  }
  return undefined;
}

async function loadLayer(
  ctx: CollectContext,
  source: SbomSource,
  location: string,
  layer: SbomLayer,
  rejected: string[],
  purls: PurlCache,
  expected?: readonly Component[],
): Promise<FoundSbom | undefined> {
  try {
    if (layer.size > Limits.sbomBytes) throw new TooLargeError('SBOM layer', layer.size, Limits.sbomBytes);
    const bytes = await ctx.registry.getBlob(ctx.subject.repository, layer.digest, Limits.sbomBytes);
    const parsed = parseSbomWithNotes(bytes, layer.mediaType, purls, expected);
    const extension = parsed.sbom.format === 'cyclonedx' ? 'cdx.json' : 'spdx.json';
    return { source, location, parsed, raw: { name: `sbom.${extension}`, mediaType: layer.mediaType, bytes } };
  } catch (err) {
    if (!isContentError(err)) throw err;
    rejected.push(`${location}: ${describeError(err)}`);
    return undefined;
  }
}

/** The referrer's manifest, or undefined when it is not an image manifest (an index, garbage). */
async function readManifest(ctx: CollectContext, digest: string): Promise<ImageManifest | undefined> {
  try {
    const fetched = await ctx.registry.getManifest(ctx.subject.repository, digest);
    return decodeManifest(fetched.bytes);
  } catch (err) {
    // A dangling or corrupt referrer is not an SBOM we can use; registry outages still throw.
    if (isContentError(err)) return undefined;
    throw err;
  }
}

function decodeManifest(bytes: Uint8Array): ImageManifest | undefined {
  const parsed = safeParseJsonDocument(bytes, ImageManifestSchema, {
    what: 'manifest',
    maxBytes: Limits.manifestBytes,
  });
  return parsed.success ? parsed.data : undefined;
}

/**
 * Errors that are about the SBOM content (FAIL evidence), as opposed to the registry being
 * unreachable or broken (thrown, so the handler reports ERROR and the workflow retries).
 */
function isContentError(err: unknown): boolean {
  return (
    err instanceof GateError &&
    (err.code === 'INVALID_INPUT' ||
      err.code === 'TOO_LARGE' ||
      err.code === 'DIGEST_MISMATCH' ||
      err.code === 'NOT_FOUND' ||
      err.code === 'UNSUPPORTED_MEDIA_TYPE')
  );
}

function summariseRejections(prefix: string, rejected: readonly string[]): string[] {
  const shown = rejected.slice(0, MAX_REJECTIONS_SHOWN).map((r) => `${prefix}: ${r}`);
  if (rejected.length > MAX_REJECTIONS_SHOWN) {
    shown.push(`${prefix}: ${rejected.length - MAX_REJECTIONS_SHOWN} more candidate(s) rejected`);
  }
  return shown;
}

/** A release's sbom evidence as later collectors read it: its status, facts and components. */
export interface SbomEvidenceView {
  readonly kind: 'sbom';
  readonly status: EvidenceResult['status'];
  readonly facts: EvidenceResult['facts'];
  /** Each stored component, one at a time (`visitStoredComponents`). */
  visitComponents(visit: (component: Component) => void): Promise<VisitedComponents>;
}

/**
 * The stored sbom evidence of `ctx.subject`, as the second evidence stage reads it (lockfile runs
 * in the ASL's DeriveEvidence, after CollectEvidence stored the SBOM). Nothing stored reads as
 * MISSING: this never collects the SBOM again.
 */
export async function sbomEvidenceOf(ctx: CollectContext): Promise<SbomEvidenceView> {
  const stored = await ctx.releases.getEvidence(ctx.subject.repository, ctx.subject.digest, 'sbom');
  if (stored === null) {
    return {
      kind: 'sbom',
      status: 'MISSING',
      facts: {},
      visitComponents: async () => ({ ok: false, reason: 'no sbom evidence is stored for this release' }),
    };
  }
  return {
    kind: 'sbom',
    status: stored.status,
    facts: stored.facts,
    visitComponents: (visit) => visitStoredComponents(ctx.documents, stored, visit),
  };
}
