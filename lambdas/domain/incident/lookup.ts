/**
 * Finding the release a person names by digest: the CLI's commands and the ops API take a whole
 * digest or a unique prefix of one, with the repository when the digest was gated in several.
 */
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { ReleaseRecord, ReleaseStore } from '../ports.js';

const FULL_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The one release a digest (or a prefix of one, `sha256:` included) names, optionally in one
 * repository. Throws NotFoundError when none matches, InvalidInputError naming the candidates when
 * several do.
 */
export async function findRelease(
  store: Pick<ReleaseStore, 'getRelease' | 'listReleases'>,
  digest: string,
  repository?: string,
): Promise<ReleaseRecord> {
  // A whole digest with its repository is one read, however many releases the store holds.
  if (repository !== undefined && FULL_DIGEST.test(digest)) {
    const release = await store.getRelease(repository, digest);
    if (release === null) throw new NotFoundError(`no release ${repository}@${digest}`);
    return release;
  }
  // A prefix is looked up among the most recent releases, as `status` lists them.
  const matches = (await store.listReleases(1000)).filter(
    (r) => r.digest.startsWith(digest) && (repository === undefined || r.repository === repository),
  );
  const [only, ...others] = matches;
  if (only === undefined) throw new NotFoundError(`no release with digest ${digest}`);
  if (others.length > 0) {
    throw new InvalidInputError(
      `${digest} names ${matches.length} releases (${matches.map((r) => `${r.repository}@${r.digest.slice(0, 19)}`).join(', ')}): give more of the digest or --repository`,
    );
  }
  return only;
}
