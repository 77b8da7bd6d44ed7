// Promote's last artifact: the signed SLSA VSA over the promoted digest, attached in production.
import type { DecisionRecord, ReleaseRecord } from '../ports.js';
import { attachVsa, buildVsaStatement, findVerifiedVsa, signVsa, type VsaApprover } from '../vsa/vsa.js';
import type { GateDeps } from './deps.js';
import { evidenceSetDigest } from './evidence-set.js';

/**
 * SLSA build level the gate verified: signed provenance from a builder the policy allows is
 * Build L2 ("hosted build platform", signed provenance); the gate cannot see builder hardening
 * (L3), so it never claims it. Without passing provenance, L0.
 */
function verifiedLevels(provenanceStatus: string | undefined): string[] {
  return [provenanceStatus === 'PASS' ? 'SLSA_BUILD_LEVEL_2' : 'SLSA_BUILD_LEVEL_0'];
}

/** A VSA signed for a release, not yet attached: `attach` puts it into production. */
export interface SignedVsa {
  /** Attaches the VSA unless one this gate signed already covers the digest. Returns the referrer digest. */
  attach(): Promise<string>;
}

/**
 * Builds and signs the release's VSA. Promote calls it before it changes production: a signing key
 * that fails (KMS down past the SDK's retries, a disabled key) then fails the step with production
 * untouched, rather than leaving an image promoted without its VSA.
 *
 * `attach` skips the envelope when a VSA signed by this gate's key already covers the digest in
 * `targetRepository` (a retried Promote: ECDSA signatures differ per call, so the check is what
 * keeps it to one). A VSA-looking referrer that does not verify with the key (say, one an
 * attacker attached to the source image and the decision listed) is not ours and does not count.
 */
export async function signReleaseVsa(
  deps: GateDeps,
  release: ReleaseRecord,
  decision: DecisionRecord,
  targetRepository: string,
): Promise<SignedVsa | undefined> {
  if (deps.vsa === undefined) return undefined;
  const { signer, verifierId } = deps.vsa;
  const keys = [{ id: signer.keyId, publicKey: await signer.publicKeyPem() }];
  const evidence = await deps.store.listEvidence(release.repository, release.digest);
  const approvalEvidence = evidence.find((e) => e.kind === 'approval');
  const approvalId = approvalEvidence?.facts.approvalId;
  const approval = typeof approvalId === 'string' ? await deps.store.getApproval(approvalId) : null;
  const approvers: VsaApprover[] = (approval?.approvals ?? []).map((a) => ({
    person: a.person,
    at: a.at,
    ...(a.via === undefined ? {} : { via: a.via }),
  }));
  const imageName = deps.registry.host === undefined ? targetRepository : `${deps.registry.host}/${targetRepository}`;
  const attachments = decision.attachments ?? { referrers: [], tags: [] };
  const statement = buildVsaStatement({
    imageName,
    digest: release.digest,
    verifierId,
    timeVerified: deps.clock.now().toISOString(),
    policyDigest: decision.policyDigest,
    inputs: [
      ...attachments.referrers.map((d) => ({ uri: `${imageName}@${d}`, digest: d })),
      ...attachments.tags.map((t) => ({ uri: `${imageName}:${t.tag}`, digest: t.digest })),
      { uri: `release-gate:decision/${decision.documentDigest}`, digest: decision.documentDigest },
    ],
    verifiedLevels: verifiedLevels(evidence.find((e) => e.kind === 'provenance')?.status),
    stage: release.stage,
    evidenceSetDigest: approval?.evidenceSetDigest ?? evidenceSetDigest(evidence, decision, decision.policyDigest),
    decisionDocument: decision.documentDigest,
    approvers,
  });
  const envelope = await signVsa(signer, statement);
  return {
    attach: async () => {
      const existing = await findVerifiedVsa(deps.registry, targetRepository, release.digest, keys);
      if (existing.verified !== undefined) return existing.verified.referrer;
      const subject = await deps.registry.getManifest(targetRepository, release.digest);
      return attachVsa(
        deps.registry,
        targetRepository,
        { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
        envelope,
      );
    },
  };
}
