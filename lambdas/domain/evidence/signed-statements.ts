/**
 * Signed in-toto statements about an image, from every place a producer may put them, for the
 * evidence kinds that read attestations (provenance, sbom, eval):
 * - DSSE envelopes signed by a key in `attestations.keys`, as OCI referrers or under cosign's
 *   `sha256-<hex>.att` tag (attest/discover.ts);
 * - Sigstore bundles (cosign v3 `attest`, the SLSA GitHub generator) and keyless `.att` layers
 *   (cosign 1.x/2.x: Fulcio certificate and Rekor SET in the layer annotations, verified as the
 *   bundle they amount to), checked with @sigstore/verify (sigstore/image-signatures.ts):
 *   key-based with `attestations.keys`, keyless with `attestations.sigstore` (identities and the
 *   pinned trusted root).
 *
 * A statement is trusted only when its signature verifies and its subject carries the digest it
 * was found on. Everything of a wanted predicate type that does not verify is a rejection with its
 * reason, so the caller can fail closed on it.
 */
import { type DiscoverOptions, discoverAttestations } from '../attest/discover.js';
import type { InTotoStatement } from '../attest/types.js';
import { MediaTypes } from '../oci.js';
import { verifyImageBundles } from '../sigstore/image-signatures.js';
import type { TrustedRootDoc } from '../sigstore/trusted-root.js';
import type { CollectContext } from './context.js';

/**
 * An in-toto statement whose signature verified, about the digest it was found on. `R`: what
 * `SignedStatementOptions.inPieces` read of its predicate.
 */
export interface SignedStatement<R = never> {
  /** The statement; when `read` is set, the predicate's array that `read` was made of is empty here. */
  readonly statement: InTotoStatement;
  /** What `SignedStatementOptions.inPieces` made of the predicate's array, when it read it. */
  readonly read?: R;
  readonly predicateType: string;
  /** The key id, or the certificate identity and its issuer for keyless. */
  readonly signer: string;
  /** Where it was found, for reasons (with the platform manifest when not the image itself). */
  readonly source: string;
  /** The signed document as found, to store as raw evidence. */
  readonly document: {
    readonly mediaType: string;
    readonly extension: 'dsse.json' | 'sigstore.json';
    readonly bytes: Uint8Array;
  };
}

export interface SignedStatements<R = never> {
  readonly trusted: SignedStatement<R>[];
  /** Found, of a wanted predicate type, but not usable: bad signature, untrusted identity, wrong subject. */
  readonly rejected: string[];
  /** Sigstore bundles of a wanted predicate type that were read (accepted or rejected), on every digest. */
  readonly bundles: number;
}

export interface SignedStatementOptions<R = never> {
  readonly predicateTypes: readonly string[];
  /**
   * The digests to look on, e.g. an index and its platform manifests; statements found on one
   * must name that one.
   * @default - [ctx.subject.digest]
   */
  readonly digests?: readonly string[];
  /**
   * At most this many Sigstore bundles of the wanted types are verified per digest; more throws
   * GateError TOO_LARGE.
   * @default - only Limits.referrers bounds them
   */
  readonly maxBundles?: number;
  /** DiscoverOptions.skipPayload, for DSSE envelopes. */
  readonly skipPayload?: DiscoverOptions['skipPayload'];
  /** DiscoverOptions.skipEnvelope, for DSSE envelopes. */
  readonly skipEnvelope?: DiscoverOptions['skipEnvelope'];
  /** DiscoverOptions.inPieces, for DSSE envelopes and Sigstore bundles alike. */
  readonly inPieces?: DiscoverOptions<R>['inPieces'];
}

/** The attestation signers the policy trusts: keys, and keyless identities under a pinned root. */
export interface AttestationTrust {
  readonly keys: CollectContext['policy']['attestations']['keys'];
  readonly identities: CollectContext['policy']['attestations']['sigstore']['identities'];
  readonly trustedRoot?: TrustedRootDoc;
  /** Whether any signer at all is trusted. */
  readonly any: boolean;
}

export function attestationTrustOf(ctx: CollectContext): AttestationTrust {
  const { keys, sigstore } = ctx.policy.attestations;
  const trustedRoot = sigstore.trustedRoot === undefined ? undefined : ctx.trustedRoots?.get(sigstore.trustedRoot.file);
  const keyless = sigstore.identities.length > 0 && trustedRoot !== undefined;
  return {
    keys,
    identities: sigstore.identities,
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
    any: keys.length > 0 || keyless,
  };
}

/** Every signed statement of `opts.predicateTypes` on `opts.digests` (see the module comment). */
export async function gatherSignedStatements<R = never>(
  ctx: CollectContext,
  opts: SignedStatementOptions<R>,
): Promise<SignedStatements<R>> {
  const { repository, digest } = ctx.subject;
  const trust = attestationTrustOf(ctx);
  const wanted = opts.predicateTypes;
  const gathered = { trusted: [] as SignedStatement<R>[], rejected: [] as string[], bundles: 0 };

  for (const subject of opts.digests ?? [digest]) {
    const where = subject === digest ? '' : ` (platform manifest ${subject})`;
    // With no signer trusted at all the bundle scan is skipped, so the DSSE scan names keyless layers.
    const scan = await discoverAttestations(ctx.registry, { repository, digest: subject }, trust.keys, wanted, {
      keylessElsewhere: trust.any,
      ...(opts.skipPayload === undefined ? {} : { skipPayload: opts.skipPayload }),
      ...(opts.skipEnvelope === undefined ? {} : { skipEnvelope: opts.skipEnvelope }),
      ...(opts.inPieces === undefined ? {} : { inPieces: opts.inPieces }),
    });
    for (const r of scan.rejected) {
      if (r.predicateType === undefined || wanted.includes(r.predicateType)) {
        gathered.rejected.push(`${r.source}${where}: ${r.reason}`);
      }
    }
    for (const a of scan.verified) {
      if (!wanted.includes(a.predicateType)) continue;
      gathered.trusted.push({
        statement: a.statement,
        ...(a.read === undefined ? {} : { read: a.read }),
        predicateType: a.predicateType,
        signer: a.signer,
        source: `${a.source}${where}`,
        document: { mediaType: MediaTypes.dsseEnvelope, extension: 'dsse.json', bytes: a.envelope },
      });
    }
    if (!trust.any) continue;

    const verdicts = await verifyImageBundles(
      ctx.registry,
      { repository, digest: subject },
      {
        keys: trust.keys,
        identities: trust.identities,
        ...(trust.trustedRoot === undefined ? {} : { trustedRoot: trust.trustedRoot }),
        now: ctx.now,
        predicateTypes: wanted,
        messageSignatures: false,
        ...(opts.maxBundles === undefined ? {} : { maxBundles: opts.maxBundles }),
        ...(opts.inPieces === undefined ? {} : { inPieces: opts.inPieces }),
      },
    );
    for (const r of verdicts.rejected) {
      if (r.predicateType !== undefined && !wanted.includes(r.predicateType)) continue;
      gathered.bundles++;
      gathered.rejected.push(`Sigstore bundle in ${r.source}${where}: ${r.reason}`);
    }
    for (const a of verdicts.accepted) {
      if (a.statement === undefined || a.predicateType === undefined) continue;
      gathered.bundles++;
      gathered.trusted.push({
        statement: a.statement,
        ...(a.read === undefined ? {} : { read: a.read }),
        predicateType: a.predicateType,
        signer: a.issuer === undefined ? a.signer : `${a.signer} (${a.issuer})`,
        source: `Sigstore bundle in ${a.source}${where}`,
        document: { mediaType: a.mediaType, extension: 'sigstore.json', bytes: a.bundle },
      });
    }
  }
  return gathered;
}
