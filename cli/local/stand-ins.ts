/**
 * The local stand-ins for DynamoDB (dynalite) and S3 (s3rver), on 127.0.0.1 with ephemeral ports.
 * The real AWS SDK clients talk to them through endpoint configuration (`awsClients`).
 * Known gaps and traps: ../shared/notes/local-stand-ins.md (no transactions in dynalite; no
 * checksums, versioning or Object Lock in s3rver; ListObjectsV2 paging needs a legacy OpenSSL
 * cipher, so nothing here lists objects).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';
import { sdkErrorName, sdkHttpStatus } from '../../lambdas/adapters/store/errors.js';
import { createTableInput } from '../../lambdas/adapters/store/table-schema.js';

// dynalite and s3rver are CommonJS without type declarations; these describe the parts we use.
interface DynaliteOptions {
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
  readonly path?: string;
}
type DynaliteFactory = (options: DynaliteOptions) => Server;

interface S3rverOptions {
  readonly address: string;
  readonly port: number;
  readonly silent: boolean;
  readonly directory: string;
  readonly configureBuckets: readonly { name: string }[];
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

const require = createRequire(import.meta.url);

export const DEFAULT_TABLE_NAME = 'release-gate';
export const DEFAULT_BUCKET = 'release-gate-evidence';
const HOST = '127.0.0.1';

export interface StandInsOptions {
  /**
   * Directory for persistent state (`<dataDir>/dynamo` LevelDB, `<dataDir>/s3` objects).
   * @default - DynamoDB in memory and S3 in a temporary directory, both gone after `stop()`
   */
  readonly dataDir?: string;
  /** @default DEFAULT_TABLE_NAME */
  readonly tableName?: string;
  /** @default DEFAULT_BUCKET */
  readonly bucket?: string;
}

export interface StandIns {
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly tableName: string;
  readonly bucket: string;
  /** Closes both servers and removes the temporary S3 directory (never `dataDir`). */
  stop(): Promise<void>;
}

/** Starts dynalite and s3rver, and creates the table and the bucket when they are absent. */
export async function startStandIns(opts: StandInsOptions = {}): Promise<StandIns> {
  const tableName = opts.tableName ?? DEFAULT_TABLE_NAME;
  const bucket = opts.bucket ?? DEFAULT_BUCKET;
  const dynalite: DynaliteFactory = require('dynalite');
  const S3rver: S3rverConstructor = require('s3rver');

  let s3Directory: string;
  let temporaryDirectory: string | undefined;
  let dynamoPath: string | undefined;
  if (opts.dataDir === undefined) {
    temporaryDirectory = await mkdtemp(join(tmpdir(), 'release-gate-s3-'));
    s3Directory = temporaryDirectory;
  } else {
    dynamoPath = join(opts.dataDir, 'dynamo');
    s3Directory = join(opts.dataDir, 's3');
    await mkdir(dynamoPath, { recursive: true });
    await mkdir(s3Directory, { recursive: true });
  }

  const dynamoServer = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dynamoPath === undefined ? {} : { path: dynamoPath }),
  });
  const s3Server = new S3rver({
    address: HOST,
    port: 0,
    silent: true,
    directory: s3Directory,
    configureBuckets: [{ name: bucket }],
  });

  let dynamoListening = false;
  let s3Running = false;
  const stop = async (): Promise<void> => {
    const closing: Promise<unknown>[] = [];
    if (dynamoListening) {
      dynamoListening = false;
      closing.push(closeServer(dynamoServer));
    }
    if (s3Running) {
      s3Running = false;
      closing.push(s3Server.close());
    }
    const results = await Promise.allSettled(closing);
    if (temporaryDirectory !== undefined) await rm(temporaryDirectory, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw new Error('stopping the local stand-ins failed', { cause: failed.reason });
  };

  try {
    const dynamoPort = await listen(dynamoServer);
    dynamoListening = true;
    const s3Address = await s3Server.run();
    s3Running = true;
    const dynamoEndpoint = `http://${HOST}:${dynamoPort}`;
    const s3Endpoint = `http://${HOST}:${s3Address.port}`;
    const clients = awsClients({ endpoints: { dynamodb: dynamoEndpoint, s3: s3Endpoint } });
    try {
      await ensureTableAndBucket(clients, tableName, bucket);
    } finally {
      clients.dynamodb.destroy();
      clients.s3.destroy();
    }
    return { dynamoEndpoint, s3Endpoint, tableName, bucket, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Creates the evidence table (`createTableInput`) and the bucket when absent, and waits until the
 * table is ACTIVE. Safe to run again against existing resources.
 */
export async function ensureTableAndBucket(
  clients: Pick<AwsClients, 'dynamodb' | 's3'>,
  tableName: string,
  bucket: string,
): Promise<void> {
  if ((await tableStatus(clients, tableName)) === undefined) {
    try {
      await clients.dynamodb.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (err) {
      if (sdkErrorName(err) !== 'ResourceInUseException') throw err;
    }
  }
  for (let attempt = 0; (await tableStatus(clients, tableName)) !== 'ACTIVE'; attempt++) {
    if (attempt >= 50) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (sdkHttpStatus(err) !== 404) throw err;
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (createErr) {
      if (sdkErrorName(createErr) !== 'BucketAlreadyOwnedByYou') throw createErr;
    }
  }
}

async function tableStatus(clients: Pick<AwsClients, 'dynamodb'>, tableName: string): Promise<string | undefined> {
  try {
    const out = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? 'UNKNOWN';
  } catch (err) {
    if (sdkErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('dynalite did not report a TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err?: Error | null) => (err ? reject(err) : resolve()));
    // Keep-alive sockets of SDK clients would otherwise hold the server open.
    server.closeIdleConnections();
  });
}
