/**
 * Stand-alone entry point for `verify-bundle`, used by the integration tests:
 * `node --import tsx cli/commands/verify-bundle-main.ts --bundle … FILE`.
 */
import { terminalIo } from '../terminal.js';
import { runVerifyBundle } from './verify-bundle.js';

process.exitCode = await runVerifyBundle(process.argv.slice(2), terminalIo(process.argv.slice(2)));
