import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of this package's `package.json`: the repository root in a checkout, or
 * `node_modules/release-gate` once installed. Found by walking up from this module, because the
 * module runs from `infra/constructs/` (sources, tsx) or from `dist/infra/constructs/` (built).
 * Handler sources, the ASL and the default policy ship in the package and are located from here.
 */
export const PACKAGE_ROOT = findUp(dirname(fileURLToPath(import.meta.url)), (dir) =>
  existsSync(join(dir, 'package.json')),
);

/** Lock files NodejsFunction knows; the one found picks the package manager that runs esbuild. */
const LOCK_FILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'] as const;

export interface BundlingRoot {
  /** NodejsFunction `projectRoot`: esbuild runs here, and every handler entry lies below it. */
  readonly projectRoot: string;
  /** NodejsFunction `depsLockFilePath`: a file under `projectRoot`. */
  readonly depsLockFilePath: string;
}

/**
 * Where NodejsFunction bundles the handlers from. In a checkout: the repository and its lock file.
 * Installed: the consuming project, the directory above the outermost `node_modules` (npm, yarn
 * and pnpm's `.pnpm/…/node_modules` layouts alike), whose `node_modules/.bin/esbuild` runs the
 * build; a published package carries no lock file (npm pack leaves it out). A project without a
 * lock file gets its `package.json` instead: the file only names the package manager (npm by
 * default) for the esbuild command and for `nodeModules` installs, which the gate does not use.
 */
export function bundlingRoot(packageRoot: string = PACKAGE_ROOT): BundlingRoot {
  const parts = packageRoot.split(sep);
  const outermost = parts.indexOf('node_modules');
  const projectRoot = outermost > 0 ? parts.slice(0, outermost).join(sep) || sep : packageRoot;
  const lockFile = LOCK_FILES.map((name) => join(projectRoot, name)).find((file) => existsSync(file));
  const fallback = join(projectRoot, 'package.json');
  if (lockFile === undefined && !existsSync(fallback)) {
    throw new Error(
      `release-gate bundles its Lambda handlers from ${projectRoot}, which has neither a lock file nor a package.json; run the CDK app from your project`,
    );
  }
  return { projectRoot, depsLockFilePath: lockFile ?? fallback };
}

/** A file that ships with the package (`statemachines/…`, `policy/…`, `lambdas/…`). */
export function packageFile(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

/** A user-given path: absolute as is, relative to the working directory of the CDK app. */
export function userFile(file: string): string {
  return isAbsolute(file) ? file : resolve(process.cwd(), file);
}

function findUp(start: string, found: (dir: string) => boolean): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (found(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`release-gate: no package.json above ${start}`);
  }
}
