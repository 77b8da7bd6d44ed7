// `npm run build`: the package's JavaScript and declarations in dist/ (tsc -p tsconfig.build.json),
// plus the data files built modules locate next to themselves through import.meta.url. The
// construct itself reads the handler sources, the ASL and the example policy from the package root.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist`;

rmSync(dist, { recursive: true, force: true });
// typescript's exports map hides bin/tsc from require.resolve; its package.json is exported.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const run = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

// Read relative to the built module: cli/commands/verify-bundle (the vendored Sigstore roots),
// cli/demo (advisory fixtures), cli/local/step-functions (the ASL, two folders up).
for (const dir of ['lambdas/domain/sigstore/roots', 'cli/fixtures', 'statemachines']) {
  cpSync(`${root}${dir}`, `${dist}/${dir}`, { recursive: true });
}
