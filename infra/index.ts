/**
 * The construct library (`import { ReleaseGate } from 'release-gate'`): the gate, the stack this
 * repository deploys, and the parts a caller meets through the gate's public properties.
 */

export type { LinkJwtIssuer } from './constructs/approval-api.js';
export { ApprovalApi, CLI_APPROVAL_PATH } from './constructs/approval-api.js';
export { ApprovalLinks } from './constructs/approval-links.js';
export { EvidenceStore } from './constructs/evidence-store.js';
export { GateFunction } from './constructs/gate-function.js';
export { GateFunctions, HANDLER_NAMES, type HandlerName } from './constructs/gate-functions.js';
export { GateRevalidation } from './constructs/gate-revalidation.js';
export { GateTriggers } from './constructs/gate-triggers.js';
export { GatedRegistry } from './constructs/gated-registry.js';
export { OpsApi } from './constructs/ops-api.js';
export { DEFAULT_POLICY_FILE, DEFINITION_FILE, ReleaseGate, type ReleaseGateProps } from './release-gate.js';
export { gatePropsFromContext, ReleaseGateStack, type ReleaseGateStackProps } from './release-gate-stack.js';
