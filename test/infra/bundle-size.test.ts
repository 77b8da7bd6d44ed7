import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateEsbuildOptions } from '../../infra/constructs/gate-function.js';
import { HANDLER_NAMES, type HandlerName } from '../../infra/constructs/gate-functions.js';

/** The largest bundle (index.mjs) a gate function may ship: issue 12, "Small Lambdas". */
const MAX_BUNDLE_BYTES = 1_000_000;

interface Bundle {
  readonly name: HandlerName;
  readonly bytes: number;
  /** The inputs in the bundle (paths relative to the repository), from esbuild's metafile. */
  readonly inputs: readonly string[];
}

/** The package an input belongs to (`@aws-sdk/client-s3`, `zod`), or undefined for our own code. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [scope, name] = input.slice(at + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : scope;
}

const sdkClients = (b: Bundle): string[] =>
  [...new Set(b.inputs.map(packageOf))].filter((p): p is string => p?.startsWith('@aws-sdk/client-') ?? false).sort();

describe('Construct: GateFunction bundles', () => {
  let dir: string;
  const bundles = new Map<HandlerName, Bundle>();

  beforeAll(async () => {
    // Prepare: every handler bundled as the construct bundles it (the construct's own options).
    dir = await mkdtemp(join(tmpdir(), 'gate-bundles-'));
    await Promise.all(
      HANDLER_NAMES.map(async (name) => {
        const out = join(dir, name);
        const result = await build({ ...gateEsbuildOptions(name, out), metafile: true });
        const metafile: Metafile = result.metafile;
        bundles.set(name, {
          name,
          bytes: (await stat(join(out, 'index.mjs'))).size,
          // What the bundle holds: the graph's inputs that left code in the output (tree-shaken ones did not).
          inputs: Object.values(metafile.outputs).flatMap((o) =>
            Object.entries(o.inputs)
              .filter(([, i]) => i.bytesInOutput > 0)
              .map(([path]) => path),
          ),
        });
      }),
    );
  }, 120_000);

  const bundle = (name: HandlerName): Bundle => {
    const b = bundles.get(name);
    if (b === undefined) throw new Error(`${name} was not bundled`);
    return b;
  };

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every bundle at or under 1 MB', () => {
    // Assess
    const over = [...bundles.values()].filter((b) => b.bytes > MAX_BUNDLE_BYTES).map((b) => `${b.name}: ${b.bytes} B`);
    expect(over).toEqual([]);
    expect(bundles.size).toBe(HANDLER_NAMES.length);
  });

  it("leaves zod's locales out of every bundle (only English messages are used)", () => {
    for (const b of bundles.values()) {
      expect(
        b.inputs.filter((i) => i.includes('node_modules/zod/') && i.includes('/locales/') && !i.endsWith('/en.js')),
        b.name,
      ).toEqual([]);
    }
  });

  it("bundles zod's functional API (zod/mini) only, never its classic method-chaining one", () => {
    // Assess: one classic import anywhere in a handler's graph brings all of classic zod (~50 kB more).
    for (const b of bundles.values()) {
      expect(
        b.inputs.filter((i) => i.includes('node_modules/zod/v4/classic/')),
        b.name,
      ).toEqual([]);
    }
  });

  it('bundles only the AWS SDK clients of the concerns a handler wires', () => {
    // Assess: two ends of the range; the other handlers lie between.
    expect(sdkClients(bundle('record-pusher'))).toEqual(['@aws-sdk/client-dynamodb']);
    expect(sdkClients(bundle('start-release'))).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-ecr',
      '@aws-sdk/client-sfn',
    ]);
    expect(sdkClients(bundle('promote'))).not.toContain('@aws-sdk/client-lambda');
  });

  it('bundles the YAML parser only where YAML is read at run time, and Sigstore only where it is verified', () => {
    // Prepare
    const holding = (pkg: string): HandlerName[] =>
      HANDLER_NAMES.filter((n) => bundle(n).inputs.some((i) => packageOf(i) === pkg));

    // Assess: the others read the policy's compiled form (lambdas/domain/policy/compiled.ts). OSV
    // records may be YAML (revalidate, ops-write), and ops-read replays stored policies (explain,
    // report) and reads OSV records (triage). Re-verification's collectors run in collect-evidence.
    expect(holding('yaml')).toEqual(['revalidate', 'ops-read', 'ops-write']);
    expect(holding('@sigstore/verify')).toEqual(['collect-evidence']);
    expect(holding('@sigstore/core')).toEqual(['collect-evidence']);
  });

  it('does not bundle the OSV matcher and its CVSS scoring where no advisory is matched', () => {
    for (const name of ['record-pusher', 'start-release', 'promote', 'request-approval'] as const) {
      expect(
        bundle(name).inputs.filter((i) => i.includes('lambdas/domain/osv/')),
        name,
      ).toEqual([]);
    }
  });

  it('bundles no CVSS library: the scores come from our own equations (lambdas/domain/osv/cvss-equations.ts)', () => {
    // Assess: ae-cvss-calculator, one 188 kB file no bundler can tree-shake, is the tests' reference only.
    for (const b of bundles.values()) {
      expect(
        b.inputs.filter((i) => packageOf(i) === 'ae-cvss-calculator'),
        b.name,
      ).toEqual([]);
    }
  });
});
