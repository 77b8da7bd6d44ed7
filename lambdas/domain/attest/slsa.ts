/**
 * SLSA provenance predicates, v1 (https://slsa.dev/spec/v1.1/provenance) and v0.2
 * (https://slsa.dev/spec/v0.2/provenance), reduced to the facts the gate decides on.
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { PredicateTypes } from '../predicate-types.js';

const JsonObject = z.record(z.string(), z.unknown());
const DigestSet = z.record(z.string(), z.string());

/** in-toto ResourceDescriptor (attestation spec v1 resource_descriptor.md). */
export const ResourceDescriptorSchema = z.object({
  uri: z.string().optional(),
  digest: DigestSet.optional(),
  name: z.string().optional(),
  downloadLocation: z.string().optional(),
  mediaType: z.string().optional(),
  content: z.string().optional(),
  annotations: JsonObject.optional(),
});
export type ResourceDescriptor = z.infer<typeof ResourceDescriptorSchema>;

export const SlsaProvenanceV1Schema = z.object({
  buildDefinition: z.object({
    buildType: z.string().min(1),
    externalParameters: JsonObject,
    internalParameters: z.unknown().optional(),
    resolvedDependencies: z.array(ResourceDescriptorSchema).optional(),
  }),
  runDetails: z.object({
    builder: z.object({
      id: z.string().min(1),
      version: z.record(z.string(), z.string()).optional(),
      builderDependencies: z.array(ResourceDescriptorSchema).optional(),
    }),
    metadata: z
      .object({
        invocationId: z.string().optional(),
        startedOn: z.string().optional(),
        finishedOn: z.string().optional(),
      })
      .optional(),
    byproducts: z.array(ResourceDescriptorSchema).optional(),
  }),
});
export type SlsaProvenanceV1 = z.infer<typeof SlsaProvenanceV1Schema>;

export const SlsaProvenanceV02Schema = z.object({
  builder: z.object({ id: z.string().min(1) }),
  buildType: z.string().min(1),
  invocation: z
    .object({
      configSource: z
        .object({
          uri: z.string().optional(),
          digest: DigestSet.optional(),
          entryPoint: z.string().optional(),
        })
        .optional(),
      parameters: z.unknown().optional(),
      environment: z.unknown().optional(),
    })
    .optional(),
  buildConfig: z.unknown().optional(),
  metadata: z.unknown().optional(),
  materials: z.array(z.object({ uri: z.string().optional(), digest: DigestSet.optional() })).optional(),
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
      throw new InvalidInputError(`SLSA v1 provenance is invalid: ${z.prettifyError(parsed.error)}`);
    }
    return factsFromV1(parsed.data);
  }
  if (predicateType === PredicateTypes.slsaProvenanceV02) {
    const parsed = SlsaProvenanceV02Schema.safeParse(predicate);
    if (!parsed.success) {
      throw new InvalidInputError(`SLSA v0.2 provenance is invalid: ${z.prettifyError(parsed.error)}`);
    }
    return factsFromV02(parsed.data);
  }
  throw new InvalidInputError(`predicate type ${predicateType} is not SLSA provenance v1 or v0.2`);
}

const WorkflowParameters = z.object({
  workflow: z.object({ repository: z.string().min(1), ref: z.string().optional() }),
});
const SourceParameters = z.object({
  source: z.object({ uri: z.string().min(1), digest: DigestSet.optional() }),
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
