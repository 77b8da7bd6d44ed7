/**
 * The AdvisoryIndex contract (osv/advisory-index.ts): one suite every adapter runs
 * (DynamoAdvisoryIndex on dynalite, MemoryAdvisoryIndex). What readers rely on: an object's ETag
 * is the last one indexed, and the match keys of every version indexed stay findable under that
 * version's ETag, whichever order concurrent writers finished in.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdvisoryIndex } from '../../../lambdas/domain/osv/advisory-index.js';

const NPM_UNDICI = 'npm\u0000undici';
const NPM_LODASH = 'npm\u0000lodash';
const DEBIAN_OPENSSL = 'debian\u0000openssl';

export function describeAdvisoryIndexContract(name: string, makeIndex: () => Promise<AdvisoryIndex>): void {
  describe(`Contract: AdvisoryIndex (${name})`, () => {
    let index: AdvisoryIndex;

    beforeEach(async () => {
      index = await makeIndex();
    });

    describe('when nothing is indexed', () => {
      it('holds no ETag and names nothing', async () => {
        // Act & Assess
        expect(await index.indexedETags()).toEqual(new Map());
        expect(await index.naming([NPM_UNDICI])).toEqual([]);
      });
    });

    describe('Method: index', () => {
      it('records the ETag and finds the object under each of its match keys only', async () => {
        // Prepare & Act
        await index.index('advisories/npm/A.json', 'e-a', [NPM_UNDICI, NPM_LODASH]);
        await index.index('advisories/deb/B.json', 'e-b', [DEBIAN_OPENSSL]);
        await index.index('advisories/W.json', 'e-w', []);

        // Assess
        expect(await index.indexedETags()).toEqual(
          new Map([
            ['advisories/npm/A.json', 'e-a'],
            ['advisories/deb/B.json', 'e-b'],
            ['advisories/W.json', 'e-w'],
          ]),
        );
        expect(await index.naming([NPM_LODASH])).toEqual([{ key: 'advisories/npm/A.json', etag: 'e-a' }]);
        expect(sorted(await index.naming([NPM_UNDICI, DEBIAN_OPENSSL, NPM_LODASH]))).toEqual([
          { key: 'advisories/deb/B.json', etag: 'e-b' },
          { key: 'advisories/npm/A.json', etag: 'e-a' },
        ]);
        expect(await index.naming(['pypi\u0000requests'])).toEqual([]);
      });

      it('is safe to repeat', async () => {
        // Prepare & Act
        await index.index('advisories/npm/A.json', 'e-a', [NPM_UNDICI]);
        await index.index('advisories/npm/A.json', 'e-a', [NPM_UNDICI]);

        // Assess
        expect(await index.naming([NPM_UNDICI])).toEqual([{ key: 'advisories/npm/A.json', etag: 'e-a' }]);
        expect((await index.indexedETags()).size).toBe(1);
      });

      describe('when an object is indexed again at a new ETag', () => {
        it('holds the new ETag, and each version under its own keys at its own ETag', async () => {
          // Prepare & Act: the record moved from undici to lodash.
          await index.index('advisories/npm/A.json', 'v1', [NPM_UNDICI]);
          await index.index('advisories/npm/A.json', 'v2', [NPM_LODASH]);

          // Assess
          expect((await index.indexedETags()).get('advisories/npm/A.json')).toBe('v2');
          expect(await index.naming([NPM_LODASH])).toEqual([{ key: 'advisories/npm/A.json', etag: 'v2' }]);
          expect(await index.naming([NPM_UNDICI])).toEqual([{ key: 'advisories/npm/A.json', etag: 'v1' }]);
        });
      });

      describe('when a writer of an older version finishes after the writer of a newer one', () => {
        it('still finds the newer version under its keys', async () => {
          // Prepare & Act
          await index.index('advisories/npm/A.json', 'v2', [NPM_UNDICI]);
          await index.index('advisories/npm/A.json', 'v1', [NPM_UNDICI]);

          // Assess: a reader listing v2 finds v2 named (or, as here, reads it as not indexed at v2).
          expect(sorted(await index.naming([NPM_UNDICI]))).toEqual([
            { key: 'advisories/npm/A.json', etag: 'v1' },
            { key: 'advisories/npm/A.json', etag: 'v2' },
          ]);
        });
      });

      describe('when many objects are indexed at once', () => {
        it('keeps every ETag (concurrent writers do not clobber each other)', async () => {
          // Prepare
          const keys = Array.from({ length: 300 }, (_, i) => `advisories/npm/GHSA-${String(i).padStart(4, '0')}.json`);

          // Act
          await Promise.all(keys.map((key, i) => index.index(key, `e${i}`, [NPM_UNDICI])));

          // Assess
          const etags = await index.indexedETags();
          expect(etags.size).toBe(300);
          expect(etags.get(keys[299] ?? '')).toBe('e299');
          expect((await index.naming([NPM_UNDICI])).length).toBe(300);
        });
      });

      describe('when a match key or an object key is long or unusual', () => {
        it('finds it all the same', async () => {
          // Prepare
          const long = `maven\u0000${'org.example:'.repeat(200)}lib`;
          const key = `advisories/${'x'.repeat(1000)}.json`;

          // Act
          await index.index(key, 'e', [long, 'pypi\u0000zope-interface', 'rubygems\u0000ñ#%']);

          // Assess
          expect(await index.naming([long])).toEqual([{ key, etag: 'e' }]);
          expect(await index.naming(['rubygems\u0000ñ#%'])).toEqual([{ key, etag: 'e' }]);
          expect((await index.indexedETags()).get(key)).toBe('e');
        });
      });
    });
  });
}

const sorted = (entries: readonly { key: string; etag: string }[]) =>
  [...entries].sort((a, b) => `${a.key} ${a.etag}`.localeCompare(`${b.key} ${b.etag}`));
