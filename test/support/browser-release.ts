/**
 * The release the browser tests show: a previous release of GOOD_PREVIOUS, then 1.4.0 with minimist
 * 1.2.5 (CRITICAL, excepted by VEX in `withMinimistException`), a component whose name and license
 * carry markup, and eval metrics that moved against the previous release.
 */

import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { evalMetrics, GOOD_NPM_PACKAGES, GOOD_PREVIOUS, withPackage } from '../../cli/fixtures/scenarios.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { cells } from './browser.js';
import type { LocalWorld } from './world.js';

export const INJECTED_NAME = '"><img src=x onerror=alert(1)><script>alert(1)</script>';
export const INJECTED_LICENSE = '<b id="pwned">GPL</b>';

/** minimist 1.2.5 is CRITICAL (CVE-2021-44906); the policy excepts it by VEX, so it shows as excepted. */
export const VEX_OWNER = 'security@acme.example';
export const withMinimistException = (policy: PolicyDocument): PolicyDocument => ({
  ...policy,
  rules: policy.rules.map((rule) => ({
    ...rule,
    scan: {
      ...rule.scan,
      vex: {
        maxAgeDays: 90,
        trustedAuthors: [],
        exceptions: [
          {
            vulnerability: 'CVE-2021-44906',
            aliases: ['GHSA-xvch-5gv4-984h'],
            products: ['pkg:npm/minimist@1.2.5'],
            subcomponents: [],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
            author: VEX_OWNER,
            issued: '2026-01-01T00:00:00Z',
            expires: '2099-01-01T00:00:00Z',
          },
        ],
      },
    },
  })),
});

/** Builds the previous release into the world's registry (push and gate it before the current one). */
export function buildPreviousRelease(w: LocalWorld, repository: string) {
  return buildScenarioImage(w.registry, { ...GOOD_PREVIOUS, repository }, w.keys);
}

/** Builds 1.4.0 with the excepted finding, the injected component and the moved metrics. */
export function buildInjectedRelease(w: LocalWorld, repository: string) {
  return buildScenarioImage(
    w.registry,
    {
      repository,
      tag: '1.4.0',
      npmPackages: withPackage(withPackage(GOOD_NPM_PACKAGES, { name: 'minimist', version: '1.2.5' }), {
        name: INJECTED_NAME,
        version: '1.0.0',
        license: INJECTED_LICENSE,
      }),
      evalMetrics: evalMetrics(0.81, 0.002),
    },
    w.keys,
  );
}

/**
 * What a page about the injected release shows (the approval page and the evidence report alike):
 * the injected component as text, the VEX-excepted finding with its owner, the eval deltas; and
 * that the markup created no element and ran nothing.
 */
export async function expectInjectedReleaseShown(page: Page, dialogs: readonly string[]): Promise<void> {
  expect(await cells(page, '#diff', 'onerror')).toEqual([INJECTED_NAME, '1.0.0', INJECTED_LICENSE]);
  expect(await page.locator('#diff li').allTextContents()).toEqual([INJECTED_LICENSE, 'Python-2.0']);
  const excepted = await cells(page, '#findings', 'minimist');
  expect(excepted.slice(1, 3)).toEqual(['CRITICAL', 'minimist@1.2.5']);
  expect(excepted.slice(4)).toEqual([VEX_OWNER, 'vulnerable_code_not_in_execute_path', '2099-01-01T00:00:00.000Z']);
  expect(await cells(page, '#eval', 'recommendation_precision_at_5')).toEqual([
    'recommendation_precision_at_5',
    '0.81',
    '0.79',
    '+0.02',
    '≥ 0.75',
  ]);
  expect(await cells(page, '#eval', 'guardrail_violation_rate')).toEqual([
    'guardrail_violation_rate',
    '0.002',
    '0.004',
    '-0.002',
    '≤ 0.01',
  ]);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(0);
  expect(await page.locator('#pwned').count()).toBe(0);
  expect(dialogs).toEqual([]);
}
