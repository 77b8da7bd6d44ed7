/**
 * The fuzz targets: every parser and verifier entry point that reads outside input, each with the
 * inputs fast-check generates for it. Shared by test/unit/entry-points-fuzz.test.ts (a short seeded
 * run in `npm test`) and the bench (`npm run bench -- --fuzz`, at least 100,000 inputs), so the two
 * cannot drift.
 *
 * The property for every target: the entry point returns, or throws one of the gate's documented
 * errors (a GateError subclass, with a message); never a TypeError, RangeError, SyntaxError, ZodError
 * or anything else, and never hangs (async calls race a deadline; sync calls are timed).
 *
 * Inputs are built to reach deep code, not only random bytes: a valid document mutated by dropping,
 * duplicating, retyping or replacing fields at random paths, and for signed formats the mutated
 * content signed again with a trusted key, so verification passes and the parser behind it runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { signedPost } from '../../cli/commands/approve-aws.js';
import { cycloneDxSbom, evalResults, slsaProvenance } from '../../cli/fixtures/documents.js';
import { buildImage, jsonBytes } from '../../cli/fixtures/image.js';
import { createTestSigstore, issueKeylessCertificate, keylessSignatureLayer } from '../../cli/fixtures/keyless.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { signNotationJws } from '../../cli/fixtures/notation.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import {
  BUILDER_ID,
  DEFAULT_NPM_PACKAGES,
  demoPolicy,
  evalMetrics,
  SOURCE_REPOSITORY,
} from '../../cli/fixtures/scenarios.js';
import { cosignSign, envelopeBytes, inTotoStatement, signDsse, simpleSigningPayload } from '../../cli/fixtures/sign.js';
import { sigstoreImageBundle } from '../../cli/fixtures/sigstore.js';
import {
  generateAccessKey,
  localUserArn,
  type ReceivedRequest,
  SigV4RefusedError,
  verifySigV4,
} from '../../cli/local/iam-route.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { signLink } from '../../lambdas/domain/approval/link.js';
import { verifyEnvelope } from '../../lambdas/domain/attest/dsse.js';
import { parseInTotoStatementBytes, statementCoversDigest } from '../../lambdas/domain/attest/in-toto.js';
import { evaluateProvenance, extractCheckableProvenance } from '../../lambdas/domain/attest/provenance-checks.js';
import { GateError, InvalidInputError } from '../../lambdas/domain/errors.js';
import { verifyNotationSignature } from '../../lambdas/domain/notation/verify.js';
import { Annotations, type Descriptor, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { checkIndexSpec, checkManifestSpec, parseIndex, parseManifest } from '../../lambdas/domain/oci-validate.js';
import { matchRecord, severityOf } from '../../lambdas/domain/osv/match.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { parseSbom } from '../../lambdas/domain/sbom/parse.js';
import { checkSimpleSigningClaims, verifyCosignSignature } from '../../lambdas/domain/signature/cosign.js';
import { cosignTagBundle } from '../../lambdas/domain/sigstore/cosign-tag.js';
import { parseTrustedRoot } from '../../lambdas/domain/sigstore/trusted-root.js';
import { verifyBundle } from '../../lambdas/domain/sigstore/verify-bundle.js';
import { parseCycloneDxVex } from '../../lambdas/domain/vex/cyclonedx-vex.js';
import { parseOpenVex } from '../../lambdas/domain/vex/openvex.js';
import { makeHandler as approvalApi } from '../../lambdas/handlers/approval-api.js';
import { CLI_APPROVAL_ROUTE_KEY } from '../../lambdas/handlers/cli-approvals.js';
import { linkAuthorizerEmail } from '../../lambdas/handlers/link-authorizer.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { makeHandler as startRelease } from '../../lambdas/handlers/start-release.js';
import { handlerWorld, policyOf } from './handler-world.js';

/** One entry point and the inputs it is fuzzed with. */
export interface FuzzTarget {
  readonly name: string;
  readonly input: fc.Arbitrary<unknown>;
  /** Calls the entry point; throws only when the property is broken. */
  readonly run: (input: unknown) => Promise<void>;
  /** Share of the runs this target gets (I/O-bound targets get fewer). @default 1 */
  readonly weight?: number;
}

export interface FuzzKit {
  readonly targets: readonly FuzzTarget[];
  /** Per target name: calls that returned a value and calls that refused their input. */
  readonly tallies: ReadonlyMap<string, Tally>;
  readonly cleanup: () => Promise<void>;
}

/** A sync call longer than this, or an async one not settled by then, is a hang. */
export const CALL_BUDGET_MS = 5_000;

/** Thrown when a target breaks the property (not a documented error, or a hang). */
export class FuzzPropertyError extends Error {
  public override readonly name = 'FuzzPropertyError';
}

/** Passes documented errors, turns anything else into a property failure. */
function documented(err: unknown, target: string): void {
  if (err instanceof GateError && err.message.length > 0) return;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  throw new FuzzPropertyError(`${target} threw an undocumented error: ${what}`, { cause: err });
}

/** How often a target's calls returned a value, and how often they refused the input. */
export interface Tally {
  accepted: number;
  refused: number;
}

/** The tally of the target whose run is in progress. */
const within = new AsyncLocalStorage<Tally>();

/** Runs `call`, accepting a value or a documented error, within the budget. */
async function guarded(target: string, call: () => unknown): Promise<void> {
  const tally = within.getStore();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FuzzPropertyError(`${target} did not settle within ${CALL_BUDGET_MS} ms`)),
      CALL_BUDGET_MS,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(call), deadline]);
    if (tally !== undefined) tally.accepted += 1;
  } catch (err) {
    if (err instanceof FuzzPropertyError) throw err;
    documented(err, target);
    if (tally !== undefined) tally.refused += 1;
  } finally {
    clearTimeout(timer);
  }
  const took = performance.now() - started;
  if (took > CALL_BUDGET_MS) throw new FuzzPropertyError(`${target} took ${Math.round(took)} ms`);
}

// ---------------------------------------------------------------------------------------------
// Structured generators

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MUTATIONS = ['drop', 'duplicate', 'retype', 'replace'] as const;
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom(...MUTATIONS),
  value: fc.jsonValue({ maxDepth: 2 }),
});

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
}

function slotsOf(value: Json, into: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      into.push({ parent: value, key: i });
      slotsOf(v, into);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.push({ parent: value, key: k });
      slotsOf(v, into);
    }
  }
  return into;
}

/** The same content as another JSON type. */
function retyped(v: Json): Json {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (v === null) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

function getSlot(s: Slot): Json {
  return Array.isArray(s.parent) ? (s.parent[Number(s.key)] ?? null) : (s.parent[String(s.key)] ?? null);
}

function setSlot(s: Slot, v: Json): void {
  if (Array.isArray(s.parent)) s.parent[Number(s.key)] = v;
  else s.parent[String(s.key)] = v;
}

function mutate(root: Json, m: { at: number; op: (typeof MUTATIONS)[number]; value: unknown }): Json {
  const slots = slotsOf(root);
  const slot = slots[m.at % Math.max(1, slots.length)];
  const replacement = m.value as Json; // fc.jsonValue() generates JSON values only
  if (slot === undefined) return m.op === 'retype' ? retyped(root) : replacement;
  const current = getSlot(slot);
  if (m.op === 'drop') {
    if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1);
    else delete slot.parent[String(slot.key)];
  } else if (m.op === 'duplicate') {
    if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 0, structuredClone(current));
    else setSlot(slot, [current, structuredClone(current)]);
  } else if (m.op === 'retype') {
    setSlot(slot, retyped(current));
  } else {
    setSlot(slot, replacement);
  }
  return root;
}

/** A valid JSON value with one to `max` mutations at random paths. */
export function mutatedJson(seed: unknown, max = 4): fc.Arbitrary<unknown> {
  const text = JSON.stringify(seed);
  return fc
    .array(mutation, { minLength: 1, maxLength: max })
    .map((ms) => ms.reduce<Json>((v, m) => mutate(v, m), JSON.parse(text) as Json)); // our own JSON.stringify output
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bytes of a document: structurally mutated, byte-edited, cut off, or random; the seed itself too. */
export function documentBytes(seed: unknown): fc.Arbitrary<Uint8Array> {
  const bytes = utf8(JSON.stringify(seed));
  return fc.oneof(
    { weight: 6, arbitrary: mutatedJson(seed).map((v) => utf8(JSON.stringify(v))) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
        .map((edits) => {
          const copy = bytes.slice();
          for (const [at, b] of edits) copy[at % copy.length] = b;
          return copy;
        }),
    },
    { weight: 1, arbitrary: fc.nat({ max: bytes.length }).map((n) => bytes.slice(0, n)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.constant(bytes) },
  );
}

const asBytes = (input: unknown): Uint8Array => (input instanceof Uint8Array ? input : utf8(JSON.stringify(input)));

// ---------------------------------------------------------------------------------------------
// Seeds

const SPDX_SEED = {
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'fuzz',
  documentNamespace: 'https://example.com/fuzz',
  creationInfo: { created: '2026-11-20T09:00:00Z', creators: ['Tool: release-gate-fuzz'] },
  packages: [
    {
      SPDXID: 'SPDXRef-Package-express',
      name: 'express',
      versionInfo: '4.21.2',
      downloadLocation: 'NOASSERTION',
      licenseConcluded: 'MIT',
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/express@4.21.2' },
      ],
    },
    {
      SPDXID: 'SPDXRef-Package-zlib',
      name: 'zlib1g',
      versionInfo: '1:1.2.13.dfsg-1',
      downloadLocation: 'NOASSERTION',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib',
        },
      ],
    },
  ],
};

const OSV_SEED = {
  schema_version: '1.6.0',
  id: 'GHSA-fuzz-0000-0000',
  modified: '2026-11-20T09:00:00Z',
  aliases: ['CVE-2021-44906'],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'minimist' },
      ranges: [
        { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] },
        { type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { last_affected: '1.2.5' }] },
      ],
      versions: ['1.2.5'],
    },
    {
      package: { ecosystem: 'Debian:12', name: 'zlib' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-2' }] }],
    },
  ],
};

const IMAGE_PURL = `pkg:oci/app@sha256%3A${'ab'.repeat(32)}`;
const OPENVEX_SEED = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/1',
  author: 'Platform Security',
  timestamp: '2026-02-01T00:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2021-44906', aliases: ['GHSA-xvch-5gv4-984h'] },
      products: [{ '@id': IMAGE_PURL, subcomponents: [{ '@id': 'pkg:npm/minimist@1.2.5' }] }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
    {
      vulnerability: { name: 'CVE-2024-0001' },
      products: [{ '@id': IMAGE_PURL }],
      status: 'affected',
      action_statement: 'upgrade',
    },
  ],
};
const CYCLONEDX_VEX_SEED = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [{ type: 'library', name: 'minimist', 'bom-ref': 'minimist', purl: 'pkg:npm/minimist@1.2.5' }],
  metadata: {
    component: { type: 'container', name: 'app', 'bom-ref': 'image', purl: IMAGE_PURL },
    authors: [{ name: 'Release Gate Fuzz' }],
    timestamp: '2026-03-01T12:00:00Z',
  },
  vulnerabilities: [
    {
      id: 'CVE-2021-44906',
      references: [{ id: 'GHSA-xvch-5gv4-984h', source: { name: 'GitHub' } }],
      analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'reviewed' },
      affects: [{ ref: 'minimist' }],
    },
  ],
};
const SLSA_V02_SEED = {
  builder: {
    id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
  },
  buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
  invocation: {
    configSource: {
      uri: 'git+https://github.com/acme/app@refs/tags/v1',
      digest: { sha1: 'f'.repeat(40) },
      entryPoint: '.github/workflows/release.yml',
    },
    parameters: {},
  },
  materials: [{ uri: 'package-lock.json', digest: { sha256: 'a'.repeat(64) } }],
};

const QUERY_ECOSYSTEMS = ['npm', 'PyPI', 'Go', 'Maven', 'Debian:12', 'Alpine:v3.18', 'Red Hat', 'crates.io', 'Unknown'];
const versionText = fc.oneof(
  fc.constantFrom('1.2.5', '1.2.6', '0', '', '1:1.2.13.dfsg-1', '1.0.0-rc.1', 'v1.2.3', '2.0.0+build', '~1', '1.0a1'),
  fc.string({ maxLength: 24 }),
  fc.array(fc.nat({ max: 99 }), { minLength: 1, maxLength: 6 }).map((p) => p.join('.')),
);

// ---------------------------------------------------------------------------------------------
// The targets

/** Builds every target (fixture keys, one Notation chain, a template OCI layout, a handler world). */
export async function fuzzTargets(): Promise<FuzzKit> {
  const keys: FixtureKeys = await generateFixtureKeys();
  const scratch = await mkdtemp(join(tmpdir(), 'rg-fuzz-'));
  const subjectDigest = sha256Digest('fuzzed image');
  const trusted = [{ id: keys.attestation.id, publicKey: keys.attestation.publicKeyPem }];
  const subject = [{ name: 'fuzz/app', digest: subjectDigest }];

  // Seeds of the signed formats.
  const statementSeed = (predicateType: string, predicate: Record<string, unknown>) => ({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'fuzz/app', digest: { sha256: subjectDigest.slice('sha256:'.length) } }],
    predicateType,
    predicate,
  });
  const lockDigest = sha256Digest('package-lock.json');
  const sbom = cycloneDxSbom({ tag: '1.4.0', npmPackages: DEFAULT_NPM_PACKAGES }, subjectDigest, lockDigest);
  const cycloneDxSeed: unknown = JSON.parse(new TextDecoder().decode(sbom));
  const statementSeeds = [
    statementSeed(PredicateTypes.slsaProvenanceV1, slsaProvenance('fuzz/app', '1.4.0', 'a'.repeat(40), lockDigest)),
    statementSeed(EVAL_TYPE, evalResults(evalMetrics(0.81, 0.002))),
  ];
  const envelopeSeed: unknown = JSON.parse(
    new TextDecoder().decode(
      envelopeBytes(
        signDsse(MediaTypes.inTotoPayload, inTotoStatement(subject, PredicateTypes.cyclonedx, {}), [
          { privateKey: keys.attestation.privateKey },
        ]),
      ),
    ),
  );
  const bundleSeed: unknown = JSON.parse(
    new TextDecoder().decode(sigstoreImageBundle(keys.signing.privateKey, { name: 'fuzz/app', digest: subjectDigest })),
  );
  // A keyless cosign `.sig` layer (finding 21), with its Rekor bundle and logged body as JSON so
  // the mutations reach inside them; `keylessLayerOf` encodes them back as cosign writes them.
  const sigstore = await createTestSigstore();
  const keylessIdentity = {
    subject: 'https://github.com/fuzz/app/.github/workflows/release.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
  };
  const keylessSigner = await issueKeylessCertificate(sigstore, keylessIdentity);
  const keylessSeedLayer = keylessSignatureLayer(
    sigstore,
    keylessSigner,
    simpleSigningPayload('fuzz/app:1.0', subjectDigest),
  );
  const rekorSeed = JSON.parse(keylessSeedLayer.annotations[Annotations.cosignBundle] ?? '{}') as {
    SignedEntryTimestamp: string;
    Payload: { body: string } & Record<string, unknown>;
  };
  const keylessSeed = {
    annotations: { ...keylessSeedLayer.annotations, [Annotations.cosignBundle]: null },
    set: rekorSeed.SignedEntryTimestamp,
    payload: { ...rekorSeed.Payload, body: JSON.parse(Buffer.from(rekorSeed.Payload.body, 'base64').toString()) },
  };
  const keylessRoot = parseTrustedRoot(sigstore.trustedRootJson);
  const notationTarget: Descriptor = { mediaType: MediaTypes.ociManifest, digest: subjectDigest, size: 1234 };
  const jwsSeed: unknown = JSON.parse(new TextDecoder().decode(signNotationJws(keys.notation, notationTarget)));
  const image = buildImage({ files: [{ path: 'app/index.js', content: 'console.log(1)' }], labels: {} });
  const manifestSeed: unknown = JSON.parse(new TextDecoder().decode(image.root.bytes));
  const twoPlatforms = buildImage({
    files: [{ path: 'app/index.js', content: 'x' }],
    labels: {},
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
  });
  const indexSeed: unknown = JSON.parse(new TextDecoder().decode(twoPlatforms.root.bytes));
  const policySeed = demoPolicy(keys);
  const signingKeys = [{ id: keys.signing.id, publicKey: keys.signing.publicKeyPem }];
  const simpleSigningSeed: unknown = JSON.parse(
    new TextDecoder().decode(simpleSigningPayload('fuzz/app', subjectDigest)),
  );
  const slsaV1Seed = slsaProvenance('fuzz/app', '1.4.0', 'a'.repeat(40), lockDigest);

  // A statement mutated, then signed by the trusted key: verification passes, the statement parser runs.
  const resignedStatement = fc
    .constantFrom(...statementSeeds)
    .chain((s) => mutatedJson(s))
    .map((s) =>
      envelopeBytes(
        signDsse(MediaTypes.inTotoPayload, utf8(JSON.stringify(s)), [{ privateKey: keys.attestation.privateKey }]),
      ),
    );

  // The handler world: in-memory store and registry, recording fakes.
  const world = handlerWorld();
  const start = startRelease(world.getDeps);
  const scan = scanComplete(world.getDeps);
  const approve = approvalApi(world.getDeps);

  const pushSeed = {
    version: '0',
    id: '5d3b6a3e-0000-4000-8000-000000000000',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2026-11-25T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'fuzz/app',
      'image-digest': subjectDigest,
      'action-type': 'PUSH',
      'image-tag': '1.4.0',
      'manifest-media-type': MediaTypes.ociManifest,
    },
  };
  const scanSeed = {
    version: '0',
    id: '5d3b6a3e-0000-4000-8000-000000000001',
    'detail-type': 'ECR Image Scan',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2026-11-25T10:01:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      'scan-status': 'COMPLETE',
      'repository-name': 'fuzz/app',
      'image-digest': subjectDigest,
      'image-tags': ['1.4.0'],
      'finding-severity-counts': { CRITICAL: 0, HIGH: 1 },
    },
  };
  const SIGNED_LINK = 'SIGNED_LINK';
  const signedLink = async (approvalId: string): Promise<string> =>
    signLink(await world.linkSecrets.getLinkKeys(), {
      aid: approvalId === '' ? 'none' : approvalId.slice(0, 128),
      sub: 'bob@example.com',
      esd: '',
      exp: Math.floor(world.clock.now().getTime() / 1000) + 3600,
    });
  let approvals = 0;
  const pendingApproval = async (into: Pick<typeof world, 'store' | 'clock'> = world): Promise<string> => {
    approvals += 1;
    const approvalId = `${approvals}`.padStart(32, '0');
    const now = into.clock.now();
    await into.store.putApproval({
      approvalId,
      repository: 'fuzz/app',
      digest: subjectDigest,
      tokenHash: sha256Digest(approvalId).slice('sha256:'.length),
      taskToken: `token-${approvalId}`,
      state: 'PENDING',
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      required: 1,
      requiredReasons: [],
      pushers: [],
      approvals: [],
    });
    return approvalId;
  };
  // What a client controls of an approval request: path id, method, body, its encoding, headers.
  const approvalRequest = fc.record({
    // PENDING is replaced by the id of an approval stored just before, so decide-approval runs.
    id: fc.oneof(fc.constant(PENDING), fc.string({ maxLength: 80 }), fc.uuid(), fc.constant('%E0%A4%A')),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'post'),
    // SIGNED_LINK is replaced by a link token the gate signed for bob and this path's id.
    body: fc.oneof(
      fc.constant('decision=approve&by=alice%40example.com&comment=ok'),
      fc.constant(`decision=approve&token=${SIGNED_LINK}&comment=ok`),
      fc
        .record({
          decision: fc.constantFrom('approve', 'reject'),
          token: fc.oneof(fc.constant(SIGNED_LINK), fc.string({ maxLength: 300 })),
          comment: fc.string({ maxLength: 300 }),
        })
        .map((f) => new URLSearchParams(f).toString()),
      fc
        .record({
          decision: fc.oneof(fc.constantFrom('approve', 'reject', ''), fc.string({ maxLength: 12 })),
          by: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 250 })),
          comment: fc.string({ maxLength: 300 }),
        })
        .map((f) => new URLSearchParams(f).toString()),
      fc.string({ maxLength: 400 }),
      fc.string({ minLength: 16_380, maxLength: 16_400 }),
    ),
    isBase64Encoded: fc.boolean(),
    headers: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
  });

  // The IAM route (`release-gate approve --aws`): a world whose rule allows one IAM role's sessions.
  const iamWorld = handlerWorld({
    policy: policyOf({
      rules: [
        { repositories: ['**'], approval: { approvers: ['arn:aws:sts::111122223333:assumed-role/Approvers/*'] } },
      ],
    }),
  });
  const cliRoute = approvalApi(iamWorld.getDeps);
  const ALLOWED_ARN = 'arn:aws:sts::111122223333:assumed-role/Approvers/erin';
  // Weighted so that about one input in six is a signed answer the rules accept.
  const iamRequest = fc.record({
    id: fc.oneof({ arbitrary: fc.constant(PENDING), weight: 3 }, fc.string({ maxLength: 80 })),
    body: fc.oneof(
      {
        arbitrary: fc.constantFrom(
          '{"decision":"approve"}',
          '{"decision":"reject","comment":"no"}',
          '{"decision":"reject"}',
        ),
        weight: 4,
      },
      fc.constant(`{"decision":"approve","by":"${ALLOWED_ARN}"}`),
      fc
        .record(
          { decision: fc.oneof(fc.constantFrom('approve', 'reject'), fc.jsonValue()), comment: fc.jsonValue() },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
      mutatedJson({ decision: 'approve', comment: 'ok' }).map((b) => JSON.stringify(b)),
      fc.string({ maxLength: 200 }),
      fc.string({ minLength: 16_380, maxLength: 16_400 }),
    ),
    isBase64Encoded: fc.boolean(),
    // What API Gateway would put in requestContext.authorizer: nothing, garbage, or an IAM context
    // with a valid, a malformed or a missing ARN, with or without a Cognito identity.
    authorizer: fc.oneof(
      { arbitrary: fc.constant({ iam: { userArn: ALLOWED_ARN, cognitoIdentity: null } }), weight: 4 },
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 2 }),
      fc.record(
        {
          iam: fc.record(
            {
              userArn: fc.oneof(
                fc.constant('arn:aws:iam::111122223333:user/mallory'),
                fc.constant(`${ALLOWED_ARN}\nadmin`),
                fc.constant(`${ALLOWED_ARN.replace('111122223333', '11112222333')}`),
                fc.string({ maxLength: 120 }).map((t) => `arn:aws:sts::111122223333:assumed-role/Approvers/${t}`),
                fc.string({ maxLength: 60 }),
                fc.jsonValue({ maxDepth: 1 }),
              ),
              cognitoIdentity: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  });
  const VALID_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/-]{1,180}$/;

  // The local SigV4 check: one request signed by a local user, then changed (or not) at random.
  const SIGV4_NOW = new Date('2026-11-25T10:00:00.000Z');
  const sigv4Key = generateAccessKey();
  const sigv4User = { userArn: localUserArn('fuzz-approver'), ...sigv4Key };
  const sigv4Users = { byAccessKey: async (id: string) => (id === sigv4Key.accessKeyId ? sigv4User : undefined) };
  const sigv4Url = new URL('http://127.0.0.1:8080/cli/approvals/0123456789abcdef0123456789abcdef');
  const sigv4Body = '{"decision":"approve"}';
  const signedInit = (
    await signedPost(sigv4Url, sigv4Body, { region: 'eu-west-1', credentials: sigv4Key, signingDate: SIGV4_NOW })
  ).init;
  const sigv4Signed: ReceivedRequest = {
    method: 'POST',
    path: sigv4Url.pathname,
    query: new URLSearchParams(),
    headers: {
      ...Object.fromEntries(
        Object.entries(signedInit.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
      ),
      host: sigv4Url.host,
    },
    body: sigv4Body,
  };
  // Each change touches what the signature covers (or names another key); `none` and an unsigned
  // header leave it valid.
  const SIGV4_CHANGES = [
    'none',
    'unsigned-header',
    'body',
    'path',
    'method',
    'query',
    'host',
    'date',
    'signature',
    'access-key',
    'region',
    'drop-signed-header',
    'session-token',
    'random-authorization',
  ] as const;
  const sigv4Case = fc.record({
    change: fc.constantFrom(...SIGV4_CHANGES),
    text: fc.string({ minLength: 1, maxLength: 40 }),
    header: fc.string({ maxLength: 20 }),
    at: fc.nat(),
  });

  // The JWT authorizer's claims on the link routes (OIDC): bob's signed link, posted by whoever the claims say.
  const jwtClaims = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 2 }),
    fc.record({
      claims: fc.record(
        {
          email: fc.oneof(
            fc.constantFrom('bob@example.com', 'BOB@example.com', 'mallory@example.com', ' bob@example.com', ''),
            fc.emailAddress(),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          email_verified: fc.oneof(
            fc.constantFrom(true, 'true', false, 'false', 'TRUE', 1),
            fc.jsonValue({ maxDepth: 1 }),
          ),
        },
        { requiredKeys: [] },
      ),
    }),
  );

  // The OCI layout: a template written by the adapter, copied per run and then damaged.
  const template = join(scratch, 'template');
  const templateRegistry = OciLayoutRegistry.single(template);
  await pushManifest(templateRegistry, 'fuzz/app', image.root, '1.4.0');
  const configDigest = image.root.blobs.find((b) => b.mediaType === MediaTypes.ociConfig)?.digest ?? image.root.digest;
  const LAYOUT_FILES = ['index.json', 'oci-layout', 'manifest', 'config'] as const;
  const DAMAGE = ['fifo', 'dev-zero', 'dev-urandom', 'directory', 'dangling', 'empty', 'sparse', 'bytes'] as const;
  const layoutCase = fc.record({
    file: fc.constantFrom(...LAYOUT_FILES),
    damage: fc.constantFrom(...DAMAGE),
    bytes: fc.uint8Array({ maxLength: 256 }),
  });
  const SPECIAL: ReadonlySet<string> = new Set(['fifo', 'dev-zero', 'dev-urandom', 'directory']);
  let layoutRun = 0;
  const blobPath = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

  const targets: FuzzTarget[] = [
    {
      name: 'sbom: CycloneDX (parseSbom)',
      input: documentBytes(cycloneDxSeed),
      run: (i) => guarded('parseSbom', () => parseSbom(asBytes(i), MediaTypes.cyclonedxJson)),
    },
    {
      name: 'sbom: SPDX (parseSbom)',
      input: documentBytes(SPDX_SEED),
      run: (i) => guarded('parseSbom', () => parseSbom(asBytes(i))),
    },
    {
      name: 'dsse: envelope (verifyEnvelope)',
      input: fc.oneof(documentBytes(envelopeSeed), resignedStatement),
      run: (i) =>
        guarded('verifyEnvelope', () => {
          const verified = verifyEnvelope(asBytes(i), trusted);
          return parseInTotoStatementBytes(verified.payload);
        }),
    },
    {
      name: 'in-toto: statement (parseInTotoStatementBytes)',
      input: fc.constantFrom(...statementSeeds).chain((s) => documentBytes(s)),
      run: (i) =>
        guarded('parseInTotoStatementBytes', () =>
          statementCoversDigest(parseInTotoStatementBytes(asBytes(i)), subjectDigest),
        ),
    },
    {
      name: 'sigstore: bundle (verifyBundle)',
      input: documentBytes(bundleSeed),
      run: (i) =>
        guarded('verifyBundle', () =>
          verifyBundle(
            asBytes(i),
            { digest: subjectDigest },
            {
              keys: [{ id: keys.signing.id, publicKey: keys.signing.publicKeyPem }],
              now: new Date('2026-11-25T10:00:00Z'),
            },
          ),
        ),
    },
    {
      name: 'cosign: keyless tag layer (cosignTagBundle, verifyBundle)',
      // The unmutated seed now and then, so the verifier's accepting path is reached too.
      input: fc.oneof(
        { arbitrary: mutatedJson(keylessSeed), weight: 9 },
        { arbitrary: fc.constant(keylessSeed), weight: 1 },
      ),
      run: (i) =>
        guarded('cosignTagBundle', () => {
          const bundle = cosignTagBundle(keylessLayerOf(i, keylessSeedLayer.mediaType, keylessSeedLayer.bytes));
          return verifyBundle(
            bundle,
            { bytes: keylessSeedLayer.bytes },
            { trustedRoot: keylessRoot, identities: [keylessIdentity], now: new Date('2026-06-01T00:00:00Z') },
          );
        }),
    },
    {
      name: 'notation: JWS envelope (verifyNotationSignature)',
      input: fc.oneof(documentBytes(jwsSeed), jwsWithMutatedHeader(jwsSeed)),
      run: (i) =>
        guarded('verifyNotationSignature', () =>
          verifyNotationSignature(asBytes(i), notationTarget, {
            trustAnchors: [{ id: 'fuzz-root', certificatePem: keys.notation.root.pem }],
            trustedIdentities: [`x509.subject: ${keys.notation.leafSubject}`],
            now: new Date('2026-11-25T10:00:00Z'),
          }),
        ),
    },
    specChecked('oci: image manifest (parseManifest, checkManifestSpec)', manifestSeed, checkManifestSpec, (b) =>
      parseManifest(b),
    ),
    specChecked('oci: image index (parseIndex, checkIndexSpec)', indexSeed, checkIndexSpec, (b) => parseIndex(b)),
    {
      name: 'oci: layout on disk, special files included (OciLayoutRegistry)',
      input: layoutCase,
      weight: 0.1,
      run: async (i) => {
        const c = i as { file: (typeof LAYOUT_FILES)[number]; damage: (typeof DAMAGE)[number]; bytes: Uint8Array };
        layoutRun += 1;
        const dir = join(scratch, `layout-${layoutRun}`);
        await cp(template, dir, { recursive: true });
        const file =
          c.file === 'manifest'
            ? blobPath(dir, image.root.digest)
            : c.file === 'config'
              ? blobPath(dir, configDigest)
              : join(dir, c.file);
        await rm(file, { force: true, recursive: true });
        if (c.damage === 'fifo') execFileSync('mkfifo', [file]);
        else if (c.damage === 'dev-zero') await symlink('/dev/zero', file);
        else if (c.damage === 'dev-urandom') await symlink('/dev/urandom', file);
        else if (c.damage === 'directory') await mkdir(file);
        else if (c.damage === 'dangling') await symlink(join(dir, 'nowhere'), file);
        else if (c.damage === 'empty') await writeFile(file, '');
        else if (c.damage === 'sparse') {
          await writeFile(file, '');
          await truncate(file, 80 * 1024 * 1024);
        } else await writeFile(file, c.bytes);
        const registry = OciLayoutRegistry.single(dir);
        try {
          // A special file where a file is expected is refused as invalid input by the read that meets it.
          if (SPECIAL.has(c.damage)) {
            const read =
              c.file === 'config'
                ? registry.getBlob('fuzz/app', configDigest, 1024 * 1024)
                : registry.getManifest('fuzz/app', '1.4.0');
            await guarded(`OciLayoutRegistry on a ${c.damage} as ${c.file}`, async () => {
              const refused = await read.then(
                () => undefined,
                (err: unknown) => err,
              );
              if (!(refused instanceof InvalidInputError)) {
                throw new FuzzPropertyError(
                  `a ${c.damage} as ${c.file} was not refused as invalid input: ${refused instanceof Error ? refused.message : 'read succeeded'}`,
                );
              }
              throw refused;
            });
          }
          await guarded('OciLayoutRegistry.getManifest', () => registry.getManifest('fuzz/app', '1.4.0'));
          await guarded('OciLayoutRegistry.getBlob', () => registry.getBlob('fuzz/app', configDigest, 1024 * 1024));
          await guarded('OciLayoutRegistry.listReferrers', () => registry.listReferrers('fuzz/app', image.root.digest));
          await guarded('OciLayoutRegistry.listTags', () => registry.listTags('fuzz/app'));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'event: ECR push (start-release handler)',
      input: fc.oneof(mutatedJson(pushSeed), fc.jsonValue({ maxDepth: 3 })),
      run: (i) => guarded('start-release', () => start(i)),
    },
    {
      name: 'event: scan complete (scan-complete handler)',
      input: fc.oneof(mutatedJson(scanSeed), fc.jsonValue({ maxDepth: 3 })),
      run: (i) => guarded('scan-complete', () => scan(i)),
    },
    {
      name: 'approval request (approval-api handler)',
      input: approvalRequest,
      run: (i) =>
        guarded('approval-api', async () => {
          const asked = i as {
            id: string;
            method: string;
            body: string;
            isBase64Encoded: boolean;
            headers: Record<string, string>;
          };
          const pending = asked.id === PENDING ? { ...asked, id: await pendingApproval() } : asked;
          const r = pending.body.includes(SIGNED_LINK)
            ? { ...pending, body: pending.body.replaceAll(SIGNED_LINK, await signedLink(pending.id)) }
            : pending;
          const event = {
            version: '2.0',
            routeKey: `${r.method} /approvals/{id}`,
            rawPath: `/approvals/${r.id}`,
            rawQueryString: '',
            headers: r.headers,
            pathParameters: { id: r.id },
            requestContext: { http: { method: r.method, path: `/approvals/${r.id}` } },
            body: r.body,
            isBase64Encoded: r.isBase64Encoded,
          } as unknown as APIGatewayProxyEventV2; // only the fields API Gateway always sends and the handler reads
          const out = await approve(event);
          const status = typeof out === 'string' ? 200 : (out.statusCode ?? 200);
          if (status >= 500)
            throw new FuzzPropertyError(
              `approval-api answered ${status}: ${String(typeof out === 'string' ? out : out.body).slice(0, 300)}`,
            );
          // A 4xx page is how this handler refuses a request; tally it as refused.
          if (status >= 400) throw new InvalidInputError(`approval-api answered ${status}`);
        }),
    },
    {
      name: 'approval answer over IAM (cli-approvals handler)',
      input: iamRequest,
      run: (i) =>
        guarded('cli-approvals', async () => {
          const asked = i as { id: string; body: string; isBase64Encoded: boolean; authorizer: unknown };
          const id = asked.id === PENDING ? await pendingApproval(iamWorld) : asked.id;
          const body = asked.isBase64Encoded ? Buffer.from(asked.body).toString('base64') : asked.body;
          const event = {
            version: '2.0',
            routeKey: CLI_APPROVAL_ROUTE_KEY,
            rawPath: `/cli/approvals/${id}`,
            rawQueryString: '',
            headers: {},
            pathParameters: { id },
            requestContext: {
              http: { method: 'POST', path: `/cli/approvals/${id}`, sourceIp: '192.0.2.1', userAgent: 'fuzz' },
              ...(asked.authorizer === undefined ? {} : { authorizer: asked.authorizer }),
            },
            body,
            isBase64Encoded: asked.isBase64Encoded,
          } as unknown as APIGatewayProxyEventV2; // only the fields API Gateway always sends and the handler reads
          const out = await cliRoute(event);
          if (typeof out === 'string') throw new FuzzPropertyError('cli-approvals answered a bare string');
          const status = out.statusCode ?? 0;
          const answer = (() => {
            try {
              return JSON.parse(out.body ?? '') as Record<string, unknown>;
            } catch {
              throw new FuzzPropertyError(`cli-approvals answered ${status} without a JSON body`);
            }
          })();
          // Never decides without a valid identity: every answer stored is the verified ARN's.
          const iam = (asked.authorizer as { iam?: { userArn?: unknown; cognitoIdentity?: unknown } } | null)?.iam;
          const stored = await iamWorld.store.getApproval(id);
          for (const a of stored?.approvals ?? []) {
            if (
              a.by !== iam?.userArn ||
              !VALID_ARN.test(a.by) ||
              (iam.cognitoIdentity ?? null) !== null ||
              a.via !== 'cli-aws'
            )
              throw new FuzzPropertyError(
                `cli-approvals stored an answer by ${JSON.stringify(a.by)} without that verified principal`,
              );
          }
          if (status === 200) return;
          if (status < 400 || status > 599 || typeof answer.message !== 'string' || answer.message === '')
            throw new FuzzPropertyError(`cli-approvals answered ${status} without a reason: ${out.body}`);
          if (status >= 500 && answer.error !== 'MISCONFIGURED')
            throw new FuzzPropertyError(`cli-approvals failed with ${status}: ${out.body}`);
          throw new InvalidInputError(`cli-approvals answered ${status}: ${answer.message}`);
        }),
    },
    {
      name: 'approval answer over IAM, local SigV4 check (verifySigV4)',
      input: sigv4Case,
      run: (i) =>
        guarded('verifySigV4', async () => {
          const c = i as { change: (typeof SIGV4_CHANGES)[number]; text: string; header: string; at: number };
          const r = sigv4Signed;
          const h = { ...r.headers };
          const auth = h.authorization ?? '';
          const changed = ((): ReceivedRequest => {
            switch (c.change) {
              case 'none':
                return r;
              case 'unsigned-header':
                // Not among SignedHeaders (nor a name the check reads): the signature still verifies.
                return {
                  ...r,
                  headers: { ...h, [`x-fuzz-${c.header.toLowerCase().replace(/[^a-z0-9-]/g, '')}`]: c.text },
                };
              case 'body':
                return { ...r, body: r.body + c.text };
              case 'path':
                return { ...r, path: `${r.path}/${encodeURIComponent(c.text)}` };
              case 'method':
                return { ...r, method: 'PUT' };
              case 'query':
                return { ...r, query: new URLSearchParams({ q: c.text }) };
              case 'host':
                return { ...r, headers: { ...h, host: `${h.host}${c.text.length % 9}` } };
              case 'date': {
                const later = new Date(SIGV4_NOW.getTime() + 1000 + (c.at % 60_000));
                return { ...r, headers: { ...h, 'x-amz-date': later.toISOString().replace(/[-:]|\.\d{3}/g, '') } };
              }
              case 'signature': {
                const at = auth.length - 1 - (c.at % 64);
                const flipped = auth[at] === '0' ? '1' : '0';
                return { ...r, headers: { ...h, authorization: auth.slice(0, at) + flipped + auth.slice(at + 1) } };
              }
              case 'access-key':
                return {
                  ...r,
                  headers: { ...h, authorization: auth.replace(sigv4Key.accessKeyId, generateAccessKey().accessKeyId) },
                };
              case 'region':
                return { ...r, headers: { ...h, authorization: auth.replace('/eu-west-1/', '/us-east-1/') } };
              case 'drop-signed-header': {
                const signed = /SignedHeaders=([a-z0-9;-]+)/.exec(auth)?.[1]?.split(';') ?? [];
                const { [signed[c.at % signed.length] ?? 'host']: _dropped, ...rest } = h;
                return { ...r, headers: rest };
              }
              case 'session-token':
                return { ...r, headers: { ...h, 'x-amz-security-token': c.text } };
              case 'random-authorization':
                return { ...r, headers: { ...h, authorization: `AWS4-HMAC-SHA256 ${c.text}` } };
            }
          })();
          let user: Awaited<ReturnType<typeof verifySigV4>>;
          try {
            user = await verifySigV4(sigv4Users, changed, SIGV4_NOW);
          } catch (err) {
            if (!(err instanceof SigV4RefusedError) || err.message === '') throw err;
            if (c.change === 'none' || c.change === 'unsigned-header')
              throw new FuzzPropertyError(`verifySigV4 refused a request as signed: ${err.message}`);
            throw new InvalidInputError(`refused: ${err.message}`);
          }
          // Never a principal for a request that is not the one signed.
          if (c.change !== 'none' && c.change !== 'unsigned-header')
            throw new FuzzPropertyError(`verifySigV4 accepted a request changed in its ${c.change}`);
          if (user.userArn !== sigv4User.userArn) throw new FuzzPropertyError(`verifySigV4 named ${user.userArn}`);
        }),
    },
    {
      name: 'approval link behind a JWT authorizer (linkAuthorizerEmail, approval-api handler)',
      input: jwtClaims,
      run: (i) =>
        guarded('link-authorizer', async () => {
          const event = (authorizer: unknown, id: string, body: string) =>
            ({
              version: '2.0',
              routeKey: 'POST /approvals/{id}',
              rawPath: `/approvals/${id}`,
              rawQueryString: '',
              headers: {},
              pathParameters: { id },
              requestContext: {
                http: { method: 'POST', path: `/approvals/${id}` },
                ...(authorizer === undefined ? {} : { authorizer: { jwt: authorizer } }),
              },
              body,
              isBase64Encoded: false,
            }) as unknown as APIGatewayProxyEventV2;
          // The check alone: the email only when the claims carry it and do not deny its verification.
          const claims = (i as { claims?: Record<string, unknown> } | null | undefined)?.claims;
          const checked = linkAuthorizerEmail(event(i, 'x', ''));
          if ('verifiedEmail' in checked) {
            const verified = claims?.email_verified;
            if (
              checked.verifiedEmail !== claims?.email ||
              (verified !== undefined && verified !== true && verified !== 'true')
            )
              throw new FuzzPropertyError(`linkAuthorizerEmail vouched for ${JSON.stringify(checked.verifiedEmail)}`);
          } else if ('refused' in checked ? checked.refused === '' : i !== undefined) {
            throw new FuzzPropertyError(
              `linkAuthorizerEmail answered ${JSON.stringify(checked)} for ${JSON.stringify(i)}`,
            );
          }
          // Through the handler: bob's link decides only for a caller signed in as bob.
          const id = await pendingApproval();
          const form = new URLSearchParams({ decision: 'approve', token: await signedLink(id) }).toString();
          const out = await approve(event(i, id, form));
          const status = typeof out === 'string' ? 200 : (out.statusCode ?? 200);
          const decided = (await world.store.getApproval(id))?.state !== 'PENDING';
          const asBob = 'verifiedEmail' in checked && checked.verifiedEmail?.toLowerCase() === 'bob@example.com';
          const noAuthorizer = i === undefined;
          if (decided !== (status === 200) || (decided && !asBob && !noAuthorizer))
            throw new FuzzPropertyError(
              `approval-api answered ${status} (decided: ${decided}) for claims ${JSON.stringify(i)}`,
            );
          if (status >= 500) throw new FuzzPropertyError(`approval-api failed with ${status}`);
          if (status >= 400) throw new InvalidInputError(`approval-api answered ${status}`);
        }),
    },
    {
      name: 'cosign: simple signing (verifyCosignSignature, checkSimpleSigningClaims)',
      input: documentBytes(simpleSigningSeed),
      run: (i) =>
        guarded('verifyCosignSignature', () => {
          // Signed again by the trusted key, so the payload parser and the claims check run.
          const signed = cosignSign(keys.signing.privateKey, asBytes(i));
          const { payload } = verifyCosignSignature(signed.payload, signed.signature, signingKeys);
          return checkSimpleSigningClaims(payload, {
            digest: subjectDigest,
            repository: 'fuzz/app',
            allowedReferencePrefixes: [],
          });
        }),
    },
    {
      name: 'slsa: provenance predicate (extractCheckableProvenance, evaluateProvenance)',
      input: fc.oneof(
        mutatedJson(slsaV1Seed).map((p) => [PredicateTypes.slsaProvenanceV1, p] as const),
        mutatedJson(SLSA_V02_SEED).map((p) => [PredicateTypes.slsaProvenanceV02, p] as const),
      ),
      run: (i) =>
        guarded('extractCheckableProvenance', () => {
          const [type, predicate] = i as readonly [string, unknown];
          return evaluateProvenance(extractCheckableProvenance(type, predicate), {
            builders: [BUILDER_ID],
            sourceRepositories: [SOURCE_REPOSITORY],
            sourceRef: { branch: 'main' },
            workflowInputs: { environment: 'production' },
          });
        }),
    },
    {
      name: 'vex: OpenVEX and CycloneDX VEX (parseOpenVex, parseCycloneDxVex)',
      input: fc.oneof(
        documentBytes(OPENVEX_SEED).map((b) => ['openvex', b] as const),
        documentBytes(CYCLONEDX_VEX_SEED).map((b) => ['cyclonedx', b] as const),
      ),
      run: (i) =>
        guarded('parseVex', () => {
          const [format, bytes] = i as readonly ['openvex' | 'cyclonedx', Uint8Array];
          return format === 'openvex' ? parseOpenVex(bytes) : parseCycloneDxVex(bytes);
        }),
    },
    {
      name: 'policy (loadPolicy)',
      input: documentBytes(policySeed),
      run: (i) => guarded('loadPolicy', () => loadPolicy(asBytes(i))),
    },
    {
      name: 'osv: record and match (parseOsvRecord, matchRecord, severityOf)',
      input: fc.tuple(
        documentBytes(OSV_SEED),
        fc.constantFrom('json', 'yaml' as const),
        fc.record({
          ecosystem: fc.constantFrom(...QUERY_ECOSYSTEMS),
          name: fc.oneof(fc.constantFrom('minimist', 'zlib', 'zlib1g'), fc.string({ maxLength: 16 })),
          version: versionText,
        }),
      ),
      run: (i) =>
        guarded('osv', () => {
          const [bytes, format, query] = i as [
            Uint8Array,
            'json' | 'yaml',
            { ecosystem: string; name: string; version: string },
          ];
          const record = parseOsvRecord(bytes, format);
          severityOf(record);
          return matchRecord(record, query);
        }),
    },
  ];
  const tallies = new Map<string, Tally>();
  const tallied = targets.map((t): FuzzTarget => {
    const tally: Tally = { accepted: 0, refused: 0 };
    tallies.set(t.name, tally);
    return { ...t, run: (i) => within.run(tally, () => t.run(i)) };
  });
  return { targets: tallied, tallies, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}

const EVAL_TYPE = PredicateTypes.evalResultsV1;

/** An OCI document read by the spec check (oci-validate.ts) and then by the parser. */
function specChecked(
  name: string,
  seed: unknown,
  check: (bytes: Uint8Array) => unknown,
  parse: (bytes: Uint8Array) => unknown,
): FuzzTarget {
  return {
    name,
    input: documentBytes(seed),
    run: (i) =>
      guarded(name, () => {
        check(asBytes(i));
        return parse(asBytes(i));
      }),
  };
}
const PENDING = '<a pending approval>';

/** A `.sig` layer from a mutated keyless seed: the Rekor bundle and its body re-encoded as cosign does. */
function keylessLayerOf(input: unknown, mediaType: string, bytes: Uint8Array) {
  const seed = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const annotations: Record<string, string> = {};
  if (typeof seed.annotations === 'object' && seed.annotations !== null) {
    for (const [k, v] of Object.entries(seed.annotations)) if (typeof v === 'string') annotations[k] = v;
  }
  const payload = seed.payload;
  let encoded = payload;
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload) && 'body' in payload) {
    const body = JSON.stringify(payload.body) ?? '';
    encoded = { ...payload, body: Buffer.from(body).toString('base64') };
  }
  annotations[Annotations.cosignBundle] ??= JSON.stringify({ SignedEntryTimestamp: seed.set, Payload: encoded });
  return { mediaType, bytes, annotations };
}

/** A JWS whose protected header was mutated and re-encoded: the header parser runs on it. */
function jwsWithMutatedHeader(seed: unknown): fc.Arbitrary<Uint8Array> {
  const jws = seed as { protected: string }; // our own fixture's JWS
  const header: unknown = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'));
  return mutatedJson(header).map((h) =>
    jsonBytes({ ...(seed as object), protected: Buffer.from(JSON.stringify(h)).toString('base64url') }),
  );
}

/** Counterexamples print their bytes as text (invalid UTF-8 as U+FFFD). */
const bytesAsText = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;

/**
 * Runs every target for its share of `total` runs with one seed; returns per-target counts and the
 * failures (fast-check's shrunk counterexample and error).
 */
export async function runFuzz(
  kit: FuzzKit,
  opts: { readonly total: number; readonly seed: number; readonly onTarget?: (name: string, runs: number) => void },
): Promise<{ name: string; runs: number; ms: number; failure?: string }[]> {
  const weightSum = kit.targets.reduce((s, t) => s + (t.weight ?? 1), 0);
  const results = [];
  for (const target of kit.targets) {
    const numRuns = Math.max(5, Math.ceil((opts.total * (target.weight ?? 1)) / weightSum));
    const started = performance.now();
    const details = await fc.check(fc.asyncProperty(target.input, target.run), { numRuns, seed: opts.seed });
    const ms = performance.now() - started;
    const failure = details.failed
      ? `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)} (seed ${details.seed}, path ${details.counterexamplePath}, counterexample ${JSON.stringify(details.counterexample, bytesAsText)?.slice(0, 500)})`
      : undefined;
    results.push({ name: target.name, runs: details.numRuns, ms, ...(failure === undefined ? {} : { failure }) });
    opts.onTarget?.(target.name, details.numRuns);
  }
  return results;
}
