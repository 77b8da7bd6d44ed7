/**
 * The platform manifests of an image, and whether a set of statements covers each of them.
 *
 * A multi-arch image is an index whose `manifests` are the platform images (image-spec
 * image-index.md). BuildKit adds its attestation manifests to the same index, marked with
 * `vnd.docker.reference.type: attestation-manifest` and the platform `unknown/unknown`
 * (docs.docker.com/build/metadata/attestations/attestation-storage): those are not platforms.
 */
import { safeParseJsonDocument } from '../document.js';
import { isRetryable } from '../errors.js';
import { Limits } from '../limits.js';
import { type Descriptor, type ImageIndex, type ImageManifest, isIndexMediaType } from '../oci.js';
import { parseIndex, parseManifest, sniffManifestMediaType } from '../oci-validate.js';
import type { RegistryReader } from '../ports.js';
import { type Digest, DigestSchema } from '../types.js';
import * as z from '../zod.js';
import { statementCoversDigest } from './in-toto.js';
import type { InTotoStatement } from './types.js';

/** BuildKit's index annotations (moby/buildkit util/attestation/types.go). */
export const BuildkitAnnotations = {
  referenceType: 'vnd.docker.reference.type',
  referenceDigest: 'vnd.docker.reference.digest',
  /** The value of `referenceType` on an attestation manifest. */
  attestationManifest: 'attestation-manifest',
  /** Layer annotation naming the statement's predicate type. */
  predicateType: 'in-toto.io/predicate-type',
} as const;

/** Label of a descriptor without a `platform`, or whose config names none. */
export const UNSPECIFIED_PLATFORM = 'unspecified';

/** One image the gate must see covered: a platform manifest of an index, or the image itself. */
export interface PlatformManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  /** `os/architecture[/variant]`, e.g. `linux/arm64/v8`, or `unspecified`. */
  readonly platform: string;
}

export interface PlatformCoverage {
  /** `index` for a multi-platform image, `manifest` for a single image. */
  readonly kind: 'index' | 'manifest';
  /** The digest that was asked about (the index, or the single manifest). */
  readonly digest: Digest;
  /** Index: every entry that is not an attestation manifest nor `unknown/unknown`. Manifest: itself. */
  readonly platforms: readonly PlatformManifest[];
  /** Index entries left out, with the reason (attestation manifest, unknown platform). */
  readonly skipped: readonly { readonly digest: string; readonly reason: string }[];
}

/** `os/architecture[/variant]` of a descriptor's platform. */
export function platformLabel(platform: Descriptor['platform']): string {
  if (platform === undefined) return UNSPECIFIED_PLATFORM;
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}

/** True for an index entry BuildKit marks as an attestation manifest. */
export function isAttestationManifest(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[BuildkitAnnotations.referenceType] === BuildkitAnnotations.attestationManifest;
}

/** The image the registry holds at `digest`: an index or a manifest, parsed strictly (oci-validate.ts). */
export async function readImage(
  registry: RegistryReader,
  repository: string,
  digest: string,
): Promise<{ kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest; mediaType: string }> {
  const fetched = await registry.getManifest(repository, digest);
  const mediaType = fetched.mediaType || sniffManifestMediaType(fetched.bytes);
  if (isIndexMediaType(mediaType)) return { kind: 'index', index: parseIndex(fetched.bytes, mediaType) };
  return { kind: 'manifest', manifest: parseManifest(fetched.bytes, mediaType), mediaType };
}

const ImageConfigPlatform = z.object({
  architecture: z.string().check(z.minLength(1)),
  os: z.string().check(z.minLength(1)),
  variant: z.optional(z.string()),
});

/**
 * Lists what must be covered for `digest`: for an index, its platform manifests (BuildKit
 * attestation manifests and `unknown/unknown` entries skipped; entries without a platform and
 * nested indexes kept, so they must be covered too); for a single manifest, the manifest itself
 * with the platform its config names. Registry and parse errors propagate.
 */
export async function platformCoverage(
  registry: RegistryReader,
  repository: string,
  digest: string,
): Promise<PlatformCoverage> {
  const subject = DigestSchema.parse(digest);
  const image = await readImage(registry, repository, subject);
  if (image.kind === 'manifest') {
    const platform = await configPlatform(registry, repository, image.manifest);
    return {
      kind: 'manifest',
      digest: subject,
      platforms: [{ digest: subject, mediaType: image.mediaType, platform }],
      skipped: [],
    };
  }
  const platforms: PlatformManifest[] = [];
  const skipped: { digest: string; reason: string }[] = [];
  for (const entry of image.index.manifests) {
    if (isAttestationManifest(entry)) {
      skipped.push({ digest: entry.digest, reason: 'attestation manifest' });
    } else if (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown') {
      skipped.push({ digest: entry.digest, reason: 'platform unknown/unknown' });
    } else {
      platforms.push({ digest: entry.digest, mediaType: entry.mediaType, platform: platformLabel(entry.platform) });
    }
  }
  return { kind: 'index', digest: subject, platforms, skipped };
}

/** The platform an image config names; `unspecified` when it names none or cannot be read. */
async function configPlatform(registry: RegistryReader, repository: string, manifest: ImageManifest): Promise<string> {
  if (manifest.config.size > Limits.manifestBytes) return UNSPECIFIED_PLATFORM;
  try {
    const bytes = await registry.getBlob(repository, manifest.config.digest, Limits.manifestBytes);
    const parsed = safeParseJsonDocument(bytes, ImageConfigPlatform, {
      what: `image config ${manifest.config.digest}`,
      maxBytes: Limits.manifestBytes,
    });
    return parsed.success ? platformLabel(parsed.data) : UNSPECIFIED_PLATFORM;
  } catch (err) {
    // A registry blip is retried by the workflow, not judged. An artifact's config (often `{}`) or a
    // missing one names no platform; coverage is by digest anyway, and `unspecified` never matches a
    // required platform.
    if (isRetryable(err)) throw err;
    return UNSPECIFIED_PLATFORM;
  }
}

export interface PlatformCoverageResult {
  readonly ok: boolean;
  /** Platforms not covered, as `os/arch[/variant]` (or the required label that the image lacks). */
  readonly missing: readonly string[];
  /** One readable reason per missing platform. */
  readonly reasons: readonly string[];
}

/**
 * Whether `statements` cover the image. A statement whose subject is the index digest covers
 * every platform (the index pins each platform digest); otherwise each platform manifest needs a
 * statement naming its own digest.
 *
 * `requiredPlatforms` (`os/arch` or `os/arch/variant`) narrows what must be covered: `linux/arm64`
 * matches any variant, `linux/arm/v7` only that variant, and a required platform the image does
 * not have is missing. Without it (or when empty) every platform must be covered. An index that
 * lists no platform is never covered (fail closed).
 */
export function coversAllPlatforms(
  statements: readonly InTotoStatement[],
  coverage: PlatformCoverage,
  requiredPlatforms?: readonly string[],
): PlatformCoverageResult {
  const coversIndex = statements.some((s) => statementCoversDigest(s, coverage.digest));
  const isCovered = (p: PlatformManifest): boolean =>
    coversIndex || statements.some((s) => statementCoversDigest(s, p.digest));
  const selected = selectPlatforms(coverage, requiredPlatforms);
  const missing = [...selected.absent];
  const reasons = [...selected.reasons];
  for (const p of selected.platforms.filter((c) => !isCovered(c))) {
    missing.push(p.platform);
    reasons.push(`${selected.required ? 'required ' : ''}platform ${p.platform} (${p.digest}) is not covered`);
  }
  return { ok: reasons.length === 0, missing, reasons };
}

export interface PlatformSelection {
  /** The platform manifests that must each pass. */
  readonly platforms: readonly PlatformManifest[];
  /** Required platforms the image does not have, and an index that lists no platform. */
  readonly absent: readonly string[];
  /** One reason per entry of `absent` (and one for an index without platforms). */
  readonly reasons: readonly string[];
  /** Whether the policy narrowed the platforms (`requiredPlatforms`). */
  readonly required: boolean;
}

/**
 * The platform manifests that must be gated: every one, or (with `requiredPlatforms`, `os/arch` or
 * `os/arch/variant`) those matching a required platform, where `linux/arm64` matches any variant and
 * a required platform the image does not have is absent. An index that lists no platform selects
 * nothing and says so (fail closed).
 */
export function selectPlatforms(coverage: PlatformCoverage, requiredPlatforms?: readonly string[]): PlatformSelection {
  if (coverage.platforms.length === 0) {
    return { platforms: [], absent: [], reasons: [`${coverage.digest} lists no platform manifest`], required: false };
  }
  const required = requiredPlatforms ?? [];
  if (required.length === 0) return { platforms: coverage.platforms, absent: [], reasons: [], required: false };
  const platforms: PlatformManifest[] = [];
  const absent: string[] = [];
  const reasons: string[] = [];
  for (const wanted of required) {
    const candidates = coverage.platforms.filter((p) => platformMatches(wanted, p.platform));
    if (candidates.length === 0) {
      absent.push(wanted);
      reasons.push(`required platform ${wanted} is not in ${coverage.digest}`);
    }
    for (const c of candidates) if (!platforms.includes(c)) platforms.push(c);
  }
  return { platforms, absent, reasons, required: true };
}

/** `linux/arm64` matches `linux/arm64` and `linux/arm64/v8`; a variant in `wanted` must be equal. */
export function platformMatches(wanted: string, actual: string): boolean {
  const [os, arch, variant] = wanted.split('/');
  const [aOs, aArch, aVariant] = actual.split('/');
  if (os !== aOs || arch !== aArch) return false;
  return variant === undefined || variant === aVariant;
}
