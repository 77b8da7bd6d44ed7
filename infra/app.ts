import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { gatePropsFromContext, ReleaseGateStack } from './release-gate-stack.js';

const app = new App();
// cdk-nag AwsSolutions runs as a validation plugin: synth fails on any finding that is not
// acknowledged next to its resource, and the acknowledgments are written into the template's
// Metadata (`cdk_nag.rules_to_suppress`) as an audit trail.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
// Account and region are optional: without them the template is environment-agnostic, and
// `cdk synth` needs no credentials and makes no lookups.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
new ReleaseGateStack(app, 'ReleaseGate', {
  description: 'release-gate: fail-closed evidence gate for container image promotion',
  env: account !== undefined || region !== undefined ? { account, region } : undefined,
  gate: gatePropsFromContext(app),
});
app.synth();
