/**
 * The registry port's one contract (`test/support/contracts/registry.contract.ts`) against every
 * adapter that has a stand-in, and against the fake the unit tests use: an OCI image layout in a
 * temporary directory, the Distribution API client against Debian's docker-registry 2.8 (no
 * referrers API, so the adapter keeps the referrers tag schema), and MemoryRegistry. EcrRegistry
 * has no stand-in; its own tests mock the ECR API.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { describeRegistryContract } from '../support/contracts/registry.contract.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { type RegistryServer, startRegistryServer } from '../support/registry-server.js';

describeRegistryContract('OciLayoutRegistry', async () => {
  const root = await mkdtemp(join(tmpdir(), 'layout-contract-'));
  return {
    registry: new OciLayoutRegistry({ root }),
    tamper: (repository, digest, bytes) =>
      writeFile(join(root, ...repository.split('/'), 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let server: RegistryServer;

beforeAll(async () => {
  server = await startRegistryServer();
});

afterAll(async () => {
  await server?.stop();
});

// One server for every case: the contract gives each case its own repositories.
describeRegistryContract(
  'DistributionRegistry on docker-registry 2.8',
  async () => ({
    registry: new DistributionRegistry({ baseUrl: server.url }),
    tamper: (_repository, digest, bytes) => writeFile(server.blobPath(digest), bytes),
    cleanup: async () => undefined,
  }),
  { referrersTagSchema: true },
);

describeRegistryContract('MemoryRegistry', async () => {
  const registry = new MemoryRegistry();
  return {
    registry,
    tamper: async (repository, digest, bytes) => registry.corrupt(repository, digest, bytes),
    cleanup: async () => undefined,
  };
});
