import { App } from 'aws-cdk-lib';
import { gatePropsFromContext, ReleaseGateStack } from './release-gate-stack.js';

const app = new App();
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
