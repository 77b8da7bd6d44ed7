import { join } from 'node:path';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import type { DocumentStore, ReleaseStore } from '../../lambdas/domain/ports.js';
import { startStandIns } from './stand-ins.js';
import { isAlive, type LocalState, readLocalState } from './state.js';

/** The local stack's release store and document store. */
export interface LocalPorts {
  readonly store: ReleaseStore;
  readonly documents: DocumentStore;
}

/** The local stack's stores with its state, as the CLI commands in other terminals read and write them. */
export interface LocalStack extends LocalPorts {
  readonly state: LocalState;
}

/**
 * Runs `use` on the local stack's stores: the running gate's table and bucket, or, when no gate is
 * running, the stand-ins started on the persisted data of `workDir` (stopped afterwards).
 */
export function withLocalStore<T>(
  workDir: string,
  use: (store: ReleaseStore, state: LocalState) => Promise<T>,
): Promise<T> {
  return withLocalPorts(workDir, (ports, state) => use(ports.store, state));
}

/** Like `withLocalStore`, with the document store (S3 bucket) too. */
export async function withLocalPorts<T>(
  workDir: string,
  use: (ports: LocalPorts, state: LocalState) => Promise<T>,
): Promise<T> {
  const state = await readLocalState(workDir);
  if (state === null) throw new ConfigError(`no local gate data in ${workDir} (run \`npm start\` first)`);
  let stop = async () => {};
  let endpoints = { dynamodb: state.dynamoEndpoint, s3: state.s3Endpoint };
  let bucket = state.bucket;
  if (!isAlive(state.pid)) {
    const standIns = await startStandIns({ dataDir: join(workDir, 'data') });
    endpoints = { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint };
    bucket = standIns.bucket;
    stop = standIns.stop;
  }
  try {
    const clients = awsClients({ endpoints });
    return await use(
      {
        store: new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: state.tableName }),
        documents: new S3DocumentStore({ client: clients.s3, bucket }),
      },
      state,
    );
  } finally {
    await stop();
  }
}

/** Like `withLocalPorts`, with the ports and the state in one object. */
export function withLocalStack<T>(workDir: string, use: (stack: LocalStack) => Promise<T>): Promise<T> {
  return withLocalPorts(workDir, (ports, state) => use({ ...ports, state }));
}
