import { DEFAULT_WORK_DIR } from '../local/state.js';

/** The options every per-release command takes (`parseArgs` spec). */
export const RELEASE_COMMAND_OPTIONS = {
  repository: { type: 'string' },
  json: { type: 'boolean', default: false },
  'work-dir': { type: 'string', default: DEFAULT_WORK_DIR },
} as const;

/** Those options as parsed, and the command's one positional argument (a digest or an image reference). */
export function releaseCommandArgs(
  command: string,
  positionals: readonly string[],
  values: { readonly repository?: string | undefined; readonly json: boolean; readonly 'work-dir': string },
): { readonly argument: string; readonly repository?: string; readonly json: boolean; readonly workDir: string } {
  const [argument] = positionals;
  if (argument === undefined || positionals.length > 1) throw new TypeError(`${command} takes exactly one argument`);
  return {
    argument,
    json: values.json,
    workDir: values['work-dir'],
    ...(values.repository === undefined ? {} : { repository: values.repository }),
  };
}

/** The one release a digest (or a unique prefix) names: lambdas/domain/incident/lookup.ts. */
export { findRelease } from '../../lambdas/domain/incident/lookup.js';
