/**
 * Policy checks on SLSA provenance facts with slsa-verifier's semantics
 * (slsa-framework/slsa-verifier verifiers/internal/gha/provenance.go, verifiers/utils/{builder,git,source_tag}.go):
 * builder id, source repository, source branch / tag / versioned tag, and workflow inputs.
 *
 * Unlike slsa-verifier, which stops at the first error, every violation is collected so one run
 * reports all of them. Each violation carries a code named after the slsa-verifier error it mirrors.
 * An empty list means the provenance satisfies the expectations; a fact the provenance does not
 * record never satisfies an expectation that needs it (fail closed).
 */
import {
  extractGitHubBuildContext,
  extractProvenanceFacts,
  type GitHubBuildContext,
  normaliseSourceUri,
  type ProvenanceFacts,
  refTypeOf,
} from './slsa.js';

/** Why provenance does not satisfy the policy. The comment names the slsa-verifier error. */
export const PROVENANCE_VIOLATION_CODES = [
  'POLICY_EMPTY', // (gate) the policy allows no builder or no source: nothing can pass
  'INVALID_BUILDER_ID', // ErrorInvalidFormat: builder id is not `name` or `name@version`
  'UNTRUSTED_BUILDER', // ErrorUntrustedReusableWorkflow / ErrorMismatchBuilderID
  'INVALID_BUILDER_REF', // ErrorInvalidRef: reusable workflow not pinned at a vX.Y.Z release tag
  'MISMATCH_SOURCE', // ErrorMismatchSource
  'REF_UNKNOWN', // ErrorInvalidDssePayload: the provenance records no usable ref type
  'INVALID_REF', // ErrorInvalidRef: asked for a branch of a tag build, or a tag of a branch build
  'MISMATCH_BRANCH', // ErrorMismatchBranch
  'MISMATCH_TAG', // ErrorMismatchTag
  'INVALID_SEMVER', // ErrorInvalidSemver
  'MISMATCH_VERSIONED_TAG', // ErrorMismatchVersionedTag
  'MISMATCH_WORKFLOW_INPUTS', // ErrorMismatchWorkflowInputs
] as const;
export type ProvenanceViolationCode = (typeof PROVENANCE_VIOLATION_CODES)[number];

export interface ProvenanceViolation {
  readonly code: ProvenanceViolationCode;
  readonly reason: string;
}

/** The facts the checks read: `extractProvenanceFacts` plus the GitHub context when there is one. */
export type CheckableProvenance = ProvenanceFacts & { readonly github?: GitHubBuildContext };

/** What the policy expects of a repository's provenance. */
export interface ProvenanceExpectations {
  /**
   * Allowed builder ids, matched as slsa-verifier `--builder-id` (TrustedBuilderID.MatchesLoose):
   * - `name@version` allows exactly that id; `version` may omit `refs/tags/`
   *   (`…/generator_generic_slsa3.yml@v2.1.0` matches `…@refs/tags/v2.1.0`).
   * - `name` (no `@`) allows any ref of that builder. For a GitHub reusable workflow
   *   (`https://github.com/o/r/.github/workflows/f.yml`) the ref must then be a release tag
   *   `refs/tags/vX.Y.Z`, as slsa-verifier requires of trusted builders; pin `name@ref`
   *   explicitly to allow a branch.
   * An empty list allows nothing.
   */
  readonly builders: readonly string[];
  /**
   * Allowed source repositories. `github.com/o/r`, `https://github.com/o/r`, `git+https://github.com/o/r.git`
   * are the same repository; a ref in an entry is ignored. Compared exactly otherwise
   * (slsa-verifier compares case-sensitively too). An empty list allows nothing.
   */
  readonly sourceRepositories: readonly string[];
  /** Optional ref constraints, each checked independently like slsa-verifier's flags. */
  readonly sourceRef?: {
    /** `--source-branch`: the branch name (`main`; `refs/heads/main` is accepted too). */
    readonly branch?: string;
    /** `--source-tag`: the exact tag name (`v1.2.3`; `refs/tags/v1.2.3` is accepted too). */
    readonly tag?: string;
    /**
     * `--source-versioned-tag`: a Go-style semver prefix. `v1` matches any `v1.x.y`, `v1.5`
     * any `v1.5.y`, `v1.5.0` only `v1.5.0` (build metadata ignored; pre-release must be equal).
     */
    readonly versionedTag?: string;
  };
  /**
   * `--build-workflow-input`: each key must be among the recorded `workflow_dispatch` inputs with
   * this value. A key the provenance does not record is a mismatch; inputs the policy does not
   * name are not checked. Requires a `workflow_dispatch` trigger.
   */
  readonly workflowInputs?: Readonly<Record<string, string>>;
}

/** Extracts the facts the checks need from a SLSA predicate. Throws InvalidInputError like `extractProvenanceFacts`. */
export function extractCheckableProvenance(predicateType: string, predicate: unknown): CheckableProvenance {
  const facts = extractProvenanceFacts(predicateType, predicate);
  const github = extractGitHubBuildContext(predicateType, predicate);
  return github === undefined ? facts : { ...facts, github };
}

/** Checks provenance against the expectations; returns every violation (empty = satisfied). */
export function evaluateProvenance(facts: CheckableProvenance, expect: ProvenanceExpectations): ProvenanceViolation[] {
  const violations: ProvenanceViolation[] = [];
  const add = (code: ProvenanceViolationCode, reason: string): void => {
    violations.push({ code, reason });
  };
  checkBuilder(facts.builderId, expect.builders, add);
  checkSource(facts, expect.sourceRepositories, add);
  const ref = expect.sourceRef;
  if (ref?.branch !== undefined) checkBranch(facts, ref.branch, add);
  if (ref?.tag !== undefined) checkTag(facts, ref.tag, add);
  if (ref?.versionedTag !== undefined) checkVersionedTag(facts, ref.versionedTag, add);
  if (expect.workflowInputs !== undefined && Object.keys(expect.workflowInputs).length > 0) {
    checkWorkflowInputs(facts.github, expect.workflowInputs, add);
  }
  return violations;
}

/** `evaluateProvenance` as reasons only: the shape EvidenceResult reasons take. */
export function checkProvenance(facts: CheckableProvenance, expect: ProvenanceExpectations): string[] {
  return evaluateProvenance(facts, expect).map((v) => v.reason);
}

type Add = (code: ProvenanceViolationCode, reason: string) => void;

// ---------------------------------------------------------------------------------------------
// Builder

/** slsa-verifier utils.ParseBuilderID: `name` or `name@version`, version non-empty, one `@` at most. */
export function parseBuilderId(id: string): { name: string; version?: string } | undefined {
  const parts = id.split('@');
  const [name, version] = parts;
  if (name === undefined || name === '') return undefined;
  if (parts.length === 1) return { name };
  if (parts.length === 2 && version) return { name, version };
  return undefined;
}

const GITHUB_REUSABLE_WORKFLOW = /^https:\/\/github\.com\/[^/]+\/[^/]+\/\.github\/workflows\/[^/]+$/;

function checkBuilder(builderId: string, allowed: readonly string[], add: Add): void {
  if (allowed.length === 0) {
    add('POLICY_EMPTY', 'policy allows no builder');
    return;
  }
  const actual = parseBuilderId(builderId);
  if (actual === undefined) {
    add('INVALID_BUILDER_ID', `builder id ${builderId} is not of the form name[@version]`);
    return;
  }
  let pinnedMatch = false;
  let looseMatch = false;
  for (const entry of allowed) {
    const expected = parseBuilderId(entry);
    if (expected === undefined || expected.name !== actual.name) continue;
    if (expected.version === undefined) {
      looseMatch = true;
    } else if (expected.version === actual.version || `refs/tags/${expected.version}` === actual.version) {
      pinnedMatch = true;
    }
  }
  if (!pinnedMatch && !looseMatch) {
    add('UNTRUSTED_BUILDER', `builder ${builderId} is not an allowed builder`);
    return;
  }
  // An explicit pin is the operator's choice; "any ref" of a reusable workflow means any release.
  if (!pinnedMatch && GITHUB_REUSABLE_WORKFLOW.test(actual.name) && !isReleaseTagRef(actual.version)) {
    add(
      'INVALID_BUILDER_REF',
      `builder ${builderId} is not pinned at a release tag refs/tags/vX.Y.Z (pin the ref in the policy to allow it)`,
    );
  }
}

/** slsa-verifier verifyTrustedBuilderRef: `refs/tags/vX.Y.Z`, no pre-release, no build metadata. */
function isReleaseTagRef(ref: string | undefined): boolean {
  const tag = refName('tags', ref);
  if (tag === undefined) return false;
  const version = parseGoSemver(tag);
  return version?.patch !== undefined && version.prerelease === '' && version.build === '';
}

// ---------------------------------------------------------------------------------------------
// Source

/** A source repository as compared: normalised, with `https://` when the entry had no scheme. */
export function canonicalRepository(uri: string): string {
  const { repository } = normaliseSourceUri(uri);
  return repository.includes('://') ? repository : `https://${repository}`;
}

function checkSource(facts: CheckableProvenance, allowed: readonly string[], add: Add): void {
  if (allowed.length === 0) {
    add('POLICY_EMPTY', 'policy allows no source repository');
    return;
  }
  const source = facts.sourceRepository;
  if (source === undefined) {
    add('MISMATCH_SOURCE', 'provenance names no source repository');
    return;
  }
  const canonical = canonicalRepository(source);
  const allowedSet = new Set(allowed.map(canonicalRepository));
  if (!allowedSet.has(canonical)) {
    add('MISMATCH_SOURCE', `source repository ${canonical} is not allowed (allowed: ${[...allowedSet].join(', ')})`);
    return;
  }
  if (facts.github === undefined) return;
  // GitHub builders: the repository whose workflow ran (trigger) and the first resolved dependency
  // (the checked-out source, by the builder-verifier contract) must be that same repository.
  const trigger = facts.github.repository;
  if (trigger !== undefined && canonicalRepository(trigger) !== canonical) {
    add('MISMATCH_SOURCE', `workflow ran in ${canonicalRepository(trigger)}, but the source is ${canonical}`);
  }
  const first = facts.resolvedDependencies[0]?.uri;
  if (first?.startsWith('git+') && canonicalRepository(first) !== canonical) {
    add(
      'MISMATCH_SOURCE',
      `first resolved dependency is ${canonicalRepository(first)}, but the source is ${canonical}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Branch and tag

interface RefContext {
  readonly refType?: string;
  readonly ref?: string;
  readonly branchOfTag?: string;
}

/** The GitHub context when recorded, else the ref of the source URI with its kind from its prefix. */
function refContext(facts: CheckableProvenance): RefContext {
  const github = facts.github;
  if (github?.refType !== undefined || github?.ref !== undefined) return github;
  const ref = facts.sourceRef;
  if (ref === undefined) return {};
  const refType = refTypeOf(ref);
  return refType === undefined ? { ref } : { refType, ref };
}

/** slsa-verifier utils.ValidateGitRef: `refs/<kind>/<name>` → name, anything else → undefined. */
function refName(kind: 'heads' | 'tags', ref: string | undefined): string | undefined {
  const prefix = `refs/${kind}/`;
  if (ref === undefined || !ref.startsWith(prefix)) return undefined;
  const name = ref.slice(prefix.length);
  return name === '' ? undefined : name;
}

/** The branch ref of the build: the ref for a branch build, `branchOfTag` for a tag build. */
function branchRef(ctx: RefContext): { ref: string } | { unknown: string } {
  if (ctx.refType === 'branch') return { ref: ctx.ref ?? '' };
  if (ctx.refType === 'tag') return { ref: ctx.branchOfTag ?? '' };
  return { unknown: describeRefType(ctx) };
}

/** The tag ref of the build: the ref for a tag build, `''` for a branch build. */
function tagRef(ctx: RefContext): { ref: string } | { unknown: string } {
  if (ctx.refType === 'tag') return { ref: ctx.ref ?? '' };
  if (ctx.refType === 'branch') return { ref: '' };
  return { unknown: describeRefType(ctx) };
}

function describeRefType(ctx: RefContext): string {
  if (ctx.refType !== undefined) return `provenance records an unknown ref type ${JSON.stringify(ctx.refType)}`;
  if (ctx.ref !== undefined) return `provenance ref ${ctx.ref} is neither a branch nor a tag`;
  return 'provenance records no source ref';
}

function checkBranch(facts: CheckableProvenance, expected: string, add: Add): void {
  const wanted = expected.replace(/^refs\/heads\//, '');
  const ctx = refContext(facts);
  const found = branchRef(ctx);
  if ('unknown' in found) {
    add('REF_UNKNOWN', `cannot check branch ${wanted}: ${found.unknown}`);
    return;
  }
  const branch = refName('heads', found.ref);
  if (branch === undefined) {
    const built =
      ctx.refType === 'tag'
        ? `the build is of ${ctx.ref ?? 'a tag'} and records ${found.ref === '' ? 'no branch' : `branch ref ${found.ref}`}`
        : `the build ref ${quoteRef(found.ref)} is not a branch`;
    add('INVALID_REF', `policy requires branch ${wanted}, but ${built}`);
    return;
  }
  if (branch !== wanted) add('MISMATCH_BRANCH', `source branch is ${branch}, policy requires ${wanted}`);
}

function checkTag(facts: CheckableProvenance, expected: string, add: Add): void {
  const wanted = expected.replace(/^refs\/tags\//, '');
  const tag = buildTag(facts, `tag ${wanted}`, add);
  if (tag !== undefined && tag !== wanted) add('MISMATCH_TAG', `source tag is ${tag}, policy requires ${wanted}`);
}

/** The tag name of a tag build, or undefined after reporting why there is none. */
function buildTag(facts: CheckableProvenance, wanted: string, add: Add): string | undefined {
  const found = tagRef(refContext(facts));
  if ('unknown' in found) {
    add('REF_UNKNOWN', `cannot check ${wanted}: ${found.unknown}`);
    return undefined;
  }
  const tag = refName('tags', found.ref);
  if (tag === undefined) {
    const built = refContext(facts).ref;
    add('INVALID_REF', `policy requires ${wanted}, but the build ref ${quoteRef(built ?? found.ref)} is not a tag`);
  }
  return tag;
}

function quoteRef(ref: string): string {
  return ref === '' ? "''" : ref;
}

// ---------------------------------------------------------------------------------------------
// Versioned tag (Go golang.org/x/mod/semver rules, as slsa-verifier uses them)

interface GoSemver {
  readonly major: string;
  readonly minor?: string;
  readonly patch?: string;
  /** Including the leading `-`, or `''`. */
  readonly prerelease: string;
  /** Including the leading `+`, or `''`. */
  readonly build: string;
}

const NUMBER = '(0|[1-9][0-9]*)';
const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const GO_SEMVER = new RegExp(`^v${NUMBER}(?:\\.${NUMBER}(?:\\.${NUMBER}(-${IDENTIFIERS})?(\\+${IDENTIFIERS})?)?)?$`);

/**
 * golang.org/x/mod/semver: `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`; the shorthands `v1`
 * and `v1.2` are valid; numeric pre-release identifiers have no leading zero.
 */
export function parseGoSemver(version: string): GoSemver | undefined {
  const match = GO_SEMVER.exec(version);
  if (match === null) return undefined;
  const [, major = '', minor, patch, prerelease = '', build = ''] = match;
  const badNumeric = prerelease
    .slice(1)
    .split('.')
    .some((id) => /^[0-9]+$/.test(id) && id.length > 1 && id.startsWith('0'));
  if (badNumeric) return undefined;
  return {
    major,
    ...(minor !== undefined ? { minor } : {}),
    ...(patch !== undefined ? { patch } : {}),
    prerelease,
    build,
  };
}

/**
 * slsa-verifier utils.VerifyVersionedTag: the provenance tag, made canonical (missing minor and
 * patch are 0, build dropped), must share the major, and the minor and patch when the expected
 * version gives them. Pre-release is compared as a whole with the patch (slsa-verifier compares
 * only up to its first `.`; this is stricter).
 */
function checkVersionedTag(facts: CheckableProvenance, expected: string, add: Add): void {
  const wanted = parseGoSemver(expected);
  if (wanted === undefined) {
    add('INVALID_SEMVER', `policy versioned tag ${expected} is not a semantic version vX[.Y[.Z]]`);
    return;
  }
  const tag = buildTag(facts, `a tag matching ${expected}`, add);
  if (tag === undefined) return;
  const actual = parseGoSemver(tag);
  if (actual === undefined) {
    add('INVALID_SEMVER', `source tag ${tag} is not a semantic version`);
    return;
  }
  const minor = actual.minor ?? '0';
  const patch = `${actual.patch ?? '0'}${actual.prerelease}`;
  if (actual.major !== wanted.major) {
    add('MISMATCH_VERSIONED_TAG', `source tag ${tag} has major version v${actual.major}, policy requires ${expected}`);
  } else if (wanted.minor !== undefined && minor !== wanted.minor) {
    add('MISMATCH_VERSIONED_TAG', `source tag ${tag} has minor version ${minor}, policy requires ${expected}`);
  } else if (wanted.patch !== undefined && patch !== `${wanted.patch}${wanted.prerelease}`) {
    add('MISMATCH_VERSIONED_TAG', `source tag ${tag} has patch version ${patch}, policy requires ${expected}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Workflow inputs

/**
 * slsa-verifier VerifyWorkflowInputs: the trigger must be `workflow_dispatch`, and each expected
 * key must be recorded with an equal value. Recorded values are strings in GitHub's event payload;
 * a boolean or number (actions buildType inputs) is compared as its JSON text, anything else never matches.
 */
function checkWorkflowInputs(
  github: GitHubBuildContext | undefined,
  expected: Readonly<Record<string, string>>,
  add: Add,
): void {
  if (github?.eventName !== 'workflow_dispatch') {
    const trigger = github?.eventName === undefined ? 'no trigger is recorded' : `the trigger is ${github.eventName}`;
    add('MISMATCH_WORKFLOW_INPUTS', `policy requires workflow inputs of a workflow_dispatch run, but ${trigger}`);
    return;
  }
  const inputs = github.inputs;
  if (inputs === undefined) {
    add('MISMATCH_WORKFLOW_INPUTS', 'provenance records no workflow inputs');
    return;
  }
  for (const [key, value] of Object.entries(expected)) {
    if (!Object.hasOwn(inputs, key)) {
      add('MISMATCH_WORKFLOW_INPUTS', `workflow input ${key} is not recorded (policy requires ${key}=${value})`);
      continue;
    }
    const recorded = inputText(inputs[key]);
    if (recorded !== value) {
      add(
        'MISMATCH_WORKFLOW_INPUTS',
        `workflow input ${key} is ${recorded === undefined ? 'not a string' : JSON.stringify(recorded)}, policy requires ${JSON.stringify(value)}`,
      );
    }
  }
}

function inputText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return undefined;
}
