import { join } from 'node:path';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import type { DocumentStore, ReleaseStore } from '../../lambdas/domain/ports.js';
import { startStandIns } from './stand-ins.js';
import { isAlive, type LocalState, readLocalState } from './state.js';

/** The local stack's stores, as the CLI commands in other terminals read and write them. */
export interface LocalStack {
  readonly store: ReleaseStore;
  readonly documents: DocumentStore;
  readonly state: LocalState;
}

/**
 * Runs `use` on the local stack's stores: the running gate's table and bucket, or, when no gate is
 * running, the stand-ins started on the persisted data of `workDir` (stopped afterwards).
 */
export async function withLocalStack<T>(workDir: string, use: (stack: LocalStack) => Promise<T>): Promise<T> {
  const state = await readLocalState(workDir);
  if (state === null) throw new ConfigError(`no local gate data in ${workDir} (run \`npm start\` first)`);
  let stop = async () => {};
  let endpoints = { dynamodb: state.dynamoEndpoint, s3: state.s3Endpoint };
  if (!isAlive(state.pid)) {
    const standIns = await startStandIns({ dataDir: join(workDir, 'data') });
    endpoints = { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint };
    stop = standIns.stop;
  }
  try {
    const clients = awsClients({ endpoints });
    return await use({
      store: new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: state.tableName }),
      documents: new S3DocumentStore({ client: clients.s3, bucket: state.bucket }),
      state,
    });
  } finally {
    await stop();
  }
}

/** `withLocalStack` for the commands that read the release store only. */
export function withLocalStore<T>(
  workDir: string,
  use: (store: ReleaseStore, state: LocalState) => Promise<T>,
): Promise<T> {
  return withLocalStack(workDir, ({ store, state }) => use(store, state));
}
