import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { InspectorSbomExporter } from '../../adapters/scan/inspector-sbom-export.js';
import type { Concern } from '../aws-deps.js';
import { documentStore, evidenceS3 } from './documents.js';
import { env, optionalEnv } from './env.js';

/**
 * Amazon Inspector's SBOM export (`sbom.acceptInspectorExport`): the infra sets
 * INSPECTOR_SBOM_KMS_KEY_ARN (and grants the calls) only when the policy uses it. Inspector writes
 * into the evidence bucket, and the export is read back through the document store's bounded read.
 */
export const inspectorSboms: Concern = {
  provides: ['inspectorSboms'],
  build: (wiring) => {
    const kmsKeyArn = optionalEnv('INSPECTOR_SBOM_KMS_KEY_ARN');
    if (kmsKeyArn === undefined) return {};
    const documents = documentStore(wiring);
    return {
      inspectorSboms: new InspectorSbomExporter({
        inspector: new Inspector2Client({ region: wiring.region }),
        s3: evidenceS3(wiring),
        readObject: (key) => documents.getObject(key),
        bucket: env('BUCKET_NAME'),
        kmsKeyArn,
      }),
    };
  },
};
