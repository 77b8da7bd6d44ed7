import { createHash } from 'node:crypto';
import { safeParseJsonDocument } from './document.js';
import { DigestSchema } from './types.js';
import * as z from './zod.js';

/** Media types from the OCI image-spec, Docker distribution and the signing tools we read. */
export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** cosign simple signing payload layer (SIGNATURE_SPEC.md). */
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** DSSE envelope as a cosign attestation layer (`.att` tag). */
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  inTotoPayload: 'application/vnd.in-toto+json',
  cyclonedxJson: 'application/vnd.cyclonedx+json',
  spdxJson: 'application/spdx+json',
  notarySignature: 'application/vnd.cncf.notary.signature',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  /** The gate's own evaluation-results artifact when attached as a plain referrer. */
  evalResults: 'application/vnd.release-gate.eval.v1+json',
} as const;

export const MANIFEST_MEDIA_TYPES = [MediaTypes.ociManifest, MediaTypes.dockerManifest] as const;
export const INDEX_MEDIA_TYPES = [MediaTypes.ociIndex, MediaTypes.dockerManifestList] as const;
/** Sent as `Accept` on every manifest request: without it some registries 404 OCI manifests. */
export const MANIFEST_ACCEPT = [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES].join(', ');

/** Annotations defined by image-spec and cosign. */
export const Annotations = {
  refName: 'org.opencontainers.image.ref.name',
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  baseDigest: 'org.opencontainers.image.base.digest',
  baseName: 'org.opencontainers.image.base.name',
  cosignSignature: 'dev.cosignproject.cosign/signature',
  /** Keyless cosign tag format: PEM Fulcio leaf, its PEM chain, and the Rekor SET bundle JSON. */
  cosignCertificate: 'dev.sigstore.cosign/certificate',
  cosignChain: 'dev.sigstore.cosign/chain',
  cosignBundle: 'dev.sigstore.cosign/bundle',
} as const;

export const DescriptorSchema = z.object({
  mediaType: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  size: z.number().check(z.int(), z.nonnegative()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
  artifactType: z.optional(z.string()),
  platform: z.optional(
    z.object({
      architecture: z.string(),
      os: z.string(),
      'os.version': z.optional(z.string()),
      variant: z.optional(z.string()),
    }),
  ),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

export const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

export const ImageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  manifests: z.array(DescriptorSchema),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

export function sha256Digest(bytes: Uint8Array | string): string {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (typeof bytes !== 'string') hashedHere.set(bytes, digest);
  return digest;
}

/** The digests `sha256Digest` computed in this process, by the very bytes it hashed. Weak: they go with the bytes. */
const hashedHere = new WeakMap<Uint8Array, string>();

/**
 * `sha256Digest` for a store that keeps `bytes`, without hashing them a second time when this
 * process just hashed these very bytes: a registry read verifies every blob it returns against its
 * digest, and the sbom step stores that blob (an SBOM, a signed envelope: megabytes) next. Only a
 * digest these bytes were hashed into here counts, never one a caller, a manifest or a registry
 * claims. Nothing writes into bytes it read; were something to, the store's read verifies what it
 * holds against its digest (DIGEST_MISMATCH), so such a document fails closed, never reads as
 * other content.
 */
export function sha256DigestToStore(bytes: Uint8Array): string {
  return hashedHere.get(bytes) ?? sha256Digest(bytes);
}

/** `sha256:abc…` → `sha256-abc…`: the cosign tag scheme and the OCI referrers tag schema. */
export function digestToTag(digest: string): string {
  return digest.replace(':', '-');
}

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && (INDEX_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/**
 * Lenient decode of a fetched manifest for evidence discovery: the manifest, or the reason it is
 * not one (as `parseJsonDocument` words it: size, UTF-8, JSON, then the image-manifest schema).
 * Never throws.
 */
export function decodeImageManifest(bytes: Uint8Array, maxBytes: number): ImageManifest | string {
  const parsed = safeParseJsonDocument(bytes, ImageManifestSchema, { what: 'manifest', maxBytes });
  return parsed.success ? parsed.data : parsed.error.message;
}
