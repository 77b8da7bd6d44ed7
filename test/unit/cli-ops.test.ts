/**
 * The ops API handler (issue 9: "the same queries on an IAM-authorized API route on AWS"): the
 * operator is the principal API Gateway verified from the SigV4 signature, each route calls the
 * domain function the CLI calls locally, and bad input is refused before anything is read.
 */

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { Limits } from '../../lambdas/domain/limits.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { makeHandler, type OpsDeps } from '../../lambdas/handlers/cli-ops.js';
import { serveOps } from '../../lambdas/handlers/ops-http.js';
import { OPS_READ } from '../../lambdas/handlers/ops-read-routes.js';
import { OPS_ROUTES, type OpsRouteName, opsRouteKey } from '../../lambdas/handlers/ops-routes.js';
import { OPS_WRITE } from '../../lambdas/handlers/ops-write-routes.js';
import { httpApiEvent, iamAuthorizer } from '../support/api-events.js';
import {
  type HandlerWorld,
  handlerWorld,
  policyOf,
  promotedWorld,
  recordEvaluatedRelease,
  WORLD_NOW,
} from '../support/handler-world.js';
import { oneFileImage, pushManifest } from '../support/images.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest } from '../support/store-records.js';

const REPO = 'team/app';
const OPERATOR = 'arn:aws:sts::111122223333:assumed-role/OnCall/dana';

function event(
  route: OpsRouteName,
  opts: {
    query?: Record<string, string>;
    body?: string;
    authorizer?: Record<string, unknown> | null;
    pathParameters?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  const authorizer = opts.authorizer === undefined ? iamAuthorizer(OPERATOR) : opts.authorizer;
  return httpApiEvent(opsRouteKey(route), OPS_ROUTES[route].path, {
    ...(opts.pathParameters === undefined ? {} : { pathParameters: opts.pathParameters }),
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    ...(opts.body === undefined ? {} : { body: opts.body }),
    ...(authorizer === null ? {} : { authorizer }),
  });
}

function opsHandler(w: HandlerWorld) {
  const deps: OpsDeps = {
    gate: w.deps.gate,
    starter: w.deps.starter,
    documentUri: (d) => `s3://evidence-bucket/evidence/sha256/${d.slice(7)}`,
  };
  const handler = makeHandler(async () => deps);
  return async (e: APIGatewayProxyEventV2) => {
    const out = (await handler(e)) as APIGatewayProxyStructuredResultV2;
    return { status: out.statusCode, body: JSON.parse(String(out.body)) as Record<string, unknown> };
  };
}

/** A world whose track holds `digests` promoted in this order (the last one live), each with openssl 3.0.(11+i)-1. */
async function promoted(...digests: Digest[]) {
  const w = await promotedWorld(REPO, digests);
  for (const [i, digest] of digests.entries()) {
    await indexRelease(w.store, REPO, digest, [`pkg:deb/debian/openssl@3.0.${11 + i}-1?distro=debian-12`]);
  }
  return w;
}

const OSV_ADVISORY = {
  id: 'DEBIAN-CVE-2099-0001',
  aliases: ['CVE-2099-0001'],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'openssl', purl: 'pkg:deb/debian/openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.12-1' }] }],
    },
  ],
};

describe('Handler: cli-ops (the ops API, IAM authorization)', () => {
  describe('when API Gateway names no IAM principal, or a Cognito identity-pool role', () => {
    it('refuses before reading anything (500 misconfigured, 403 shared role)', async () => {
      // Prepare
      const digest = newDigest();
      const w = await promoted(digest);
      const call = opsHandler(w);
      const revoke = JSON.stringify({ digest, reason: 'CVE' });

      // Act
      const none = await call(event('revoke', { body: revoke, authorizer: null }));
      const cognito = await call(
        event('revoke', { body: revoke, authorizer: iamAuthorizer(OPERATOR, { identityId: 'eu-west-1:x' }) }),
      );

      // Assess
      expect(none).toMatchObject({ status: 500, body: { error: 'MISCONFIGURED' } });
      expect(cognito).toMatchObject({ status: 403, body: { error: 'UNTRUSTED' } });
      expect(await w.store.getRevocation(REPO, digest)).toBeNull();
    });
  });

  describe('Route: GET /cli/query/triage and POST /cli/query/triage', () => {
    it('answers a purl with a range, an OSV record in the body, and refuses bad questions with the field named', async () => {
      // Prepare
      const [old, current] = [newDigest(), newDigest()];
      const call = opsHandler(await promoted(old, current));

      // Act
      const byRange = await call(event('triage', { query: { purl: 'pkg:deb/debian/openssl', range: '<3.0.12' } }));
      const byAdvisory = await call(event('triageAdvisory', { body: JSON.stringify(OSV_ADVISORY) }));
      const byIdWithRecord = await call(
        event('triageAdvisory', { query: { id: 'CVE-2099-0001' }, body: JSON.stringify(OSV_ADVISORY) }),
      );
      const refusals = {
        noQuestion: await call(event('triage')),
        unknownParameter: await call(event('triage', { query: { purl: 'pkg:deb/debian/openssl', by: 'me' } })),
        rangeWithoutPurl: await call(event('triage', { query: { id: 'CVE-1', range: '<1' } })),
        badRecord: await call(event('triageAdvisory', { body: JSON.stringify({ id: 'X', affected: 'all' }) })),
        tooLarge: await call(event('triageAdvisory', { body: ' '.repeat(Limits.advisoryBytes + 1) })),
        otherId: await call(
          event('triageAdvisory', { query: { id: 'CVE-1999-1' }, body: JSON.stringify(OSV_ADVISORY) }),
        ),
      };

      // Assess
      expect(byRange.status, JSON.stringify(byRange.body)).toBe(200);
      expect(byRange.body.releases).toEqual([
        expect.objectContaining({
          digest: old,
          status: 'PROMOTED',
          matches: [expect.objectContaining({ version: '3.0.11-1' })],
        }),
      ]);
      expect(byAdvisory.status, JSON.stringify(byAdvisory.body)).toBe(200);
      expect(byAdvisory.body.releases).toEqual([expect.objectContaining({ digest: old })]);
      expect(byIdWithRecord.body.releases).toEqual([expect.objectContaining({ digest: old })]);
      expect(Object.fromEntries(Object.entries(refusals).map(([k, r]) => [k, r.status]))).toEqual({
        noQuestion: 400,
        unknownParameter: 400,
        rangeWithoutPurl: 400,
        badRecord: 400,
        tooLarge: 413,
        otherId: 400,
      });
      expect(String(refusals.badRecord.body.message)).toContain('affected');
      expect(String(refusals.unknownParameter.body.message)).toContain('by');
    });
  });

  describe('Route: POST /cli/incident/revoke', () => {
    it('revokes as the signing principal, and refuses a typed identity without storing anything', async () => {
      // Prepare
      const [a, b] = [newDigest(), newDigest()];
      const w = await promoted(a, b);
      const call = opsHandler(w);

      // Act
      const typed = await call(event('revoke', { body: JSON.stringify({ digest: b, reason: 'CVE', by: 'eve' }) }));
      const afterTyped = await w.store.getRevocation(REPO, b);
      const revoked = await call(event('revoke', { body: JSON.stringify({ digest: b, reason: 'CVE-2099-0001' }) }));

      // Assess
      expect(typed.status).toBe(400);
      expect(String(typed.body.message)).toContain('a typed identity is not accepted');
      expect(afterTyped).toBeNull();
      expect(revoked).toMatchObject({
        status: 200,
        body: {
          repository: REPO,
          created: true,
          liveNow: true,
          record: { revokedBy: `${OPERATOR} (AWS CLI, caller principal)`, reason: 'CVE-2099-0001' },
          rollback: { target: { digest: a } },
        },
      });
      expect(w.outcomes.events.map((e) => e.type)).toEqual(['Release Revoked']);
    });
  });

  describe('Route: POST /cli/incident/rollback', () => {
    it('re-verifies the target and refuses one without stored evidence; a break-glass body is refused', async () => {
      // Prepare
      const [a, b] = [newDigest(), newDigest()];
      const w = await promoted(a, b);
      const call = opsHandler(w);

      // Act
      const refused = await call(event('rollback', { body: JSON.stringify({ repository: `prod/${REPO}` }) }));
      const glass = await call(
        event('rollback', {
          body: JSON.stringify({ repository: REPO, reason: 'outage', breakGlass: { approvedBy: 'bob@example.com' } }),
        }),
      );
      const unknown = await call(event('rollback', { body: JSON.stringify({ repository: 'nowhere/app' }) }));

      // Assess
      expect(refused.status, JSON.stringify(refused.body)).toBe(200);
      expect(refused.body).toMatchObject({ outcome: 'REFUSED', repository: REPO, digest: a });
      expect((refused.body.reasons as string[]).join(' ')).toMatch(/evidence/i);
      expect(typeof refused.body.seconds).toBe('number');
      expect(glass.status).toBe(400);
      expect(unknown).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
      expect((await w.store.listPromotions(REPO)).map((p) => p.digest)).toEqual(expect.arrayContaining([a, b]));
      expect(await w.store.listPromotions(REPO)).toHaveLength(2);
    });
  });

  describe('Route: POST /cli/incident/release', () => {
    it('re-verifies a quarantined release as the signing principal and refuses it with the reasons', async () => {
      // Prepare
      const digest = newDigest();
      const w = handlerWorld();
      await recordEvaluatedRelease(w, REPO, digest);
      await w.store.updateReleaseState(REPO, digest, 'QUARANTINED');
      const call = opsHandler(w);

      // Act
      const refused = await call(event('release', { body: JSON.stringify({ digest, reason: 'the CVE is fixed' }) }));
      const noReason = await call(event('release', { body: JSON.stringify({ digest }) }));

      // Assess
      expect(refused.status, JSON.stringify(refused.body)).toBe(200);
      expect(refused.body).toMatchObject({ outcome: 'REFUSED', repository: REPO, digest });
      expect((refused.body.reasons as string[]).length).toBeGreaterThan(0);
      expect(noReason.status).toBe(400);
      expect(await w.store.listPromotions(REPO)).toEqual([]);
    });
  });

  describe('Route: GET /cli/query/status', () => {
    it('lists the releases with their promotions, details one digest, and refuses a bad or unknown digest', async () => {
      // Prepare
      const [first, second] = [newDigest(), newDigest()];
      const w = await promoted(first, second);
      const call = opsHandler(w);

      // Act
      const list = await call(event('status'));
      const one = await call(event('status', { query: { digest: second.slice(0, 24) } }));
      const unknown = await call(event('status', { query: { digest: `sha256:${'f'.repeat(64)}` } }));
      const malformed = await call(event('status', { query: { digest: 'latest' } }));
      const extra = await call(event('status', { query: { by: 'alice' } }));

      // Assess
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      const releases = (list.body as { releases: { digest: string; promotions: unknown[] }[] }).releases;
      expect(releases.map((r) => r.digest).sort()).toEqual([first, second].sort());
      for (const r of releases) expect(r.promotions).toEqual([expect.objectContaining({ digest: r.digest })]);
      expect(one).toMatchObject({ status: 200, body: { releases: [{ repository: REPO, digest: second }] } });
      expect(unknown).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
      expect(malformed).toMatchObject({ status: 400, body: { error: 'INVALID_INPUT' } });
      expect(extra).toMatchObject({ status: 400, body: { error: 'INVALID_INPUT' } });
    });
  });

  describe('Routes: GET /cli/query/explain and GET /cli/query/report', () => {
    it('explains nothing without a stored decision (404), and stores the report, answering its location and HTML', async () => {
      // Prepare
      const digest = newDigest();
      const w = await promoted(digest);
      const call = opsHandler(w);

      // Act
      const explain = await call(event('explain', { query: { digest: digest.slice(0, 20) } }));
      const report = await call(event('report', { query: { digest, repository: REPO } }));
      const badDigest = await call(event('report', { query: { digest: 'latest' } }));

      // Assess
      expect(explain).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
      expect(report.status, JSON.stringify(report.body)).toBe(200);
      const document = String(report.body.document);
      expect(report.body.uri).toBe(`s3://evidence-bucket/evidence/sha256/${document.slice(7)}`);
      expect(String(report.body.html)).toContain(digest);
      expect(new TextDecoder().decode(await w.store.get(document as Digest))).toBe(report.body.html);
      expect(badDigest.status).toBe(400);
    });
  });

  describe('when the route key is not an ops route', () => {
    it('answers 404', async () => {
      const call = opsHandler(handlerWorld());
      const e = event('triage');
      expect((await call({ ...e, routeKey: 'GET /cli/query/everything' })).status).toBe(404);
    });
  });

  describe('Route: POST /cli/incident/break-glass/{id} (a break-glass in two signed requests)', () => {
    /** On-call may approve (any OnCall role session); mallory may call the API but not approve. */
    const GLASS_POLICY = policyOf({
      rules: [{ repositories: ['**'], approval: { approvers: ['arn:aws:sts::111122223333:assumed-role/OnCall/*'] } }],
    });
    const ERIN = 'arn:aws:sts::111122223333:assumed-role/OnCall/erin';
    const MALLORY = 'arn:aws:iam::111122223333:user/mallory';
    const PROD = `prod/${REPO}`;

    /** Two releases promoted in order (images in production, `live` on the second); neither has stored evidence. */
    async function live() {
      const w = handlerWorld({ policy: GLASS_POLICY });
      const [a, b] = [oneFileImage('glass-a').root, oneFileImage('glass-b').root];
      for (const [i, image] of [a, b].entries()) {
        await recordEvaluatedRelease(w, REPO, image.digest);
        await pushManifest(w.deps.gate.registry, PROD, image, `v${i}`);
        await w.deps.gate.registry.moveTag(PROD, 'live', image.digest);
        await w.store.appendPromotion({
          repository: REPO,
          digest: image.digest,
          promotedAt: new Date(WORLD_NOW.getTime() + i * 60_000).toISOString(),
          targetRepository: PROD,
          tag: `v${i}`,
        });
      }
      return { w, a: a.digest, b: b.digest, call: opsHandler(w) };
    }

    const ask = (call: ReturnType<typeof opsHandler>) =>
      call(event('rollback', { body: JSON.stringify({ repository: REPO, breakGlass: { reason: 'CVE exploited' } }) }));
    const confirm = (call: ReturnType<typeof opsHandler>, id: unknown, by: string) =>
      call(event('breakGlassConfirm', { pathParameters: { id: String(id) }, authorizer: iamAuthorizer(by) }));

    it('records a pending request and does nothing else; a typed approver is still refused', async () => {
      // Prepare
      const { w, a, b, call } = await live();

      // Act
      const pending = await ask(call);
      const typed = await call(
        event('rollback', { body: JSON.stringify({ repository: REPO, breakGlass: { reason: 'x', approver: ERIN } }) }),
      );

      // Assess
      expect(pending.status, JSON.stringify(pending.body)).toBe(202);
      expect(pending.body).toMatchObject({
        outcome: 'PENDING',
        state: 'PENDING',
        action: 'rollback',
        repository: REPO,
        digest: a,
        reason: 'CVE exploited',
        operator: OPERATOR,
        expiresAt: new Date(WORLD_NOW.getTime() + 3600_000).toISOString(),
      });
      expect((pending.body.confirm as { command: string }).command).toBe(
        `release-gate break-glass confirm ${String(pending.body.id)} --aws`,
      );
      expect(await w.store.getBreakGlassRequest(String(pending.body.id))).toMatchObject({ state: 'PENDING' });
      expect(typed).toMatchObject({ status: 400, body: { error: 'INVALID_INPUT' } });
      expect(w.outcomes.events).toEqual([]);
      expect((await w.store.listPromotions(REPO)).map((e) => e.digest)).toEqual([b, a]);
    });

    it('refuses the operator, a principal the approval rules do not allow, and an expired request, without using it', async () => {
      // Prepare
      const { w, call } = await live();
      const id = (await ask(call)).body.id;

      // Act
      const self = await confirm(call, id, OPERATOR);
      const mallory = await confirm(call, id, MALLORY);
      w.clock.advance(3600);
      const expired = await confirm(call, id, ERIN);
      const unknown = await confirm(call, '00000000-0000-4000-8000-000000000000', ERIN);

      // Assess
      expect(self).toMatchObject({ status: 403, body: { error: 'UNTRUSTED' } });
      expect(String(self.body.message)).toMatch(/second person/);
      expect(mallory).toMatchObject({ status: 403, body: { error: 'UNTRUSTED' } });
      expect(String(mallory.body.message)).toMatch(/not an allowed approver/);
      expect(expired).toMatchObject({ status: 410, body: { error: 'EXPIRED' } });
      expect(unknown.status).toBe(404);
      expect(await w.store.getBreakGlassRequest(String(id))).toMatchObject({ state: 'PENDING' });
      expect(await w.store.listPromotions(REPO)).toHaveLength(2);
    });

    it("rolls back once on a second principal's confirmation, recording both; a second confirmation is refused", async () => {
      // Prepare
      const { w, a, b, call } = await live();
      const id = (await ask(call)).body.id;

      // Act
      const done = await confirm(call, id, ERIN);
      const again = await confirm(call, id, ERIN);

      // Assess
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        action: 'rollback',
        request: { id, state: 'USED', operator: OPERATOR, usedBy: ERIN },
        outcome: { outcome: 'ROLLED_BACK', digest: a, from: b, breakGlass: { approvedBy: ERIN } },
      });
      expect(again).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });
      const rollbacks = (await w.store.listPromotions(REPO)).filter((e) => e.kind === 'rollback');
      expect(rollbacks).toHaveLength(1);
      expect(rollbacks[0]).toMatchObject({ digest: a, by: expect.stringContaining(OPERATOR) });
      expect(rollbacks[0]?.breakGlass).toMatchObject({ reason: 'CVE exploited', approvedBy: ERIN });
      expect(w.outcomes.events.filter((e) => e.type === 'Break Glass Used')).toHaveLength(1);
    });

    it("releases a quarantined release from quarantine on a second principal's confirmation", async () => {
      // Prepare: a quarantined release whose image is in the gated repository, with no stored evidence.
      const w = handlerWorld({ policy: GLASS_POLICY });
      const image = oneFileImage('glass-quarantined').root;
      await pushManifest(w.deps.gate.registry, REPO, image, '2.0.0');
      await recordEvaluatedRelease(w, REPO, image.digest);
      await w.store.updateReleaseState(REPO, image.digest, 'QUARANTINED');
      const call = opsHandler(w);
      const body = {
        digest: image.digest,
        reason: 'the finding is a false positive',
        breakGlass: { reason: 'hotfix' },
      };

      // Act
      const pending = await call(event('release', { body: JSON.stringify(body) }));
      const stateWhilePending = (await w.store.getRelease(REPO, image.digest))?.state;
      const done = await confirm(call, pending.body.id, ERIN);

      // Assess
      expect(pending).toMatchObject({ status: 202, body: { action: 'release', digest: image.digest } });
      expect(stateWhilePending).toBe('QUARANTINED');
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        action: 'release',
        request: { state: 'USED', operator: OPERATOR, usedBy: ERIN },
        outcome: { outcome: 'PROMOTED', breakGlass: { reason: 'hotfix', approvedBy: ERIN } },
      });
    });
  });

  describe('when one class of routes is served by its own function (ops-read, ops-write on AWS)', () => {
    const unreachable = (wired: { value: boolean }) => async (): Promise<never> => {
      wired.value = true;
      throw new Error('not to be reached');
    };

    it.each([
      ['the read function', 'rollback', (w: { value: boolean }) => serveOps(OPS_READ, unreachable(w))],
      ['the read function', 'breakGlassConfirm', (w: { value: boolean }) => serveOps(OPS_READ, unreachable(w))],
      ['the incident function', 'status', (w: { value: boolean }) => serveOps(OPS_WRITE, unreachable(w))],
    ] as const)('%s answers 404 for %s without reading anything', async (_, route, serve) => {
      // Prepare
      const wired = { value: false };
      const handler = serve(wired);

      // Act
      const out = (await handler(event(route, { body: '{}' }))) as APIGatewayProxyStructuredResultV2;

      // Assess
      expect(out.statusCode).toBe(404);
      expect(wired.value).toBe(false);
    });

    it('splits the routes into the two classes, each under its own prefix', () => {
      // Assess: every route is served by exactly one function, and the prefix says which.
      expect([...OPS_READ.routes, ...OPS_WRITE.routes].sort()).toEqual(Object.keys(OPS_ROUTES).sort());
      for (const r of OPS_READ.routes) expect(OPS_ROUTES[r].path).toMatch(/^\/cli\/query\//);
      for (const r of OPS_WRITE.routes) expect(OPS_ROUTES[r].path).toMatch(/^\/cli\/incident\//);
    });
  });
});
