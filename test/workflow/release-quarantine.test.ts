/**
 * Release from quarantine (issue 9 §4) after the real workflow quarantined a release signed by a
 * key the policy does not trust: refused with the reasons, then promoted by a break-glass (a reason
 * and a second person, a break-glass decision document, `Break Glass Used`), then undone by
 * `rollback`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES } from '../../cli/fixtures/scenarios.js';
import { LocalExecutionStarter } from '../../cli/local/execution-route.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { ConflictError, NotificationError, UntrustedError } from '../../lambdas/domain/errors.js';
import { type ReleaseDeps, releaseFromQuarantine } from '../../lambdas/domain/incident/release.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { MAX_GATE_ROUNDS } from '../../lambdas/domain/records.js';
import type { ApprovalIdentity } from '../../lambdas/domain/workflow/decide-approval.js';
import { explainDecision } from '../../lambdas/domain/workflow/explain.js';
import { buildReleaseReport } from '../../lambdas/domain/workflow/report.js';
import { makeHandler as opsApi } from '../../lambdas/handlers/cli-ops.js';
import { OPS_ROUTES, opsRouteKey } from '../../lambdas/handlers/ops-routes.js';
import { httpApiEvent, iamAuthorizer } from '../support/api-events.js';
import {
  answerLink,
  gateRelease,
  type LocalWorld,
  lastState,
  mailedLinks,
  quarantinedUnsigned,
  useLocalWorld,
} from '../support/world.js';

const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));
const REPO = 'demo/release-app';
const PROD = `prod/${REPO}`;
const PROD_OF = (repository: string) => `prod/${repository}`;
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const BOB = { kind: 'cli-local', subject: 'bob@example.com' } as const;

describe('Workflow: release from quarantine', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  const deps = async (w: LocalWorld): Promise<ReleaseDeps> => ({
    ...w.deps.gate,
    starter: w.deps.starter,
    advisories: await loadAdvisories(ADVISORIES),
  });
  const liveDigest = async (w: LocalWorld) => (await w.registry.getManifest(PROD, 'live')).digest;
  const eventsOf = (w: LocalWorld, type: string) => w.gate.outcomes.filter((e) => e.type === type);

  it('refuses a release that still fails, promotes it by break-glass, and rollback undoes it', async () => {
    // Prepare: one release promoted, the next quarantined for an untrusted signer.
    const w = world();
    const build = (tag: string, signature?: 'untrusted-key') =>
      buildScenarioImage(w.registry, { repository: REPO, tag, npmPackages: DEFAULT_NPM_PACKAGES, signature }, w.keys);
    const first = await build('1.0.0');
    expect(lastState((await gateRelease(w, REPO, '1.0.0')).exec)).toBe('Promoted');
    const second = await build('1.1.0', 'untrusted-key');
    expect(lastState((await gateRelease(w, REPO, '1.1.0')).exec)).toBe('Quarantined');
    const ask = async (breakGlass?: Parameters<typeof releaseFromQuarantine>[1]['breakGlass']) =>
      releaseFromQuarantine(await deps(w), {
        repository: REPO,
        digest: second.digest,
        reason: 'the signing key was rotated',
        operator: OPS,
        ...(breakGlass === undefined ? {} : { breakGlass }),
      });

    // Act & Assess: still failing, it is refused with the reasons, and nothing moves.
    const refused = await ask();
    expect(refused.outcome).toBe('REFUSED');
    expect(refused.outcome === 'REFUSED' && refused.reasons.join('\n')).toMatch(
      /signature (FAIL|UNTRUSTED|ERROR) today/,
    );
    expect(await liveDigest(w)).toBe(first.digest);
    // A release that is not quarantined is refused as such.
    const promoted = await releaseFromQuarantine(await deps(w), {
      repository: REPO,
      digest: first.digest,
      reason: 'x',
      operator: OPS,
    });
    expect(promoted.outcome === 'REFUSED' && promoted.reasons).toEqual([
      expect.stringMatching(/is PROMOTED, not QUARANTINED/),
    ]);
    // The operator cannot approve their own break-glass.
    await expect(ask({ reason: 'outage', approver: OPS })).rejects.toThrow(UntrustedError);

    // Break-glass: promoted, recorded, alerted; the gate's decision stays.
    const glass = await ask({ reason: 'outage: the fix must ship now', approver: BOB });
    expect(glass).toMatchObject({
      outcome: 'PROMOTED',
      breakGlass: { reason: 'outage: the fix must ship now', approvedBy: 'bob@example.com' },
    });
    expect(await liveDigest(w)).toBe(second.digest);
    expect((await w.registry.getManifest(PROD, '1.1.0')).digest).toBe(second.digest);
    const store = w.deps.gate.store;
    expect((await store.getRelease(REPO, second.digest))?.state).toBe('QUARANTINED');
    expect((await store.getDecision(REPO, second.digest))?.decision).not.toBe('PASS');
    const [entry] = await store.listPromotions(REPO);
    expect(entry).toMatchObject({
      digest: second.digest,
      kind: 'promotion',
      by: 'carol@example.com (local, unauthenticated)',
      reason: 'the signing key was rotated',
      breakGlass: {
        approvedBy: 'bob@example.com',
        overridden: [expect.stringMatching(/^signature /), "today's policy blocks it"],
      },
    });
    const ref = entry?.breakGlass?.decisionDocument;
    expect(ref).toBeDefined();
    const document = JSON.parse(new TextDecoder().decode(await w.deps.gate.documents.get(ref ?? 'sha256:0')));
    expect(document).toMatchObject({
      decision: 'BREAK_GLASS',
      digest: second.digest,
      gateDecision: { decision: expect.not.stringMatching(/^PASS$/) },
      breakGlass: { reason: 'outage: the fix must ship now' },
    });
    expect(eventsOf(w, 'Break Glass Used').map((e) => e.detail)).toEqual([
      expect.objectContaining({ digest: second.digest, approvedBy: 'bob@example.com' }),
    ]);
    expect(w.gate.notifications.map((n) => n.subject)).toContainEqual(expect.stringMatching(/^BREAK GLASS: /));

    // Reversible: rollback goes back to the release live before.
    const back = await rollbackRelease(await deps(w), { repository: REPO, operator: OPS, reason: 'undo break-glass' });
    expect(back).toMatchObject({ outcome: 'ROLLED_BACK', digest: first.digest, from: second.digest });
    expect(await liveDigest(w)).toBe(first.digest);
  }, 300_000);
});

describe('Workflow: release from quarantine of a release whose evidence passes', () => {
  // Nobody answers on their own: each round's approval is answered by the test.
  const world = useLocalWorld();
  const deps = async (w: LocalWorld): Promise<ReleaseDeps> => ({
    ...w.deps.gate,
    starter: w.deps.starter,
    advisories: await loadAdvisories(ADVISORIES),
  });
  /** The next approval request of `repository`, answered through a mailed signed link. */
  const answerNext = (w: LocalWorld, repository: string, decision: 'approve' | 'reject') =>
    new Promise<string>((resolve, reject) => {
      let answered = false;
      w.gate.onOutcome((e) => {
        if (answered || e.type !== 'Approval Requested' || e.detail.repository !== repository) return;
        answered = true;
        const approvalId = String(e.detail.approvalId);
        const link = [...mailedLinks(w, approvalId).values()][0];
        if (link === undefined) return reject(new Error(`no link mailed for ${approvalId}`));
        answerLink(link, decision, { comment: `${decision} from test` }).then(() => resolve(approvalId), reject);
      });
    });
  const ask = async (
    w: LocalWorld,
    repository: string,
    digest: string,
    operator: ApprovalIdentity = OPS,
    reason = 'fixed',
  ) => releaseFromQuarantine(await deps(w), { repository, digest, reason, operator });

  it('runs the gate again with the evidence attached since, through approval by signed link, to PROMOTED', async () => {
    // Prepare: quarantined for a missing signature; the signature is attached afterwards.
    const w = world();
    const repository = 'demo/late-signature';
    const { built, gated: first, sign } = await quarantinedUnsigned(w, repository, '2.0.0');
    const store = w.deps.gate.store;
    const roundOne = await store.getDecision(repository, built.digest);
    expect(roundOne?.decision).toBe('BLOCK');
    await sign();

    // Act: released, but the start is lost (a crash after the store started the round) …
    const lost = releaseFromQuarantine(
      {
        ...(await deps(w)),
        starter: {
          start: async () => {
            throw new NotificationError('StartExecution: connection reset');
          },
        },
      },
      { repository, digest: built.digest, reason: 'the signature was attached late', operator: OPS },
    );
    await expect(lost).rejects.toThrow(NotificationError);
    expect((await store.getRelease(repository, built.digest))?.state).toBe('RECORDED');
    // … so someone else cannot start another round, and the same request retried starts this one.
    const other = await ask(w, repository, built.digest, BOB, 'me too');
    expect(other.outcome === 'REFUSED' && other.reasons).toEqual([
      expect.stringMatching(/is RECORDED, not QUARANTINED/),
    ]);
    const approved = answerNext(w, repository, 'approve');
    const out = await ask(w, repository, built.digest, OPS, 'the signature was attached late');
    expect(out).toMatchObject({ outcome: 'RESUBMITTED', round: 2, executionName: expect.stringMatching(/-r2$/) });
    const exec = await w.gate.waitForExecution(out.outcome === 'RESUBMITTED' ? out.executionName : '');
    await approved;

    // Assess: promoted by the second round, which collected the signature again.
    expect(lastState(exec)).toBe('Promoted');
    expect((await w.registry.getManifest(PROD_OF(repository), '2.0.0')).digest).toBe(built.digest);
    const release = await store.getRelease(repository, built.digest);
    expect(release).toMatchObject({
      state: 'PROMOTED',
      gateRound: 2,
      executionName: out.outcome === 'RESUBMITTED' && out.executionName,
    });
    expect((await store.getEvidence(repository, built.digest, 'signature'))?.status).toBe('PASS');
    // Round 1 stays readable: how it ended, who asked for round 2 and why, its records and document.
    expect(release?.rounds).toEqual([
      expect.objectContaining({
        round: 1,
        executionName: first.release?.executionName,
        outcome: 'QUARANTINED',
        outcomeReasons: first.release?.outcomeReasons,
        decisionDocument: roundOne?.documentDigest,
        resubmittedBy: 'carol@example.com (local, unauthenticated)',
        reason: 'the signature was attached late',
      }),
    ]);
    const archive = await store.getRoundArchive(repository, built.digest, 1);
    expect(archive.decision).toEqual(roundOne);
    expect(archive.evidence.find((e) => e.kind === 'signature')?.status).toBe('MISSING');
    const document = JSON.parse(
      new TextDecoder().decode(await w.deps.gate.documents.get(roundOne?.documentDigest ?? 'sha256:0')),
    );
    expect(document.decision.decision).toBe('BLOCK');
    expect(w.gate.outcomes.filter((e) => e.type === 'Release Resubmitted').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        digest: built.digest,
        round: 2,
        previous: expect.objectContaining({ outcome: 'QUARANTINED' }),
      }),
    ]);
    // explain replays the latest decision and names its round; the report shows both rounds.
    const explained = await explainDecision(w.deps.gate, repository, built.digest);
    expect(explained).toMatchObject({ gateRound: 2, identical: true, stored: { decision: 'PASS' } });
    const explainedFirst = await explainDecision(w.deps.gate, repository, built.digest, undefined, 1);
    expect(explainedFirst).toMatchObject({
      gateRound: 1,
      decisionDocument: roundOne?.documentDigest,
      identical: true,
      stored: { decision: 'BLOCK' },
      evidenceChanges: [],
    });
    await expect(explainDecision(w.deps.gate, repository, built.digest, undefined, 3)).rejects.toThrow(
      /has no gate round 3/,
    );
    const report = await buildReleaseReport(w.deps.gate, repository, built.digest, new Date());
    expect(report.timeline.map((e) => e.what)).toEqual(
      expect.arrayContaining([
        'gate round 1 ended QUARANTINED',
        'released from quarantine by carol@example.com (local, unauthenticated): the signature was attached late (gate round 2)',
        'policy decision: PASS (gate round 2)',
      ]),
    );
    // The local start route starts only a round waiting to start, and only for the CLI.
    const input = {
      repository,
      digest: built.digest,
      tag: '2.0.0',
      stage: 'production',
      timeouts: { scanSeconds: 30 },
    };
    const starter = new LocalExecutionStarter(w.gate.approvalBaseUrl);
    await expect(starter.start(release?.executionName ?? '', input)).rejects.toThrow(ConflictError);
    const origin = new URL(w.gate.approvalBaseUrl).origin;
    const page = await fetch(`${origin}/local/executions/${release?.executionName ?? ''}`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(page.status).toBe(403);
    // A PROMOTED release is not released again.
    const again = await ask(w, repository, built.digest);
    expect(again.outcome === 'REFUSED' && again.reasons).toEqual([
      expect.stringMatching(/is PROMOTED, not QUARANTINED/),
    ]);
  }, 300_000);

  it('asks a rejected release again: one round per request, a new approval, the rejected one kept, at most MAX_GATE_ROUNDS', async () => {
    // Prepare: a good release quarantined because its approver rejected it.
    const w = world();
    const repository = 'demo/rejected-app';
    const built = await buildScenarioImage(
      w.registry,
      { repository, tag: '1.0.0', npmPackages: DEFAULT_NPM_PACKAGES },
      w.keys,
    );
    const rejectedFirst = answerNext(w, repository, 'reject');
    expect(lastState((await gateRelease(w, repository, '1.0.0')).exec)).toBe('Quarantined');
    const firstApproval = await rejectedFirst;

    // Act: two operators ask at once; the round they start is rejected again.
    const rejectedSecond = answerNext(w, repository, 'reject');
    const [a, b] = await Promise.all([
      ask(w, repository, built.digest, OPS, 'rejected by mistake'),
      ask(w, repository, built.digest, BOB, 'rejected by mistake, says bob'),
    ]);

    // Assess: exactly one round started; the other request is refused.
    const outcomes = [a.outcome, b.outcome].sort();
    expect(outcomes).toEqual(['REFUSED', 'RESUBMITTED']);
    const started = a.outcome === 'RESUBMITTED' ? a : b;
    const exec = await w.gate.waitForExecution(started.outcome === 'RESUBMITTED' ? started.executionName : '');
    const secondApproval = await rejectedSecond;
    expect(lastState(exec)).toBe('Quarantined');
    expect(secondApproval).not.toBe(firstApproval);
    const store = w.deps.gate.store;
    expect((await store.getApproval(firstApproval))?.state).toBe('REJECTED');
    expect((await store.getApproval(secondApproval))?.state).toBe('REJECTED');
    expect((await store.getRelease(repository, built.digest))?.rounds).toHaveLength(1);

    // Act & Assess: round 3 runs (rejected again), then the cap refuses a fourth.
    const rejectedThird = answerNext(w, repository, 'reject');
    const third = await ask(w, repository, built.digest, OPS, 'third time');
    expect(third).toMatchObject({ outcome: 'RESUBMITTED', round: MAX_GATE_ROUNDS });
    await w.gate.waitForExecution(third.outcome === 'RESUBMITTED' ? third.executionName : '');
    await rejectedThird;
    const fourth = await ask(w, repository, built.digest, OPS, 'fourth time');
    expect(fourth.outcome === 'REFUSED' && fourth.reasons).toEqual([expect.stringMatching(/MAX_GATE_ROUNDS = 3/)]);
    expect((await store.getRelease(repository, built.digest))?.rounds?.map((r) => r.round)).toEqual([1, 2]);
    // A break-glass has nothing to override on a passing release, and does not skip the approval.
    const glass = await releaseFromQuarantine(await deps(w), {
      repository,
      digest: built.digest,
      reason: 'r',
      operator: OPS,
      breakGlass: { reason: 'outage', approver: BOB },
    });
    expect(glass.outcome === 'REFUSED' && glass.reasons).toEqual([
      expect.stringMatching(/nothing to break glass over/),
    ]);
  }, 300_000);

  it('starts the next round through the ops API as the signing principal (release --aws)', async () => {
    // Prepare: a good release quarantined because its approver rejected it.
    const w = world();
    const repository = 'demo/rejected-over-api';
    const built = await buildScenarioImage(
      w.registry,
      { repository, tag: '1.0.0', npmPackages: DEFAULT_NPM_PACKAGES },
      w.keys,
    );
    const rejected = answerNext(w, repository, 'reject');
    expect(lastState((await gateRelease(w, repository, '1.0.0')).exec)).toBe('Quarantined');
    await rejected;
    const principal = 'arn:aws:iam::111122223333:user/carol';
    const handler = opsApi(async () => ({
      gate: w.deps.gate,
      starter: w.deps.starter,
      documentUri: (d) => `s3://evidence/${d}`,
      advisories: () => loadAdvisories(ADVISORIES),
    }));

    // Act: POST /cli/incident/release signed by carol; round 2 is approved by signed link.
    const approved = answerNext(w, repository, 'approve');
    const res = (await handler(
      httpApiEvent(opsRouteKey('release'), OPS_ROUTES.release.path, {
        body: JSON.stringify({ digest: built.digest, reason: 'rejected by mistake' }),
        authorizer: iamAuthorizer(principal),
      }),
    )) as { statusCode: number; body: string };

    // Assess
    expect(res.statusCode, res.body).toBe(200);
    const answer = JSON.parse(res.body) as { outcome: string; round: number; executionName: string };
    expect(answer).toMatchObject({ outcome: 'RESUBMITTED', round: 2 });
    expect(lastState(await w.gate.waitForExecution(answer.executionName))).toBe('Promoted');
    await approved;
    const release = await w.deps.gate.store.getRelease(repository, built.digest);
    expect(release?.rounds?.[0]?.resubmittedBy).toContain(principal);
  }, 300_000);
});
