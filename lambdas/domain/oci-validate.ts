/**
 * Strict parsing of OCI manifests and indexes.
 *
 * `ImageManifestSchema` / `ImageIndexSchema` (oci.ts) describe the shape the gate reads. They are
 * deliberately lenient about things the image-spec JSON schemas reject, so this module adds the
 * rules of image-spec `schema/*.json` (defs-descriptor.json: media type and digest patterns;
 * image-manifest-schema.json: at least one layer) and the gate's own rules on top:
 *
 * - the body's `mediaType` must agree with the media type the registry served (image-spec
 *   manifest.md "mediaType … when used, this field MUST contain the media type"), so a manifest
 *   cannot be served as an index or the other way round;
 * - every digest must be `sha256:<64 hex>`: the gate verifies content by sha256 only and rejects
 *   other algorithms rather than trusting what it cannot check.
 *
 * `checkManifestSpec` / `checkIndexSpec` report the image-spec rules alone (no gate rules), so the
 * vendored image-spec test cases can be checked against exactly what the spec says.
 */
import { formatPath, parseJsonValue } from './document.js';
import { InvalidInputError, TooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { Limits } from './limits.js';
import {
  type ImageIndex,
  ImageIndexSchema,
  type ImageManifest,
  ImageManifestSchema,
  isIndexMediaType,
  isManifestMediaType,
  MediaTypes,
} from './oci.js';
import * as z from './zod.js';

/** image-spec schema/defs-descriptor.json `mediaType` (RFC 6838 §4.2). */
const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** image-spec schema/defs-descriptor.json `digest` (descriptor.md "Digests"). */
const SPEC_DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const SpecDescriptorSchema = z.looseObject({
  mediaType: z.string().check(z.regex(MEDIA_TYPE_PATTERN, 'media type does not match RFC 6838')),
  digest: z.string().check(z.regex(SPEC_DIGEST_PATTERN, 'digest does not match <algorithm>:<encoded>')),
  size: z.number().check(z.int(), z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER)),
  urls: z.optional(z.array(z.string())),
  artifactType: z.optional(z.string().check(z.regex(MEDIA_TYPE_PATTERN, 'artifactType does not match RFC 6838'))),
  annotations: z.optional(z.record(z.string(), z.string())),
});

const SpecPlatformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.optional(z.string()),
  'os.features': z.optional(z.array(z.string())),
  variant: z.optional(z.string()),
});

const SpecManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string().check(z.regex(MEDIA_TYPE_PATTERN))),
  artifactType: z.optional(z.string().check(z.regex(MEDIA_TYPE_PATTERN))),
  config: SpecDescriptorSchema,
  layers: z.array(SpecDescriptorSchema).check(z.minLength(1, 'an image manifest needs at least one layer')),
  subject: z.optional(SpecDescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});

const SpecIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string().check(z.regex(MEDIA_TYPE_PATTERN))),
  artifactType: z.optional(z.string().check(z.regex(MEDIA_TYPE_PATTERN))),
  manifests: z.array(z.extend(SpecDescriptorSchema, { platform: z.optional(SpecPlatformSchema) })),
  subject: z.optional(SpecDescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});

/** Outcome of a spec check: the problems found, each as `path: message`. Empty means valid. */
export interface SpecCheck {
  readonly valid: boolean;
  readonly problems: readonly string[];
}

function decodeJson(bytes: Uint8Array, what: string): unknown {
  return parseJsonValue(bytes, { what, maxBytes: Limits.manifestBytes });
}

function problemsOf(error: z.$ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

function specCheck(schema: z.ZodMiniType, bytes: Uint8Array, what: string): SpecCheck {
  let json: unknown;
  try {
    json = decodeJson(bytes, what);
  } catch (err) {
    return { valid: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
  const result = schema.safeParse(json);
  return result.success ? { valid: true, problems: [] } : { valid: false, problems: problemsOf(result.error) };
}

/** Checks `bytes` against image-spec's image-manifest-schema.json rules only (no gate rules). */
export function checkManifestSpec(bytes: Uint8Array): SpecCheck {
  return specCheck(SpecManifestSchema, bytes, 'image manifest');
}

/** Checks `bytes` against image-spec's image-index-schema.json rules only (no gate rules). */
export function checkIndexSpec(bytes: Uint8Array): SpecCheck {
  return specCheck(SpecIndexSchema, bytes, 'image index');
}

function throwIfProblems(what: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new InvalidInputError(`${what}: ${problems.join('; ')}`);
  }
}

function checkMediaTypeConsistency(
  what: string,
  bodyMediaType: string | undefined,
  hint: string | undefined,
  accepts: (mt: string | undefined) => boolean,
): void {
  if (bodyMediaType !== undefined && !accepts(bodyMediaType)) {
    throw new UnsupportedMediaTypeError(`${what} has mediaType ${bodyMediaType}`);
  }
  if (hint !== undefined) {
    if (!accepts(hint)) {
      throw new UnsupportedMediaTypeError(`${what} was served as ${hint}`);
    }
    if (bodyMediaType !== undefined && bodyMediaType !== hint) {
      throw new InvalidInputError(`${what} was served as ${hint} but its body says ${bodyMediaType}`);
    }
  }
}

/**
 * Parses an image manifest strictly: size limit, UTF-8, JSON, image-spec schema rules, media-type
 * consistency with `mediaTypeHint` (the registry's Content-Type or descriptor media type), and
 * sha256-only digests. A body that also carries `manifests` is refused: it could be read as an
 * index by another tool (image-spec manifest.md / "manifest confusion").
 * Docker schema 2 manifests are accepted when served or labelled as such.
 */
export function parseManifest(bytes: Uint8Array, mediaTypeHint?: string): ImageManifest {
  const what = 'image manifest';
  const json = decodeJson(bytes, what);
  const spec = SpecManifestSchema.safeParse(json);
  if (!spec.success) {
    throwIfProblems(what, problemsOf(spec.error));
  }
  const parsed = ImageManifestSchema.safeParse(json);
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  if (spec.success) {
    if ('manifests' in spec.data) {
      problems.push('(root): a manifest must not carry a "manifests" field');
    }
  }
  // ImageManifestSchema/ImageIndexSchema use DigestSchema: they add the gate's sha256-only rule.
  throwIfProblems(what, problems);
  if (!parsed.success) {
    throw new InvalidInputError(`${what} is invalid`);
  }
  checkMediaTypeConsistency(what, parsed.data.mediaType, mediaTypeHint, isManifestMediaType);
  return parsed.data;
}

/** Parses an image index strictly; the index counterpart of {@link parseManifest}. */
export function parseIndex(bytes: Uint8Array, mediaTypeHint?: string): ImageIndex {
  const what = 'image index';
  const json = decodeJson(bytes, what);
  const spec = SpecIndexSchema.safeParse(json);
  if (!spec.success) {
    throwIfProblems(what, problemsOf(spec.error));
  }
  const parsed = ImageIndexSchema.safeParse(json);
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  if (spec.success) {
    if ('config' in spec.data || 'layers' in spec.data) {
      problems.push('(root): an index must not carry "config" or "layers"');
    }
  }
  throwIfProblems(what, problems);
  if (!parsed.success) {
    throw new InvalidInputError(`${what} is invalid`);
  }
  checkMediaTypeConsistency(what, parsed.data.mediaType, mediaTypeHint, isIndexMediaType);
  return parsed.data;
}

const SniffSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  manifests: z.optional(z.array(z.unknown())),
  config: z.optional(z.unknown()),
});

/**
 * The media type of a manifest body when no Content-Type or descriptor says it: the body's own
 * `mediaType`, else OCI index when it has `manifests`, else OCI manifest when it has `config`.
 * Throws UNSUPPORTED_MEDIA_TYPE for anything that is neither (a config or layer blob, say).
 */
export function sniffManifestMediaType(bytes: Uint8Array): string {
  let json: unknown;
  try {
    json = decodeJson(bytes, 'manifest');
  } catch (err) {
    if (err instanceof TooLargeError) {
      throw err;
    }
    throw new UnsupportedMediaTypeError('content is not a JSON manifest or index', { cause: err });
  }
  const parsed = SniffSchema.safeParse(json);
  if (!parsed.success) {
    throw new UnsupportedMediaTypeError('content is not an OCI/Docker schema 2 manifest or index');
  }
  const { mediaType, manifests, config } = parsed.data;
  if (mediaType !== undefined) {
    return mediaType;
  }
  if (manifests !== undefined && config === undefined) {
    return MediaTypes.ociIndex;
  }
  if (config !== undefined && manifests === undefined) {
    return MediaTypes.ociManifest;
  }
  throw new UnsupportedMediaTypeError('content is neither a manifest nor an index');
}
