/**
 * The approval page in a real browser (issue 8 §7): Debian's headless Chromium, driven by
 * playwright-core, with JavaScript disabled, against the embedded stack's approval server. The
 * approver opens their link from the `.eml` in the outbox, sees the dependency diff, findings and
 * eval deltas against the promoted previous release, and decides with the page's own buttons.
 * A component name carrying markup stays text. The screenshot lands in test/.screenshots/.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cells, SCREENSHOTS, useHeadlessChromium } from '../support/browser.js';
import {
  buildInjectedRelease,
  buildPreviousRelease,
  expectInjectedReleaseShown,
  withMinimistException,
} from '../support/browser-release.js';
import { answerLink, type LocalWorld, lastState, useLocalWorld } from '../support/world.js';

/**
 * The approval id of the approval request for the execution `name`; fails at once, with the
 * release's reasons, when the execution ends without asking.
 */
async function approvalOf(w: LocalWorld, repository: string, name: string | null): Promise<string> {
  const asked = new Promise<string>((resolve) => {
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(String(e.detail.approvalId));
    });
  });
  const ended = w.gate.waitForExecution(name ?? '').then(async (exec) => {
    const releases = await w.deps.gate.store.listReleases();
    const reasons = releases.filter((r) => r.repository === repository).flatMap((r) => r.outcomeReasons ?? []);
    throw new Error(`${repository} ended (${lastState(exec)}) without asking for approval: ${reasons.join('; ')}`);
  });
  return Promise.race([asked, ended]);
}

/** The link in the text part of the `.eml` the outbox holds for `approver`, as a mail client shows it. */
async function linkFromEml(w: LocalWorld, approvalId: string, approver: string): Promise<string> {
  const files = (await readdir(w.gate.outboxDir)).filter((f) => f.startsWith(approvalId) && f.endsWith('.eml'));
  for (const file of files) {
    const mail = await simpleParser(await readFile(join(w.gate.outboxDir, file)));
    if (!JSON.stringify(mail.to).includes(approver)) continue;
    const link = /https?:\/\/\S+\?t=[A-Za-z0-9_.-]+/.exec(mail.text ?? '')?.[0];
    if (link !== undefined) return link;
  }
  throw new Error(`no .eml with a link for ${approver} in ${w.gate.outboxDir}`);
}

/** Pushes a release with a promoted previous version and the injected component; waits for its approval request. */
async function pendingRelease(w: LocalWorld, repository: string) {
  const previous = await buildPreviousRelease(w, repository);
  const baseline = await w.gate.push(repository, previous.subject.tag);
  const baselineAsked = await approvalOf(w, repository, baseline.executionName);
  const baselineLink = await linkFromEml(w, baselineAsked, 'alice@example.com');
  expect((await answerLink(baselineLink, 'approve')).status).toBe(200);
  expect(lastState(await w.gate.waitForExecution(baseline.executionName ?? ''))).toBe('Promoted');

  const current = await buildInjectedRelease(w, repository);
  const pushed = await w.gate.push(repository, current.subject.tag);
  const approvalId = await approvalOf(w, repository, pushed.executionName);
  return {
    digest: current.digest,
    approvalId,
    link: await linkFromEml(w, approvalId, 'bob@example.com'),
    finished: w.gate.waitForExecution(pushed.executionName ?? ''),
  };
}

describe('Browser: the approval page in headless Chromium, JavaScript off (issue 8)', () => {
  const world = useLocalWorld({ tweak: withMinimistException });
  const browser = useHeadlessChromium();
  const dialogs = browser.dialogs;

  const open = async (link: string): Promise<Page> => {
    const page = await browser.context().newPage();
    page.on('dialog', (d) => dialogs.push(d.message()));
    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    return page;
  };

  describe('when an approver opens their link from the .eml and presses Approve', () => {
    it('shows the diff, findings and eval deltas, keeps injected markup as text, and promotes the release', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/browser-approved';
      const release = await pendingRelease(w, repository);
      const page = await open(release.link);

      // Assess: what the approver sees
      for (const id of ['#diff', '#findings', '#eval', '#summary', '#quorum']) {
        await expect(page.locator(id).isVisible(), id).resolves.toBe(true);
      }
      expect(await cells(page, '#diff', 'express')).toEqual(['express', '4.21.1', '4.21.2']);
      expect(await cells(page, '#diff', 'node-fetch')).toEqual(['node-fetch', '2.7.0', 'MIT']);
      expect(await cells(page, '#diff', 'argparse')).toEqual(['argparse', '2.0.1', 'Python-2.0']);
      await expectInjectedReleaseShown(page, dialogs);
      expect(await cells(page, '#summary', 'Source')).toEqual(['https://github.com/acme/mangaassist@refs/heads/main']);
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'approval-page.png'), fullPage: true });

      // Act
      await Promise.all([page.waitForURL(/approvals/), page.locator('#approve').click()]);

      // Assess
      expect(await page.locator('h1').textContent()).toBe('Release approved');
      expect(lastState(await release.finished)).toBe('Promoted');
      expect((await w.deps.gate.store.getRelease(repository, release.digest))?.outcome).toBe('PROMOTED');
      await page.close();
    });
  });

  describe('when an approver rejects', () => {
    it('refuses a reject without a reason (the browser will not send it, the server answers 400) and accepts one with a reason', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/browser-rejected';
      const release = await pendingRelease(w, repository);
      const page = await open(release.link);

      // Act: the empty reason field is `required`, so the browser does not submit the form.
      await page.locator('#reject').click();

      // Assess
      expect(page.url()).toBe(release.link);
      await expect(page.locator('#reject-form textarea:invalid').count()).resolves.toBe(1);
      // A client that skips the browser's check is refused by the server, and the link stays usable.
      const bare = await answerLink(release.link, 'reject', { comment: ' ' });
      expect(bare.status).toBe(400);
      expect(await bare.text()).toContain('a reject needs a reason');
      expect((await w.deps.gate.store.getApproval(release.approvalId))?.state).toBe('PENDING');

      // Act
      await page.locator('#reject-form textarea').fill('the new license needs legal review');
      await Promise.all([page.waitForURL(/approvals/), page.locator('#reject').click()]);

      // Assess
      expect(await page.locator('h1').textContent()).toBe('Release rejected');
      expect(lastState(await release.finished)).toBe('Quarantined');
      const approval = await w.deps.gate.store.getApproval(release.approvalId);
      expect(approval).toMatchObject({ state: 'REJECTED', comment: 'the new license needs legal review' });
      await page.close();
    });
  });
});
