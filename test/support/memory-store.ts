/**
 * The one in-memory store of the tests: the adapter `MemoryStore` (ReleaseStore + DocumentStore,
 * held to the adapter contracts), plus what tests need to play an attacker.
 */
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import type { Digest } from '../../lambdas/domain/types.js';

export class TestMemoryStore extends MemoryStore {
  /** Replaces stored bytes without changing their address, to simulate tampering. */
  public corrupt(digest: Digest, bytes: Uint8Array): void {
    this.documents.set(digest, new Uint8Array(bytes));
  }
}
