import { repositoryNameFrom, ScanCompleteEventSchema } from '../domain/workflow/events.js';
import { scanCompleted } from '../domain/workflow/scan-complete.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { appendInvocationKeys, invocation } from './invocation.js';
import { logger } from './logger.js';
import { parseEvent } from './parse.js';
import { registry } from './wiring/registry.js';
import { taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';

const SOURCES = {
  'aws.ecr': 'ecr-basic',
  'aws.inspector2': 'inspector',
  'release-gate.local-scanner': 'local',
} as const;

/** `ECR Image Scan` / `Inspector2 Scan` → resume WaitForScan (or record the result for later). */
export const makeHandler = (getDeps: () => Promise<HandlerDeps>) =>
  invocation(async (event) => {
    const e = parseEvent(ScanCompleteEventSchema, event, 'scan-complete event');
    const deps = await getDeps();
    const repository = repositoryNameFrom(e.detail['repository-name']);
    // Inspector may name the repository by its ARN: the lines after carry the name.
    appendInvocationKeys({ repository });
    const outcome = await scanCompleted(deps.gate, repository, e.detail['image-digest'], {
      status: e.detail['scan-status'],
      source: SOURCES[e.source],
      severityCounts: e.detail['finding-severity-counts'] ?? {},
      completedAt: e.time ?? deps.gate.clock.now().toISOString(),
    });
    logger.info('scan event handled', { outcome });
    return { outcome };
  });

export const handler = compactErrors(makeHandler(awsWiring(store, registry, taskTokens)));
