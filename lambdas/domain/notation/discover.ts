/**
 * Finding the Notation signatures of an image among its OCI referrers (Notary Project
 * signature-specification.md "Storage" and "Signature Discovery").
 *
 * A referrer is a Notation signature when its own manifest says so: `artifactType`, or (OCI 1.0
 * style) `config.mediaType`, is `application/vnd.cncf.notary.signature`. What the referrers index
 * reports is not trusted (registries have been seen to report the wrong artifactType), so every
 * referrer manifest is read. The spec allows exactly one layer: the envelope.
 */
import { safeParseJsonDocument } from '../document.js';
import { describeError, GateError, NotFoundError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { type ImageManifest, ImageManifestSchema, isIndexMediaType } from '../oci.js';
import type { RegistryReader } from '../ports.js';
import { listReferrersBounded } from '../referrers.js';
import { NOTATION_ENVELOPE_MAX_BYTES, NotationMediaTypes } from './envelope.js';

export interface FoundNotationSignature {
  /** Where it was found, for reasons: `referrer sha256:…`. */
  readonly source: string;
  /** Digest of the signature manifest. */
  readonly manifestDigest: string;
  /** The layer media type: `application/jose+json` or `application/cose`, when readable. */
  readonly envelopeMediaType?: string;
  /** The envelope bytes, when they could be read. */
  readonly envelope?: Uint8Array;
  /** Set instead of `envelope` when the signature cannot be read; verification must then fail. */
  readonly unreadable?: string;
}

/**
 * The Notation signatures whose subject is `subjectDigest`, each with its envelope bytes or the
 * reason it could not be read. Registry errors other than "not found" propagate.
 *
 * @throws GateError TOO_LARGE when the subject has more referrers than `Limits.referrers`.
 */
export async function findNotationSignatures(
  registry: RegistryReader,
  repository: string,
  subjectDigest: string,
): Promise<FoundNotationSignature[]> {
  const referrers = await listReferrersBounded(registry, repository, subjectDigest);
  const found: FoundNotationSignature[] = [];
  for (const referrer of referrers) {
    if (isIndexMediaType(referrer.mediaType)) continue;
    let bytes: Uint8Array;
    try {
      bytes = (await registry.getManifest(repository, referrer.digest)).bytes;
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    const manifest = parseManifest(bytes);
    if (manifest === undefined || !isNotationSignature(manifest)) continue;

    const base = { source: `referrer ${referrer.digest}`, manifestDigest: referrer.digest };
    if (manifest.subject?.digest !== subjectDigest) {
      found.push({
        ...base,
        unreadable: `manifest subject is ${manifest.subject?.digest ?? 'absent'}, not this image`,
      });
      continue;
    }
    const [layer, ...extra] = manifest.layers;
    if (layer === undefined || extra.length > 0) {
      found.push({
        ...base,
        unreadable: `a signature manifest has exactly one layer, this one has ${manifest.layers.length}`,
      });
      continue;
    }
    if (layer.mediaType !== NotationMediaTypes.jws && layer.mediaType !== NotationMediaTypes.cose) {
      found.push({ ...base, unreadable: `envelope media type ${layer.mediaType} is not a Notation envelope` });
      continue;
    }
    try {
      const envelope = await registry.getBlob(repository, layer.digest, NOTATION_ENVELOPE_MAX_BYTES);
      found.push({ ...base, envelopeMediaType: layer.mediaType, envelope });
    } catch (err) {
      if (
        err instanceof NotFoundError ||
        err instanceof TooLargeError ||
        (err instanceof GateError && err.code === 'DIGEST_MISMATCH')
      ) {
        found.push({
          ...base,
          envelopeMediaType: layer.mediaType,
          unreadable: `envelope blob ${layer.digest} unreadable: ${describeError(err)}`,
        });
        continue;
      }
      throw err;
    }
  }
  return found;
}

function isNotationSignature(manifest: ImageManifest): boolean {
  return (
    manifest.artifactType === NotationMediaTypes.signature || manifest.config.mediaType === NotationMediaTypes.signature
  );
}

/** Undefined for anything that is not a readable image manifest: such referrers are not ours. */
function parseManifest(bytes: Uint8Array): ImageManifest | undefined {
  const parsed = safeParseJsonDocument(bytes, ImageManifestSchema, {
    what: 'manifest',
    maxBytes: Limits.manifestBytes,
  });
  return parsed.success ? parsed.data : undefined;
}
