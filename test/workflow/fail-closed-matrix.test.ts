/**
 * The fail-closed matrix: every collected evidence kind (the registry's own list, so a new kind
 * fails to compile here until it has a row) × every way its evidence can be bad. Each cell builds
 * the demo's good release, applies its defect to that one kind, and runs it through the real ASL
 * on the embedded stack (dynalite, s3rver, an OCI layout, the local scanner), with every approval
 * request answered "approve": a cell that does not block would be promoted. Each cell must end
 * without a promotion, with that kind not passing and its reason saying what was wrong.
 *
 * Backend errors and hangs go through a wrapping fake of the real adapter (test/support/backend-faults.ts).
 * Timeouts run in a second world whose Task timeouts are capped to a few seconds.
 *
 * All cells run at once in `beforeAll` (each in its own repository), then one test per cell checks
 * its outcome. The matrix is printed and written to test/.matrix-output.txt.
 */

import type { KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cycloneDxSbom, evalResults, slsaProvenance } from '../../cli/fixtures/documents.js';
import { type BuiltScenarioImage, buildScenarioImage } from '../../cli/fixtures/factory.js';
import { notationSignatureManifest, signNotationJws } from '../../cli/fixtures/notation.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import {
  DEFAULT_NPM_PACKAGES,
  EVAL_PREDICATE_TYPE,
  evalMetrics,
  type NpmPackage,
  type ScenarioImage,
} from '../../cli/fixtures/scenarios.js';
import {
  cosignSign,
  cosignSignatureManifest,
  cosignTag,
  envelopeBytes,
  referrerManifest,
  signStatement,
  simpleSigningPayload,
} from '../../cli/fixtures/sign.js';
import { parseJsonDocument } from '../../lambdas/domain/document.js';
import { NotFoundError, RegistryError, StoreError, TooLargeError } from '../../lambdas/domain/errors.js';
import { EVIDENCE_REGISTRY } from '../../lambdas/domain/evidence/registry.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type Descriptor, ImageManifestSchema, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import { COLLECTED_KINDS, type CollectedKind } from '../../lambdas/domain/types.js';
import { type BackendFaultPlan, BackendFaults } from '../support/backend-faults.js';
import { gateRelease, type LocalWorld, lastState, useLocalWorld } from '../support/world.js';

const CONDITIONS = [
  'missing',
  'malformed',
  'wrong subject',
  'untrusted signer',
  'expired or stale',
  'oversized',
  'conflicting duplicates',
  'backend error',
  'timeout',
] as const;
type Condition = (typeof CONDITIONS)[number];

/** What a cell's defect works with. */
interface CellContext {
  readonly w: LocalWorld;
  readonly faults: BackendFaults;
  readonly repository: string;
  readonly built: BuiltScenarioImage;
}

interface Cell {
  /** What the image carries instead of the good release's evidence. @default - the good release */
  readonly image?: Partial<ScenarioImage>;
  /** A release gated (and promoted) first in the same repository: the diff/regression baseline. */
  readonly previous?: Partial<ScenarioImage>;
  /** The defect pushed or the fault armed after the build. */
  readonly apply?: (c: CellContext) => Promise<void> | void;
  /** Pushed without a scan ever completing. */
  readonly noScan?: true;
  /** What the kind's reasons say. */
  readonly reason: RegExp;
}

/** A cell that does not apply to the kind, and why. */
interface NotApplicable {
  readonly na: string;
}

const PAST = new Date('2026-11-21T00:00:00Z');
const MINIMIST_CVE = 'CVE-2021-44906';
const WITH_MINIMIST: readonly NpmPackage[] = [...DEFAULT_NPM_PACKAGES, { name: 'minimist', version: '1.2.5' }];
const OTHER_DIGEST = sha256Digest('another image');
/** Just over the attestation limit, so the size check (not the download) refuses it. */
const OVERSIZED_PADDING = 'x'.repeat(Limits.attestationBytes + 1);

// ---------------------------------------------------------------------------------------------
// Defects

async function subjectDescriptor(c: CellContext): Promise<Descriptor> {
  const m = await c.w.registry.getManifest(c.repository, c.built.digest);
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
}

interface StatementOptions {
  readonly key?: (c: CellContext) => KeyObject;
  readonly subject?: string;
}

/** Pushes a DSSE-signed in-toto statement as an OCI referrer of the image. */
async function attest(
  c: CellContext,
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
  opts: StatementOptions = {},
): Promise<void> {
  const key = (opts.key ?? ((x) => x.w.keys.attestation.privateKey))(c);
  const envelope = signStatement(
    key,
    [{ name: c.repository, digest: opts.subject ?? c.built.digest }],
    predicateType,
    predicate,
  );
  const referrer = referrerManifest({
    artifactType: MediaTypes.inTotoPayload,
    subject: await subjectDescriptor(c),
    layerMediaType: MediaTypes.dsseEnvelope,
    layer: envelopeBytes(envelope),
  });
  await pushManifest(c.w.registry, c.repository, referrer);
}

const untrusted = (c: CellContext): KeyObject => c.w.keys.untrusted.privateKey;

function sbomPredicate(c: CellContext, packages: readonly NpmPackage[] = DEFAULT_NPM_PACKAGES) {
  const bytes = cycloneDxSbom({ tag: '1.4.0', npmPackages: packages }, c.built.digest, c.built.lockfileDigest);
  return parseJsonDocument(bytes, z.record(z.string(), z.unknown()), { what: 'SBOM', maxBytes: Limits.sbomBytes });
}

function provenancePredicate(c: CellContext, lockfileDigest = c.built.lockfileDigest) {
  return slsaProvenance(c.repository, '1.4.0', c.built.gitCommit, lockfileDigest);
}

/** The digest of the `.att` layer holding `predicateType`. */
async function attestationLayer(c: CellContext, predicateType: string): Promise<string> {
  const att = await c.w.registry.getManifest(c.repository, c.built.attestationTag ?? '');
  const manifest = parseJsonDocument(att.bytes, ImageManifestSchema, { what: '.att', maxBytes: Limits.manifestBytes });
  const layer = manifest.layers.find((l) => l.annotations?.predicateType === predicateType);
  if (layer === undefined) throw new Error(`${c.repository} has no ${predicateType} attestation`);
  return layer.digest;
}

type Fault = { readonly throws: Error } | 'hang';
const registryDown = (): Fault => ({ throws: new RegistryError('registry answered 503 Service Unavailable') });
const storeDown = (): Fault => ({ throws: new StoreError('DynamoDB: ServiceUnavailable') });

/** One registry read of this repository (`method` of `reference`) fails. */
function registryReadFault(
  method: 'getBlob' | 'getManifest',
  reference: (c: CellContext) => Promise<string> | string,
  fault: () => Fault,
) {
  return async (c: CellContext): Promise<void> => {
    const ref = await reference(c);
    c.faults.arm((call) =>
      call.port === 'registry' && call.method === method && call.args[0] === c.repository && call.args[1] === ref
        ? fault()
        : undefined,
    );
  };
}

/** Reading the blob of one attestation fails. */
const attestationBlobFault = (predicateType: string, fault: () => Fault) =>
  registryReadFault('getBlob', (c) => attestationLayer(c, predicateType), fault);

/** Reading the cosign `.sig` manifest fails. */
const signatureFault = (fault: () => Fault) =>
  registryReadFault('getManifest', (c) => cosignTag(c.built.digest, 'sig'), fault);

/**
 * A release-store read fails, once the derived kind `kind` starts (its collector first looks for
 * stored evidence of itself): the collect stage before it reads the same items and must not fail.
 */
function derivedStoreFault(
  kind: CollectedKind,
  fails: (call: Parameters<BackendFaultPlan>[0]) => boolean,
  fault: () => Fault,
) {
  return (c: CellContext): void => {
    let started = false;
    c.faults.arm((call) => {
      if (call.port !== 'store' || call.args[0] !== c.repository) return undefined;
      if (call.method === 'getEvidence' && call.args[2] === kind) started = true;
      return started && fails(call) ? fault() : undefined;
    });
  };
}

/** The scan source answers `action` for this repository. */
function scanFault(action: ReturnType<BackendFaultPlan>) {
  return (c: CellContext): void => {
    c.faults.arm((call) => {
      const subject = z.object({ repository: z.string() }).safeParse(call.args[0]);
      return call.port === 'scans' && subject.success && subject.data.repository === c.repository ? action : undefined;
    });
  };
}

/** Pushes a cosign `.sig` of `payload` signed by the trusted signing key. */
async function pushSignature(c: CellContext, payload: Uint8Array): Promise<void> {
  const manifest = cosignSignatureManifest([cosignSign(c.w.keys.signing.privateKey, payload)]);
  await pushManifest(c.w.registry, c.repository, manifest, cosignTag(c.built.digest, 'sig'));
}

// The in-toto kinds share their rows: the same defects, on their own predicate.
function attestedRow(
  predicateType: string,
  leaveOut: Partial<ScenarioImage>,
  good: (c: CellContext) => Readonly<Record<string, unknown>>,
  malformed: Readonly<Record<string, unknown>>,
  rest: {
    readonly missing: RegExp;
    readonly malformed: RegExp;
    readonly 'expired or stale': NotApplicable;
    readonly 'conflicting duplicates': Cell;
  },
): Readonly<Record<Condition, Cell | NotApplicable>> {
  return {
    missing: { image: leaveOut, reason: rest.missing },
    malformed: {
      image: leaveOut,
      apply: (c) => attest(c, predicateType, malformed),
      reason: rest.malformed,
    },
    'wrong subject': {
      image: leaveOut,
      apply: (c) => attest(c, predicateType, good(c), { subject: OTHER_DIGEST }),
      reason: /statement subject \(sha256:[0-9a-f]{64}\) does not cover sha256:/,
    },
    'untrusted signer': {
      image: leaveOut,
      apply: (c) => attest(c, predicateType, good(c), { key: untrusted }),
      reason: /not verified by a trusted key/,
    },
    'expired or stale': rest['expired or stale'],
    oversized: {
      image: leaveOut,
      apply: (c) => attest(c, predicateType, { ...good(c), padding: OVERSIZED_PADDING }),
      reason: /envelope is \d+ bytes, above the limit of 16777216 bytes/,
    },
    'conflicting duplicates': rest['conflicting duplicates'],
    'backend error': { apply: attestationBlobFault(predicateType, registryDown), reason: /RegistryError/ },
    timeout: { apply: attestationBlobFault(predicateType, () => 'hang'), reason: /States\.Timeout/ },
  };
}

const DERIVED_NA = (from: string): NotApplicable => ({ na: `derived from ${from}` });

/** THE table. */
const MATRIX: { readonly [K in CollectedKind]: Readonly<Record<Condition, Cell | NotApplicable>> } = {
  lockfile: {
    missing: { image: { provenance: false, sbom: false }, reason: /no lockfile digest in the provenance or the SBOM/ },
    malformed: {
      image: { npmPackages: [...DEFAULT_NPM_PACKAGES.slice(1), { name: 'express', version: '^4.21.2' }] },
      reason: /without an exact version/,
    },
    'wrong subject': DERIVED_NA("this digest's signed SBOM and provenance (their wrong-subject cells)"),
    'untrusted signer': DERIVED_NA('the signed SBOM and provenance (their untrusted-signer cells)'),
    'expired or stale': DERIVED_NA('the SBOM and provenance of this build; a lockfile digest does not expire'),
    oversized: DERIVED_NA('stored evidence the gate wrote itself; the SBOM/provenance size limits apply upstream'),
    'conflicting duplicates': {
      image: { provenance: false },
      apply: (c) =>
        attest(c, PredicateTypes.slsaProvenanceV1, provenancePredicate(c, sha256Digest('another package-lock.json'))),
      reason: /provenance lockfile digest .* differs from the SBOM/,
    },
    'backend error': {
      apply: derivedStoreFault(
        'lockfile',
        (call) => call.method === 'getEvidence' && call.args[2] === 'provenance',
        storeDown,
      ),
      reason: /StoreError/,
    },
    timeout: {
      apply: derivedStoreFault(
        'lockfile',
        (call) => call.method === 'getEvidence' && call.args[2] === 'provenance',
        () => 'hang',
      ),
      reason: /States\.Timeout/,
    },
  },
  'dependency-diff': {
    missing: { image: { sbom: false }, reason: /no SBOM for this release/ },
    malformed: DERIVED_NA('the SBOM components the gate stored itself (the sbom malformed cell)'),
    'wrong subject': DERIVED_NA("this digest's signed SBOM (the sbom wrong-subject cell)"),
    'untrusted signer': DERIVED_NA('the signed SBOM (the sbom untrusted-signer cell)'),
    'expired or stale': {
      // The lockfile digest is the promoted release's, but the application changed: a stale lockfile.
      previous: { tag: '1.3.0' },
      image: {
        npmPackages: [...DEFAULT_NPM_PACKAGES.slice(1), { name: 'express', version: '4.21.1' }],
        lockfilePackages: DEFAULT_NPM_PACKAGES,
      },
      reason: /lockfile digest unchanged.*express/,
    },
    oversized: DERIVED_NA('stored evidence the gate wrote itself (the sbom oversized cell)'),
    'conflicting duplicates': DERIVED_NA('one stored SBOM per release; two disagreeing SBOMs are the sbom cell'),
    'backend error': {
      apply: derivedStoreFault('dependency-diff', (call) => call.method === 'lastPromotion', storeDown),
      reason: /StoreError/,
    },
    timeout: {
      apply: derivedStoreFault(
        'dependency-diff',
        (call) => call.method === 'lastPromotion',
        () => 'hang',
      ),
      reason: /States\.Timeout/,
    },
  },
  sbom: attestedRow(
    PredicateTypes.cyclonedx,
    { sbom: false },
    (c) => sbomPredicate(c),
    { bomFormat: 'CycloneDX', specVersion: '1.6', components: 'not a list' },
    {
      missing: /no signed SBOM attestation found/,
      malformed: /not a valid CycloneDX/,
      'expired or stale': { na: 'an SBOM carries no validity period; one of another build is the wrong-subject cell' },
      'conflicting duplicates': {
        image: { unsignedSbomPackages: WITH_MINIMIST },
        reason: /SBOMs that disagree/,
      },
    },
  ),
  provenance: attestedRow(
    PredicateTypes.slsaProvenanceV1,
    { provenance: false },
    (c) => provenancePredicate(c),
    { buildDefinition: 'not an object', runDetails: [] },
    {
      missing: /no SLSA provenance/,
      malformed: /SLSA v1 provenance is invalid/,
      'expired or stale': {
        na: 'SLSA provenance carries no validity period; an earlier build is the wrong-subject cell',
      },
      'conflicting duplicates': {
        apply: (c) => {
          const p = provenancePredicate(c);
          return attest(c, PredicateTypes.slsaProvenanceV1, {
            ...p,
            runDetails: { builder: { id: 'https://github.com/mallory/builder' }, metadata: {} },
          });
        },
        reason: /mallory/,
      },
    },
  ),
  signature: {
    missing: { image: { signature: 'none' }, reason: /no signature found/ },
    malformed: {
      image: { signature: 'none' },
      apply: (c) => pushSignature(c, new TextEncoder().encode('{"critical": "not simple signing"}')),
      reason: /invalid signature: simple-signing payload/,
    },
    'wrong subject': { image: { signature: 'wrong-digest' }, reason: /not this image/ },
    'untrusted signer': { image: { signature: 'untrusted-key' }, reason: /not trusted/ },
    'expired or stale': {
      image: { signature: 'none' },
      apply: async (c) => {
        const subject = await subjectDescriptor(c);
        const jws = signNotationJws(c.w.keys.notation, subject, { expiry: PAST });
        const manifest = notationSignatureManifest(subject, jws, c.w.keys.notation.chain);
        await pushManifest(c.w.registry, c.repository, manifest);
      },
      reason: /the signature expired on 2026-11-21/,
    },
    oversized: {
      image: { signature: 'none' },
      apply: (c) =>
        pushSignature(
          c,
          simpleSigningPayload(c.repository, c.built.digest, { padding: 'x'.repeat(Limits.signaturePayloadBytes) }),
        ),
      reason: /payload blob sha256:[0-9a-f]{64} unreadable: .*above the limit of 1048576 bytes/,
    },
    'conflicting duplicates': {
      na: 'signatures are counted, not merged: each must verify over this digest by a trusted signer (minSigners)',
    },
    'backend error': { apply: signatureFault(registryDown), reason: /RegistryError/ },
    timeout: { apply: signatureFault(() => 'hang'), reason: /States\.Timeout/ },
  },
  scan: {
    missing: {
      apply: scanFault({ throws: new NotFoundError('no scan for this image') }),
      reason: /no vulnerability scan found/,
    },
    malformed: {
      apply: scanFault({ answers: { status: 'UNSUPPORTED_IMAGE', scanner: 'ecr-basic', findings: [] } }),
      reason: /scan status UNSUPPORTED_IMAGE is not a completed scan/,
    },
    'wrong subject': {
      na: 'the scan is asked of the scanner by this digest; another digest’s scan is its own release',
    },
    'untrusted signer': {
      na: 'the scanner is the gate’s own adapter (ECR/Inspector, the local OSV scanner), not signed',
    },
    'expired or stale': {
      // The policy's ignore of this CVE expired (see the world's policy below).
      image: { npmPackages: WITH_MINIMIST },
      reason: new RegExp(`ignore of ${MINIMIST_CVE} expired`),
    },
    oversized: {
      apply: scanFault({
        throws: new TooLargeError('stored scan report', Limits.scanReportBytes + 1, Limits.scanReportBytes),
      }),
      reason: /stored scan report is \d+ bytes, above the limit/,
    },
    'conflicting duplicates': {
      na: 'one scan report per digest; duplicate and late scan events are the event-chaos suite',
    },
    'backend error': {
      apply: scanFault({ throws: new RegistryError('ECR DescribeImageScanFindings: 503') }),
      reason: /RegistryError/,
    },
    timeout: { noScan: true, reason: /scan did not complete within the wait time/ },
  },
  eval: attestedRow(
    EVAL_PREDICATE_TYPE,
    { evalMetrics: null },
    () => evalResults(evalMetrics(0.81, 0.002)),
    { metrics: 'not a list', evaluatedAt: 'yesterday' },
    {
      missing: /no evaluation results attestation/,
      malformed: /eval results predicate is invalid/,
      'expired or stale': {
        na: 'eval results carry no validity period; results for another build are the wrong-subject cell',
      },
      'conflicting duplicates': {
        // A later evaluation of the same digest disagrees: the newest counts.
        apply: (c) =>
          attest(c, EVAL_PREDICATE_TYPE, {
            ...evalResults(evalMetrics(0.81, 0.5)),
            evaluatedAt: '2026-11-21T09:30:00Z',
          }),
        reason: /guardrail_violation_rate/,
      },
    },
  ),
};

// ---------------------------------------------------------------------------------------------
// Running it

const isCell = (e: Cell | NotApplicable): e is Cell => !('na' in e);

const CELLS = COLLECTED_KINDS.flatMap((kind) =>
  CONDITIONS.map((condition) => ({ kind, condition, entry: MATRIX[kind][condition] })),
);

const slug = (s: string): string => s.replace(/[^a-z0-9]+/g, '-');

interface Outcome {
  readonly state: string | undefined;
  readonly status: string;
  readonly releaseState: string | undefined;
  readonly promotions: number;
  readonly inProduction: boolean;
  readonly kindStatus: string | undefined;
  readonly kindReasons: string;
}

/** The demo policy, with this file's repositories under it and an ignore of the minimist CVE that expired. */
const tweak = (p: PolicyDocument): PolicyDocument => ({
  ...p,
  rules: p.rules.map((r) => ({
    ...r,
    repositories: [...r.repositories, 'matrix/**'],
    scan: {
      ...r.scan,
      ignore: [{ id: MINIMIST_CVE, reason: 'accepted until the fix ships', expires: PAST.toISOString() }],
    },
  })),
});

const APPROVE = { decision: 'approve', by: 'alice@example.com' } as const;

async function runCell(w: LocalWorld, faults: BackendFaults, kind: CollectedKind, condition: Condition, cell: Cell) {
  const repository = `matrix/${slug(kind)}-${slug(condition)}`;
  const base = { repository, tag: '1.4.0', npmPackages: DEFAULT_NPM_PACKAGES };
  if (cell.previous !== undefined) {
    const previous = await buildScenarioImage(w.registry, { ...base, ...cell.previous }, w.keys);
    await gateRelease(w, repository, previous.subject.tag);
  }
  const built = await buildScenarioImage(w.registry, { ...base, ...cell.image }, w.keys);
  await cell.apply?.({ w, faults, repository, built });
  const { exec, release, evidence } = await gateRelease(
    w,
    repository,
    built.subject.tag,
    cell.noScan ? { scan: 'never' } : {},
  );
  const promotions = (await w.deps.gate.store.listPromotions(repository)).filter((p) => p.digest === built.digest);
  const inProduction = await w.registry.getManifest(`prod/${repository}`, built.subject.tag).then(
    () => true,
    () => false,
  );
  const own = evidence.find((e) => e.kind === kind);
  return {
    state: lastState(exec),
    status: exec.status,
    releaseState: release?.state,
    promotions: promotions.length,
    inProduction,
    kindStatus: own?.status,
    kindReasons: own?.reasons.join(' | ') ?? '',
  } satisfies Outcome;
}

describe('Workflow: the fail-closed matrix (evidence kind × defect)', () => {
  const mainFaults = new BackendFaults();
  const slowFaults = new BackendFaults();
  const main = useLocalWorld({ tweak, approvals: APPROVE, scanTimeoutSeconds: 20, decoratePorts: mainFaults.decorate });
  // Timeouts: the ASL's Task timeouts (300 s) and the scan wait capped to seconds.
  const slow = useLocalWorld({
    tweak,
    approvals: APPROVE,
    scanTimeoutSeconds: 8,
    maxTaskSeconds: 8,
    decoratePorts: slowFaults.decorate,
  });
  const outcomes = new Map<string, Outcome | Error>();
  const key = (kind: string, condition: string): string => `${kind} × ${condition}`;

  beforeAll(async () => {
    const run = async (kind: CollectedKind, condition: Condition, cell: Cell): Promise<void> => {
      const [w, faults] = condition === 'timeout' ? [slow(), slowFaults] : [main(), mainFaults];
      try {
        outcomes.set(key(kind, condition), await runCell(w, faults, kind, condition, cell));
      } catch (err) {
        outcomes.set(key(kind, condition), err instanceof Error ? err : new Error(String(err)));
      }
    };
    const cells = CELLS.flatMap(({ kind, condition, entry }) => (isCell(entry) ? [{ kind, condition, entry }] : []));
    // The timeout cells run once the busy cells are done: under their load a healthy collector could
    // exceed the capped Task timeout too, and the cell would not show what it is about. Backend-error
    // cells mostly wait out the ASL's retry intervals, so they overlap with the timeout cells.
    const phase = (c: (typeof cells)[number]): number =>
      c.condition === 'timeout' ? 2 : c.condition === 'backend error' ? 0 : 1;
    const waiting = Promise.all(cells.filter((c) => phase(c) === 0).map((c) => run(c.kind, c.condition, c.entry)));
    await Promise.all(cells.filter((c) => phase(c) === 1).map((c) => run(c.kind, c.condition, c.entry)));
    await Promise.all([waiting, ...cells.filter((c) => phase(c) === 2).map((c) => run(c.kind, c.condition, c.entry))]);
  }, 240_000);

  afterAll(async () => {
    const lines = CELLS.map(({ kind, condition, entry }) => {
      const o = outcomes.get(key(kind, condition));
      const what = !isCell(entry)
        ? `n/a: ${entry.na}`
        : o === undefined
          ? 'not run'
          : o instanceof Error
            ? `ERROR ${o.message}`
            : `${o.promotions === 0 && !o.inProduction ? 'BLOCKED' : 'PROMOTED'} (${o.state ?? o.status}) ${kind} ${o.kindStatus}: ${o.kindReasons.replace(/\s+/g, ' ').slice(0, 300)}`;
      return `${kind.padEnd(16)} ${condition.padEnd(23)} ${what}`;
    });
    const ran = [...outcomes.values()].filter((o): o is Outcome => !(o instanceof Error));
    const text = [
      `fail-closed matrix: ${COLLECTED_KINDS.length} kinds × ${CONDITIONS.length} conditions = ${CELLS.length} cells, ${ran.length} run, ${CELLS.length - CELLS.filter((c) => isCell(c.entry)).length} n/a, ${ran.filter((o) => o.promotions > 0 || o.inProduction).length} promoted`,
      ...lines,
      '',
    ].join('\n');
    await writeFile(fileURLToPath(new URL('../.matrix-output.txt', import.meta.url)), text);
    process.stdout.write(`\n${text}`);
  });

  it('has a row for every kind the evidence registry collects, and every condition in each row', () => {
    // Assess
    expect(Object.keys(MATRIX).sort()).toEqual(Object.keys(EVIDENCE_REGISTRY).sort());
    for (const kind of COLLECTED_KINDS) expect(Object.keys(MATRIX[kind]).sort()).toEqual([...CONDITIONS].sort());
  });

  describe.each(CELLS.map((c) => [c.kind, c.condition, c] as const))('%s × %s', (kind, condition, { entry }) => {
    if (!isCell(entry)) {
      it(`does not apply: ${entry.na}`, () => {
        // Assess: a reason is given, not just a blank.
        expect(entry.na.length).toBeGreaterThan(10);
      });
      return;
    }
    it('is not promoted, and the kind does not pass, with its reason', () => {
      // Assess
      const o = outcomes.get(key(kind, condition));
      if (o instanceof Error) throw o;
      expect(o).toBeDefined();
      expect(o?.promotions).toBe(0);
      expect(o?.inProduction).toBe(false);
      expect(o?.releaseState).not.toBe('PROMOTED');
      expect(['Quarantined', 'QuarantineFailed', 'PromotionFailed']).toContain(o?.state);
      expect(o?.kindStatus).toBeDefined();
      expect(o?.kindStatus).not.toBe('PASS');
      expect(o?.kindReasons).toMatch(entry.reason);
    });
  });
});
