import { createHash } from 'node:crypto';
import { PackageURL } from 'packageurl-js';
import { startStandIns } from '../cli/local/stand-ins.js';
import { awsClients } from '../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../lambdas/adapters/store/dynamo-release-store.js';
import { indexPackages } from '../lambdas/domain/package-index.js';
import type { ReleaseRecord, StoredEvidence } from '../lambdas/domain/ports.js';
import type { Digest } from '../lambdas/domain/types.js';
import { formatTable, mean, ms, percentile, perSecond, type Section } from './report.js';
import { purlOf, seededRandom, syntheticPackages, syntheticVersion } from './synthetic.js';

export interface StoreBenchOptions {
  /** Releases written with conditional puts (recordRelease, then putEvidence). */
  readonly releases: number;
  /** Package-index items in total (releases × purls per release). */
  readonly purls: number;
  readonly purlsPerRelease: number;
  /** Distinct packages the releases draw from; each is then in ~ purls / packagePool releases. */
  readonly packagePool: number;
  readonly queries: number;
  /** Requests in flight at once for the throughput figures. */
  readonly concurrency: number;
}

interface OpStats {
  readonly label: string;
  readonly count: number;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly latencies: readonly number[];
  readonly note?: string;
}

const digestOf = (text: string): Digest => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Runs `task(i)` for i < count with at most `concurrency` in flight; per-call latencies in ms. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = new Array(count);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const s = performance.now();
      await task(i);
      latencies[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { wallMs: performance.now() - t0, latencies };
}

/**
 * Section 4: the DynamoDB release store on dynalite (in memory, same process), through the real
 * SDK document client: conditional single-item puts, the package index (BatchWrite) and the
 * incident query "which releases contain package X" (Query on `PKG#<purl>`).
 */
export async function benchStore(opts: StoreBenchOptions): Promise<Section> {
  const standIns = await startStandIns();
  const clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
  const store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName });
  try {
    const stats: OpStats[] = [];
    const release = (i: number): ReleaseRecord => ({
      repository: `bench/store-${i % 20}`,
      digest: digestOf(`release ${i}`),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      tag: `1.${i}.0`,
      stage: 'production',
      platforms: [],
      state: 'RECORDED',
      executionName: `bench-${i}`,
      recordedAt: new Date(Date.UTC(2026, 10, 20, 9, 0, i)).toISOString(),
    });
    const evidence = (i: number): StoredEvidence => ({
      repository: release(i).repository,
      digest: release(i).digest,
      kind: 'sbom',
      status: 'PASS',
      reasons: [],
      facts: { components: 200, format: 'cyclonedx' },
      documents: [
        { name: 'sbom.json', mediaType: 'application/vnd.cyclonedx+json', digest: digestOf(`sbom ${i}`), size: 4096 },
      ],
      collectedAt: '2026-11-20T09:01:00Z',
    });

    // Warm-up: table, SDK client and connection set-up are not per-operation costs.
    await pool(20, opts.concurrency, async (i) => {
      await store.recordRelease({ ...release(i), repository: 'bench/warm-up' });
    });

    const record = await pool(opts.releases, opts.concurrency, async (i) => {
      const r = await store.recordRelease(release(i));
      if (!r.created) throw new Error(`release ${i} already existed`);
    });
    stats.push({
      label: 'recordRelease (new, attribute_not_exists)',
      count: opts.releases,
      concurrency: opts.concurrency,
      ...record,
    });

    const seq = Math.min(opts.releases, 200);
    const evSeq = await pool(seq, 1, async (i) => {
      await store.putEvidence(evidence(i));
    });
    stats.push({ label: 'putEvidence (new), one at a time', count: seq, concurrency: 1, ...evSeq });
    const ev = await pool(opts.releases - seq, opts.concurrency, async (i) => {
      await store.putEvidence(evidence(i + seq));
    });
    stats.push({ label: 'putEvidence (new)', count: opts.releases - seq, concurrency: opts.concurrency, ...ev });

    const lost = Math.min(opts.releases, 200);
    const again = await pool(lost, opts.concurrency, async (i) => {
      const r = await store.recordRelease(release(i));
      if (r.created) throw new Error(`release ${i} was written twice`);
    });
    stats.push({
      label: 'recordRelease (exists: condition fails)',
      count: lost,
      concurrency: opts.concurrency,
      ...again,
      note: 'lost put + consistent read',
    });

    // The package index: each release lists purlsPerRelease packages drawn from a shared pool, at one
    // of three versions each, so a package is in several releases and versions.
    const rnd = seededRandom(7);
    const packages = syntheticPackages(opts.packagePool, 11);
    const versions = packages.map((p) => [p.version, syntheticVersion(p.type, rnd), syntheticVersion(p.type, rnd)]);
    const indexReleases = Math.ceil(opts.purls / opts.purlsPerRelease);
    const purlsOf = (r: number): string[] => {
      const chosen = new Set<number>();
      while (chosen.size < Math.min(opts.purlsPerRelease, packages.length))
        chosen.add(Math.floor(rnd() * packages.length));
      return [...chosen].map((k) => {
        const p = packages[k];
        const v = versions[k]?.[(r + k) % 3];
        if (p === undefined || v === undefined) throw new Error('package pool out of range');
        return purlOf({ ...p, version: v });
      });
    };
    const lists = Array.from({ length: indexReleases }, (_, r) => purlsOf(r));
    const indexed = lists.reduce((n, l) => n + l.length, 0);
    const index = await pool(indexReleases, Math.min(opts.concurrency, 4), async (r) => {
      await indexPackages(
        { store, now: () => new Date().toISOString() },
        `bench/index-${r % 10}`,
        digestOf(`indexed ${r}`),
        lists[r] ?? [],
      );
    });
    stats.push({
      label: `indexPackages (${opts.purlsPerRelease} purls per release)`,
      count: indexReleases,
      concurrency: Math.min(opts.concurrency, 4),
      ...index,
      note: `${indexed.toLocaleString('en-US')} items, ${Math.round(perSecond(indexed, index.wallMs)).toLocaleString('en-US')} items/s (BatchWrite ×25)`,
    });

    // "Which releases contain package X": one Query per package, versionless purl.
    const bases = packages.map((p) =>
      new PackageURL(p.type, p.namespace, p.name, undefined, undefined, undefined).toString(),
    );
    const hits: number[] = [];
    const query = (concurrency: number) =>
      pool(opts.queries, concurrency, async (i) => {
        const base = bases[(i * 7919) % bases.length];
        if (base === undefined) return;
        const found = await store.findByPackage(base);
        if (concurrency === 1) hits.push(found.length);
      });
    const q1 = await query(1);
    stats.push({
      label: 'findByPackage, one at a time',
      count: opts.queries,
      concurrency: 1,
      ...q1,
      note: `${(mean(hits) ?? 0).toFixed(1)} releases per answer on average, max ${Math.max(0, ...hits)}`,
    });
    const qn = await query(opts.concurrency);
    stats.push({ label: 'findByPackage', count: opts.queries, concurrency: opts.concurrency, ...qn });

    return {
      title: '4. Evidence store (DynamoReleaseStore on dynalite)',
      method: [
        'dynalite in memory in this process, reached over HTTP on 127.0.0.1 by the real SDK document client; every',
        'put is a single-item conditional write (attribute_not_exists(pk)). Package index: ' +
          `${indexed.toLocaleString('en-US')} purls (${indexReleases} releases × ${opts.purlsPerRelease}, from ${opts.packagePool.toLocaleString('en-US')} packages × 3 versions).`,
        `Queries ask for ${opts.queries} packages by versionless purl (Query on PKG#<purl>, all pages, each item parsed).`,
      ],
      tables: [
        formatTable(
          [
            { header: 'operation' },
            { header: 'calls' },
            { header: 'in flight' },
            { header: 'wall time' },
            { header: 'calls/s' },
            { header: 'p50' },
            { header: 'p95' },
            { header: 'max' },
            { header: 'note', align: 'left' },
          ],
          stats
            .filter((s) => s.count > 0)
            .map((s) => [
              s.label,
              s.count,
              s.concurrency,
              ms(Math.round(s.wallMs)),
              Math.round(perSecond(s.count, s.wallMs)),
              ms(percentile(s.latencies, 50)),
              ms(percentile(s.latencies, 95)),
              ms(Math.max(...s.latencies)),
              s.note ?? '',
            ]),
        ),
      ],
      notes: [
        'dynalite is single-threaded JavaScript sharing the 2 cores with the client: these are stand-in figures, not',
        'DynamoDB ones (single-digit ms per request, and throughput bounded by capacity mode, not by the client).',
      ],
    };
  } finally {
    clients.dynamodb.destroy();
    clients.s3.destroy();
    await standIns.stop();
  }
}
