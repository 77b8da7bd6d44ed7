/**
 * A rollback on AWS re-verifies its target against the OSV records under the evidence bucket's
 * `advisories/` prefix, read through the advisory index (osv/advisory-index.ts): the records of
 * the target's packages and every record the index does not hold yet. The real workflow promotes
 * two releases; the prefix is on s3rver and the index on dynalite, as ops-write wires them.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES, type ScenarioTarget } from '../../cli/fixtures/scenarios.js';
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { S3Advisories } from '../../lambdas/adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../../lambdas/adapters/store/dynamo-advisory-index.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { advisoryMatchKeys } from '../../lambdas/domain/scan/local-scanner.js';
import { countingS3 } from '../support/counting-s3.js';
import { useStandIns } from '../support/stand-ins.js';
import { gateRelease, lastState, useLocalWorld } from '../support/world.js';

const REPO = 'demo/indexed-rollback';
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const FIXTURE = fileURLToPath(new URL('../../cli/fixtures/advisories/GHSA-xvch-5gv4-984h.json', import.meta.url));
/** A package only the first release carries, in a version the new advisories say is affected. */
const PACKAGE = { name: 'left-pad', version: '1.3.0' };

const release = (tag: string, extra: ScenarioTarget['npmPackages'] = []): ScenarioTarget => ({
  repository: REPO,
  tag,
  npmPackages: [...DEFAULT_NPM_PACKAGES, ...extra],
});

const leftPadAdvisory = (n: number) =>
  JSON.stringify({
    id: `GHSA-ix00-0000-000${n}`,
    aliases: [`CVE-2026-99100${n}`],
    database_specific: { severity: 'CRITICAL' },
    affected: [
      {
        package: { ecosystem: 'npm', name: PACKAGE.name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.3.1' }] }],
      },
    ],
  });

const unrelated = (i: number) =>
  JSON.stringify({
    id: `RG-UNRELATED-${i}`,
    affected: [{ package: { ecosystem: 'PyPI', name: `package-${i}` }, versions: ['1.0.0'] }],
  });

describe('Workflow: roll back against the advisories/ prefix through its index', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });
  const aws = useStandIns();

  /** The prefix's records on s3rver, the index on a fresh dynalite table, and a client counting GETs. */
  async function prefix(records: ReadonlyMap<string, string>, indexedNames: (name: string) => boolean) {
    const { clients, standIns } = aws();
    await ensureTableAndBucket(clients, 'advisory-index', standIns.bucket);
    const index = new DynamoAdvisoryIndex({ client: clients.dynamoDocument, tableName: 'advisory-index' });
    const put = (name: string, body: string) =>
      clients.s3.send(new PutObjectCommand({ Bucket: standIns.bucket, Key: `advisories/${name}`, Body: body }));
    for (const [name, body] of records) {
      const out = await put(name, body);
      // As revalidate does on the record's Object Created event.
      if (indexedNames(name)) {
        const record = parseOsvRecord(new TextEncoder().encode(body), 'json', name);
        await index.index(`advisories/${name}`, (out.ETag ?? '').replaceAll('"', ''), advisoryMatchKeys(record));
      }
    }
    const counting = countingS3(standIns);
    const advisories = new S3Advisories({ client: counting.client, bucket: standIns.bucket });
    return { put, index, advisories, gets: counting.gets };
  }

  it('refuses the target for an indexed record and for one written since, reading only what concerns it', async () => {
    // Prepare: two releases promoted one after the other; the first carries left-pad 1.3.0.
    const w = world();
    const first = await buildScenarioImage(w.registry, release('1.0.0', [PACKAGE]), w.keys);
    expect(lastState((await gateRelease(w, REPO, '1.0.0')).exec)).toBe('Promoted');
    await buildScenarioImage(w.registry, release('1.1.0'), w.keys);
    expect(lastState((await gateRelease(w, REPO, '1.1.0')).exec)).toBe('Promoted');
    const records = new Map<string, string>([['npm/GHSA-xvch-5gv4-984h.json', await readFile(FIXTURE, 'utf8')]]);
    for (let i = 0; i < 200; i++) records.set(`pypi/RG-UNRELATED-${i}.json`, unrelated(i));
    records.set('npm/GHSA-ix00-0000-0001.json', leftPadAdvisory(1));
    const bucket = await prefix(records, () => true);
    const deps = {
      ...w.deps.gate,
      advisories: (components: Parameters<S3Advisories['advisoriesFor']>[0]) =>
        bucket.advisories.advisoriesFor(components, bucket.index),
    };

    // Act
    const indexed = await rollbackRelease(deps, { repository: REPO, operator: OPS });
    const readForIndexed = bucket.gets();
    // A record written since, whose event has not been handled yet: not in the index.
    await bucket.put('npm/GHSA-ix00-0000-0002.json', leftPadAdvisory(2));
    const lagging = await rollbackRelease(deps, { repository: REPO, operator: OPS });

    // Assess
    expect(indexed).toMatchObject({ outcome: 'REFUSED', digest: first.digest });
    expect(indexed.reasons.join('\n')).toContain('newly affected: CVE-2026-991001');
    // Of 202 records, the one naming a package of the target (left-pad): minimist and PyPI's are not read.
    expect(readForIndexed).toBe(1);
    expect(lagging.outcome).toBe('REFUSED');
    expect(lagging.reasons.join('\n')).toContain('newly affected: CVE-2026-991001, CVE-2026-991002');
  });
});
