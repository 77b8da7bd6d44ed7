/**
 * The Debian programs the integration tests run for real: the CNCF distribution registry
 * (`docker-registry`), and `skopeo` and `umoci` as independent OCI implementations. They are found on
 * `PATH`, never at fixed locations. Also Debian's `chromium`, which the browser tests drive headless.
 * Used by the vitest `globalSetup` (which checks, and installs them when it can, before any test
 * runs) and by the helpers that start them.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Program → the Debian package that ships it (bookworm and later). */
export const DEBIAN_TOOLS = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  // Headless Chromium for the browser tests of the approval page (test/browser).
  chromium: 'chromium',
} as const;

export type DebianTool = keyof typeof DEBIAN_TOOLS;

const TOOL_NAMES = Object.keys(DEBIAN_TOOLS) as DebianTool[];

/** The first executable regular file called `name` in the directories of `path`, or undefined. */
export function findOnPath(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The absolute path of a Debian tool, or an error that says the one command that installs it. */
export function requireTool(tool: DebianTool): string {
  const found = findOnPath(tool);
  if (found === undefined) {
    throw new Error(`${tool} is not on PATH. Install it with: ${installCommand([tool], false)}`);
  }
  return found;
}

export function missingTools(path?: string): DebianTool[] {
  return TOOL_NAMES.filter((tool) => findOnPath(tool, path) === undefined);
}

/** The command a person runs to install `tools` (with `sudo` unless already root). */
export function installCommand(tools: readonly DebianTool[], root: boolean): string {
  const packages = tools.map((t) => DEBIAN_TOOLS[t]).join(' ');
  return `${root ? '' : 'sudo '}apt-get update && ${root ? '' : 'sudo '}apt-get install -y ${packages}`;
}

export type InstallPlan =
  | { readonly action: 'none' }
  | { readonly action: 'install'; readonly argv: readonly string[]; readonly sudo: boolean }
  | { readonly action: 'fail'; readonly message: string };

/**
 * What to do about missing tools, decided from facts the caller gathered (pure, so it is tested
 * without touching the machine). Installs only with `apt-get` and only as root or with passwordless
 * sudo; anything else fails at once with the command to run, instead of failing five test files
 * after the whole run.
 */
export function planInstall(facts: {
  readonly missing: readonly DebianTool[];
  readonly root: boolean;
  readonly passwordlessSudo: boolean;
  readonly aptGet: boolean;
  readonly installAllowed: boolean;
}): InstallPlan {
  if (facts.missing.length === 0) return { action: 'none' };
  const command = installCommand(facts.missing, facts.root);
  const why = `the integration tests need ${facts.missing.join(', ')}, which ${facts.missing.length === 1 ? 'is' : 'are'} not on PATH`;
  if (!facts.installAllowed) {
    return { action: 'fail', message: `${why} (automatic install is off: RELEASE_GATE_NO_INSTALL). Run: ${command}` };
  }
  if (!facts.aptGet)
    return {
      action: 'fail',
      message: `${why}, and apt-get is not available. Install the Debian packages ${facts.missing.map((t) => DEBIAN_TOOLS[t]).join(', ')} (or the same programs from your distribution) and put them on PATH.`,
    };
  if (!facts.root && !facts.passwordlessSudo) {
    return {
      action: 'fail',
      message: `${why}, and this process cannot install them (not root, no passwordless sudo). Run: ${command}`,
    };
  }
  return { action: 'install', argv: facts.missing.map((t) => DEBIAN_TOOLS[t]), sudo: !facts.root };
}

function canSudoWithoutPassword(): boolean {
  if (findOnPath('sudo') === undefined) return false;
  try {
    execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every Debian tool is on PATH: installs the missing ones with apt-get when this process
 * may (root or passwordless sudo), otherwise throws within seconds with the command to run.
 */
export function ensureDebianTools(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  const missing = missingTools();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const plan = planInstall({
    missing,
    root,
    passwordlessSudo: root ? false : missing.length > 0 && canSudoWithoutPassword(),
    aptGet: findOnPath('apt-get') !== undefined,
    installAllowed: process.env.RELEASE_GATE_NO_INSTALL === undefined,
  });
  if (plan.action === 'none') return;
  if (plan.action === 'fail') throw new Error(plan.message);
  const run = (args: string[]): void => {
    const [file, ...rest] = plan.sudo ? ['sudo', '-n', ...args] : args;
    if (file === undefined) return;
    execFileSync(file, rest, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    });
  };
  log(`release-gate tests: installing ${plan.argv.join(', ')} with apt-get (needed by the integration tests)…`);
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...plan.argv]);
  const still = missingTools();
  if (still.length > 0) {
    throw new Error(
      `apt-get finished but ${still.join(', ')} is still not on PATH. Run: ${installCommand(still, root)}`,
    );
  }
}
