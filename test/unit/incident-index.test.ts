import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEFAULT_NPM_PACKAGES, demoPolicy, type ScenarioTarget } from '../../cli/fixtures/scenarios.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { NotFoundError, StoreError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import type { ScanFindingsSource } from '../../lambdas/domain/ports.js';
import type { IndexEntryWrite, IndexNode } from '../../lambdas/domain/records.js';
import { collectEvidence } from '../../lambdas/domain/workflow/collect-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const keys = await generateFixtureKeys();
const POLICY = loadPolicy(new TextEncoder().encode(JSON.stringify(demoPolicy(keys))));
const noScans: ScanFindingsSource = {
  getFindings: async () => {
    throw new NotFoundError('no scan');
  },
};

/** A store whose package index fails `failures` times with `error`, then works. */
class FlakyIndexStore extends MemoryStore {
  public constructor(
    private failures: number,
    private readonly error: () => Error,
  ) {
    super();
  }
  public override async writeIndexEntries(node: IndexNode, entries: readonly IndexEntryWrite[]) {
    if (this.failures > 0) {
      this.failures--;
      throw this.error();
    }
    return super.writeIndexEntries(node, entries);
  }
}

async function setup(scenario: Partial<ScenarioTarget>, store: MemoryStore = new MemoryStore()) {
  const registry = new MemoryRegistry();
  const image = await buildScenarioImage(
    registry,
    { repository: 'demo/index', tag: '1.0.0', npmPackages: DEFAULT_NPM_PACKAGES, ...scenario },
    keys,
  );
  const deps = {
    registry,
    policy: POLICY,
    store,
    documents: store,
    scans: noScans,
    clock: { now: () => new Date('2026-12-06T10:00:00Z') },
  };
  const request = { repository: 'demo/index', digest: image.digest, stage: 'production', kind: 'sbom' as const };
  return { deps, store, request, image };
}

describe('Function: collectEvidence, the package index (red-team finding 3)', () => {
  describe('when a component purl is too long for the package index', () => {
    it('fails the SBOM evidence with the reason and indexes nothing, instead of losing the release from triage', async () => {
      // Prepare
      const huge = { name: 'x'.repeat(Limits.indexedPurlBytes + 1), version: '1.0.0' };
      const { deps, store, request } = await setup({ npmPackages: [...DEFAULT_NPM_PACKAGES, huge] });

      // Act
      const summary = await collectEvidence(deps, request);

      // Assess
      expect(summary.status).toBe('FAIL');
      expect(summary.reasons[0]).toContain('the incident index could not be written');
      expect(summary.reasons[0]).toContain('too long for the package index');
      expect((await store.getEvidence(request.repository, request.digest, 'sbom'))?.status).toBe('FAIL');
      expect(await store.findByPackage('pkg:npm/express')).toEqual([]);
    });
  });

  describe('when the index write fails transiently', () => {
    it('stores no evidence, so the retry collects and indexes again', async () => {
      // Prepare
      const store = new FlakyIndexStore(1, () => new StoreError('DynamoDB throttled'));
      const { deps, request } = await setup({}, store);

      // Act
      const first = collectEvidence(deps, request);
      await expect(first).rejects.toThrowWithCode(StoreError, 'STORE_ERROR');
      const stored = await store.getEvidence(request.repository, request.digest, 'sbom');
      const retry = await collectEvidence(deps, request);

      // Assess
      expect(stored).toBeNull();
      expect(retry.status).toBe('PASS');
      expect((await store.findByPackage('pkg:npm/express')).map((e) => e.digest)).toEqual([request.digest]);
    });
  });

  describe('when the image carries SBOMs that disagree', () => {
    it('fails the SBOM evidence but indexes the union of the inventories, so triage still finds the release', async () => {
      // Prepare
      const extra = { name: 'sneaky-extra', version: '6.6.6' };
      const { deps, store, request } = await setup({ unsignedSbomPackages: [...DEFAULT_NPM_PACKAGES, extra] });

      // Act
      const summary = await collectEvidence(deps, request);

      // Assess
      expect(summary.status).toBe('FAIL');
      expect(summary.reasons[0]).toContain('SBOMs that disagree');
      expect((await store.findByPackage('pkg:npm/express')).map((e) => e.digest)).toEqual([request.digest]);
      expect((await store.findByPackage('pkg:npm/sneaky-extra')).map((e) => e.digest)).toEqual([request.digest]);
    });
  });

  describe('when a distribution package names its source package', () => {
    it('indexes it under the source package too, pointing to the binary', async () => {
      // Prepare
      const { deps, store, request } = await setup({
        debPackages: [{ name: 'libssl3', version: '3.0.15-1~deb12u1', upstream: 'openssl' }],
      });

      // Act
      const summary = await collectEvidence(deps, request);

      // Assess
      expect(summary.status).toBe('PASS');
      const entries = await store.findByPackage('pkg:deb/debian/openssl');
      expect(entries.map(({ set: _set, seq: _seq, ...entry }) => entry)).toEqual([
        {
          version: '3.0.15-1~deb12u1',
          repository: request.repository,
          digest: request.digest,
          components: ['pkg:deb/debian/libssl3@3.0.15-1~deb12u1?distro=debian-12&upstream=openssl'],
        },
      ]);
    });
  });

  describe('when the SBOM evidence carries its documents', () => {
    it('stores them before it builds the index, so that the raw SBOM is not held meanwhile, and records every one', async () => {
      // Prepare
      const calls: string[] = [];
      class OrderStore extends MemoryStore {
        public override async put(bytes: Uint8Array, mediaType: string) {
          calls.push(`put ${mediaType}`);
          return super.put(bytes, mediaType);
        }
        public override async startIndexNode(...args: Parameters<MemoryStore['startIndexNode']>) {
          calls.push('index');
          return super.startIndexNode(...args);
        }
      }
      const { deps, store, request } = await setup({}, new OrderStore());

      // Act
      const summary = await collectEvidence(deps, request);

      // Assess
      expect(summary.status).toBe('PASS');
      const stored = await store.getEvidence(request.repository, request.digest, 'sbom');
      const names = stored?.documents.map((d) => d.name) ?? [];
      expect(names).toContain('components.json');
      expect(names.length).toBeGreaterThan(1);
      const lastDocument = Math.max(...(stored?.documents ?? []).map((d) => calls.indexOf(`put ${d.mediaType}`)));
      expect(lastDocument).toBeGreaterThanOrEqual(0);
      expect(lastDocument).toBeLessThan(calls.indexOf('index'));
    });
  });

  describe('when every component can be indexed', () => {
    it('indexes each package under its version before the evidence is stored', async () => {
      // Prepare
      const { deps, store, request } = await setup({});

      // Act
      const summary = await collectEvidence(deps, request);

      // Assess
      expect(summary.status).toBe('PASS');
      const express = await store.findByPackage('pkg:npm/express');
      expect(express).toEqual([expect.objectContaining({ version: '4.21.2', digest: request.digest })]);
    });
  });
});
