/**
 * The whole local workflow (ASL on aws-local-stepfunctions, dynalite, s3rver, real handlers) with
 * Debian's docker-registry as the registry instead of an OCI layout: Promote must copy the exact
 * digest and its cosign tags over the Distribution API, and a third-party client (`skopeo`) must
 * read what it wrote. `apt-get install -y skopeo docker-registry`; a missing tool fails the test.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { type BuiltScenarioImage, buildScenario } from '../../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEMO_SCENARIOS, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { LocalGate } from '../../cli/local/gate.js';
import { answerLink } from '../../cli/local/links.js';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import { type RegistryServer, startRegistryServer } from '../support/registry-server.js';

const run = promisify(execFile);
const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));

const SkopeoInspectSchema = z.object({
  Digest: z.string(),
  RepoTags: z.array(z.string()),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
});

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args, '--tls-verify=false'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

describe('Workflow: promotion into a real docker-registry', () => {
  let server: RegistryServer | undefined;
  let gate: LocalGate | undefined;
  let registry: DistributionRegistry;
  let built: BuiltScenarioImage;
  let keys: FixtureKeys;
  const good = DEMO_SCENARIOS.find((s) => s.name === 'good');

  beforeAll(async () => {
    if (good === undefined) throw new Error('no good scenario');
    keys = await generateFixtureKeys();
    server = await startRegistryServer();
    registry = new DistributionRegistry({ baseUrl: server.url });
    gate = await LocalGate.start({
      policy: loadPolicy(new TextEncoder().encode(stringify(demoPolicy(keys)))),
      advisories: await loadAdvisories(ADVISORIES),
      registry,
    });
    // Answer the approval through the first approver's mailed link, as their browser does.
    gate.onOutcome((e) => {
      if (e.type !== 'Approval Requested') return;
      const link = gate?.mailer.sent.find((m) => m.approvalId === e.detail.approvalId)?.link;
      if (link !== undefined) void answerLink(link, 'approve');
    });
    built = (await buildScenario(registry, good, keys)).current;
  });

  afterAll(async () => {
    await gate?.stop();
    await server?.stop();
  });

  describe('when an image is pushed by digest only (red-team finding 20)', () => {
    it('promotes it under release-sha256-<hex>, next to the referrers tag-schema index of that digest', async () => {
      // Prepare
      if (gate === undefined || good === undefined) throw new Error('not started');
      const repository = 'demo/by-digest';
      const image = (await buildScenario(registry, { ...good, repository, tag: '2.0.0' }, keys)).current;

      // Act
      const pushed = await gate.push(repository, image.digest);
      const run = await gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      const release = await gate.deps.gate.store.getRelease(repository, image.digest);
      expect(run.status, run.error).toBe('SUCCEEDED');
      expect(release?.state, release?.outcomeReasons?.join('; ')).toBe('PROMOTED');
      const hex = image.digest.slice('sha256:'.length);
      expect((await registry.getManifest(`prod/${repository}`, `release-sha256-${hex}`)).digest).toBe(image.digest);
      expect(await registry.listTags(`prod/${repository}`)).toContain(`sha256-${hex}`);
    });
  });

  describe('when the good scenario is pushed and approved', () => {
    let exec: Awaited<ReturnType<LocalGate['waitForExecution']>>;

    beforeAll(async () => {
      if (gate === undefined || good === undefined) throw new Error('not started');
      const pushed = await gate.push(good.repository, built.subject.tag);
      exec = await gate.waitForExecution(pushed.executionName ?? '');
    });

    it('promotes it: skopeo reads the same digest, tags and cosign signature from prod, and the SBOM referrer follows', async () => {
      // Prepare
      if (gate === undefined || server === undefined || good === undefined) throw new Error('not started');
      const prod = `docker://${server.host}/prod/${good.repository}`;

      // Act
      const release = await gate.deps.gate.store.getRelease(good.repository, built.digest);
      const raw = await skopeo('inspect', '--raw', `${prod}:${built.subject.tag}`);
      const inspected = SkopeoInspectSchema.parse(JSON.parse(await skopeo('inspect', `${prod}:${built.subject.tag}`)));

      // Assess
      expect(exec.status, exec.error).toBe('SUCCEEDED');
      expect(release?.state, release?.outcomeReasons?.join('; ')).toBe('PROMOTED');
      expect(sha256(raw)).toBe(built.digest);
      expect(inspected.Digest).toBe(built.digest);
      expect(inspected.Labels?.['org.opencontainers.image.revision']).toBe(built.gitCommit);
      expect(inspected.RepoTags).toContain(built.subject.tag);
      const { signatureTag, attestationTag } = built;
      if (signatureTag === undefined || attestationTag === undefined) throw new Error('good has no .sig/.att');
      expect(inspected.RepoTags).toEqual(expect.arrayContaining([signatureTag, attestationTag]));
      const sourceSig = await skopeo('inspect', '--raw', `docker://${server.host}/${good.repository}:${signatureTag}`);
      const prodSig = await skopeo('inspect', '--raw', `${prod}:${signatureTag}`);
      expect(sha256(prodSig)).toBe(sha256(sourceSig));
      const referrers = await registry.listReferrers(`prod/${good.repository}`, built.digest);
      expect(referrers.map((d) => d.digest)).toContain(built.sbomReferrer);
      const track = await gate.deps.gate.store.listPromotions(good.repository);
      expect(track.map((t) => t.digest)).toEqual([built.digest]);
    });

    it('copies every layer blob, so skopeo can pull the promoted image', async () => {
      // Prepare
      if (server === undefined || good === undefined) throw new Error('not started');

      // Act: `skopeo copy` re-reads every blob and checks it against its digest.
      const { stdout } = await run('skopeo', [
        '--insecure-policy',
        'copy',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${server.host}/prod/${good.repository}:${good.tag}`,
        `docker://${server.host}/copy-check/${good.repository}:${good.tag}`,
      ]);
      const copied = await skopeo(
        'inspect',
        '--raw',
        `docker://${server.host}/copy-check/${good.repository}:${good.tag}`,
      );

      // Assess
      expect(stdout).toContain('Writing manifest');
      expect(sha256(copied)).toBe(built.digest);
    });
  });
  describe('when production is rolled back to the release promoted before', () => {
    it('moves the live channel tag back on the docker-registry, as skopeo reads it; version tags stay', async () => {
      // Prepare: two releases of one repository promoted one after the other.
      if (gate === undefined || server === undefined || good === undefined) throw new Error('not started');
      const repository = 'demo/rollback-interop';
      const promote = async (tag: string) => {
        const image = (await buildScenario(registry, { ...good, repository, tag }, keys)).current;
        const pushed = await gate?.push(repository, tag);
        await gate?.waitForExecution(pushed?.executionName ?? '');
        return image.digest;
      };
      const first = await promote('1.0.0');
      const second = await promote('1.1.0');
      const live = async () =>
        SkopeoInspectSchema.parse(
          JSON.parse(await skopeo('inspect', `docker://${server?.host}/prod/${repository}:live`)),
        ).Digest;
      expect(await live()).toBe(second);

      // Act
      const out = await rollbackRelease(
        { ...gate.deps.gate, advisories: await loadAdvisories(ADVISORIES) },
        { repository, operator: { kind: 'cli-local', subject: 'carol@example.com' } },
      );

      // Assess
      expect(out).toMatchObject({ outcome: 'ROLLED_BACK', digest: first, from: second });
      expect(await live()).toBe(first);
      expect((await registry.getManifest(`prod/${repository}`, '1.1.0')).digest).toBe(second);
    });
  });
});
