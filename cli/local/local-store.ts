import { join } from 'node:path';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import type { ReleaseStore } from '../../lambdas/domain/ports.js';
import { startStandIns } from './stand-ins.js';
import { isAlive, type LocalState, readLocalState } from './state.js';

/**
 * Runs `use` on the local stack's release store: the running gate's table, or, when no gate is
 * running, the stand-ins started on the persisted data of `workDir` (stopped afterwards).
 */
export async function withLocalStore<T>(
  workDir: string,
  use: (store: ReleaseStore, state: LocalState) => Promise<T>,
): Promise<T> {
  const state = await readLocalState(workDir);
  if (state === null) throw new ConfigError(`no local gate data in ${workDir} (run \`npm start\` first)`);
  let stop = async () => {};
  let endpoint = state.dynamoEndpoint;
  if (!isAlive(state.pid)) {
    const standIns = await startStandIns({ dataDir: join(workDir, 'data') });
    endpoint = standIns.dynamoEndpoint;
    stop = standIns.stop;
  }
  try {
    const clients = awsClients({ endpoints: { dynamodb: endpoint } });
    return await use(new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: state.tableName }), state);
  } finally {
    await stop();
  }
}
