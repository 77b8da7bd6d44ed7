/**
 * `release-gate gate` end to end: the real CLI in a child process against an OCI layout written by
 * the fixture factory, against Debian's docker-registry, and against an image built by third-party
 * tools (umoci + skopeo) that carries no evidence at all. The tools are Debian packages
 * (`apt-get install -y umoci skopeo docker-registry`); a missing tool fails these tests.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { buildScenario } from '../../cli/fixtures/factory.js';
import { generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEMO_SCENARIOS, demoPolicy, type Scenario } from '../../cli/fixtures/scenarios.js';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { DigestSchema, EVIDENCE_KINDS, EvidenceKindSchema } from '../../lambdas/domain/types.js';
import { REPO_ROOT, runCli } from '../support/cli-process.js';
import { sha256 } from '../support/digest.js';
import { useRegistryServer } from '../support/registry-server.js';

const run = promisify(execFile);
const ADVISORIES = join(REPO_ROOT, 'cli', 'fixtures', 'advisories');

/** What `gate --json` prints (the preflight report). */
const ReportSchema = z.object({
  image: z.object({ repository: z.string(), digest: DigestSchema, registry: z.string(), reference: z.string() }),
  stage: z.string(),
  policyDigest: DigestSchema,
  decision: z.enum(['PASS', 'BLOCK']),
  reasons: z.array(z.string()),
  evidence: z.array(
    z.object({
      kind: EvidenceKindSchema,
      status: z.enum(['PASS', 'FAIL', 'MISSING', 'INVALID', 'UNTRUSTED', 'ERROR']),
      required: z.boolean(),
      reasons: z.array(z.string()),
    }),
  ),
});
type Report = z.infer<typeof ReportSchema>;

function parseReport(stdout: string): Report {
  return ReportSchema.parse(JSON.parse(stdout));
}

function scenario(name: string): Scenario {
  const s = DEMO_SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

/** The evidence kinds that did not pass, the approval (never given in a preflight) aside. */
function notPassing(report: Report): string[] {
  return report.evidence
    .filter((e) => e.kind !== 'approval' && e.status !== 'PASS')
    .map((e) => e.kind)
    .sort();
}

const keys = await generateFixtureKeys();
let dir = '';
let policyPath = '';
const digests = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-cli-gate-'));
  policyPath = join(dir, 'policy.yaml');
  await writeFile(policyPath, stringify(demoPolicy(keys)));
  const registry = new OciLayoutRegistry({ root: join(dir, 'layouts') });
  for (const name of ['good', 'unsigned', 'critical-cve']) {
    const built = await buildScenario(registry, scenario(name), keys);
    digests.set(name, built.current.digest);
  }
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** `oci-layout:<root>/<repository>:<tag>` of a scenario built into the layouts root. */
function layoutRef(s: Scenario): string {
  return `oci-layout:${join(dir, 'layouts', s.repository)}:${s.tag}`;
}

/** `release-gate gate <layout ref> --json` on a scenario, with the demo policy and advisories. */
function gateScenario(s: Scenario) {
  return runCli([
    'gate',
    layoutRef(s),
    '--repository',
    s.repository,
    '--policy',
    policyPath,
    '--advisories',
    ADVISORIES,
    '--json',
  ]);
}

/** `release-gate gate <host/repository:tag> --insecure` with the given policy and the demo advisories. */
function gateInsecure(reference: string, policy: string, ...flags: string[]) {
  return runCli(['gate', reference, '--insecure', '--policy', policy, '--advisories', ADVISORIES, ...flags]);
}

describe('Command: release-gate gate', () => {
  describe('when the good scenario is read from an OCI layout', () => {
    it('prints a PASS report for the exact digest and exits 0', async () => {
      // Prepare
      const s = scenario('good');

      // Act
      const res = await gateScenario(s);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const report = parseReport(res.stdout);
      expect(report.image.repository).toBe('demo/good');
      expect(report.image.digest).toBe(digests.get('good'));
      expect(report.image.reference).toBe(s.tag);
      expect(report.decision).toBe('PASS');
      expect(report.evidence.map((e) => e.kind).sort()).toEqual([...EVIDENCE_KINDS].sort());
      expect(notPassing(report)).toEqual([]);
      for (const e of report.evidence) expect(e.reasons.length, e.kind).toBeGreaterThan(0);
    });
  });

  describe('when one piece of evidence of the image fails', () => {
    it.each([
      ['unsigned', 'signature', 'MISSING', 'no signature found'],
      ['critical-cve', 'scan', 'FAIL', 'CVE-2021-44906'],
    ] as const)('blocks %s on %s (%s) and exits 1', async (name, kind, status, reason) => {
      // Prepare
      const s = scenario(name);

      // Act
      const res = await gateScenario(s);

      // Assess
      expect(res.code, res.stderr).toBe(1);
      const report = parseReport(res.stdout);
      expect(report.image.digest).toBe(digests.get(name));
      expect(report.decision).toBe('BLOCK');
      expect(notPassing(report)).toEqual([kind]);
      const failed = report.evidence.find((e) => e.kind === kind);
      expect(failed?.status).toBe(status);
      expect(failed?.reasons.join(' ')).toContain(reason);
      expect(report.reasons.join(' ')).toContain(`${kind}: ${status}`);
    });
  });

  describe('when the command line is wrong', () => {
    it('exits 2 and says so when no image reference is given', async () => {
      // Act
      const res = await runCli(['gate', '--policy', policyPath]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('usage error: gate takes exactly one image reference');
      expect(res.stdout).toBe('');
    });

    it('exits 2 and names the reference it cannot parse', async () => {
      // Act
      const res = await runCli(['gate', 'not-an-image-ref', '--policy', policyPath]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('cannot parse image reference "not-an-image-ref"');
      expect(res.stdout).toBe('');
    });

    it('exits 2 and names the policy file that does not exist', async () => {
      // Prepare
      const absent = join(dir, 'no-such-policy.yaml');

      // Act
      const res = await runCli(['gate', layoutRef(scenario('good')), '--policy', absent]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(absent);
      expect(res.stderr).toContain('ENOENT');
      expect(res.stdout).toBe('');
    });

    it('exits 2 and names the invalid field of an invalid policy', async () => {
      // Prepare: a policy that would accept zero signers must be refused, not run.
      const valid: PolicyDocument = demoPolicy(keys);
      const invalid = {
        ...valid,
        rules: valid.rules.map((r) => ({ ...r, signature: { ...r.signature, minSigners: 0 } })),
      };
      const invalidPath = join(dir, 'invalid-policy.yaml');
      await writeFile(invalidPath, stringify(invalid));

      // Act
      const res = await runCli(['gate', layoutRef(scenario('good')), '--policy', invalidPath]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('policy is invalid');
      expect(res.stderr).toContain('rules[0].signature.minSigners: ');
      expect(res.stdout).toBe('');
    });

    it('names the fix when no rule matches the folder name an OCI layout gives as the repository', async () => {
      // Act: the layout folder is .../demo/good, so the repository would be "good".
      const res = await runCli(['gate', layoutRef(scenario('good')), '--policy', policyPath]);

      // Assess
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`no policy rule matches repository "good" (taken from the layout folder's name)`);
      expect(res.stderr).toContain('the rules match "demo/**"');
      expect(res.stderr).toContain('pass --repository NAME');
      expect(res.stdout).toBe('');
    });

    it('lists the tags that exist when the asked tag does not', async () => {
      // Prepare
      const s = scenario('good');
      const ref = `oci-layout:${join(dir, 'layouts', s.repository)}:9.9.9`;

      // Act
      const res = await runCli(['gate', ref, '--repository', s.repository, '--policy', policyPath]);

      // Assess
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('no tag 9.9.9');
      // The baseline 1.3.0 and the release itself; cosign's sha256-<hex>.sig/.att tags are not listed.
      expect(res.stderr).toMatch(/existing tags: 1\.3\.0, 1\.4\.0\n/);
    });

    it('exits 2 when --insecure (plain HTTP) is asked for a host that is not localhost', async () => {
      // Act
      const res = await runCli(['gate', 'registry.example.com/demo/good:1.4.0', '--insecure', '--policy', policyPath]);

      // Assess
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('only allowed for localhost, not registry.example.com');
      expect(res.stdout).toBe('');
    });
  });

  describe('when the image is served by a docker-registry', () => {
    let digest = '';
    const registry = useRegistryServer(async (server) => {
      const built = await buildScenario(new DistributionRegistry({ baseUrl: server.url }), scenario('good'), keys);
      digest = built.current.digest;
    });

    it('reads the image and its evidence over HTTP with --insecure and exits 0', async () => {
      // Act
      const res = await gateInsecure(`${registry().host}/demo/good:1.4.0`, policyPath);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(`demo/good@${digest} (${registry().host})`);
      expect(res.stdout).toMatch(/signature\s+PASS/);
      expect(res.stdout).toMatch(/sbom\s+PASS/);
      expect(res.stdout).toContain('decision: PASS');
    });
  });

  describe('when the image was built by umoci and pushed by skopeo (no evidence at all)', () => {
    let umociPolicy = '';
    let rawDigest = '';
    const registry = useRegistryServer(async (server) => {
      const layout = join(dir, 'umoci-layout');
      const rootfs = join(dir, 'umoci-src');
      await mkdir(rootfs, { recursive: true });
      await writeFile(join(rootfs, 'app.js'), 'console.log("hello from umoci");\n');
      await run('umoci', ['init', '--layout', layout]);
      await run('umoci', ['new', '--image', `${layout}:base`]);
      await run('umoci', ['insert', '--rootless', '--image', `${layout}:base`, join(rootfs, 'app.js'), '/app/app.js']);
      await run('umoci', ['config', '--image', `${layout}:base`, '--config.cmd', 'node,/app/app.js', '--tag', 'app']);
      const target = `docker://${server.host}/umoci/app:1`;
      await run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:app`, target]);
      const { stdout } = await run('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', target]);
      rawDigest = sha256(stdout);

      const demo = demoPolicy(keys);
      umociPolicy = join(dir, 'umoci-policy.yaml');
      await writeFile(
        umociPolicy,
        stringify({ ...demo, rules: demo.rules.map((r) => ({ ...r, repositories: ['umoci/**'] })) }),
      );
    });

    it('reads it, runs every collector and blocks with reasons (exit 1), without crashing', async () => {
      // Act
      const res = await gateInsecure(`${registry().host}/umoci/app:1`, umociPolicy, '--json');

      // Assess
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).not.toContain('error:');
      const report = parseReport(res.stdout);
      expect(report.image.repository).toBe('umoci/app');
      expect(report.image.digest).toBe(rawDigest);
      expect(report.decision).toBe('BLOCK');
      expect(report.evidence.map((e) => e.kind).sort()).toEqual([...EVIDENCE_KINDS].sort());
      expect(report.evidence.filter((e) => e.status === 'PASS')).toEqual([]);
      for (const kind of ['signature', 'sbom', 'provenance'] as const) {
        const e = report.evidence.find((x) => x.kind === kind);
        expect(e?.status, kind).toBe('MISSING');
        expect(e?.reasons.join(' '), kind).toContain(rawDigest);
      }
      for (const e of report.evidence) expect(e.reasons.length, e.kind).toBeGreaterThan(0);
    });
  });
});
