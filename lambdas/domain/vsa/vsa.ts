/**
 * The SLSA Verification Summary Attestation (VSA) Promote attaches to every promoted image.
 * Spec: https://slsa.dev/spec/v1.0/verification_summary (predicate `https://slsa.dev/verification_summary/v1`),
 * an in-toto Statement v1 in a DSSE envelope, attached as an OCI referrer of the promoted manifest.
 * A deploy-time check then needs one thing: a VSA over the digest, signed by the gate's key, PASSED.
 */
import { type DsseEnvelope, pae, verifyEnvelope } from '../attest/dsse.js';
import { parseInTotoStatementBytes, statementCoversDigest } from '../attest/in-toto.js';
import { parseJsonDocument } from '../document.js';
import { describeError, VerificationError } from '../errors.js';
import { Limits } from '../limits.js';
import { type Descriptor, ImageManifestSchema, MediaTypes, sha256Digest } from '../oci.js';
import type { RegistryReader, RegistryWriter, VsaSigner } from '../ports.js';
import { PredicateTypes, StatementTypes } from '../predicate-types.js';
import type { TrustedKey } from '../trust-material.js';
import * as z from '../zod.js';

/** The referrer's `artifactType`: the DSSE envelope media type, as cosign and the referrers API list it. */
export const VSA_ARTIFACT_TYPE = MediaTypes.dsseEnvelope;
/**
 * Annotation that marks the referrer as a VSA (the artifact type is shared with other DSSE
 * attestations). It only selects which referrers are verified: it is not trusted.
 */
export const VSA_PREDICATE_ANNOTATION = 'dev.release-gate.predicate-type';

export interface VsaApprover {
  readonly person: string;
  readonly at: string;
  readonly via?: string;
}

export interface VsaInput {
  /** Where the promoted image lives, e.g. `123….dkr.ecr.eu-west-1.amazonaws.com/prod/app`. */
  readonly imageName: string;
  readonly digest: string;
  readonly verifierId: string;
  readonly timeVerified: string;
  readonly policyDigest: string;
  /** The attestations (referrers, cosign tags) the decision judged, as promoted, and the decision document. */
  readonly inputs: readonly { readonly uri: string; readonly digest: string }[];
  readonly verifiedLevels: readonly string[];
  readonly stage: string;
  readonly evidenceSetDigest: string;
  readonly decisionDocument: string;
  readonly approvers: readonly VsaApprover[];
}

/** `sha256:<hex>` → in-toto DigestSet `{sha256: hex}`. */
function digestSet(digest: string): Record<string, string> {
  const i = digest.indexOf(':');
  return { [digest.slice(0, i)]: digest.slice(i + 1) };
}

/**
 * The in-toto Statement. Approvers, the evidence-set digest and the stage are not VSA fields: they
 * sit in the extension field `releaseGate` (in-toto parsing rules: consumers MUST ignore fields
 * they do not recognise), so SLSA verifiers read the VSA as is and ours read the rest.
 */
export function buildVsaStatement(input: VsaInput) {
  return {
    _type: StatementTypes.v1,
    subject: [{ name: input.imageName, digest: digestSet(input.digest) }],
    predicateType: PredicateTypes.vsaV1,
    predicate: {
      verifier: { id: input.verifierId },
      timeVerified: input.timeVerified,
      resourceUri: `${input.imageName}@${input.digest}`,
      policy: { uri: `release-gate:policy/${input.policyDigest}`, digest: digestSet(input.policyDigest) },
      inputAttestations: input.inputs.map((i) => ({ uri: i.uri, digest: digestSet(i.digest) })),
      verificationResult: 'PASSED',
      verifiedLevels: [...input.verifiedLevels],
      slsaVersion: '1.0',
      releaseGate: {
        stage: input.stage,
        evidenceSetDigest: input.evidenceSetDigest,
        decisionDocument: input.decisionDocument,
        approvers: input.approvers.map((a) => ({ person: a.person, at: a.at, ...(a.via && { via: a.via }) })),
      },
    },
  };
}

/** Signs the statement into a DSSE envelope (payloadType `application/vnd.in-toto+json`). */
export async function signVsa(signer: VsaSigner, statement: unknown): Promise<Uint8Array> {
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  // KMS returns DER; DSSE takes the signature bytes as the signer produced them, and cosign,
  // sigstore-go and this project's verifier all accept DER ECDSA (envelope.md leaves the encoding to the scheme).
  const sig = await signer.sign(pae(MediaTypes.inTotoPayload, payload));
  const envelope: DsseEnvelope = {
    payloadType: MediaTypes.inTotoPayload,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: signer.keyId, sig: Buffer.from(sig).toString('base64') }],
  };
  return new TextEncoder().encode(JSON.stringify(envelope));
}

const EMPTY_CONFIG = new TextEncoder().encode('{}');

/**
 * Attaches the envelope as a referrer of `subject` in `repository`: the empty config, one DSSE
 * layer (image-spec "Guidelines for artifact usage"). Returns the referrer's manifest digest.
 */
export async function attachVsa(
  registry: RegistryWriter,
  repository: string,
  subject: Descriptor,
  envelope: Uint8Array,
): Promise<string> {
  const layerDigest = sha256Digest(envelope);
  const configDigest = sha256Digest(EMPTY_CONFIG);
  await registry.putBlob(repository, configDigest, EMPTY_CONFIG);
  await registry.putBlob(repository, layerDigest, envelope);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: VSA_ARTIFACT_TYPE,
    config: { mediaType: MediaTypes.ociEmpty, digest: configDigest, size: EMPTY_CONFIG.length },
    layers: [{ mediaType: MediaTypes.dsseEnvelope, digest: layerDigest, size: envelope.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { [VSA_PREDICATE_ANNOTATION]: PredicateTypes.vsaV1 },
  };
  return registry.putManifest(repository, new TextEncoder().encode(JSON.stringify(manifest)), MediaTypes.ociManifest);
}

const VsaPredicateSchema = z.object({
  verifier: z.object({ id: z.string().check(z.minLength(1)) }),
  timeVerified: z.string(),
  resourceUri: z.string(),
  policy: z.object({ uri: z.optional(z.string()), digest: z.record(z.string(), z.string()) }),
  inputAttestations: z._default(z.array(z.object({ uri: z.string(), digest: z.record(z.string(), z.string()) })), []),
  verificationResult: z.string(),
  verifiedLevels: z.array(z.string()),
  releaseGate: z.optional(
    z.object({
      stage: z.optional(z.string()),
      evidenceSetDigest: z.optional(z.string()),
      approvers: z._default(z.array(z.object({ person: z.string(), at: z.string(), via: z.optional(z.string()) })), []),
    }),
  ),
});
export type VsaPredicate = z.infer<typeof VsaPredicateSchema>;

/**
 * VSA-typed referrers of one digest checked at most: anyone who can attach referrers can attach
 * thousands, and each costs two fetches. Past it the check fails closed (no VSA verified).
 */
export const MAX_VSA_REFERRERS = 50;

/** A VSA whose signature, subject, predicate type and result all checked out. */
export interface VerifiedVsa {
  readonly referrer: string;
  readonly signer: string;
  readonly predicate: VsaPredicate;
}

/**
 * Verifies one envelope: signature by a trusted key over the PAE, payload type, statement subject
 * covering `digest`, predicate type VSA v1 and `verificationResult: PASSED`. Throws VerificationError
 * naming what failed.
 */
export function verifyVsaEnvelope(envelope: Uint8Array, digest: string, keys: readonly TrustedKey[]) {
  const verified = verifyEnvelope(envelope, keys);
  if (verified.payloadType !== MediaTypes.inTotoPayload) {
    throw new VerificationError(`payload type ${verified.payloadType} is not ${MediaTypes.inTotoPayload}`);
  }
  const statement = parseInTotoStatementBytes(verified.payload);
  if (statement.predicateType !== PredicateTypes.vsaV1) {
    throw new VerificationError(`predicate type ${statement.predicateType} is not ${PredicateTypes.vsaV1}`);
  }
  if (!statementCoversDigest(statement, digest)) {
    throw new VerificationError(`the VSA's subject does not name ${digest}`);
  }
  const predicate = VsaPredicateSchema.safeParse(statement.predicate);
  if (!predicate.success) throw new VerificationError(`malformed VSA predicate: ${predicate.error.message}`);
  if (predicate.data.verificationResult !== 'PASSED') {
    throw new VerificationError(`verificationResult is ${predicate.data.verificationResult}, not PASSED`);
  }
  return { signer: verified.signer, predicate: predicate.data };
}

/**
 * Finds the VSA referrers of `digest` in `repository` and verifies each: the first that verifies
 * is returned with the reasons the others failed (anyone who can attach a referrer can attach a
 * forged VSA; it is refused, not trusted). `verified` is undefined when none verifies.
 */
export async function findVerifiedVsa(
  registry: RegistryReader,
  repository: string,
  digest: string,
  keys: readonly TrustedKey[],
): Promise<{ verified?: VerifiedVsa; refused: string[] }> {
  const refused: string[] = [];
  // Other DSSE attestations (SBOMs, provenance) share the artifact type: the annotation tells ours apart.
  const referrers = (await registry.listReferrers(repository, digest)).filter(
    (r) => r.artifactType === VSA_ARTIFACT_TYPE && r.annotations?.[VSA_PREDICATE_ANNOTATION] === PredicateTypes.vsaV1,
  );
  if (referrers.length > MAX_VSA_REFERRERS) {
    refused.push(`${referrers.length} VSA-typed referrers (more than ${MAX_VSA_REFERRERS}): none is checked`);
    return { refused };
  }
  for (const referrer of referrers) {
    try {
      const fetched = await registry.getManifest(repository, referrer.digest);
      const manifest = parseJsonDocument(fetched.bytes, ImageManifestSchema, {
        what: `VSA referrer ${referrer.digest}`,
        maxBytes: Limits.manifestBytes,
      });
      const layer = manifest.layers.find((l) => l.mediaType === MediaTypes.dsseEnvelope);
      if (layer === undefined) throw new VerificationError('no DSSE envelope layer');
      const envelope = await registry.getBlob(repository, layer.digest, Limits.attestationBytes);
      const { signer, predicate } = verifyVsaEnvelope(envelope, digest, keys);
      return { verified: { referrer: referrer.digest, signer, predicate }, refused };
    } catch (err) {
      refused.push(`referrer ${referrer.digest}: ${describeError(err)}`);
    }
  }
  return { refused };
}
