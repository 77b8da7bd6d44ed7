/**
 * Runs Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 with filesystem storage in
 * a temporary directory. The binary is found on PATH; a missing one is an error, not a skip (the
 * vitest globalSetup installs it, or fails at once with the command to run). Free of vitest, so the
 * benchmark starts it too; tests use `useRegistryServer` (registry-server.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './debian-tools.js';

export interface RegistryServer {
  /** e.g. `http://127.0.0.1:43127` */
  readonly url: string;
  /** e.g. `127.0.0.1:43127` (for `docker://` references) */
  readonly host: string;
  /**
   * Where the registry keeps a blob's bytes on disk (filesystem driver layout), so a test can
   * corrupt stored content in place.
   */
  blobPath(digest: string): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    } else {
      child.once('exit', () => resolve());
    }
  });
}

export async function startRegistryServer(): Promise<RegistryServer> {
  const binary = requireTool('docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const storage = join(dir, 'data');
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '',
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);

  const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const blobPath = (digest: string): string => {
    const hex = digest.slice(digest.indexOf(':') + 1);
    return join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  };

  const url = `http://${host}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited before it was ready: ${spawnError?.message ?? ''} ${stderr}`.trim());
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) {
        return { url, host, blobPath, stop };
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer GET /v2/ within ${READY_TIMEOUT_MS} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
