// RecordRelease: the first step of every execution.

import { parseJsonValue, validateDocument } from '../document.js';
import { InvalidInputError, UnsupportedMediaTypeError } from '../errors.js';
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
  const json = parseJsonValue(manifest.bytes, { what: 'manifest', maxBytes: Limits.manifestBytes });
  const platforms: { digest: Digest; platform: string }[] = [];
  if (isIndexMediaType(manifest.mediaType)) {
    const index = validateDocument(json, ImageIndexSchema, 'image index');
    for (const m of index.manifests) {
      if (!isManifestMediaType(m.mediaType)) continue; // attestation manifests, nested indexes
      const p = m.platform;
      platforms.push({
        digest: m.digest,
        platform: p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown',
      });
    }
    if (platforms.length === 0) throw new InvalidInputError('image index lists no platform manifests');
  } else if (isManifestMediaType(manifest.mediaType)) {
    validateDocument(json, ImageManifestSchema, 'image manifest');
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
