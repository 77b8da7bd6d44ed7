import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { StoreError } from '../../lambdas/domain/errors.js';
import { sha256 } from '../support/digest.js';
import { FaultPlan, isInjectedCrash } from '../support/faults.js';

describe('Class: FaultPlan (crash injection of the crash-and-retry suite)', () => {
  describe('when the wrapped adapter is read and written', () => {
    it('counts the writes only, in order, and leaves reads alone', async () => {
      // Prepare
      const plan = new FaultPlan();
      const documents = plan.wrap('documents', new MemoryStore());

      // Act
      const digest = await documents.put(new TextEncoder().encode('{}'), 'application/json');
      await documents.get(digest);
      await documents.put(new TextEncoder().encode('[]'), 'application/json');

      // Assess
      expect(plan.calls).toEqual([
        { port: 'documents', method: 'put' },
        { port: 'documents', method: 'put' },
      ]);
    });
  });

  describe('when told to crash after the second write', () => {
    it('lets that write land, then throws the port error the ASL retries, once', async () => {
      // Prepare
      const store = new MemoryStore();
      const plan = new FaultPlan(2);
      const documents = plan.wrap('documents', store);
      await documents.put(new TextEncoder().encode('"first"'), 'application/json');

      // Act
      const crashed = await documents.put(new TextEncoder().encode('"second"'), 'application/json').catch((e) => e);
      const after = await documents.put(new TextEncoder().encode('"third"'), 'application/json');

      // Assess
      expect(crashed).toBeInstanceOf(StoreError);
      expect(isInjectedCrash(crashed)).toBe(true);
      expect(plan.crashed).toEqual({ port: 'documents', method: 'put' });
      expect(new TextDecoder().decode(await store.get(sha256('"second"')))).toBe('"second"');
      expect(after).toMatch(/^sha256:/);
    });
  });
});
