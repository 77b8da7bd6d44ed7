/**
 * SLSA provenance predicates, v1 (https://slsa.dev/spec/v1.1/provenance) and v0.2
 * (https://slsa.dev/spec/v0.2/provenance), reduced to the facts the gate decides on.
 */
import { formatIssues } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { PredicateTypes } from '../predicate-types.js';
import * as z from '../zod.js';

const JsonObject = z.record(z.string(), z.unknown());
const DigestSet = z.record(z.string(), z.string());

/** in-toto ResourceDescriptor (attestation spec v1 resource_descriptor.md). */
export const ResourceDescriptorSchema = z.object({
  uri: z.optional(z.string()),
  digest: z.optional(DigestSet),
  name: z.optional(z.string()),
  downloadLocation: z.optional(z.string()),
  mediaType: z.optional(z.string()),
  content: z.optional(z.string()),
  annotations: z.optional(JsonObject),
});
export type ResourceDescriptor = z.infer<typeof ResourceDescriptorSchema>;

export const SlsaProvenanceV1Schema = z.object({
  buildDefinition: z.object({
    buildType: z.string().check(z.minLength(1)),
    externalParameters: JsonObject,
    internalParameters: z.optional(z.unknown()),
    resolvedDependencies: z.optional(z.array(ResourceDescriptorSchema)),
  }),
  runDetails: z.object({
    builder: z.object({
      id: z.string().check(z.minLength(1)),
      version: z.optional(z.record(z.string(), z.string())),
      builderDependencies: z.optional(z.array(ResourceDescriptorSchema)),
    }),
    metadata: z.optional(
      z.object({
        invocationId: z.optional(z.string()),
        startedOn: z.optional(z.string()),
        finishedOn: z.optional(z.string()),
      }),
    ),
    byproducts: z.optional(z.array(ResourceDescriptorSchema)),
  }),
});
export type SlsaProvenanceV1 = z.infer<typeof SlsaProvenanceV1Schema>;

export const SlsaProvenanceV02Schema = z.object({
  builder: z.object({ id: z.string().check(z.minLength(1)) }),
  buildType: z.string().check(z.minLength(1)),
  invocation: z.optional(
    z.object({
      configSource: z.optional(
        z.object({
          uri: z.optional(z.string()),
          digest: z.optional(DigestSet),
          entryPoint: z.optional(z.string()),
        }),
      ),
      parameters: z.optional(z.unknown()),
      environment: z.optional(z.unknown()),
    }),
  ),
  buildConfig: z.optional(z.unknown()),
  metadata: z.optional(z.unknown()),
  materials: z.optional(z.array(z.object({ uri: z.optional(z.string()), digest: z.optional(DigestSet) }))),
});
export type SlsaProvenanceV02 = z.infer<typeof SlsaProvenanceV02Schema>;

/** One input of the build, in the v1 ResourceDescriptor form (v0.2 materials are mapped to it). */
export interface ProvenanceDependency {
  readonly uri?: string;
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface ProvenanceFacts {
  readonly slsaVersion: 'v1' | 'v0.2';
  readonly builderId: string;
  readonly buildType: string;
  /** Normalised (see normaliseSourceUri): no `git+`, no `.git`, no `@ref`. */
  readonly sourceRepository?: string;
  readonly sourceRef?: string;
  /** `<alg>:<value>` of the source revision, e.g. `gitCommit:1ac93c…` or `sha1:fc29ec…`. */
  readonly sourceDigest?: string;
  readonly resolvedDependencies: readonly ProvenanceDependency[];
}

/**
 * Splits a source URI into the repository and the ref, for comparison with policy:
 * `git+https://github.com/o/r.git@refs/heads/main` → `{ repository: 'https://github.com/o/r', ref: 'refs/heads/main' }`.
 * Only an `@` in the path counts as the ref separator (not `user@` in the authority).
 */
export function normaliseSourceUri(uri: string): { repository: string; ref?: string } {
  let rest = uri.trim().replace(/^git\+/, '');
  let ref: string | undefined;
  const scheme = rest.indexOf('://');
  const pathStart = scheme >= 0 ? rest.indexOf('/', scheme + 3) : 0;
  const at = pathStart >= 0 ? rest.indexOf('@', pathStart) : -1;
  if (at >= 0) {
    ref = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const repository = rest.replace(/\/+$/, '').replace(/\.git$/, '');
  return ref ? { repository, ref } : { repository };
}

/** Parses a SLSA predicate of either version. Throws InvalidInputError naming the version and the fields. */
export function extractProvenanceFacts(predicateType: string, predicate: unknown): ProvenanceFacts {
  if (predicateType === PredicateTypes.slsaProvenanceV1) {
    const parsed = SlsaProvenanceV1Schema.safeParse(predicate);
    if (!parsed.success) {
      throw new InvalidInputError(`SLSA v1 provenance is invalid: ${formatIssues(parsed.error.issues)}`);
    }
    return factsFromV1(parsed.data);
  }
  if (predicateType === PredicateTypes.slsaProvenanceV02) {
    const parsed = SlsaProvenanceV02Schema.safeParse(predicate);
    if (!parsed.success) {
      throw new InvalidInputError(`SLSA v0.2 provenance is invalid: ${formatIssues(parsed.error.issues)}`);
    }
    return factsFromV02(parsed.data);
  }
  throw new InvalidInputError(`predicate type ${predicateType} is not SLSA provenance v1 or v0.2`);
}

const WorkflowParameters = z.object({
  workflow: z.object({ repository: z.string().check(z.minLength(1)), ref: z.optional(z.string()) }),
});
const SourceParameters = z.object({
  source: z.object({ uri: z.string().check(z.minLength(1)), digest: z.optional(DigestSet) }),
});

function factsFromV1(p: SlsaProvenanceV1): ProvenanceFacts {
  const dependencies = (p.buildDefinition.resolvedDependencies ?? []).map(toDependency);
  const gitDependency = dependencies.find((d) => d.uri !== undefined && isGitUri(d.uri));
  let source: { repository: string; ref?: string } | undefined;
  let sourceDigest: string | undefined;

  // GitHub Actions buildType (actions.github.io/buildtypes/workflow/v1): workflow.repository + ref.
  const workflow = WorkflowParameters.safeParse(p.buildDefinition.externalParameters);
  const sourceParam = SourceParameters.safeParse(p.buildDefinition.externalParameters);
  if (workflow.success) {
    const normalised = normaliseSourceUri(workflow.data.workflow.repository);
    const ref = workflow.data.workflow.ref ?? normalised.ref;
    source = ref ? { repository: normalised.repository, ref } : { repository: normalised.repository };
  } else if (sourceParam.success) {
    // slsa-github-generator container-based and similar: externalParameters.source is a descriptor.
    source = normaliseSourceUri(sourceParam.data.source.uri);
    sourceDigest = pickDigest(sourceParam.data.source.digest);
  } else if (gitDependency?.uri !== undefined) {
    source = normaliseSourceUri(gitDependency.uri);
  }
  if (source !== undefined && sourceDigest === undefined) {
    const repository = source.repository;
    const match = dependencies.find((d) => d.uri !== undefined && normaliseSourceUri(d.uri).repository === repository);
    sourceDigest = pickDigest(match?.digest);
  }
  return withOptional(
    {
      slsaVersion: 'v1',
      builderId: p.runDetails.builder.id,
      buildType: p.buildDefinition.buildType,
      resolvedDependencies: dependencies,
    },
    source?.repository,
    source?.ref,
    sourceDigest,
  );
}

function factsFromV02(p: SlsaProvenanceV02): ProvenanceFacts {
  const dependencies = (p.materials ?? []).map((m) => toDependency({ uri: m.uri, digest: m.digest }));
  const configSource = p.invocation?.configSource;
  let source: { repository: string; ref?: string } | undefined;
  let sourceDigest: string | undefined;
  if (configSource?.uri) {
    source = normaliseSourceUri(configSource.uri);
    sourceDigest = pickDigest(configSource.digest);
  } else {
    const git = dependencies.find((d) => d.uri !== undefined && isGitUri(d.uri));
    if (git?.uri !== undefined) {
      source = normaliseSourceUri(git.uri);
      sourceDigest = pickDigest(git.digest);
    }
  }
  return withOptional(
    { slsaVersion: 'v0.2', builderId: p.builder.id, buildType: p.buildType, resolvedDependencies: dependencies },
    source?.repository,
    source?.ref,
    sourceDigest,
  );
}

function withOptional(
  base: Pick<ProvenanceFacts, 'slsaVersion' | 'builderId' | 'buildType' | 'resolvedDependencies'>,
  sourceRepository: string | undefined,
  sourceRef: string | undefined,
  sourceDigest: string | undefined,
): ProvenanceFacts {
  return {
    ...base,
    ...(sourceRepository ? { sourceRepository } : {}),
    ...(sourceRef ? { sourceRef } : {}),
    ...(sourceDigest ? { sourceDigest } : {}),
  };
}

function toDependency(rd: ResourceDescriptor): ProvenanceDependency {
  return {
    ...(rd.uri !== undefined ? { uri: rd.uri } : {}),
    ...(rd.name !== undefined ? { name: rd.name } : {}),
    digest: rd.digest ?? {},
    ...(rd.annotations !== undefined ? { annotations: rd.annotations } : {}),
  };
}

/** `git+https://…`, `git://…`, `ssh://git@…`, or any URI whose path ends in `.git`. */
function isGitUri(uri: string): boolean {
  return /^git(\+|:\/\/)/.test(uri) || /^ssh:\/\/git@/.test(uri) || /\.git(@|$)/.test(uri);
}

const DIGEST_PREFERENCE = ['gitCommit', 'sha1', 'sha256', 'sha512'] as const;

function pickDigest(digest: Readonly<Record<string, string>> | undefined): string | undefined {
  if (digest === undefined) return undefined;
  for (const alg of DIGEST_PREFERENCE) {
    const value = digest[alg];
    if (value) return `${alg}:${value}`;
  }
  const first = Object.entries(digest)[0];
  return first ? `${first[0]}:${first[1]}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions build context (additive: `extractProvenanceFacts` output is unchanged).

/**
 * What a GitHub Actions provenance records about the run that built the artifact: the triggering
 * ref, the event, and the `workflow_dispatch` inputs. Read where slsa-verifier reads them
 * (verifiers/internal/gha/slsaprovenance): v0.2 `invocation.environment.github_*`; v1 from the
 * source URI ref plus `internalParameters.GITHUB_*` (BYOB / container-based builders) or
 * `externalParameters.workflow` / `.inputs` (buildType actions.github.io/buildtypes/workflow/v1).
 */
export interface GitHubBuildContext {
  /** `github_ref_type` (`branch` or `tag`), or derived from the prefix of `ref`. Other values refuse ref checks. */
  readonly refType?: string;
  /** The full triggering ref: `refs/heads/main`, `refs/tags/v1.5.0`. */
  readonly ref?: string;
  /**
   * For a tag build, the branch ref the tag came from: `github_base_ref`, else the push event's
   * `base_ref` or the release event's `target_commitish` (slsa-verifier common.getBranchForTag).
   * `''` when the provenance records none; absent when this shape of provenance cannot say.
   */
  readonly branchOfTag?: string;
  /** `github_event_name`, e.g. `workflow_dispatch`, `push`, `release`. */
  readonly eventName?: string;
  /** The `workflow_dispatch` inputs as recorded (values are normally strings). */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** The repository whose workflow ran, normalised like `sourceRepository` (`https://github.com/o/r`). */
  readonly repository?: string;
  /** The workflow file that ran in that repository, e.g. `.github/workflows/release.yml`. */
  readonly workflowPath?: string;
}

/** A field that is absent or of the wrong JSON type reads as absent: the checks then fail closed. */
const LenientString = z.catch(z.optional(z.string()), undefined);
const LenientObject = z.catch(z.optional(z.record(z.string(), z.unknown())), undefined);

const EventPayloadSchema = z.catch(
  z.optional(
    z.object({
      base_ref: z.catch(z.optional(z.nullable(z.string())), undefined),
      release: z.catch(z.optional(z.object({ target_commitish: LenientString })), undefined),
      inputs: LenientObject,
    }),
  ),
  undefined,
);

/** The `github_*` context keys, lower case in v0.2 `environment`, upper case in v1 `internalParameters`. */
const GitHubEnvSchema = z.object({
  ref_type: LenientString,
  ref: LenientString,
  base_ref: LenientString,
  event_name: LenientString,
  event_payload: EventPayloadSchema,
  repository: LenientString,
  workflow_ref: LenientString,
});
type GitHubEnv = z.infer<typeof GitHubEnvSchema>;

const GITHUB_ENV_KEYS = ['ref_type', 'ref', 'base_ref', 'event_name', 'event_payload', 'repository', 'workflow_ref'];

/** Reads `github_<key>` (v0.2) or `GITHUB_<KEY>` (v1) into one shape; undefined when none is present. */
function readGitHubEnv(value: unknown, upper: boolean): GitHubEnv | undefined {
  const record = z.record(z.string(), z.unknown()).safeParse(value);
  if (!record.success) return undefined;
  const picked: Record<string, unknown> = {};
  for (const key of GITHUB_ENV_KEYS) {
    const name = upper ? `GITHUB_${key.toUpperCase()}` : `github_${key}`;
    if (name in record.data) picked[key] = record.data[name];
  }
  if (Object.keys(picked).length === 0) return undefined;
  return GitHubEnvSchema.parse(picked);
}

function branchOfTag(env: GitHubEnv): string | undefined {
  if (env.base_ref) return env.base_ref;
  switch (env.event_name) {
    case 'push': {
      // base_ref is null when the tag was pushed without a branch (slsa-verifier treats it as '').
      const baseRef = env.event_payload?.base_ref;
      return baseRef ?? '';
    }
    case 'release': {
      const target = env.event_payload?.release?.target_commitish;
      return target === undefined ? undefined : `refs/heads/${target}`;
    }
    case undefined:
      return undefined;
    default:
      return '';
  }
}

/** `refs/heads/x` → branch, `refs/tags/x` → tag, else undefined. */
export function refTypeOf(ref: string | undefined): 'branch' | 'tag' | undefined {
  if (ref?.startsWith('refs/heads/')) return 'branch';
  if (ref?.startsWith('refs/tags/')) return 'tag';
  return undefined;
}

function compact(
  context: { -readonly [K in keyof GitHubBuildContext]: GitHubBuildContext[K] | undefined },
): GitHubBuildContext | undefined {
  const entries = Object.entries(context).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries);
}

/** `owner/repo/.github/workflows/x.yml@refs/heads/main` → its repository and workflow path. */
function splitWorkflowRef(workflowRef: string | undefined): { repository?: string; path?: string } {
  if (workflowRef === undefined) return {};
  const [repoAndPath = ''] = workflowRef.split('@');
  const parts = repoAndPath.split('/');
  if (parts.length < 3) return {};
  return { repository: `https://github.com/${parts.slice(0, 2).join('/')}`, path: parts.slice(2).join('/') };
}

const V02ContextSchema = z.object({
  invocation: z.catch(
    z.optional(
      z.object({
        configSource: z.catch(z.optional(z.object({ entryPoint: LenientString })), undefined),
        parameters: z.catch(z.optional(z.object({ event_inputs: LenientObject })), undefined),
        environment: z.optional(z.unknown()),
      }),
    ),
    undefined,
  ),
});

const V1ContextSchema = z.object({
  buildDefinition: z.object({
    externalParameters: z.catch(
      z.optional(
        z.object({
          workflow: z.catch(
            z.optional(z.object({ ref: LenientString, repository: LenientString, path: LenientString })),
            undefined,
          ),
          inputs: LenientObject,
        }),
      ),
      undefined,
    ),
    internalParameters: z.optional(z.unknown()),
    resolvedDependencies: z.catch(z.optional(z.array(z.object({ uri: LenientString }))), undefined),
  }),
});

const ActionsInternalSchema = z.catch(
  z.optional(z.object({ github: z.catch(z.optional(z.object({ event_name: LenientString })), undefined) })),
  undefined,
);

/**
 * Extracts the GitHub Actions context of a SLSA v1 or v0.2 predicate, or undefined when it
 * records none (e.g. BuildKit or another CI). Never throws on odd field types: a field that is
 * not where or what GitHub writes is left out, and the checks that need it fail closed.
 */
export function extractGitHubBuildContext(predicateType: string, predicate: unknown): GitHubBuildContext | undefined {
  if (predicateType === PredicateTypes.slsaProvenanceV02) {
    const parsed = V02ContextSchema.safeParse(predicate);
    if (!parsed.success) return undefined;
    const invocation = parsed.data.invocation;
    const env = readGitHubEnv(invocation?.environment, false);
    if (env === undefined) return undefined;
    return compact({
      refType: env.ref_type,
      ref: env.ref,
      branchOfTag: env.ref_type === 'tag' ? branchOfTag(env) : undefined,
      eventName: env.event_name,
      // slsa-verifier reads github_event_payload.inputs; older generators also copy them here.
      inputs: env.event_payload?.inputs ?? invocation?.parameters?.event_inputs,
      repository: undefined,
      workflowPath: invocation?.configSource?.entryPoint,
    });
  }
  if (predicateType === PredicateTypes.slsaProvenanceV1) {
    const parsed = V1ContextSchema.safeParse(predicate);
    if (!parsed.success) return undefined;
    const definition = parsed.data.buildDefinition;
    const workflow = definition.externalParameters?.workflow;
    if (workflow?.repository !== undefined) {
      // actions.github.io/buildtypes/workflow/v1 (actions/attest-build-provenance).
      const internal = ActionsInternalSchema.parse(definition.internalParameters);
      return compact({
        refType: refTypeOf(workflow.ref),
        ref: workflow.ref,
        branchOfTag: undefined,
        eventName: internal?.github?.event_name,
        inputs: definition.externalParameters?.inputs,
        repository: normaliseSourceUri(workflow.repository).repository,
        workflowPath: workflow.path,
      });
    }
    const env = readGitHubEnv(definition.internalParameters, true);
    if (env === undefined) return undefined;
    const fromWorkflowRef = splitWorkflowRef(env.workflow_ref);
    // BYOB and container-based builders: the ref of the first resolved dependency (the source)
    // decides branch and tag (slsa-verifier BYOBProvenance.GetBranch/GetTag); GITHUB_REF otherwise.
    const firstUri = definition.resolvedDependencies?.[0]?.uri;
    const sourceRef = firstUri !== undefined && isGitUri(firstUri) ? normaliseSourceUri(firstUri).ref : undefined;
    const ref = sourceRef ?? env.ref;
    const refType = sourceRef !== undefined ? refTypeOf(sourceRef) : env.ref_type;
    return compact({
      refType,
      ref,
      branchOfTag: sourceRef === undefined && env.ref_type === 'tag' ? branchOfTag(env) : undefined,
      eventName: env.event_name,
      inputs: env.event_payload?.inputs,
      repository: env.repository !== undefined ? `https://github.com/${env.repository}` : fromWorkflowRef.repository,
      workflowPath: fromWorkflowRef.path,
    });
  }
  return undefined;
}

/** A GitHub user id as the generators write it: a number, or its decimal string. */
const GitHubIdSchema = z.union([
  z.number().check(z.int(), z.nonnegative()),
  z.string().check(z.regex(/^[0-9]{1,20}$/)),
]);
const ACTOR_KEYS = ['actor_id', 'triggering_actor_id'] as const;

/**
 * The GitHub accounts that started the build, as `github:<numeric user id>` (ids, not logins: a
 * login can be renamed and reused). Read where the generators write them:
 * - slsa-github-generator v0.2: `invocation.environment.github_actor_id` /
 *   `github_triggering_actor_id` (the delegator writes `GITHUB_ACTOR_ID` / `GITHUB_TRIGGERING_ACTOR_ID`);
 * - SLSA v1 (BYOB, delegator): `buildDefinition.internalParameters.GITHUB_ACTOR_ID` /
 *   `GITHUB_TRIGGERING_ACTOR_ID`; the workflow buildTypes' `internalParameters.github.actor_id` /
 *   `triggering_actor_id` when present (actions/attest-build-provenance records no actor).
 * Empty when the provenance names none; a field of another type is skipped, never guessed.
 */
export function extractBuildTriggerIdentities(predicateType: string, predicate: unknown): string[] {
  const root = z.record(z.string(), z.unknown()).safeParse(predicate);
  if (!root.success) return [];
  const section = (value: unknown, key: string): unknown =>
    z.record(z.string(), z.unknown()).safeParse(value).data?.[key];
  const holder =
    predicateType === PredicateTypes.slsaProvenanceV02
      ? section(root.data.invocation, 'environment')
      : predicateType === PredicateTypes.slsaProvenanceV1
        ? section(root.data.buildDefinition, 'internalParameters')
        : undefined;
  const candidates: unknown[] = [];
  for (const key of ACTOR_KEYS) {
    candidates.push(section(holder, `github_${key}`), section(holder, `GITHUB_${key.toUpperCase()}`));
    candidates.push(section(section(holder, 'github'), key));
  }
  const ids = candidates.flatMap((c) => {
    const id = GitHubIdSchema.safeParse(c);
    return id.success ? [`github:${String(id.data)}`] : [];
  });
  return [...new Set(ids)].sort();
}
