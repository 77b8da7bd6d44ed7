// RecordRelease: the first step of every execution.
import { InvalidInputError, TooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { Limits } from '../limits.js';
import { ImageIndexSchema, ImageManifestSchema, isIndexMediaType, isManifestMediaType } from '../oci.js';
import type { ReleaseRecord } from '../ports.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';
import type { ReleaseRef } from './inputs.js';

/** Resolve the manifest (index → platform manifests) and write the release record (conditional put). */
export async function recordRelease(
  deps: GateDeps,
  req: ReleaseRef & { tag?: string | null; executionName: string },
): Promise<{ mediaType: string; platforms: number; created: boolean }> {
  const manifest = await deps.registry.getManifest(req.repository, req.digest);
  if (manifest.bytes.byteLength > Limits.manifestBytes) {
    throw new TooLargeError('manifest', manifest.bytes.byteLength, Limits.manifestBytes);
  }
  const json = parseJson(manifest.bytes, 'manifest');
  const platforms: { digest: Digest; platform: string }[] = [];
  if (isIndexMediaType(manifest.mediaType)) {
    const index = ImageIndexSchema.safeParse(json);
    if (!index.success) throw new InvalidInputError(`image index is invalid: ${index.error.issues[0]?.message}`);
    for (const m of index.data.manifests) {
      if (!isManifestMediaType(m.mediaType)) continue; // attestation manifests, nested indexes
      const p = m.platform;
      platforms.push({
        digest: m.digest,
        platform: p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown',
      });
    }
    if (platforms.length === 0) throw new InvalidInputError('image index lists no platform manifests');
  } else if (isManifestMediaType(manifest.mediaType)) {
    const m = ImageManifestSchema.safeParse(json);
    if (!m.success) throw new InvalidInputError(`image manifest is invalid: ${m.error.issues[0]?.message}`);
  } else {
    throw new UnsupportedMediaTypeError(`unsupported manifest media type ${manifest.mediaType}`);
  }
  const rec: ReleaseRecord = {
    repository: req.repository,
    digest: req.digest,
    mediaType: manifest.mediaType,
    ...(req.tag ? { tag: req.tag } : {}),
    stage: req.stage,
    platforms,
    state: 'RECORDED',
    executionName: req.executionName,
    recordedAt: deps.clock.now().toISOString(),
  };
  const { created } = await deps.store.recordRelease(rec);
  return { mediaType: manifest.mediaType, platforms: platforms.length, created };
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidInputError(`${what} is not valid UTF-8 JSON`, { cause: err });
  }
}
