/**
 * Signature evidence: cosign key-based signatures over this exact image digest, found under the
 * `sha256-<hex>.sig` tag (cosign SIGNATURE_SPEC.md) or as OCI referrers carrying a simple-signing layer.
 *
 * A signature is accepted only when all four rules hold:
 * 1. it was found via the `.sig` tag or a referrer of this digest;
 * 2. its payload's `docker-manifest-digest` equals the image digest;
 * 3. its `docker-reference` names this repository (or an allowed prefix);
 * 4. it verifies with a key in `policy.signature.keys`.
 */
import { describeError, GateError, NotFoundError, TooLargeError, VerificationError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  decodeImageManifest,
  digestToTag,
  type ImageManifest,
  isIndexMediaType,
  MediaTypes,
} from '../oci.js';
import {
  checkSimpleSigningClaims,
  cosignSignatureOf,
  isSimpleSigningLayer,
  parseSimpleSigningPayload,
  verifyCosignSignature,
} from '../signature/cosign.js';
import { type EvidenceDocument, type EvidenceResult, evidenceResult } from '../types.js';
import type { CollectContext } from './context.js';

interface FoundSignature {
  /** `signature 1 in tag sha256-….sig` */
  readonly label: string;
  readonly payload?: Uint8Array;
  readonly signature?: string;
  /** Set when the signature could not even be read (blob missing, too large, no annotation). */
  readonly unreadable?: string;
}

interface Judged {
  readonly label: string;
  readonly signer?: string;
  readonly reasons: readonly string[];
  readonly signature?: string;
  readonly payload?: Uint8Array;
}

/** Collects and judges the cosign signatures of `ctx.subject`. See the module comment for the rules. */
export async function collectSignature(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository } = ctx.subject;
  const keys = ctx.policy.signature.keys;
  if (keys.length === 0) {
    return evidenceResult('signature', 'FAIL', [`policy trusts no signing key for ${repository}`], {
      signers: [],
      found: 0,
      accepted: 0,
    });
  }

  const found = [...(await fromSignatureTag(ctx)), ...(await fromReferrers(ctx))];
  if (found.length === 0) {
    return evidenceResult('signature', 'MISSING', [
      `no cosign signature found for ${repository}@${ctx.subject.digest} (tag ${digestToTag(ctx.subject.digest)}.sig, referrers)`,
    ]);
  }

  const judged = found.map((f) => judge(ctx, f));
  const signers = [
    ...new Set(judged.flatMap((j) => (j.signer !== undefined && j.reasons.length === 0 ? [j.signer] : []))),
  ];
  const accepted = judged.filter((j) => j.signer !== undefined && j.reasons.length === 0).length;
  const facts = { signers, found: found.length, accepted };
  const documents = toDocuments(judged);
  const minSigners = ctx.policy.signature.minSigners;

  if (signers.length >= minSigners) {
    return evidenceResult('signature', 'PASS', [`signed by ${signers.join(', ')}`], facts, documents);
  }
  const reasons = judged.flatMap((j) => j.reasons.map((r) => `${j.label}: ${r}`));
  if (signers.length > 0) {
    reasons.push(`${signers.length} distinct trusted signer(s) (${signers.join(', ')}), policy requires ${minSigners}`);
  }
  return evidenceResult('signature', 'FAIL', reasons, facts, documents);
}

function judge(ctx: CollectContext, found: FoundSignature): Judged {
  const { label } = found;
  if (found.unreadable !== undefined || found.payload === undefined || found.signature === undefined) {
    return { label, reasons: [found.unreadable ?? 'unreadable signature'] };
  }
  const { payload, signature } = found;
  const reasons: string[] = [];
  let signer: string | undefined;
  try {
    signer = verifyCosignSignature(payload, signature, ctx.policy.signature.keys).signer;
  } catch (err) {
    if (err instanceof VerificationError || (err instanceof GateError && err.code === 'UNTRUSTED')) {
      reasons.push(`signed by a key not trusted for repository ${ctx.subject.repository}`);
    } else {
      reasons.push(`invalid signature: ${describeError(err)}`);
    }
  }
  // The claims are checked on every payload, verified or not, so a rejection lists every broken rule.
  try {
    const claims = parseSimpleSigningPayload(payload);
    reasons.push(
      ...checkSimpleSigningClaims(claims, {
        digest: ctx.subject.digest,
        repository: ctx.subject.repository,
        ...(ctx.subject.registry !== undefined ? { registry: ctx.subject.registry } : {}),
        allowedReferencePrefixes: ctx.policy.signature.allowedReferencePrefixes,
      }),
    );
  } catch (err) {
    reasons.push(describeError(err));
  }
  return signer !== undefined ? { label, signer, reasons, payload, signature } : { label, reasons, payload, signature };
}

async function fromSignatureTag(ctx: CollectContext): Promise<FoundSignature[]> {
  const tag = `${digestToTag(ctx.subject.digest)}.sig`;
  let bytes: Uint8Array;
  try {
    bytes = (await ctx.registry.getManifest(ctx.subject.repository, tag)).bytes;
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
  const manifest = parseManifest(bytes);
  if (typeof manifest === 'string') {
    return [{ label: `tag ${tag}`, unreadable: manifest }];
  }
  // Every layer of a `.sig` manifest is meant to be a signature; anything else there is rejected.
  return readLayers(ctx, manifest.layers, `tag ${tag}`);
}

async function fromReferrers(ctx: CollectContext): Promise<FoundSignature[]> {
  const referrers = await ctx.registry.listReferrers(ctx.subject.repository, ctx.subject.digest);
  if (referrers.length > Limits.referrers) {
    throw new GateError(
      'TOO_LARGE',
      `${ctx.subject.repository}@${ctx.subject.digest} has ${referrers.length} referrers, above the limit of ${Limits.referrers}`,
    );
  }
  const found: FoundSignature[] = [];
  for (const referrer of referrers) {
    if (isIndexMediaType(referrer.mediaType)) continue;
    let bytes: Uint8Array;
    try {
      bytes = (await ctx.registry.getManifest(ctx.subject.repository, referrer.digest)).bytes;
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    const manifest = parseManifest(bytes);
    // Judge by the manifest's own layers, not by the artifactType the referrers index reports.
    if (typeof manifest === 'string' || !manifest.layers.some((l) => isSimpleSigningLayer(l.mediaType))) continue;
    const source = `referrer ${referrer.digest}`;
    if (manifest.subject?.digest !== ctx.subject.digest) {
      found.push({
        label: source,
        unreadable: `manifest subject is ${manifest.subject?.digest ?? 'absent'}, not this image`,
      });
      continue;
    }
    found.push(
      ...(await readLayers(
        ctx,
        manifest.layers.filter((l) => isSimpleSigningLayer(l.mediaType)),
        source,
      )),
    );
  }
  return found;
}

async function readLayers(
  ctx: CollectContext,
  layers: readonly Descriptor[],
  source: string,
): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const [i, layer] of layers.entries()) {
    const label = `signature ${i + 1} in ${source}`;
    if (!isSimpleSigningLayer(layer.mediaType)) {
      found.push({ label, unreadable: `layer media type ${layer.mediaType} is not ${MediaTypes.cosignSimpleSigning}` });
      continue;
    }
    const signature = cosignSignatureOf(layer.annotations);
    if (signature === undefined) {
      found.push({ label, unreadable: 'layer has no dev.cosignproject.cosign/signature annotation' });
      continue;
    }
    try {
      const payload = await ctx.registry.getBlob(ctx.subject.repository, layer.digest, Limits.signaturePayloadBytes);
      found.push({ label, payload, signature });
    } catch (err) {
      if (
        err instanceof NotFoundError ||
        err instanceof TooLargeError ||
        (err instanceof GateError && err.code === 'DIGEST_MISMATCH')
      ) {
        found.push({ label, unreadable: `payload blob ${layer.digest} unreadable: ${describeError(err)}` });
        continue;
      }
      throw err;
    }
  }
  return found;
}

function parseManifest(bytes: Uint8Array): ImageManifest | string {
  return decodeImageManifest(bytes, Limits.manifestBytes);
}

/** The payloads as found, plus one JSON summary of every signature and its verdict. */
function toDocuments(judged: readonly Judged[]): EvidenceDocument[] {
  const documents: EvidenceDocument[] = [];
  const summary = judged.map((j, i) => {
    if (j.payload !== undefined) {
      documents.push({
        name: `signature-${i + 1}.payload.json`,
        mediaType: MediaTypes.cosignSimpleSigning,
        bytes: j.payload,
      });
    }
    return {
      source: j.label,
      signature: j.signature ?? null,
      signer: j.signer ?? null,
      accepted: j.signer !== undefined && j.reasons.length === 0,
      reasons: j.reasons,
    };
  });
  documents.push({
    name: 'signatures.json',
    mediaType: 'application/json',
    bytes: new Uint8Array(Buffer.from(JSON.stringify(summary, null, 2), 'utf8')),
  });
  return documents;
}
