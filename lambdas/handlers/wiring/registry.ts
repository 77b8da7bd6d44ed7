import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrRegistry } from '../../adapters/registry/ecr.js';
import { EcrScanFindingsSource } from '../../adapters/scan/ecr-findings.js';
import type { Concern } from '../aws-deps.js';
import { env } from './env.js';

/** The account's ECR registry (REGISTRY_ID) and its scan findings, on one ECR client. */
export const registry: Concern = {
  provides: ['registry', 'scans'],
  build: ({ region, shared }) => {
    const client = shared('ecr', () => new ECRClient({ region }));
    const registryId = env('REGISTRY_ID');
    return {
      registry: new EcrRegistry({ client, registryId, region }),
      scans: new EcrScanFindingsSource({ client, registryId }),
    };
  },
};
