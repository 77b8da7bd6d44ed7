/**
 * Finds the Sigstore bundles attached to an image (cosign specs/BUNDLE_SPEC.md): OCI referrers
 * whose manifest has a layer of a bundle media type. What a referrers index says about an entry
 * (`artifactType`) is a copy the registry or the client made, and cosign has written
 * `application/vnd.oci.empty.v1+json` there (sigstore/cosign#4422), so every referrer manifest is
 * read and judged by its own layers.
 *
 * Sources, in order:
 * 1. the referrers API (or the registry adapter's referrers-tag fallback);
 * 2. the OCI referrers tag schema `sha256-<hex>` read directly: cosign writes it when the registry
 *    lacks the API, and a registry may have both;
 * 3. cosign's legacy `sha256-<hex>.sig` / `.att` tags, for a layer of a bundle media type;
 * 4. keyless DSSE layers of the `.att` tag (Fulcio certificate + Rekor SET in the annotations, the
 *    cosign 1.x/2.x default), converted into the Sigstore bundle they amount to (cosign-tag.ts).
 *    Keyless `.sig` layers sign a simple-signing payload, not the image manifest, so the signature
 *    evidence verifies those itself.
 * A manifest reached twice is read once.
 */
import { safeParseJsonDocument } from '../document.js';
import { describeError, GateError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  decodeImageManifest,
  digestToTag,
  ImageIndexSchema,
  type ImageManifest,
  isIndexMediaType,
  MediaTypes,
} from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { assertWithinReferrerLimit } from '../referrers.js';
import { COSIGN_TAG_BUNDLE_MEDIA_TYPE, cosignTagBundle, isKeylessCosignLayer } from './cosign-tag.js';

/** A bundle blob as found, not yet verified. */
export interface FoundSigstoreBundle {
  /** `referrer sha256:…` or `tag sha256-….sig`, plus `layer n` when a manifest has several. */
  readonly source: string;
  readonly bytes: Uint8Array;
  /** The layer's media type (one of the bundle media types). */
  readonly mediaType: string;
}

/** Everything found: readable bundles, and bundles that were listed but could not be read. */
export interface SigstoreBundleScan {
  readonly found: readonly FoundSigstoreBundle[];
  /**
   * Listed for this image but unusable (vanished, too large, tampered blob, wrong subject), with
   * the predicate type a keyless `.att` layer claims in its (unauthenticated) annotation.
   */
  readonly unreadable: readonly Unreadable[];
}

interface Unreadable {
  readonly source: string;
  readonly reason: string;
  readonly predicateType?: string;
}

/** `…bundle.v0.3+json` and `…bundle+json;version=0.x` (protobuf-specs sigstore_bundle.proto). */
const BUNDLE_LAYER_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+\+json|\+json;\s*version=0\.\d+)$/;

export function isSigstoreBundleLayer(mediaType: string): boolean {
  return BUNDLE_LAYER_MEDIA_TYPE.test(mediaType);
}

/**
 * The bundles attached to `repository@subjectDigest`. Unreadable ones are left out; use
 * {@link scanSigstoreBundles} to see them (a caller that must fail closed should).
 */
export async function findSigstoreBundles(
  registry: RegistryReader,
  repository: string,
  subjectDigest: string,
): Promise<FoundSigstoreBundle[]> {
  return [...(await scanSigstoreBundles(registry, repository, subjectDigest)).found];
}

/**
 * Like {@link findSigstoreBundles}, and also reports bundles that were listed but unusable.
 * More referrers than Limits.referrers throws GateError TOO_LARGE (treated as an attack); registry
 * errors other than NotFound propagate, for the caller to record as ERROR evidence.
 */
export async function scanSigstoreBundles(
  registry: RegistryReader,
  repository: string,
  subjectDigest: string,
): Promise<SigstoreBundleScan> {
  const found: FoundSigstoreBundle[] = [];
  const unreadable: Unreadable[] = [];

  const listed = [
    ...(await registry.listReferrers(repository, subjectDigest)),
    ...(await referrersTagIndex(registry, repository, subjectDigest)),
  ];
  const referrers = [...new Map(listed.map((d) => [d.digest, d])).values()];
  assertWithinReferrerLimit(`${repository}@${subjectDigest}`, referrers.length);
  for (const referrer of referrers) {
    if (isIndexMediaType(referrer.mediaType)) continue;
    const source = `referrer ${referrer.digest}`;
    const manifest = await readManifest(registry, repository, referrer.digest);
    if (manifest === undefined) continue;
    if (typeof manifest === 'string') {
      if (referrer.artifactType !== undefined && isSigstoreBundleLayer(referrer.artifactType)) {
        unreadable.push({ source, reason: manifest });
      }
      continue;
    }
    const layers = manifest.layers.filter((l) => isSigstoreBundleLayer(l.mediaType));
    if (layers.length === 0) continue;
    if (manifest.subject?.digest !== subjectDigest) {
      unreadable.push({
        source,
        reason: `manifest subject is ${manifest.subject?.digest ?? 'absent'}, not ${subjectDigest}`,
      });
      continue;
    }
    await readLayers(registry, repository, layers, source, found, unreadable);
  }

  for (const suffix of ['.sig', '.att']) {
    const tag = `${digestToTag(subjectDigest)}${suffix}`;
    const manifest = await readManifest(registry, repository, tag);
    if (manifest === undefined || typeof manifest === 'string') continue;
    const layers = manifest.layers.filter((l) => isSigstoreBundleLayer(l.mediaType));
    await readLayers(registry, repository, layers, `tag ${tag}`, found, unreadable);
    if (suffix === '.att') {
      const keyless = manifest.layers.filter(
        (l) => l.mediaType === MediaTypes.dsseEnvelope && isKeylessCosignLayer(l.annotations),
      );
      await readLayers(registry, repository, keyless, `tag ${tag}`, found, unreadable, true);
    }
  }
  return { found, unreadable };
}

/** The entries of the `sha256-<hex>` referrers tag index, when that tag exists and is an index. */
async function referrersTagIndex(
  registry: RegistryReader,
  repository: string,
  subjectDigest: string,
): Promise<Descriptor[]> {
  let bytes: Uint8Array;
  try {
    bytes = (await registry.getManifest(repository, digestToTag(subjectDigest))).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
  const index = safeParseJsonDocument(bytes, ImageIndexSchema, {
    what: 'referrers tag index',
    maxBytes: Limits.manifestBytes,
  });
  return index.success ? index.data.manifests : [];
}

/** The manifest; a string saying why it is not one; or undefined when it does not exist. */
async function readManifest(
  registry: RegistryReader,
  repository: string,
  reference: string,
): Promise<ImageManifest | string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = (await registry.getManifest(repository, reference)).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  return decodeImageManifest(bytes, Limits.manifestBytes);
}

/**
 * Reads bundle layers into `found`. With `keyless`, the layers are keyless `.att` DSSE envelopes
 * and what is found is the Sigstore bundle each amounts to; one that does not convert is unreadable.
 */
async function readLayers(
  registry: RegistryReader,
  repository: string,
  layers: readonly Descriptor[],
  source: string,
  found: FoundSigstoreBundle[],
  unreadable: Unreadable[],
  keyless = false,
): Promise<void> {
  for (const [i, layer] of layers.entries()) {
    const label = `${layers.length > 1 ? `${source} layer ${i + 1}` : source}${keyless ? ' (keyless)' : ''}`;
    if (layer.size > Limits.attestationBytes) {
      unreadable.push({
        source: label,
        reason: `bundle is ${layer.size} bytes, above the limit of ${Limits.attestationBytes} bytes`,
      });
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await registry.getBlob(repository, layer.digest, Limits.attestationBytes);
    } catch (err) {
      // Missing, oversized or tampered content is a bad bundle; anything else is the registry's fault.
      if (
        err instanceof NotFoundError ||
        err instanceof TooLargeError ||
        (err instanceof GateError && err.code === 'DIGEST_MISMATCH')
      ) {
        unreadable.push({ source: label, reason: `bundle blob ${layer.digest} unreadable: ${describeError(err)}` });
        continue;
      }
      throw err;
    }
    if (!keyless) {
      found.push({ source: label, bytes, mediaType: layer.mediaType });
      continue;
    }
    try {
      const annotations = layer.annotations ?? {};
      const bundle = cosignTagBundle({ mediaType: MediaTypes.dsseEnvelope, bytes, annotations });
      found.push({ source: label, bytes: bundle, mediaType: COSIGN_TAG_BUNDLE_MEDIA_TYPE });
    } catch (err) {
      if (!(err instanceof GateError)) throw err;
      const claimed = layer.annotations?.predicateType;
      unreadable.push({ source: label, reason: describeError(err), ...(claimed ? { predicateType: claimed } : {}) });
    }
  }
}
