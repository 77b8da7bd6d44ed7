import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Async, so that a long build or synth does not block the test worker (vitest's RPC times out). */
export const run = promisify(execFile);

const PackEntrySchema = z.array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) }));

const ManifestSchema = z.object({
  name: z.string(),
  dependencies: z.record(z.string(), z.string()).default({}),
  peerDependencies: z.record(z.string(), z.string()).default({}),
  bin: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export interface PackedPackage {
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
  /** Paths inside the tarball, without the `package/` prefix. */
  readonly files: readonly string[];
}

/** `npm run build` (as its script does) then `npm pack` into `destination`. */
export async function buildAndPack(destination: string): Promise<PackedPackage> {
  await run(process.execPath, [join(ROOT, 'infra', 'build.mjs')], { cwd: ROOT });
  // --ignore-scripts: prepack would build a second time.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: ROOT,
  });
  const [entry] = PackEntrySchema.parse(JSON.parse(stdout));
  if (entry === undefined) throw new Error('npm pack produced no tarball');
  return { tarball: join(destination, entry.filename), files: entry.files.map((f) => f.path) };
}

export function readManifest(packageDir: string): Manifest {
  return ManifestSchema.parse(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')));
}

/**
 * Installs a packed tarball into `appDir/node_modules` offline, as `npm install <tarball>` lays it
 * out: the tarball unpacked into `node_modules/<name>`, and each of its declared dependencies and
 * peer dependencies (and their bins) next to it. The dependencies are links into this repository's
 * node_modules, which `npm ci` filled: no registry, and no write into this repository. Only the
 * declared ones are linked, so code needing an undeclared package fails here as it would for a user.
 */
export function installTarballOffline(appDir: string, tarball: string): Manifest {
  const modules = join(appDir, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  const probe = execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' });
  const manifest = ManifestSchema.parse(JSON.parse(probe));
  const target = join(modules, manifest.name);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const name of [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]) {
    const source = join(ROOT, 'node_modules', name);
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(source, join(modules, name), 'dir');
    const { bin } = readManifest(source);
    const bins = typeof bin === 'string' ? { [name.split('/').pop() ?? name]: bin } : (bin ?? {});
    for (const [command, file] of Object.entries(bins)) symlinkSync(join(source, file), join(modules, '.bin', command));
  }
  return manifest;
}

/** Writes a file under `dir`, creating its folders. */
export function writeText(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
