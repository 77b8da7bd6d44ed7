import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { ALERT_DETAIL_BYTES, type RevalidateDeps, revalidate } from '../../lambdas/domain/incident/revalidate.js';
import { type OsvRecord, OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import type { NotificationEvent } from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { type HandlerWorld, handlerWorld, promoteInOrder, WORLD_NOW } from '../support/handler-world.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest } from '../support/store-records.js';

const REPO = 'team/app';

/** lodash below 4.17.21, as GHSA-35jh-r3h4-6jhm says (with its CVE alias). */
const LODASH: OsvRecord = OsvRecordSchema.parse({
  id: 'GHSA-35jh-r3h4-6jhm',
  aliases: ['CVE-2021-23337'],
  summary: 'Command injection in lodash',
  database_specific: { severity: 'HIGH' },
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
    },
  ],
});

/** A world whose track holds `releases` promoted in this order (the last one live), each with its components indexed. */
async function promoted(...releases: { digest: Digest; purls: string[] }[]) {
  const w = handlerWorld();
  await promoteInOrder(
    w,
    REPO,
    releases.map((r) => r.digest),
  );
  for (const { digest, purls } of releases) await indexRelease(w.store, REPO, digest, purls);
  return w;
}

function depsOf(w: HandlerWorld, extra: Partial<RevalidateDeps> = {}): RevalidateDeps {
  return { store: w.store, notifier: w.notifier, outcomes: w.outcomes, clock: w.clock, ...extra };
}

const advisories = (records: OsvRecord[]) => ({ kind: 'advisories', advisories: records, source: 'new.json' }) as const;

describe('Function: revalidate', () => {
  describe('when a new advisory affects the live release', () => {
    it('raises one alert with the matched components, the live window and the triage answer', async () => {
      // Prepare
      const live = newDigest();
      const w = await promoted({ digest: live, purls: ['pkg:npm/lodash@4.17.20', 'pkg:npm/minimist@1.2.8'] });

      // Act
      const summary = await revalidate(depsOf(w), advisories([LODASH]));

      // Assess
      expect(summary.checked).toBe(1);
      expect(summary.newlyAffected.map((a) => [a.digest, a.advisoryId])).toEqual([[live, 'GHSA-35jh-r3h4-6jhm']]);
      expect(w.outcomes.events.map((e) => e.type)).toEqual(['Release Newly Affected']);
      expect(w.outcomes.events[0]?.detail).toMatchObject({
        repository: REPO,
        digest: live,
        advisoryIds: ['GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337'],
        severity: 'HIGH',
        matches: [
          {
            component: 'pkg:npm/lodash@4.17.20',
            version: '4.17.20',
            fixedIn: '4.17.21',
            range: 'npm SEMVER >=0 <4.17.21',
          },
        ],
        live: { targetRepository: `prod/${REPO}`, tag: 'v0', from: WORLD_NOW.toISOString(), to: null },
        trigger: 'advisories',
        source: 'new.json',
        triage: { question: 'advisory GHSA-35jh-r3h4-6jhm', totalReleases: 1 },
      });
      expect(w.notifier.messages).toEqual([
        {
          subject: expect.stringMatching(/^Newly affected: team\/app@sha256:/),
          message: w.outcomes.events[0]?.detail,
          event: 'Release Newly Affected',
        },
      ]);
      expect(await w.store.listAlerts(REPO, live)).toEqual([
        expect.objectContaining({ advisoryId: 'GHSA-35jh-r3h4-6jhm', announcedAt: WORLD_NOW.toISOString() }),
      ]);
    });
  });

  describe('when the run is over', () => {
    it('has no store read left in flight (a CLI stops the stand-ins right after)', async () => {
      // Prepare
      const w = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });
      let reads = 0;
      const store = Object.assign(Object.create(w.store) as typeof w.store, {
        listAlerts: (repository: string, digest: Digest) => {
          reads++;
          return w.store.listAlerts(repository, digest);
        },
      });

      // Act
      const summary = await revalidate(depsOf(w, { store }), advisories([LODASH]));

      // Assess
      expect(summary.newlyAffected).toHaveLength(1);
      expect(reads).toBe(1);
    });
  });

  describe('when the matched components would make the event too large for EventBridge and SNS', () => {
    it('announces a detail within the limit, saying how many matches it left out, and keeps them all in the alert', async () => {
      // Prepare: two affected versions with 64 components each (the index keeps 64 per entry), each
      // purl near the 2,048 bytes an entry keeps whole: the alert keeps 100 matches, about 200 KB.
      const live = newDigest();
      const w = await promoted({ digest: live, purls: [] });
      const long = 'x'.repeat(1990);
      const binaries = ['4.17.19', '4.17.20'].flatMap((v) =>
        Array.from({ length: 64 }, (_, i) => `pkg:npm/lodash@${v}?b=${String(i).padStart(2, '0')}${long}`),
      );
      await indexRelease(w.store, REPO, live, binaries);

      // Act
      const summary = await revalidate(depsOf(w), advisories([LODASH]));

      // Assess
      const detail = w.outcomes.events[0]?.detail ?? {};
      expect(new TextEncoder().encode(JSON.stringify(detail)).byteLength).toBeLessThanOrEqual(ALERT_DETAIL_BYTES);
      expect(detail.moreMatches).toBeGreaterThan(0);
      expect((detail.matches as unknown[]).length + Number(detail.moreMatches)).toBe(100);
      expect(summary.newlyAffected[0]?.alert?.matches).toHaveLength(100);
    });
  });

  describe('when an advisory names a package of an ecosystem the index cannot be asked about', () => {
    it('says it was not checked', async () => {
      // Prepare
      const w = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });
      const odd = OsvRecordSchema.parse({
        id: 'TEST-ODD-1',
        affected: [{ package: { ecosystem: 'Unheard-Of', name: 'thing' }, versions: ['1.0'] }],
      });

      // Act
      const summary = await revalidate(depsOf(w), advisories([odd]));

      // Assess
      expect(summary.unqueried).toEqual([
        {
          advisoryId: 'TEST-ODD-1',
          ecosystem: 'Unheard-Of',
          name: 'thing',
          reason: expect.stringMatching(/no package URL type/),
        },
      ]);
    });
  });

  describe('when the release was alerted for the advisory before (a second trigger, or its CVE alias)', () => {
    it('reports it as already known and alerts nothing', async () => {
      // Prepare
      const live = newDigest();
      const w = await promoted({ digest: live, purls: ['pkg:npm/lodash@4.17.20'] });
      await revalidate(depsOf(w), advisories([LODASH]));

      // Act
      const again = await revalidate(depsOf(w), advisories([LODASH]));
      const inspector = await revalidate(depsOf(w), {
        kind: 'inspector',
        repository: REPO,
        digest: live,
        findings: [{ id: 'CVE-2021-23337', packages: [{ name: 'lodash', version: '4.17.20' }] }],
      });

      // Assess
      expect(again.newlyAffected).toEqual([]);
      expect(again.alreadyKnown.map((a) => a.known)).toEqual(['alerted']);
      expect(inspector.newlyAffected).toEqual([]);
      expect(inspector.alreadyKnown.map((a) => a.alert?.advisoryId)).toEqual(['GHSA-35jh-r3h4-6jhm']);
      expect(w.outcomes.events).toHaveLength(1);
      expect(w.notifier.messages).toHaveLength(1);
    });
  });

  describe('when the gate-time scan already reported the vulnerability for the release', () => {
    it('is not news', async () => {
      // Prepare
      const live = newDigest();
      const w = await promoted({ digest: live, purls: ['pkg:npm/lodash@4.17.20'] });
      await w.store.indexVulnerabilities(REPO, live, ['CVE-2021-23337']);

      // Act
      const summary = await revalidate(depsOf(w), advisories([LODASH]));

      // Assess
      expect(summary.alreadyKnown.map((a) => a.known)).toEqual(['reported-when-gated']);
      expect(w.outcomes.events).toEqual([]);
      expect(await w.store.listAlerts(REPO, live)).toEqual([]);
    });
  });

  describe('when the affected release is no longer live, or the live one is revoked', () => {
    it('ignores them', async () => {
      // Prepare
      const [old, live] = [newDigest(), newDigest()];
      const w = await promoted(
        { digest: old, purls: ['pkg:npm/lodash@4.17.20'] },
        { digest: live, purls: ['pkg:npm/lodash@4.17.21'] },
      );
      const revokedWorld = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });
      const [head] = await revokedWorld.store.listPromotions(REPO);
      await revokedWorld.store.revokeRelease({
        repository: REPO,
        digest: head?.digest ?? newDigest(),
        revokedAt: WORLD_NOW.toISOString(),
        revokedBy: 'ops',
        reason: 'incident',
      });

      // Act
      const notLive = await revalidate(depsOf(w), advisories([LODASH]));
      const revoked = await revalidate(depsOf(revokedWorld), advisories([LODASH]));

      // Assess
      expect(notLive).toEqual({ checked: 1, newlyAffected: [], alreadyKnown: [] });
      expect(revoked).toEqual({ checked: 0, newlyAffected: [], alreadyKnown: [] });
      expect([...w.outcomes.events, ...revokedWorld.outcomes.events]).toEqual([]);
    });
  });

  describe('when the notification failed after the alert was recorded (a retried run)', () => {
    it('leaves it to the run that wrote it for the lease, then announces it once, and never again', async () => {
      // Prepare
      const live = newDigest();
      const w = await promoted({ digest: live, purls: ['pkg:npm/lodash@4.17.20'] });
      let fail = true;
      const flaky = {
        publish: async (subject: string, message: Readonly<Record<string, unknown>>, event: NotificationEvent) => {
          if (fail) throw new Error('SNS unavailable');
          await w.notifier.publish(subject, message, event);
        },
      };
      await expect(revalidate(depsOf(w, { notifier: flaky }), advisories([LODASH]))).rejects.toThrow(/SNS/);
      fail = false;
      const within = await revalidate(depsOf(w, { notifier: flaky }), advisories([LODASH]));
      w.clock.advance(15 * 60);

      // Act
      const retry = await revalidate(depsOf(w, { notifier: flaky }), advisories([LODASH]));
      const third = await revalidate(depsOf(w, { notifier: flaky }), advisories([LODASH]));

      // Assess
      expect(within.alreadyKnown.map((a) => a.alert?.announcedAt)).toEqual([undefined]);
      expect(retry.alreadyKnown.map((a) => a.alert?.announcedAt)).toEqual([w.clock.now().toISOString()]);
      expect(third.alreadyKnown).toHaveLength(1);
      expect(w.notifier.messages).toHaveLength(1);
      expect(await w.store.listAlerts(REPO, live)).toHaveLength(1);
    });
  });

  describe('when two triggers run at the same time', () => {
    it('records and announces one alert', async () => {
      // Prepare
      const w = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });

      // Act
      const runs = await Promise.all([
        revalidate(depsOf(w), advisories([LODASH])),
        revalidate(depsOf(w), advisories([LODASH])),
      ]);

      // Assess
      expect(runs.flatMap((r) => r.newlyAffected)).toHaveLength(1);
      expect(w.notifier.messages).toHaveLength(1);
    });
  });

  describe('when an Inspector finding names a platform manifest of the live index, in production', () => {
    it('alerts the live index with the finding packages', async () => {
      // Prepare
      const [index, platform] = [newDigest(), newDigest()];
      const w = await promoted({ digest: index, purls: [] });
      await w.store.recordParentIndex(REPO, platform, index);

      // Act
      const summary = await revalidate(depsOf(w, { policy: w.deps.gate.policy }), {
        kind: 'inspector',
        repository: `prod/${REPO}`,
        digest: platform,
        findings: [
          {
            id: 'CVE-2026-0001',
            severity: 'CRITICAL',
            packages: [{ name: 'openssl', version: '3.0.11-1~deb12u2', fixedIn: '3.0.13-1~deb12u1' }],
          },
        ],
      });
      const elsewhere = await revalidate(depsOf(w), {
        kind: 'inspector',
        repository: REPO,
        digest: newDigest(),
        findings: [{ id: 'CVE-2026-0002', packages: [] }],
      });

      // Assess
      expect(summary.newlyAffected.map((a) => [a.digest, a.advisoryId, a.matches])).toEqual([
        [
          index,
          'CVE-2026-0001',
          [{ component: 'openssl@3.0.11-1~deb12u2', version: '3.0.11-1~deb12u2', fixedIn: '3.0.13-1~deb12u1' }],
        ],
      ]);
      expect(w.outcomes.events[0]?.detail).toMatchObject({ trigger: 'inspector', severity: 'CRITICAL' });
      expect(elsewhere).toEqual({ checked: 0, newlyAffected: [], alreadyKnown: [] });
    });
  });

  describe('when the daily run has no advisory source', () => {
    it('throws ConfigError', async () => {
      // Prepare
      const w = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });

      // Act & Assess
      await expect(revalidate(depsOf(w), { kind: 'scheduled' })).rejects.toThrow(ConfigError);
    });
  });

  describe('when the daily run reads every advisory known today', () => {
    it('alerts what is newly affected, as a scheduled alert', async () => {
      // Prepare
      const w = await promoted({ digest: newDigest(), purls: ['pkg:npm/lodash@4.17.20'] });

      // Act
      const summary = await revalidate(depsOf(w, { advisories: async () => [LODASH] }), { kind: 'scheduled' });

      // Assess
      expect(summary.newlyAffected.map((a) => a.alert?.trigger)).toEqual(['scheduled']);
    });
  });
});
