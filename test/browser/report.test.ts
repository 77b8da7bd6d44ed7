/**
 * The HTML evidence report (issue 9 §6) in Debian's headless Chromium, JavaScript off, opened as
 * the file `release-gate report` writes. The release is gated on the embedded stack after a
 * promoted previous release: the report shows the evidence, the dependency diff, the excepted
 * finding with its VEX owner, the eval deltas, the approval and the timeline with the live
 * window. A component name carrying markup stays text. The screenshot lands in test/.screenshots/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import { buildReleaseReport } from '../../lambdas/domain/workflow/report.js';
import { renderReportPage } from '../../lambdas/domain/workflow/report-page.js';
import { cells, SCREENSHOTS, useHeadlessChromium } from '../support/browser.js';
import {
  buildInjectedRelease,
  buildPreviousRelease,
  expectInjectedReleaseShown,
  withMinimistException,
} from '../support/browser-release.js';
import { gateRelease, lastState, useLocalWorld } from '../support/world.js';

describe('Browser: the evidence report in headless Chromium, JavaScript off (issue 9 §6)', () => {
  const world = useLocalWorld({
    tweak: withMinimistException,
    approvals: { decision: 'approve', by: 'alice@example.com' },
  });
  const browser = useHeadlessChromium();
  const dialogs = browser.dialogs;

  describe('when the report of a promoted release is opened', () => {
    it('shows evidence, diff, VEX-excepted findings, eval deltas, approvals, the timeline and what newly affects it, with injected markup as text', async () => {
      // Prepare: a promoted previous release, then one with the injected component.
      const w = world();
      const repository = 'demo/report';
      const previous = await buildPreviousRelease(w, repository);
      expect(lastState((await gateRelease(w, repository, previous.subject.tag)).exec)).toBe('Promoted');
      const current = await buildInjectedRelease(w, repository);
      const gated = await gateRelease(w, repository, current.subject.tag);
      expect(lastState(gated.exec)).toBe('Promoted');

      // An advisory that arrives after the promotion: a re-validation alert for the live release.
      const alerted = await w.gate.revalidate({
        kind: 'advisories',
        source: 'advisories/RG-TEST-2026-0005.json',
        advisories: [
          OsvRecordSchema.parse({
            id: 'RG-TEST-2026-0005',
            aliases: ['CVE-2026-40005'],
            database_specific: { severity: 'HIGH' },
            affected: [
              {
                package: { ecosystem: 'npm', name: 'undici' },
                ranges: [{ type: 'SEMVER', events: [{ introduced: '6.0.0' }, { fixed: '6.21.2' }] }],
              },
            ],
          }),
        ],
      });
      expect(alerted.newlyAffected.map((a) => a.digest)).toEqual([current.digest]);

      // Act
      const report = await buildReleaseReport(w.deps.gate, repository, current.digest, new Date());
      const file = join(w.dir, 'report.html');
      await writeFile(file, renderReportPage(report));
      const page = await browser.context().newPage();
      await page.goto(pathToFileURL(file).href);

      // Assess
      for (const id of [
        '#summary',
        '#newly-affected',
        '#evidence',
        '#diff',
        '#findings',
        '#eval',
        '#approvals',
        '#approval-trail',
        '#timeline',
        '#live',
      ]) {
        await expect(page.locator(id).isVisible(), id).resolves.toBe(true);
      }
      expect(await cells(page, '#evidence', 'signature')).toEqual(['signature', 'PASS', expect.any(String)]);
      await expectInjectedReleaseShown(page, dialogs);
      expect((await cells(page, '#approvals', 'alice@example.com')).slice(0, 2)).toEqual([
        'alice@example.com',
        'cli-local',
      ]);
      expect((await cells(page, '#approval-trail', 'decided')).slice(1, 4)).toEqual([
        'decided',
        'alice@example.com',
        'cli-local',
      ]);
      expect(await page.locator('#timeline').textContent()).toContain(`promoted to prod/${repository}:1.4.0`);
      expect((await cells(page, '#live', `prod/${repository}`)).slice(0, 2)).toEqual([`prod/${repository}`, '1.4.0']);
      expect((await cells(page, '#live', `prod/${repository}`))[3]).toBe('live now');
      await expect(page.locator('#newly-affected h3').textContent()).resolves.toBe(
        'RG-TEST-2026-0005 (CVE-2026-40005): HIGH',
      );
      expect(await cells(page, '#newly-affected', 'pkg:npm/undici@')).toEqual([
        expect.stringMatching(/^pkg:npm\/undici@6\.21\.1/),
        '6.21.1',
        'npm SEMVER >=6.0.0 <6.21.2',
        '6.21.2',
      ]);
      expect(await page.locator('#timeline').textContent()).toContain('newly affected by RG-TEST-2026-0005');
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
      await page.close();
    });
  });
});
