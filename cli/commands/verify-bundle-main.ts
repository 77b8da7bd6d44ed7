/**
 * Stand-alone entry point for `verify-bundle`, used by the integration tests:
 * `node --import tsx cli/commands/verify-bundle-main.ts --bundle … FILE`.
 */
import { runVerifyBundle } from './verify-bundle.js';

process.exitCode = await runVerifyBundle(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
