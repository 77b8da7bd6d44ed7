import type { ReleaseRecord, ReleaseStore } from '../../lambdas/domain/ports.js';
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

const FULL_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The one release a digest (or a prefix of one, `sha256:` included) names, optionally in one
 * repository. Throws a plain Error naming the candidates when none or several match.
 */
export async function findRelease(store: ReleaseStore, digest: string, repository?: string): Promise<ReleaseRecord> {
  // A whole digest with its repository is one read, however many releases the store holds.
  if (repository !== undefined && FULL_DIGEST.test(digest)) {
    const release = await store.getRelease(repository, digest);
    if (release === null) throw new ReleaseLookupError(`no release ${repository}@${digest}`);
    return release;
  }
  // A prefix is looked up among the most recent releases, as `status` lists them.
  const matches = (await store.listReleases(1000)).filter(
    (r) => r.digest.startsWith(digest) && (repository === undefined || r.repository === repository),
  );
  const [only, ...others] = matches;
  if (only === undefined) throw new ReleaseLookupError(`no release with digest ${digest}`);
  if (others.length > 0) {
    throw new ReleaseLookupError(
      `${digest} names ${matches.length} releases (${matches.map((r) => `${r.repository}@${r.digest.slice(0, 19)}`).join(', ')}): give more of the digest or --repository`,
    );
  }
  return only;
}

export class ReleaseLookupError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ReleaseLookupError';
  }
}
