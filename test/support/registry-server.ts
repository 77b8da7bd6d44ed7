/**
 * Debian's `docker-registry` for tests: `useRegistryServer` starts one around a `describe`. The
 * launcher itself is in registry-process.ts.
 */
import { afterAll, beforeAll } from 'vitest';
import { type RegistryServer, startRegistryServer } from './registry-process.js';

export { type RegistryServer, startRegistryServer };

/**
 * Starts a docker-registry before the tests of the enclosing `describe` (then runs `onStart` with
 * it) and stops it after them; the returned function gives the running server.
 */
export function useRegistryServer(
  onStart: (server: RegistryServer) => Promise<void> = async () => {},
): () => RegistryServer {
  let server: RegistryServer | undefined;
  beforeAll(async () => {
    server = await startRegistryServer();
    await onStart(server);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('the registry server is not started (use it inside a test)');
    return server;
  };
}
