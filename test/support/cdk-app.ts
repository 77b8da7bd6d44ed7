import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { z } from 'zod';
import type { ReleaseGateProps } from '../../infra/release-gate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Feature flags as `cdk synth` sees them, so the test template is the deployed one. */
export const CDK_CONTEXT = z
  .object({ context: z.record(z.string(), z.unknown()) })
  .parse(JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8'))).context;

/** The gate the infra tests synthesize: two named repositories (one nested) and one approver. */
export const DEFAULT_GATE: ReleaseGateProps = {
  gatedRepositories: ['app', 'team/api'],
  approverEmails: ['ops@example.com'],
};

/** An App with the feature flags of `cdk synth`, but without esbuild: assets get placeholder hashes. */
export function offlineApp(): App {
  return new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}
