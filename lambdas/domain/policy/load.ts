import { parse as parseYaml } from 'yaml';
import { decodeDocumentText, formatIssues } from '../document.js';
import { describeError, InvalidInputError, PolicyInvalidError } from '../errors.js';
import { globMatches } from '../glob.js';
import { Limits } from '../limits.js';
import { sha256Digest } from '../oci.js';
import { parseTrustedRoot, type TrustedRootDoc } from '../sigstore/trusted-root.js';
import type { Digest } from '../types.js';
import { type PolicyDocument, PolicyDocumentSchema, type RepositoryPolicy } from './schema.js';

export interface LoadedPolicy {
  readonly document: PolicyDocument;
  /** Trusted roots the policy pins (`signature.sigstore.trustedRoot.file` → parsed, digest-checked). */
  readonly trustedRoots: ReadonlyMap<string, TrustedRootDoc>;
  /** sha256 of the exact bytes loaded: stored with every decision so it can be replayed. */
  readonly digest: Digest;
  readonly bytes: Uint8Array;
}

/** Reads a file the policy references, by its path relative to the policy document. */
export type PolicyFileReader = (relativePath: string) => Uint8Array;

/**
 * The policy document alone, validated, without reading the files it references: what a replay of a
 * stored decision needs (`explain`), since the evaluation reads only the document.
 */
export function parsePolicyDocument(bytes: Uint8Array): PolicyDocument {
  let text: string;
  try {
    // Size first, strict UTF-8; YAML 1.2 §5.2 allows a byte order mark at the start of a stream.
    text = decodeDocumentText(bytes, { what: 'policy', maxBytes: Limits.policyBytes, byteOrderMark: 'ignore' });
  } catch (err) {
    if (err instanceof InvalidInputError) throw new PolicyInvalidError(err.message, { cause: err });
    throw err;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML 1.2 is a superset of JSON
  } catch (err) {
    throw new PolicyInvalidError('policy is neither valid JSON nor YAML', { cause: err });
  }
  const parsed = PolicyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyInvalidError(`policy is invalid: ${formatIssues(parsed.error.issues)}`, { cause: parsed.error });
  }
  for (const [i, rule] of parsed.data.rules.entries()) {
    for (const [stage, def] of Object.entries(rule.stages)) {
      if (def.require.includes('dependency-diff') && !def.require.includes('sbom')) {
        throw new PolicyInvalidError(`rules.${i}.stages.${stage}: dependency-diff requires sbom`);
      }
    }
  }
  return parsed.data;
}

/**
 * Parse and validate a policy (JSON or YAML). Every invalid field is reported at once; an invalid
 * policy throws POLICY_INVALID, so the gate refuses to start instead of running without a policy.
 * Files the policy references (pinned Sigstore trusted roots) are read through `readFile` and
 * checked against their pins here, at load time.
 */
export function loadPolicy(bytes: Uint8Array, readFile?: PolicyFileReader): LoadedPolicy {
  const document = parsePolicyDocument(bytes);
  const trustedRoots = new Map<string, TrustedRootDoc>();
  for (const [i, rule] of document.rules.entries()) {
    for (const pin of [rule.signature.sigstore.trustedRoot, rule.attestations.sigstore.trustedRoot]) {
      if (pin === undefined || trustedRoots.has(pin.file)) continue;
      if (pin.file.includes('..') || pin.file.startsWith('/')) {
        throw new PolicyInvalidError(`rules.${i}.signature.sigstore.trustedRoot.file must stay next to the policy`);
      }
      if (readFile === undefined) {
        throw new PolicyInvalidError(`rules.${i} pins ${pin.file}, but the policy was loaded without its directory`);
      }
      let rootBytes: Uint8Array;
      try {
        rootBytes = readFile(pin.file);
      } catch (err) {
        throw new PolicyInvalidError(`rules.${i}: cannot read trusted root ${pin.file}`, { cause: err });
      }
      try {
        trustedRoots.set(pin.file, parseTrustedRoot(rootBytes, pin));
      } catch (err) {
        throw new PolicyInvalidError(`rules.${i}: trusted root ${pin.file}: ${describeError(err)}`, {
          cause: err,
        });
      }
    }
  }
  return { document, digest: sha256Digest(bytes), bytes, trustedRoots };
}

/** Glob over repository names: `*` stays inside one path segment, `**` crosses segments. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  return globMatches(pattern, repository, { segments: true });
}

/** Whether any rule of the policy governs `repository`. */
export function isGated(document: PolicyDocument, repository: string): boolean {
  return document.rules.some((r) => r.repositories.some((p) => repositoryMatches(p, repository)));
}

/** The first rule matching the repository. No match is an error: ungated repos never pass. */
export function policyFor(document: PolicyDocument, repository: string): RepositoryPolicy {
  const rule = document.rules.find((r) => r.repositories.some((p) => repositoryMatches(p, repository)));
  if (rule === undefined) {
    throw new PolicyInvalidError(`no policy rule matches repository ${repository}`);
  }
  return rule;
}

/** The stage a release of this rule is evaluated for: the rule's own, else the deployment's. */
export function stageFor(policy: RepositoryPolicy, deploymentStage: string): string {
  return policy.stage ?? deploymentStage;
}

export function targetRepositoryFor(policy: RepositoryPolicy, repository: string): string {
  return policy.promotion.targetRepository.replaceAll('{repository}', repository);
}
