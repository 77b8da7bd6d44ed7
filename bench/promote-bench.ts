/**
 * Promote against `skopeo copy --all`, side by side on one Debian `docker-registry`: a multi-arch
 * image of several layers with a cosign signature, a cosign attestation, an SBOM referrer and a
 * signature of that SBOM, copied into a fresh repository per run. skopeo runs with its blob-info
 * cache cold (a fresh cache directory) and warm (one directory reused), which decides whether it
 * mounts blobs or streams them through itself. Bytes are counted on one more run of each through
 * a counting TCP proxy, so the timed runs talk to the registry directly.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BuiltManifest,
  blobOf,
  buildIndex,
  builtManifest,
  descriptorOf,
  jsonBytes,
  PLATFORMS,
  type Platform,
} from '../cli/fixtures/image.js';
import { generateFixtureKeys } from '../cli/fixtures/keys.js';
import { pushManifest } from '../cli/fixtures/push.js';
import {
  cosignAttestationManifest,
  cosignSign,
  cosignSignatureManifest,
  cosignTag,
  envelopeBytes,
  referrerManifest,
  signStatement,
  simpleSigningPayload,
} from '../cli/fixtures/sign.js';
import { DistributionRegistry } from '../lambdas/adapters/registry/distribution.js';
import { MediaTypes } from '../lambdas/domain/oci.js';
import { PredicateTypes } from '../lambdas/domain/predicate-types.js';
import { type Attachments, listAttachments } from '../lambdas/domain/promotion/attachments.js';
import { type CopyImageResult, copyImage, REQUEST_CONCURRENCY } from '../lambdas/domain/promotion/copy.js';
import { startRegistryServer } from '../test/support/registry-process.js';
import { formatNumber, formatTable, kib, ms, type Section } from './report.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SOURCE = 'bench/app';
const TAG = '1.0.0';

export interface PromoteBenchOptions {
  /** Total size of the image's layers. */
  readonly imageMiB: number;
  /** Timed runs of each contender (at least 5 for a median worth printing). */
  readonly runs: number;
  readonly log: (line: string) => void;
}

interface Seeded {
  readonly index: BuiltManifest;
  readonly attachments: Attachments;
  readonly blobs: number;
  readonly layerBytes: number;
}

/**
 * Layer sizes as fractions of the image: three base layers both platforms share and one
 * application layer each, like an image built FROM one base for two platforms.
 */
const SHARED_LAYERS = [0.32, 0.21, 0.11];
const PLATFORM_LAYER = 0.18;

function layer(bytes: number) {
  // Random bytes: nothing in the path may compress them away.
  return blobOf(MediaTypes.ociLayerTarGzip, randomBytes(Math.max(1, Math.round(bytes))));
}

function platformManifest(platform: Platform, layers: ReturnType<typeof layer>[]): BuiltManifest {
  const config = blobOf(
    MediaTypes.ociConfig,
    jsonBytes({
      architecture: platform.architecture,
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  return builtManifest(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: descriptorOf(config),
      layers: layers.map(descriptorOf),
    },
    [config, ...layers],
    [],
    { platform: { ...platform } },
  );
}

/** Pushes the image and its attachments; returns what the gate would have listed at evaluation. */
async function seed(registry: DistributionRegistry, imageMiB: number): Promise<Seeded> {
  const total = imageMiB * MiB;
  const shared = SHARED_LAYERS.map((f) => layer(f * total));
  const platforms = [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64].map((p) =>
    platformManifest(p, [...shared, layer(PLATFORM_LAYER * total)]),
  );
  const index = buildIndex(platforms);
  await pushManifest(registry, SOURCE, index, TAG);

  const keys = await generateFixtureKeys();
  const subjects = [{ name: SOURCE, digest: index.digest }];
  const signature = cosignSignatureManifest([
    cosignSign(keys.signing.privateKey, simpleSigningPayload(SOURCE, index.digest)),
  ]);
  await pushManifest(registry, SOURCE, signature, cosignTag(index.digest, 'sig'));
  const provenance = signStatement(keys.attestation.privateKey, subjects, PredicateTypes.slsaProvenanceV1, {
    buildDefinition: { buildType: 'https://example.com/bench@v1' },
  });
  const attestation = cosignAttestationManifest([
    { envelope: provenance, predicateType: PredicateTypes.slsaProvenanceV1 },
  ]);
  await pushManifest(registry, SOURCE, attestation, cosignTag(index.digest, 'att'));
  const sbom = referrerManifest({
    artifactType: MediaTypes.cyclonedxJson,
    subject: index.descriptor,
    layerMediaType: MediaTypes.cyclonedxJson,
    layer: jsonBytes({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }),
  });
  await pushManifest(registry, SOURCE, sbom);
  const sbomSignature = referrerManifest({
    artifactType: MediaTypes.dsseEnvelope,
    subject: sbom.descriptor,
    layerMediaType: MediaTypes.dsseEnvelope,
    layer: envelopeBytes(
      signStatement(keys.attestation.privateKey, [{ name: 'sbom', digest: sbom.digest }], PredicateTypes.cyclonedx, {}),
    ),
  });
  await pushManifest(registry, SOURCE, sbomSignature);

  const attachments = await listAttachments(registry, SOURCE, [index.digest, ...platforms.map((p) => p.digest)]);
  const all = [...platforms, index, signature, attestation, sbom, sbomSignature];
  const blobs = new Set(all.flatMap((m) => m.blobs.map((b) => b.digest)));
  const layerBytes = [...shared, ...platforms.map((p) => p.blobs.at(-1))].reduce(
    (sum, b) => sum + (b?.bytes.byteLength ?? 0),
    0,
  );
  return { index, attachments, blobs: blobs.size, layerBytes };
}

interface ProxyCounts {
  sent: number;
  received: number;
  requests: number;
}

/** An HTTP/1.1 request line's end: `<method> <target> HTTP/1.1` CRLF. */
const REQUEST_LINE = / HTTP\/1\.1\r\n/g;

/**
 * A TCP proxy to `port` that counts the bytes each way, and the requests (request lines in what
 * clients send; a blob body could hold one by chance, once in ~2^80 bytes).
 */
async function countingProxy(port: number) {
  const counts: ProxyCounts = { sent: 0, received: 0, requests: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    let tail = '';
    client.on('data', (chunk: Buffer) => {
      counts.sent += chunk.byteLength;
      // A request line may straddle two chunks: keep the end of the previous one.
      const text = tail + chunk.toString('latin1');
      counts.requests += text.match(REQUEST_LINE)?.length ?? 0;
      tail = text.slice(-10); // shorter than the pattern: never counted twice
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.received += chunk.byteLength;
    });
    client.pipe(upstream).on('error', () => client.destroy());
    upstream.pipe(client).on('error', () => upstream.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const host = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return {
    host,
    take: () => {
      const taken = { ...counts };
      Object.assign(counts, { sent: 0, received: 0, requests: 0 });
      return taken;
    },
    // Clients keep connections alive: end them, or close would wait for them.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Median and minimum of timings. */
function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0 };
}

const ratio = (a: number, b: number) => `${formatNumber(a / b)}×`;

export async function benchPromote(opts: PromoteBenchOptions): Promise<Section> {
  const server = await startRegistryServer();
  const scratch = await mkdtemp(join(tmpdir(), 'promote-bench-'));
  const proxy = await countingProxy(Number(server.host.split(':')[1]));
  try {
    const registry = new DistributionRegistry({ baseUrl: server.url });
    opts.log(`[promote] pushing a ${opts.imageMiB} MiB two-platform image with 4 attachments…`);
    const seeded = await seed(registry, opts.imageMiB);
    let targets = 0;

    const promote = async (
      via: DistributionRegistry = registry,
      requestConcurrency?: number,
    ): Promise<CopyImageResult> =>
      copyImage({
        ...(requestConcurrency === undefined ? {} : { requestConcurrency }),
        source: via,
        target: via,
        sourceRepository: SOURCE,
        targetRepository: `prod/promote-${targets++}/app`,
        digest: seeded.index.digest,
        tag: TAG,
        // As Promote does: exactly the attachments listed when the release was evaluated.
        attachments: seeded.attachments,
      });

    // skopeo keeps its blob-info cache under $XDG_DATA_HOME/containers/cache, except for root,
    // which it sends to /var/lib/containers/cache; _CONTAINERS_ROOTLESS_UID makes it take the
    // per-user path, so every cache here is a directory of this run.
    const skopeo = async (cacheDir: string, host = server.host) => {
      await run(
        'skopeo',
        [
          '--insecure-policy',
          'copy',
          '--all',
          '--quiet',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${host}/${SOURCE}:${TAG}`,
          `docker://${host}/prod/skopeo-${targets++}/app:${TAG}`,
        ],
        {
          env: {
            ...process.env,
            XDG_DATA_HOME: cacheDir,
            ...(process.getuid?.() === 0 ? { _CONTAINERS_ROOTLESS_UID: '1000' } : {}),
          },
        },
      );
    };
    const freshCache = () => mkdtemp(join(scratch, 'cache-'));
    const warmCache = await freshCache();
    const timed = async (act: () => Promise<unknown>) => {
      const t0 = performance.now();
      await act();
      return performance.now() - t0;
    };

    // Warm-up, not counted: JIT and connections for promote, the warm cache for skopeo.
    const check = await promote();
    await skopeo(warmCache);
    await promote(registry, 1);
    const times = { promote: [] as number[], sequential: [] as number[], warm: [] as number[], cold: [] as number[] };
    for (let i = 0; i < opts.runs; i++) {
      opts.log(`[promote] run ${i + 1}/${opts.runs}`);
      // Interleaved, so each contender sees the same machine load.
      times.promote.push(await timed(() => promote()));
      times.sequential.push(await timed(() => promote(registry, 1)));
      times.warm.push(await timed(() => skopeo(warmCache)));
      const cold = await freshCache();
      times.cold.push(await timed(() => skopeo(cold)));
    }

    // Bytes: one more run of each through the counting proxy (the cache keys on the host, so the
    // warm run through the proxy follows a cold one through it).
    await promote(new DistributionRegistry({ baseUrl: `http://${proxy.host}` }));
    const promoteBytes = proxy.take();
    const proxyCache = await freshCache();
    await skopeo(proxyCache, proxy.host);
    const coldBytes = proxy.take();
    await skopeo(proxyCache, proxy.host);
    const warmBytes = proxy.take();

    const p = stats(times.promote);
    const q = stats(times.sequential);
    const w = stats(times.warm);
    const c = stats(times.cold);
    const row = (name: string, t: { median: number; min: number }, bytes?: ProxyCounts) => [
      name,
      `${ms(t.median)} [${ms(t.min)}]`,
      ratio(p.median, t.median),
      bytes === undefined ? '' : kib(bytes.sent),
      bytes === undefined ? '' : kib(bytes.received),
      bytes === undefined ? '' : String(bytes.requests),
    ];
    const rows = [
      row('release-gate promote (image + 4 attachments)', p, promoteBytes),
      row('promote, one request at a time (before)', q),
      row('skopeo copy --all, blob-info cache warm', w, warmBytes),
      row('skopeo copy --all, blob-info cache cold', c, coldBytes),
    ];
    return {
      title: `Promote vs skopeo copy --all (Debian docker-registry, ${opts.imageMiB} MiB two-platform image)`,
      method: [
        `${opts.runs} runs each, interleaved, after one warm-up each; median [min]. Each run copies ${SOURCE}:${TAG} into a fresh`,
        `repository of the same registry. Promote: copyImage over DistributionRegistry, ${REQUEST_CONCURRENCY} requests in flight at most,`,
        'in this process. skopeo: a process per run (its start-up counts, as it does in a pipeline), with',
        '--src-tls-verify=false --dest-tls-verify=false; it copies the image only, no referrer or cosign tag.',
        'Bytes: one extra run each through a counting TCP proxy (HTTP headers and bodies, both ways).',
      ],
      tables: [
        formatTable(
          [
            { header: 'copy' },
            { header: 'median [min]' },
            { header: 'promote ÷ this' },
            { header: 'sent' },
            { header: 'received' },
            { header: 'requests' },
          ],
          rows,
        ),
      ],
      targets: [
        {
          what: 'promote/skopeo copy --all, warm cache (median)',
          measured: ratio(p.median, w.median),
          target: '≤ 1.0×',
          met: p.median <= w.median,
        },
      ],
      notes: [
        `promote/skopeo (warm cache): ${ratio(p.median, w.median)} median, ${ratio(p.min, w.min)} min; target ≤ 1.0×.`,
        `promote/skopeo (cold cache): ${ratio(p.median, c.median)} median, ${ratio(p.min, c.min)} min.`,
        `Promote mounted ${check.blobsMounted} of ${seeded.blobs} blobs (${check.blobsCopied} copied) and put ${check.copied.length} manifests;`,
        `the layers are ${kib(seeded.layerBytes)}.`,
      ],
    };
  } finally {
    await proxy.close();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
