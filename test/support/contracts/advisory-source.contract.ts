/**
 * The AdvisorySource contract (osv/advisory-index.ts): one suite for the advisories folder
 * (`folderAdvisorySource`, the embedded stack's) and the bucket's `advisories/` prefix read
 * through the advisory index (`S3Advisories.sourceWith`, ops-write's). Either may give more
 * records than affect the components; neither may give fewer, however far its index lags.
 *
 * `write` adds or replaces a record the way an operator does (the index does not know yet);
 * `settle` brings the index up to date (the daily reconcile; nothing for the folder).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.js';
import type { AdvisorySource } from '../../../lambdas/domain/osv/advisory-index.js';
import { scanComponents } from '../../../lambdas/domain/scan/local-scanner.js';

import { advisoryBelow as advisory, ADVISORY_TARGET as TARGET } from '../advisory-records.js';
export interface AdvisorySourceFixture {
  readonly source: AdvisorySource;
  write(name: string, body: string): Promise<void>;
  remove(name: string): Promise<void>;
  settle(): Promise<void>;
}

export function describeAdvisorySourceContract(name: string, makeFixture: () => Promise<AdvisorySourceFixture>): void {
  describe(`Contract: AdvisorySource (${name})`, () => {
    let fixture: AdvisorySourceFixture;
    const findings = async () =>
      scanComponents(TARGET, await fixture.source(TARGET))
        .findings.map((f) => f.id)
        .sort();

    beforeEach(async () => {
      fixture = await makeFixture();
      await fixture.write('npm/RG-UNDICI.json', advisory('RG-UNDICI', 'npm', 'undici', '6.21.2'));
      await fixture.write('debian/RG-OPENSSL.json', advisory('RG-OPENSSL', 'Debian:12', 'openssl', '3.0.15-1~deb12u1'));
      await fixture.write('npm/RG-LEFTPAD.json', advisory('RG-LEFTPAD', 'npm', 'left-pad', '1.3.1'));
      await fixture.settle();
    });

    it('gives every record that affects the components (by binary or source package)', async () => {
      // Act & Assess
      expect(await findings()).toEqual(['RG-OPENSSL', 'RG-UNDICI']);
    });

    describe('when a record was written since the index was brought up to date', () => {
      it('gives it all the same', async () => {
        // Prepare
        await fixture.write('npm/RG-UNDICI-2.json', advisory('RG-UNDICI-2', 'npm', 'undici', '7.0.0'));

        // Act & Assess
        expect(await findings()).toEqual(['RG-OPENSSL', 'RG-UNDICI', 'RG-UNDICI-2']);
      });
    });

    describe('when a record was changed since it was indexed, to name a package of the components', () => {
      it('gives it in its new form', async () => {
        // Prepare
        await fixture.write('npm/RG-LEFTPAD.json', advisory('RG-LEFTPAD', 'npm', 'undici', '7.0.0'));

        // Act & Assess
        expect(await findings()).toEqual(['RG-LEFTPAD', 'RG-OPENSSL', 'RG-UNDICI']);
      });
    });

    describe('when a record was removed', () => {
      it('no longer gives it', async () => {
        // Prepare
        await fixture.remove('npm/RG-UNDICI.json');

        // Act & Assess
        expect(await findings()).toEqual(['RG-OPENSSL']);
      });
    });

    describe('when a record does not parse', () => {
      it('refuses (a rollback judged without it would be judged on less)', async () => {
        // Prepare
        await fixture.write('npm/RG-BAD.json', '{"id": "RG-BAD", "affected": [{"ranges": [{"type": "SEMVER"}]}]}');
        await fixture.settle();

        // Act & Assess
        await expect(fixture.source(TARGET)).rejects.toThrow(InvalidInputError);
      });
    });
  });
}
