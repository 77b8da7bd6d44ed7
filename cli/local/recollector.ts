import { ConfigError } from '../../lambdas/domain/errors.js';
import { type Recollected, RecollectedSchema, type Recollector } from '../../lambdas/domain/incident/recollection.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { LOCAL_FUNCTIONS } from './step-functions.js';

/**
 * Re-verification on the embedded stack's ops routes as on AWS: the collect-evidence handler module
 * (the one the ASL's CollectEvidence Task runs) answers the recollect request, and both travel as
 * JSON, as Lambda's payloads do.
 */
export function localRecollector(getDeps: () => Promise<HandlerDeps>): Recollector {
  const collectEvidence = LOCAL_FUNCTIONS.CollectEvidenceFunctionArn;
  if (collectEvidence === undefined) throw new ConfigError('the local stack has no CollectEvidence handler');
  const handler = collectEvidence(getDeps);
  return {
    recollect: async (request): Promise<Recollected> => {
      const answer = await handler(JSON.parse(JSON.stringify(request)));
      return RecollectedSchema.parse(JSON.parse(JSON.stringify(answer)));
    },
  };
}
