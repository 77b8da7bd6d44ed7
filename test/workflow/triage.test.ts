/**
 * Triage over releases the real workflow gated (issue 9 §1): the package index the SBOM step
 * wrote, the states the workflow left, and the promotion track answer "which releases contain the
 * affected package, in what state, live when".
 */
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { DEFAULT_NPM_PACKAGES, type ScenarioTarget } from '../../cli/fixtures/scenarios.js';
import { triage } from '../../lambdas/domain/triage/triage.js';
import { gateRelease, lastState, useLocalWorld } from '../support/world.js';

/** A source package `foo-<suffix>` whose binary `libfoo-<suffix>` the images carry (upstream qualifier, as syft writes it). */
const SOURCE = `foo${Date.now().toString(36)}`;
const BINARY = `lib${SOURCE}`;

function release(repository: string, tag: string, fooVersion: string, changes: Partial<ScenarioTarget> = {}) {
  return {
    repository,
    tag,
    npmPackages: DEFAULT_NPM_PACKAGES,
    debPackages: [{ name: BINARY, version: fooVersion, upstream: SOURCE }],
    ...changes,
  } satisfies ScenarioTarget;
}

describe('Workflow: triage of gated releases', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  async function gate(scenario: ScenarioTarget) {
    const w = world();
    const built = await buildScenarioImage(w.registry, scenario, w.keys);
    const run = await gateRelease(w, scenario.repository, scenario.tag);
    return { digest: built.digest, state: lastState(run.exec), run };
  }

  it('finds exactly the affected releases, with their states and production windows', async () => {
    // Prepare: two promotions one after the other, one quarantined release, one index of two platforms.
    const first = await gate(release('demo/triage-app', '1.0.0', '1.0-1'));
    const second = await gate(release('demo/triage-app', '1.1.0', '1.1-1'));
    const quarantined = await gate(release('demo/triage-app', '1.2.0', '1.0-3', { signature: 'none' }));
    const multi = await gate(
      release('demo/triage-multi', '1.0.0', '1.0-2', { platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64] }),
    );
    expect([first.state, second.state, quarantined.state, multi.state]).toEqual([
      'Promoted',
      'Promoted',
      'Quarantined',
      'Promoted',
    ]);
    const store = world().deps.gate.store;
    const track = await store.listPromotions('demo/triage-app');
    const promotedAt = (digest: string) => track.find((p) => p.digest === digest)?.promotedAt;
    const multiPromotedAt = (await store.listPromotions('demo/triage-multi'))[0]?.promotedAt;

    // Act: by source package (Debian advisories name it) and by the binary.
    const bySource = await triage(store, { kind: 'range', purl: `pkg:deb/debian/${SOURCE}`, range: '<1.1' });
    const byBinary = await triage(store, { kind: 'range', purl: `pkg:deb/debian/${BINARY}`, range: '<1.1' });

    // Assess
    const summary = bySource.releases.map((r) => ({
      repository: r.repository,
      digest: r.digest,
      status: r.status,
      windows: r.windows.map((w) => ({ from: w.from, to: w.to })),
      versions: r.matches.map((m) => m.version),
    }));
    expect(summary).toEqual(
      expect.arrayContaining([
        {
          repository: 'demo/triage-app',
          digest: first.digest,
          status: 'PROMOTED',
          windows: [{ from: promotedAt(first.digest), to: promotedAt(second.digest) }],
          versions: ['1.0-1'],
        },
        {
          repository: 'demo/triage-app',
          digest: quarantined.digest,
          status: 'QUARANTINED',
          windows: [],
          versions: ['1.0-3'],
        },
        {
          repository: 'demo/triage-multi',
          digest: multi.digest,
          status: 'LIVE',
          windows: [{ from: multiPromotedAt, to: null }],
          versions: ['1.0-2'],
        },
      ]),
    );
    expect(summary).toHaveLength(3);
    expect(bySource.releases.find((r) => r.digest === first.digest)?.matches[0]?.components).toEqual([
      `pkg:deb/debian/${BINARY}@1.0-1?distro=debian-12&upstream=${SOURCE}`,
    ]);
    expect(byBinary.releases.map((r) => r.digest).sort()).toEqual(bySource.releases.map((r) => r.digest).sort());
    const live = await triage(store, { kind: 'range', purl: `pkg:deb/debian/${SOURCE}`, range: '>=1.1' });
    expect(live.releases.map((r) => [r.digest, r.status, r.liveNow])).toEqual([[second.digest, 'LIVE', true]]);
  }, 240_000);
});
