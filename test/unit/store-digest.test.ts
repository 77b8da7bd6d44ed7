import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { sha256Digest, sha256DigestToStore } from '../../lambdas/domain/oci.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { sha256 } from '../support/digest.js';
import { MemoryRegistry } from '../support/memory-registry.js';

// A document store keeps bytes a registry read verified a moment ago (the sbom step stores the
// SBOM or envelope it read: megabytes) without hashing them again; a digest counts only when this
// process hashed those very bytes into it, and a read still verifies what the store holds.

describe('Function: sha256DigestToStore', () => {
  it('gives the digest this process hashed these very bytes into, without hashing them again', () => {
    // Prepare
    const bytes = new TextEncoder().encode('an SBOM read from the registry');
    const digest = sha256Digest(bytes);
    // Written into after hashing, which nothing does: only a second hash would see it.
    bytes[0] = 0x41;

    // Act & Assess
    expect(sha256DigestToStore(bytes)).toBe(digest);
  });

  it('hashes bytes this process did not hash, a copy of hashed ones included', () => {
    // Prepare
    const bytes = new TextEncoder().encode('components.json, just written');
    const copy = new Uint8Array(bytes);
    sha256Digest(bytes);
    copy[0] = 0x41;

    // Act & Assess
    expect(sha256DigestToStore(new TextEncoder().encode('fresh'))).toBe(sha256(new TextEncoder().encode('fresh')));
    expect(sha256DigestToStore(copy)).toBe(sha256(copy));
  });
});

/** A blob pushed to a registry and read back (verified against its digest on the way). */
async function readFromRegistry(text: string): Promise<{ digest: Digest; read: Uint8Array }> {
  const registry = new MemoryRegistry();
  const blob = new TextEncoder().encode(text);
  const digest = sha256(blob);
  await registry.putBlob('team/app', digest, blob);
  return { digest, read: await registry.getBlob('team/app', digest, 1024) };
}

describe('Class: MemoryStore', () => {
  describe('when it keeps a blob the registry just verified', () => {
    it('stores it under the digest the read hashed it into, and a read of it verifies the bytes again', async () => {
      // Prepare
      const { digest, read } = await readFromRegistry('{"bomFormat":"CycloneDX"}');
      const store = new MemoryStore();

      // Act
      const stored = await store.put(read, 'application/json');
      read[0] = 0x5b; // after the put: the store holds its own copy
      const again = await store.get(stored);

      // Assess
      expect(stored).toBe(digest);
      expect(new TextDecoder().decode(again)).toBe('{"bomFormat":"CycloneDX"}');
    });

    it('fails closed on reading bytes that changed after the registry hashed them', async () => {
      // Prepare
      const { digest, read } = await readFromRegistry('{"bomFormat":"CycloneDX"}');
      const store = new MemoryStore();
      read[0] = 0x5b;

      // Act
      const stored = await store.put(read, 'application/json');

      // Assess: kept under the digest it was read with, and never read back as other content.
      expect(stored).toBe(digest);
      await expect(store.get(stored)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    });
  });
});
