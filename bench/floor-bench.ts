/**
 * The gate's own compute against its physical floor (issue 12): one release with a large CycloneDX
 * SBOM, a cosign signature, signed provenance, a signed SBOM attestation and signed eval results,
 * gated as `release-gate gate` does (every collector, then the policy), side by side in one process
 * with the floor: JSON.parse of every document the gate read, sha256 of every blob and manifest it
 * read, base64 + JSON.parse of every DSSE payload, and one ECDSA verify per signature. Then the
 * release at the SBOM component limit, in a child process so that its peak RSS is its own.
 */

import { execFile } from 'node:child_process';
import { createHash, type KeyObject, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { stringify } from 'yaml';
import { cycloneDxSbom } from '../cli/fixtures/documents.js';
import { buildScenarioImage } from '../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../cli/fixtures/keys.js';
import { pushManifest } from '../cli/fixtures/push.js';
import { DEFAULT_DEB_PACKAGES, demoPolicy, type NpmPackage } from '../cli/fixtures/scenarios.js';
import { pae, referrerManifest } from '../cli/fixtures/sign.js';
import { LOCAL_FUNCTION_MEMORY_MIB, lambdaHeapFlags } from '../cli/lambda-heap.mjs';
import { startStandIns } from '../cli/local/stand-ins.js';
import { gateBundleOf } from '../infra/constructs/gate-function.js';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import { kindsOfStage } from '../lambdas/domain/evidence/registry.js';
import { Annotations, MediaTypes } from '../lambdas/domain/oci.js';
import { type LoadedPolicy, loadPolicy } from '../lambdas/domain/policy/load.js';
import type { FetchedManifest, RegistryWriter } from '../lambdas/domain/ports.js';
import type { CollectedKind, Digest } from '../lambdas/domain/types.js';
import { MemoryRegistry } from '../test/support/memory-registry.js';
import { type GateTimes, gateOnce, REPOSITORY } from './gate-once.js';
import { formatNumber, formatTable, mib, ms, type Section, type Target } from './report.js';
import { seededRandom } from './synthetic.js';

const runFile = promisify(execFile);

export interface FloorBenchOptions {
  /** Components of the SBOM of the side-by-side release. */
  readonly components: number;
  /** Timed runs of each (the median and the min are printed). */
  readonly runs: number;
  /** Components of the release run in a child process; 0 skips it. */
  readonly limitComponents: number;
  readonly log: (line: string) => void;
}

/** `count` distinct npm packages with exact versions, a fifth of them scoped. */
export function benchNpmPackages(count: number, seed = 7): NpmPackage[] {
  const rnd = seededRandom(seed);
  const out: NpmPackage[] = [];
  for (let i = 0; i < count; i++) {
    const scope = rnd() < 0.2 ? `@scope-${Math.floor(rnd() * 200)}/` : '';
    const version = `${Math.floor(rnd() * 12)}.${Math.floor(rnd() * 30)}.${Math.floor(rnd() * 40)}`;
    out.push({ name: `${scope}pkg-${i.toString(36)}`, version, license: rnd() < 0.7 ? 'MIT' : 'Apache-2.0' });
  }
  return out;
}

/**
 * A release as the fixture factory pushes it, into `registry`, with exactly `components` SBOM components. `referrer-only`: the SBOM only as an
 * unsigned OCI referrer (a signed in-toto envelope of 200,000 components is above the 16 MiB
 * attestation limit), gated with `sbom.requireSigned: false` (`benchPolicy`).
 */
export async function pushBenchRelease(
  registry: MemoryRegistry | OciLayoutRegistry,
  components: number,
  keys: FixtureKeys,
  sbom: 'signed-and-referrer' | 'referrer-only' = 'signed-and-referrer',
): Promise<Digest> {
  // The fixture SBOM also lists the operating system and the default Debian packages.
  const npm = components - 1 - DEFAULT_DEB_PACKAGES.length;
  const scenario = { repository: REPOSITORY, tag: '1.0.0', npmPackages: benchNpmPackages(npm) };
  const built = await buildScenarioImage(registry, { ...scenario, sbom: sbom === 'signed-and-referrer' }, keys);
  if (sbom === 'referrer-only') {
    const subject = await registry.getManifest(REPOSITORY, built.digest);
    const referrer = referrerManifest({
      artifactType: MediaTypes.cyclonedxJson,
      subject: { mediaType: subject.mediaType, digest: built.digest, size: subject.bytes.byteLength },
      layerMediaType: MediaTypes.cyclonedxJson,
      layer: cycloneDxSbom(scenario, built.digest, built.lockfileDigest),
    });
    await pushManifest(registry, REPOSITORY, referrer);
  }
  return built.digest;
}

/** `inner`, recording every manifest and blob read through it in `reads` (by digest). */
function recordingReads(inner: RegistryWriter, reads: Map<string, Uint8Array>): RegistryWriter {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'getManifest') {
        return async (repository: string, reference: string): Promise<FetchedManifest> => {
          const fetched = await target.getManifest(repository, reference);
          reads.set(fetched.digest, fetched.bytes);
          return fetched;
        };
      }
      if (prop === 'getBlob') {
        return async (repository: string, digest: string, maxBytes: number): Promise<Uint8Array> => {
          const bytes = await target.getBlob(repository, digest, maxBytes);
          reads.set(digest, bytes);
          return bytes;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface FloorWork {
  readonly blobs: readonly Uint8Array[];
  /** The blobs that are JSON. */
  readonly json: readonly Uint8Array[];
  readonly dsse: readonly { readonly envelope: Uint8Array; readonly key: KeyObject }[];
  readonly cosign: readonly { readonly payload: Uint8Array; readonly signature: Buffer; readonly key: KeyObject }[];
}

const JsonObject = (bytes: Uint8Array): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** What the floor does, found once in the recorded reads (not timed). */
function floorWork(reads: ReadonlyMap<string, Uint8Array>, keys: FixtureKeys): FloorWork {
  const json: Uint8Array[] = [];
  const dsse: FloorWork['dsse'][number][] = [];
  const cosign: FloorWork['cosign'][number][] = [];
  for (const bytes of reads.values()) {
    const value = JsonObject(bytes);
    if (value === undefined) continue;
    json.push(bytes);
    if (typeof value.payload === 'string' && Array.isArray(value.signatures)) {
      dsse.push({ envelope: bytes, key: keys.attestation.publicKey });
    }
    const layers = Array.isArray(value.layers) ? (value.layers as Record<string, unknown>[]) : [];
    for (const layer of layers) {
      const annotations = (layer.annotations ?? {}) as Record<string, unknown>;
      const signature = annotations[Annotations.cosignSignature];
      const payload = reads.get(String(layer.digest));
      if (typeof signature === 'string' && signature !== '' && payload !== undefined) {
        cosign.push({ payload, signature: Buffer.from(signature, 'base64'), key: keys.signing.publicKey });
      }
    }
  }
  return { blobs: [...reads.values()], json, dsse, cosign };
}

/** The floor itself: hash everything, parse every JSON document and DSSE payload, verify every signature. */
function floorOnce(work: FloorWork): number {
  const t0 = performance.now();
  for (const b of work.blobs) createHash('sha256').update(b).digest();
  for (const b of work.json) JSON.parse(Buffer.from(b).toString('utf8'));
  for (const d of work.dsse) {
    const env = JSON.parse(Buffer.from(d.envelope).toString('utf8')) as {
      payloadType: string;
      payload: string;
      signatures: { sig: string }[];
    };
    const payload = Buffer.from(env.payload, 'base64');
    JSON.parse(payload.toString('utf8'));
    const sig = env.signatures[0]?.sig ?? '';
    if (!verify('sha256', pae(env.payloadType, payload), d.key, Buffer.from(sig, 'base64'))) {
      throw new Error('floor: a DSSE signature did not verify');
    }
  }
  for (const c of work.cosign) {
    if (!verify('sha256', c.payload, c.key, c.signature)) throw new Error('floor: a cosign signature did not verify');
  }
  return performance.now() - t0;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The demo policy; `requireSigned: false` accepts the unsigned referrer SBOM of `referrer-only`. */
export function benchPolicy(keys: FixtureKeys, requireSigned = true): LoadedPolicy {
  const document = demoPolicy(keys);
  const rules = document.rules.map((r) => ({ ...r, sbom: { ...r.sbom, requireSigned } }));
  return loadPolicy(new TextEncoder().encode(stringify({ ...document, rules })));
}

/** Section: gate/floor side by side, the per-step breakdown, and the component-limit release. */
export async function benchFloor(opts: FloorBenchOptions): Promise<Section> {
  const keys = await generateFixtureKeys();
  const policy = benchPolicy(keys);
  const memory = new MemoryRegistry();
  const digest = await pushBenchRelease(memory, opts.components, keys);
  const reads = new Map<string, Uint8Array>();
  // One untimed run: JIT, and the reads the floor repeats.
  const first = await gateOnce(recordingReads(memory, reads), policy, digest);
  const work = floorWork(reads, keys);
  const sbomBytes = Math.max(...work.json.map((b) => b.byteLength));
  floorOnce(work);

  const gates: GateTimes[] = [];
  const floors: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    // Side by side: each gate run next to a floor run, so load on the machine hits both alike.
    const g = await gateOnce(memory, policy, digest);
    const f = floorOnce(work);
    gates.push(g);
    floors.push(f);
    ratios.push(g.totalMs / f);
  }
  const steps = [...first.byStep.keys()];
  const gateMedian = median(gates.map((g) => g.totalMs));
  const breakdown = steps.map((step) => {
    const values = gates.map((g) => g.byStep.get(step) ?? 0);
    const m = median(values);
    return [step, ms(m), ms(Math.min(...values)), `${formatNumber((100 * m) / gateMedian)} %`];
  });
  // One round of the limit release: the whole release in one process, then each Lambda in its own.
  const limitRun =
    opts.limitComponents > 0 ? await limitRelease(opts.limitComponents, keys, opts.log, 1, true) : undefined;
  const limit = limitRun?.whole[0];
  const lambdas = perLambda(limitRun?.steps ?? []);
  const ratio = `${formatNumber(median(ratios))}× (${formatNumber(Math.min(...ratios))}×)`;
  return {
    title: `Gate compute vs the floor (${opts.components.toLocaleString('en-US')} components)`,
    method: [
      `One release in an in-memory registry: a CycloneDX SBOM of ${opts.components.toLocaleString('en-US')} components (${mib(sbomBytes)}) as a signed`,
      'attestation and as an unsigned referrer, a cosign signature, signed SLSA provenance and signed eval results.',
      'Gate: every collector as the preflight runs it (one at a time), the package index write, then the policy, on a fresh',
      'store (a first release). Floor: sha256 of every manifest and blob the gate read, JSON.parse of every JSON one,',
      `base64 + JSON.parse of every DSSE payload, one ECDSA P-256 verify per signature (${work.dsse.length + work.cosign.length}).`,
      `${opts.runs} runs, each gate run next to a floor run; median (min). Target: gate/floor ≤ 2×.`,
    ],
    tables: [
      formatTable(
        [{ header: 'what' }, { header: 'median' }, { header: 'min' }],
        [
          ['gate', ms(gateMedian), ms(Math.min(...gates.map((g) => g.totalMs)))],
          ['floor', ms(median(floors)), ms(Math.min(...floors))],
          ['gate / floor', `${formatNumber(median(ratios))}×`, `${formatNumber(Math.min(...ratios))}×`],
        ],
      ),
      formatTable([{ header: 'step' }, { header: 'median' }, { header: 'min' }, { header: 'share' }], breakdown),
      ...(limit === undefined
        ? []
        : [
            formatTable(
              [{ header: 'component-limit release' }, { header: 'wall time' }, { header: 'peak RSS' }],
              [
                [
                  `${opts.limitComponents.toLocaleString('en-US')} components`,
                  ms(limit.wallMs),
                  mib(limit.maxRssBytes),
                ],
              ],
            ),
            formatTable(
              [{ header: 'Lambda (kind)' }, { header: 'peak RSS' }, { header: 'range' }, { header: 'status' }],
              lambdas.rows,
            ),
          ]),
    ],
    targets: [
      {
        what: `gate/floor at ${opts.components.toLocaleString('en-US')} components (median)`,
        measured: `${formatNumber(median(ratios))}×`,
        target: '≤ 2×',
        met: median(ratios) <= 2,
      },
      ...(limit === undefined
        ? []
        : [...limitTargets(opts.limitComponents, [limit]), largestLambdaTarget(opts.limitComponents, lambdas)]),
    ],
    notes: [
      `gate/floor ${ratio} (target ≤ 2×); decision ${first.decision}.`,
      ...first.notPassed.map((r) => `  ${r}`),
      ...(limit === undefined
        ? []
        : [
            `At ${opts.limitComponents.toLocaleString('en-US')} components (${mib(limit.sbomBytes)} SBOM, an unsigned referrer under sbom.requireSigned: false: signed, it`,
            "would be above the 16 MiB attestation limit): the same gate in a child process on an OCI layout, with the embedded stack's heap flags,",
            'documents and evidence in memory (MemoryStore), wall time of the gate alone, peak RSS of the whole process',
            `(VmHWM, bench/peak-rss.ts), decision ${limit.decision}. Target: ≤ 15 s and ≤ 512 MiB. Then per Lambda, as`,
            '`--only limit` measures it: each evidence kind collected alone in a fresh process, its stores on dynalite and s3rver.',
            ...limit.notPassed.map((r) => `  ${r}`),
          ]),
    ],
  };
}

interface LimitResult {
  readonly wallMs: number;
  readonly maxRssBytes: number;
  readonly sbomBytes: number;
  readonly decision: string;
  readonly notPassed: readonly string[];
}

const CHILD = new URL('./floor-child.ts', import.meta.url).pathname;
const STEP_CHILD = new URL('./limit-step-child.ts', import.meta.url).pathname;

/** One evidence kind collected alone in its own process, as its Lambda invocation collects it. */
interface StepResult {
  readonly kind: CollectedKind;
  readonly wallMs: number;
  readonly maxRssBytes: number;
  readonly status: string;
}

/** The last line a child process (`node [flags] file args`) printed, as JSON. */
async function childResult<T>(file: string, args: readonly string[], flags: readonly string[] = []): Promise<T> {
  const { stdout } = await runFile(process.execPath, [...flags, file, ...args], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

/**
 * Pushes the release to an OCI layout once, then gates it `runs` times, each in a fresh Node
 * process (bench/floor-child.ts), one after another. With `perLambda`, then collects it `runs`
 * times more one evidence kind per fresh process (bench/limit-step-child.ts), each time on fresh
 * DynamoDB and S3 stand-ins in this process.
 */
async function limitRelease(
  components: number,
  keys: FixtureKeys,
  log: (line: string) => void,
  runs: number,
  perLambda = false,
): Promise<{ whole: LimitResult[]; steps: StepResult[] }> {
  const work = await mkdtemp(join(tmpdir(), 'release-gate-floor-'));
  try {
    const layout = join(work, 'registry');
    const digest = await pushBenchRelease(new OciLayoutRegistry({ root: layout }), components, keys, 'referrer-only');
    log(`  pushed the ${components.toLocaleString('en-US')}-component release`);
    const policyFile = join(work, 'policy.yaml');
    await writeFile(policyFile, benchPolicy(keys, false).bytes);
    // Bundled as a Lambda's code is (GATE_BUNDLE) and run by plain `node`: a Lambda holds no
    // TypeScript compiler, which tsx would add (~35 MiB at start, more per module compiled).
    const child = join(work, 'floor-child.mjs');
    await build(gateBundleOf(CHILD, child));
    const whole: LimitResult[] = [];
    for (let i = 0; i < runs; i++) {
      // With the heap flags the embedded stack's process runs with (cli/lambda-heap.mjs).
      const result = await childResult<LimitResult>(child, [layout, policyFile, digest], lambdaHeapFlags());
      whole.push(result);
      log(`  run ${i + 1}/${runs}: ${ms(result.wallMs)}, ${mib(result.maxRssBytes)}`);
    }
    if (!perLambda) return { whole, steps: [] };
    const stepChild = join(work, 'limit-step-child.mjs');
    await build(gateBundleOf(STEP_CHILD, stepChild));
    const steps: StepResult[] = [];
    for (let i = 0; i < runs; i++) {
      // Fresh stand-ins each round: a kind whose evidence is stored is not collected again.
      const standIns = await startStandIns();
      try {
        const stores = [standIns.dynamoEndpoint, standIns.s3Endpoint, standIns.tableName, standIns.bucket];
        for (const kind of [...kindsOfStage('collect'), ...kindsOfStage('derive')]) {
          const result = await childResult<Omit<StepResult, 'kind'>>(stepChild, [
            layout,
            policyFile,
            digest,
            kind,
            ...stores,
          ]);
          steps.push({ kind, ...result });
        }
      } finally {
        await standIns.stop();
      }
      const round = steps.slice(-kindsOfStage('collect').length - kindsOfStage('derive').length);
      log(`  per Lambda ${i + 1}/${runs}: ${round.map((r) => `${r.kind} ${mib(r.maxRssBytes)}`).join(', ')}`);
    }
    return { whole, steps };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface LimitBenchOptions {
  /** Components of the release (the SBOM component limit). */
  readonly components: number;
  /** Child processes, one after another (the median and the range are printed). */
  readonly runs: number;
  readonly log: (line: string) => void;
}

/**
 * Section (`--only limit`): the release at the SBOM component limit alone, as the floor section
 * ends with it, gated `runs` times in fresh processes: median wall time and peak RSS.
 */
export async function benchLimit(opts: LimitBenchOptions): Promise<Section> {
  const keys = await generateFixtureKeys();
  const { whole: results, steps } = await limitRelease(opts.components, keys, opts.log, opts.runs, true);
  const walls = results.map((r) => r.wallMs);
  const rss = results.map((r) => r.maxRssBytes);
  const range = (values: readonly number[], format: (v: number) => string) =>
    `${format(Math.min(...values))} – ${format(Math.max(...values))}`;
  const first = results[0];
  const lambdas = perLambda(steps);
  return {
    title: `Release at the component limit (${opts.components.toLocaleString('en-US')} components)`,
    method: [
      `The floor section's last release alone: a CycloneDX SBOM of ${opts.components.toLocaleString('en-US')} components (${mib(first?.sbomBytes ?? 0)}) as an unsigned`,
      'referrer (sbom.requireSigned: false) on an OCI layout, every collector and the policy in a fresh Node process',
      `with the embedded stack's heap flags (${lambdaHeapFlags().join(' ')}: Lambda's for a ${LOCAL_FUNCTION_MEMORY_MIB} MiB function,`,
      `cli/lambda-heap.mjs), documents and evidence in memory (MemoryStore). ${opts.runs} processes one after another; median (range).`,
      'Wall time of the gate alone; peak RSS of the whole process (VmHWM, bench/peak-rss.ts). Target: ≤ 15 s, ≤ 512 MiB.',
      'Per Lambda: each evidence kind collected as its CollectEvidence invocation collects it (collectEvidence, bundled as the',
      'functions are, run by plain node with no flags, as the function sets no NODE_OPTIONS), alone in a fresh process, the',
      "release store and documents on DynamoDB and S3 stand-ins (dynalite, s3rver) through the Lambda's own adapters and",
      `SDK clients; kinds in the ASL's order, each reading what the earlier ones stored. ${opts.runs} rounds; peak RSS, median (range).`,
    ],
    tables: [
      formatTable(
        [{ header: 'what' }, { header: 'median' }, { header: 'range' }],
        [
          ['wall time', ms(median(walls)), range(walls, ms)],
          ['peak RSS', mib(median(rss)), range(rss, mib)],
        ],
      ),
      formatTable(
        [{ header: 'Lambda (kind)' }, { header: 'peak RSS' }, { header: 'range' }, { header: 'status' }],
        lambdas.rows,
      ),
    ],
    targets: [...limitTargets(opts.components, results), largestLambdaTarget(opts.components, lambdas)],
    notes: [`decision ${first?.decision ?? '?'}`, ...(first?.notPassed ?? []).map((r) => `  ${r}`)],
  };
}

/** Each Lambda's (evidence kind's) peak RSS over the rounds: median (range), and the largest. */
function perLambda(steps: readonly StepResult[]) {
  const range = (values: readonly number[]) => `${mib(Math.min(...values))} – ${mib(Math.max(...values))}`;
  const kinds = [...new Set(steps.map((s) => s.kind))];
  const each = kinds.map((kind) => {
    const of = steps.filter((s) => s.kind === kind);
    const peaks = of.map((s) => s.maxRssBytes);
    return { kind, peak: median(peaks), row: [kind, mib(median(peaks)), range(peaks), of[0]?.status ?? '?'] };
  });
  const largest = each.reduce((a, b) => (b.peak > a.peak ? b : a), { kind: '?', peak: 0, row: [] as string[] });
  return { rows: each.map((p) => p.row), largest, passed: steps.length > 0 && steps.every((s) => s.status === 'PASS') };
}

/** The issue's memory target as it is defined: the peak RSS of any one Lambda at the component limit. */
function largestLambdaTarget(components: number, lambdas: ReturnType<typeof perLambda>): Target {
  return {
    what: `${components.toLocaleString('en-US')}-component release, peak RSS of the largest Lambda (${lambdas.largest.kind})`,
    measured: mib(lambdas.largest.peak),
    target: '≤ 512 MiB',
    met: lambdas.passed && lambdas.largest.peak <= 512 * 1024 * 1024,
  };
}

/** The component-limit release's targets, on the median of its runs; met only when it passed. */
function limitTargets(components: number, results: readonly LimitResult[]): Target[] {
  const passed = results.every((r) => r.decision === 'PASS');
  const wall = median(results.map((r) => r.wallMs));
  const rss = median(results.map((r) => r.maxRssBytes));
  const what = `${components.toLocaleString('en-US')}-component release`;
  return [
    { what: `${what}, wall time`, measured: ms(wall), target: '≤ 15 s', met: passed && wall <= 15_000 },
    {
      // Every step in one process, as the embedded stack runs them (in AWS each is its own Lambda).
      what: `${what}, peak RSS, every step in one process`,
      measured: mib(rss),
      target: '≤ 512 MiB',
      met: passed && rss <= 512 * 1024 * 1024,
    },
  ];
}
