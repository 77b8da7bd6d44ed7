/**
 * Signature evidence: cosign key-based signatures over this exact image digest, found under the
 * `sha256-<hex>.sig` tag (cosign SIGNATURE_SPEC.md) or as OCI referrers carrying a simple-signing layer.
 *
 * A signature is accepted only when all four rules hold:
 * 1. it was found via the `.sig` tag or a referrer of this digest;
 * 2. its payload's `docker-manifest-digest` equals the image digest;
 * 3. its `docker-reference` names this repository (or an allowed prefix);
 * 4. it verifies with a key in `policy.signature.keys`, or, keyless (the layer carries a Fulcio
 *    certificate and a Rekor SET bundle, cosign's default), against the pinned trusted root and an
 *    identity in `policy.signature.sigstore` (sigstore/cosign-tag.ts, through verify-bundle.ts).
 */
import { platformCoverage, readImage } from '../attest/platforms.js';
import { describeError, GateError, isRetryable, NotFoundError, TooLargeError, VerificationError } from '../errors.js';
import { Limits } from '../limits.js';
import { findNotationSignatures } from '../notation/discover.js';
import { verifyNotationSignature } from '../notation/verify.js';
import {
  type Descriptor,
  decodeImageManifest,
  digestToTag,
  type ImageManifest,
  isIndexMediaType,
  MediaTypes,
} from '../oci.js';
import { listReferrersBounded } from '../referrers.js';
import {
  checkSimpleSigningClaims,
  cosignSignatureOf,
  isSimpleSigningLayer,
  parseSimpleSigningPayload,
  verifyCosignSignature,
} from '../signature/cosign.js';
import { COSIGN_TAG_BUNDLE_MEDIA_TYPE, cosignTagBundle, isKeylessCosignLayer } from '../sigstore/cosign-tag.js';
import { verifyImageBundles } from '../sigstore/image-signatures.js';
import type { TrustedRootDoc } from '../sigstore/trusted-root.js';
import { verifyBundle } from '../sigstore/verify-bundle.js';
import { type EvidenceDocument, type EvidenceResult, evidenceResult } from '../types.js';
import type { CollectContext } from './context.js';
import type { SignatureKind } from './signature-policy.js';

interface FoundSignature {
  /** `signature 1 in tag sha256-….sig` */
  readonly label: string;
  readonly payload?: Uint8Array;
  readonly signature?: string;
  /** The layer annotations: a Fulcio certificate there makes the signature keyless. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Set when the signature could not even be read (blob missing, too large, no annotation). */
  readonly unreadable?: string;
}

interface Judged {
  readonly label: string;
  readonly signer?: string;
  readonly reasons: readonly string[];
  readonly signature?: string;
  readonly payload?: Uint8Array;
  /** A keyless signature as the Sigstore bundle it amounts to (certificate, log entry, SET). */
  readonly bundle?: Uint8Array;
}

/** One signature of any format and its verdict; accepted when `signer` is set and `reasons` is empty. */
interface Verdict {
  readonly kind: SignatureKind;
  readonly label: string;
  readonly signer?: string;
  readonly reasons: readonly string[];
}

/**
 * Collects and judges every signature of `ctx.subject` in the formats the policy accepts: cosign
 * simple signing (the rules above), Sigstore bundles (key-based or keyless, @sigstore/verify) and
 * Notation JWS (Notary Project, incl. AWS Signer). PASS when at least `minSigners` distinct trusted
 * signers signed this exact digest.
 */
export async function collectSignature(ctx: CollectContext): Promise<EvidenceResult> {
  const result = await collectImageSignature(ctx);
  if (result.status !== 'MISSING') return result;
  // A signature over an index covers its platforms, which it pins by digest (cosign `--recursive`
  // signs both, and `cosign verify` of the index checks the index's own). The reverse does not
  // hold: a signed platform manifest says nothing about the index that lists it, nor about the
  // other platforms. Such a signature is a reason, never a pass.
  const image = await readImage(ctx.registry, ctx.subject.repository, ctx.subject.digest).catch((err: unknown) => {
    if (isRetryable(err)) throw err;
    return undefined; // an unreadable image has no platforms to speak of: MISSING stands
  });
  if (image?.kind !== 'index') return result;
  const coverage = await platformCoverage(ctx.registry, ctx.subject.repository, ctx.subject.digest);
  const signedPlatforms: string[] = [];
  for (const p of coverage.platforms) {
    const platform = await collectImageSignature({ ...ctx, subject: { ...ctx.subject, digest: p.digest } });
    if (platform.status !== 'MISSING') signedPlatforms.push(`${p.platform} (${p.digest})`);
  }
  if (signedPlatforms.length === 0) return result;
  return evidenceResult('signature', 'FAIL', [
    ...result.reasons,
    `platform ${signedPlatforms.join(', ')} carries a signature, but a signature on a platform manifest does not cover the index ${ctx.subject.digest}: sign the index`,
  ]);
}

/** The signature evidence of exactly `ctx.subject` (an image manifest or an index). */
async function collectImageSignature(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const policy = ctx.policy.signature;
  const trustedRoot =
    policy.sigstore.trustedRoot === undefined ? undefined : ctx.trustedRoots?.get(policy.sigstore.trustedRoot.file);
  const notationTrusted =
    policy.notation.trustAnchors.length > 0 &&
    (policy.notation.trustedIdentities.length > 0 || policy.notation.awsSignerProfiles.length > 0);
  const keyless = policy.sigstore.identities.length > 0 && trustedRoot !== undefined ? trustedRoot : undefined;
  const enabled: Record<SignatureKind, boolean> = {
    cosign: policy.accept.includes('cosign') && (policy.keys.length > 0 || keyless !== undefined),
    'sigstore-bundle': policy.accept.includes('sigstore-bundle') && (policy.keys.length > 0 || keyless !== undefined),
    notation: policy.accept.includes('notation') && notationTrusted,
  };
  if (!Object.values(enabled).some(Boolean)) {
    return evidenceResult(
      'signature',
      'FAIL',
      [
        `policy trusts no signing key for ${repository} (configure signature.keys, signature.sigstore or signature.notation)`,
      ],
      { signers: [], found: 0, accepted: 0 },
    );
  }

  const verdicts: Verdict[] = [];
  const documents: EvidenceDocument[] = [];
  if (enabled.cosign) {
    const judged = [...(await fromSignatureTag(ctx)), ...(await fromReferrers(ctx))].map((f) => judge(ctx, f, keyless));
    verdicts.push(
      ...judged.map((j) => ({ kind: 'cosign' as const, label: j.label, signer: j.signer, reasons: j.reasons })),
    );
    documents.push(...cosignDocuments(judged));
  }
  if (enabled['sigstore-bundle']) {
    const bundles = await verifyImageBundles(ctx.registry, ctx.subject, {
      keys: policy.keys,
      identities: policy.sigstore.identities,
      ...(trustedRoot === undefined ? {} : { trustedRoot }),
      now: ctx.now,
      reference: {
        repository: ctx.subject.repository,
        ...(ctx.subject.registry !== undefined ? { registry: ctx.subject.registry } : {}),
        allowedReferencePrefixes: policy.allowedReferencePrefixes,
      },
    });
    for (const [i, a] of bundles.accepted.entries()) {
      const signer = a.issuer === undefined ? a.signer : `${a.signer} (${a.issuer})`;
      verdicts.push({ kind: 'sigstore-bundle', label: `Sigstore bundle in ${a.source}`, signer, reasons: [] });
      documents.push({ name: `sigstore-bundle-${i + 1}.json`, mediaType: a.mediaType, bytes: a.bundle });
    }
    for (const r of bundles.rejected) {
      verdicts.push({ kind: 'sigstore-bundle', label: `Sigstore bundle in ${r.source}`, reasons: [r.reason] });
    }
  }
  if (enabled.notation) {
    const found = await findNotationSignatures(ctx.registry, repository, digest);
    if (found.length > 0) {
      const manifest = await ctx.registry.getManifest(repository, digest);
      const target = { digest, mediaType: manifest.mediaType, size: manifest.bytes.byteLength };
      for (const [i, f] of found.entries()) {
        const label = `Notation signature in ${f.source}`;
        if (f.envelope === undefined) {
          verdicts.push({ kind: 'notation', label, reasons: [f.unreadable ?? 'unreadable signature'] });
          continue;
        }
        documents.push({
          name: `notation-signature-${i + 1}.jws`,
          mediaType: f.envelopeMediaType ?? MediaTypes.notarySignature,
          bytes: f.envelope,
        });
        try {
          const verified = await verifyNotationSignature(f.envelope, target, {
            trustAnchors: policy.notation.trustAnchors.map((a) => ({ id: a.id, certificatePem: a.certificate })),
            ...(policy.notation.signingScheme === undefined ? {} : { signingScheme: policy.notation.signingScheme }),
            trustedIdentities: policy.notation.trustedIdentities,
            awsSignerProfiles: policy.notation.awsSignerProfiles,
            ...(ctx.revocation === undefined ? {} : { revocation: ctx.revocation }),
            now: ctx.now,
            ...(f.envelopeMediaType === undefined ? {} : { envelopeMediaType: f.envelopeMediaType }),
          });
          verdicts.push({ kind: 'notation', label, signer: verified.signer, reasons: [] });
        } catch (err) {
          if (!(err instanceof GateError)) throw err;
          verdicts.push({ kind: 'notation', label, reasons: [describeError(err)] });
        }
      }
    }
  }

  const accepted = verdicts.filter((v) => v.signer !== undefined && v.reasons.length === 0);
  const signers = [...new Set(accepted.flatMap((v) => (v.signer === undefined ? [] : [v.signer])))];
  const facts = {
    signers,
    found: verdicts.length,
    accepted: accepted.length,
    kinds: [...new Set(accepted.map((v) => v.kind))],
  };
  documents.push(summaryDocument(verdicts));
  const minSigners = policy.minSigners;
  if (verdicts.length === 0) {
    const looked = [
      enabled.cosign ? `cosign tag ${digestToTag(digest)}.sig and referrers` : undefined,
      enabled['sigstore-bundle'] ? 'Sigstore bundle referrers' : undefined,
      enabled.notation ? 'Notation referrers' : undefined,
    ].filter((x) => x !== undefined);
    return evidenceResult('signature', 'MISSING', [
      `no signature found for ${repository}@${digest} (looked at: ${looked.join('; ')})`,
    ]);
  }
  if (signers.length >= minSigners) {
    return evidenceResult('signature', 'PASS', [`signed by ${signers.join(', ')}`], facts, documents);
  }
  const reasons = verdicts.flatMap((v) => v.reasons.map((r) => `${v.label}: ${r}`));
  if (signers.length > 0) {
    reasons.push(`${signers.length} distinct trusted signer(s) (${signers.join(', ')}), policy requires ${minSigners}`);
  }
  return evidenceResult('signature', 'FAIL', reasons, facts, documents);
}

function judge(ctx: CollectContext, found: FoundSignature, keyless: TrustedRootDoc | undefined): Judged {
  const { label } = found;
  if (found.unreadable !== undefined || found.payload === undefined || found.signature === undefined) {
    return { label, reasons: [found.unreadable ?? 'unreadable signature'] };
  }
  const { payload, signature } = found;
  const reasons: string[] = [];
  let signer: string | undefined;
  let bundle: Uint8Array | undefined;
  if (isKeylessCosignLayer(found.annotations)) {
    const verified = verifyKeylessSignature(ctx, found.annotations, payload, keyless);
    bundle = verified.bundle;
    if ('reason' in verified) reasons.push(verified.reason);
    else signer = verified.signer;
  } else {
    try {
      signer = verifyCosignSignature(payload, signature, ctx.policy.signature.keys).signer;
    } catch (err) {
      if (err instanceof VerificationError || (err instanceof GateError && err.code === 'UNTRUSTED')) {
        reasons.push(`signed by a key not trusted for repository ${ctx.subject.repository}`);
      } else {
        reasons.push(`invalid signature: ${describeError(err)}`);
      }
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
  return {
    label,
    reasons,
    payload,
    signature,
    ...(signer !== undefined && { signer }),
    ...(bundle !== undefined && { bundle }),
  };
}

/**
 * A keyless tag-format signature, verified as the Sigstore bundle it amounts to: chain to a Fulcio
 * CA of the trusted root at the logged time, SCT, SET, log entry matching this signature, identity.
 * Returns the signer as `SAN (issuer)`, or the reason it is refused; and the bundle when the
 * material converts, to keep as evidence.
 */
function verifyKeylessSignature(
  ctx: CollectContext,
  annotations: Readonly<Record<string, string>> | undefined,
  payload: Uint8Array,
  trustedRoot: TrustedRootDoc | undefined,
): ({ signer: string } | { reason: string }) & { bundle?: Uint8Array } {
  if (trustedRoot === undefined) {
    return {
      reason:
        'keyless signature (Fulcio certificate), but the policy trusts no keyless identity (signature.sigstore identities and trustedRoot)',
    };
  }
  let bundle: Uint8Array | undefined;
  try {
    bundle = cosignTagBundle({
      mediaType: MediaTypes.cosignSimpleSigning,
      bytes: payload,
      ...(annotations ? { annotations } : {}),
    });
    const verified = verifyBundle(
      bundle,
      { bytes: payload },
      { trustedRoot, identities: ctx.policy.signature.sigstore.identities, now: ctx.now },
    );
    return {
      signer: verified.issuer === undefined ? verified.signer : `${verified.signer} (${verified.issuer})`,
      bundle,
    };
  } catch (err) {
    if (!(err instanceof GateError)) throw err;
    return { reason: `keyless signature not verified: ${describeError(err)}`, ...(bundle && { bundle }) };
  }
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
  const referrers = await listReferrersBounded(ctx.registry, ctx.subject.repository, ctx.subject.digest);
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
      found.push(
        layer.annotations
          ? { label, payload, signature, annotations: layer.annotations }
          : { label, payload, signature },
      );
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

/** The cosign payloads as found, and the Sigstore bundle of each keyless one. */
function cosignDocuments(judged: readonly Judged[]): EvidenceDocument[] {
  return judged.flatMap((j, i) => [
    ...(j.payload === undefined
      ? []
      : [{ name: `signature-${i + 1}.payload.json`, mediaType: MediaTypes.cosignSimpleSigning, bytes: j.payload }]),
    ...(j.bundle === undefined
      ? []
      : [{ name: `signature-${i + 1}.sigstore.json`, mediaType: COSIGN_TAG_BUNDLE_MEDIA_TYPE, bytes: j.bundle }]),
  ]);
}

/** One JSON summary of every signature, of every format, and its verdict. */
function summaryDocument(verdicts: readonly Verdict[]): EvidenceDocument {
  const summary = verdicts.map((v) => ({
    kind: v.kind,
    source: v.label,
    signer: v.signer ?? null,
    accepted: v.signer !== undefined && v.reasons.length === 0,
    reasons: v.reasons,
  }));
  return {
    name: 'signatures.json',
    mediaType: 'application/json',
    bytes: new TextEncoder().encode(JSON.stringify(summary, null, 2)),
  };
}
