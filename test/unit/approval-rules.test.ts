/**
 * The approval rules in process (issue 8 §2, §3): who is who (approvers.ts), who started the build
 * (the provenance's GitHub actor), who pushed (the CloudTrail PutImage record), and the
 * evidence-set digest.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slackButtonValue, slackSignature } from '../../lambdas/domain/approval/slack.js';
import { extractBuildTriggerIdentities } from '../../lambdas/domain/attest/slsa.js';
import { ConfigError, InvalidInputError } from '../../lambdas/domain/errors.js';
import { ApprovalPolicySchema } from '../../lambdas/domain/evidence/approval-policy.js';
import { evaluatePolicy } from '../../lambdas/domain/policy/evaluate.js';
import { policyFor } from '../../lambdas/domain/policy/load.js';
import { approvalRulesFor } from '../../lambdas/domain/policy/schema.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import type { StoredEvidence } from '../../lambdas/domain/records.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { isAllowedApprover, personKey, pushersMatching } from '../../lambdas/domain/workflow/approvers.js';
import { decideApproval, REJECT_NEEDS_REASON } from '../../lambdas/domain/workflow/decide-approval.js';
import { evidenceSetDigest } from '../../lambdas/domain/workflow/evidence-set.js';
import { doSlackWork } from '../../lambdas/domain/workflow/slack-answer.js';
import { makeHandler as approvalApi } from '../../lambdas/handlers/approval-api.js';
import { makeHandler as recordPusher } from '../../lambdas/handlers/record-pusher.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { HANDLER_SLACK_SECRET, recordEvaluatedRelease } from '../support/handler-world.js';
import { type HandlerWorld, handlerWorld, policyOf, STAGE, WORLD_NOW } from '../support/world.js';

const DIGEST: Digest = `sha256:${'ab'.repeat(32)}`;
const POLICY_DIGEST: Digest = `sha256:${'cd'.repeat(32)}`;

const RULES = ApprovalPolicySchema.parse({
  approvers: ['carol@example.com', 'U0BOB', 'arn:aws:sts::111122223333:assumed-role/release-approver/*'],
  people: [
    { email: 'Alice@Example.com', slack: 'U0ALICE', iam: ['arn:aws:iam::111122223333:user/alice'], github: '583231' },
    { email: 'bob@example.com', slack: 'U0BOB' },
  ],
});

describe('Module: approvers', () => {
  describe('when one person answers and pushes under several identities', () => {
    it('resolves each of them to the same person', () => {
      // Act
      const keys = [
        'alice@example.com',
        'ALICE@example.com',
        'U0ALICE',
        'github:583231',
        'arn:aws:iam::111122223333:user/alice',
      ].map((id) => personKey(RULES, id));

      // Assess
      expect(new Set(keys)).toEqual(new Set(['alice@example.com']));
      expect(personKey(RULES, 'arn:aws:iam::111122223333:user/alice2')).toBe('arn:aws:iam::111122223333:user/alice2');
    });

    it('finds the pusher behind the approver, by IAM principal or by GitHub actor', () => {
      // Act & Assess
      expect(pushersMatching(RULES, 'U0ALICE', ['arn:aws:iam::111122223333:user/alice'])).toHaveLength(1);
      expect(pushersMatching(RULES, 'alice@example.com', ['github:583231', 'github:1'])).toEqual(['github:583231']);
      expect(pushersMatching(RULES, 'bob@example.com', ['arn:aws:iam::111122223333:user/alice'])).toEqual([]);
    });
  });

  describe('when the allowlist names identities and IAM patterns', () => {
    it.each([
      ['carol@example.com', true],
      ['bob@example.com', true], // listed by his Slack id
      ['U0BOB', true], // a Slack button click by bob
      ['U0ALICE', false], // alice's Slack id: alice is not on the allowlist
      ['U0MALLORY', false], // a Slack user nobody lists
      ['arn:aws:sts::111122223333:assumed-role/release-approver/dana', true],
      ['arn:aws:sts::111122223333:assumed-role/ci-push/dana', false],
      ['alice@example.com', false],
      ['mallory@example.com', false],
    ] as const)('allows %s: %s', (identity, allowed) => {
      // Act & Assess
      expect(isAllowedApprover(RULES, identity)).toBe(allowed);
    });
  });
});

describe('Function: extractBuildTriggerIdentities', () => {
  describe.each([
    [
      'SLSA v1 from the delegator (internalParameters GITHUB_*)',
      PredicateTypes.slsaProvenanceV1,
      { buildDefinition: { internalParameters: { GITHUB_ACTOR_ID: '64505099', GITHUB_TRIGGERING_ACTOR_ID: '49289' } } },
      ['github:49289', 'github:64505099'],
    ],
    [
      'SLSA v1 with the workflow buildType (internalParameters.github)',
      PredicateTypes.slsaProvenanceV1,
      { buildDefinition: { internalParameters: { github: { actor_id: 583231, event_name: 'push' } } } },
      ['github:583231'],
    ],
    [
      'SLSA v0.2 (invocation.environment github_*)',
      PredicateTypes.slsaProvenanceV02,
      { invocation: { environment: { github_actor_id: '583231', github_triggering_actor_id: '583231' } } },
      ['github:583231'],
    ],
    [
      'actions/attest-build-provenance (no actor recorded)',
      PredicateTypes.slsaProvenanceV1,
      { buildDefinition: { internalParameters: { github: { event_name: 'push', repository_id: '1' } } } },
      [],
    ],
    [
      'an actor id of the wrong type',
      PredicateTypes.slsaProvenanceV1,
      { buildDefinition: { internalParameters: { GITHUB_ACTOR_ID: 'alice', github: { actor_id: [1] } } } },
      [],
    ],
  ] as const)('when the provenance is %s', (_name, predicateType, predicate, expected) => {
    it('returns the GitHub accounts that started the build', () => {
      // Act & Assess
      expect(extractBuildTriggerIdentities(predicateType, predicate)).toEqual(expected);
    });
  });
});

function evidence(kind: StoredEvidence['kind'], over: Partial<StoredEvidence> = {}): StoredEvidence {
  return {
    repository: 'demo/app',
    digest: DIGEST,
    kind,
    status: 'PASS',
    reasons: [`${kind} ok`],
    facts: { n: 1 },
    documents: [{ name: `${kind}.json`, mediaType: 'application/json', digest: DIGEST, size: 10 }],
    collectedAt: '2026-11-25T10:00:00.000Z',
    ...over,
  };
}

describe('Function: evidenceSetDigest', () => {
  const base = [evidence('sbom'), evidence('scan')];

  describe('when only timestamps, order or the approval evidence differ', () => {
    it('is the same digest', () => {
      // Act
      const other = [
        evidence('scan', { collectedAt: '2030-01-01T00:00:00.000Z' }),
        evidence('sbom'),
        evidence('approval', { status: 'FAIL' }),
      ];

      // Assess
      expect(evidenceSetDigest(other, null, POLICY_DIGEST)).toBe(evidenceSetDigest(base, null, POLICY_DIGEST));
    });
  });

  describe.each([
    ['a new finding in the reasons', [evidence('sbom'), evidence('scan', { reasons: ['scan ok', 'CVE-1'] })]],
    ['a changed fact', [evidence('sbom'), evidence('scan', { facts: { n: 2 } })]],
    ['a changed status', [evidence('sbom'), evidence('scan', { status: 'FAIL' })]],
    ['a new kind', [...base, evidence('eval')]],
    [
      'another document',
      [
        evidence('sbom'),
        evidence('scan', { documents: [{ name: 'x', mediaType: 'a/b', digest: POLICY_DIGEST, size: 1 }] }),
      ],
    ],
  ] as const)('when the evidence has %s', (_name, changed) => {
    it('is another digest', () => {
      // Act & Assess
      expect(evidenceSetDigest(changed, null, POLICY_DIGEST)).not.toBe(evidenceSetDigest(base, null, POLICY_DIGEST));
    });
  });

  describe('when the policy in force is another one', () => {
    it('is another digest', () => {
      // Act & Assess
      expect(evidenceSetDigest(base, null, DIGEST)).not.toBe(evidenceSetDigest(base, null, POLICY_DIGEST));
    });
  });
});

/** CloudTrail's PutImage record as EventBridge delivers it (aws-facts.md §9). */
function putImageEvent(detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'a3b6f0e2-0000-4000-8000-000000000001',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ecr',
    account: '111122223333',
    time: '2026-11-25T09:59:58Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      eventSource: 'ecr.amazonaws.com',
      eventName: 'PutImage',
      eventTime: '2026-11-25T09:59:58Z',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/ci-push/build-42',
      },
      requestParameters: { repositoryName: 'demo/app', imageTag: '1.4.0', imageManifest: '{"schemaVersion":2}' },
      responseElements: { image: { repositoryName: 'demo/app', imageId: { imageDigest: DIGEST, imageTag: '1.4.0' } } },
      ...detail,
    },
  };
}

describe('Function: record-pusher handler', () => {
  describe('when the PutImage record names the digest', () => {
    it('records the principal under that digest, before the release exists', async () => {
      // Prepare
      const w = handlerWorld();

      // Act
      const out = await recordPusher(w.getDeps)(putImageEvent());

      // Assess
      expect(out).toEqual({ outcome: 'recorded' });
      expect(await w.store.listPushers('demo/app', DIGEST)).toEqual([
        {
          repository: 'demo/app',
          digest: DIGEST,
          identity: 'arn:aws:sts::111122223333:assumed-role/ci-push/build-42',
          source: 'cloudtrail',
          at: '2026-11-25T09:59:58Z',
        },
      ]);
    });
  });

  describe('when the record has no digest in its response', () => {
    it('takes the digest of the manifest bytes sent', async () => {
      // Prepare
      const w = handlerWorld();
      const manifestDigest = `sha256:${createHash('sha256').update('{"schemaVersion":2}').digest('hex')}`;

      // Act
      await recordPusher(w.getDeps)(putImageEvent({ responseElements: null }));

      // Assess
      expect((await w.store.listPushers('demo/app', manifestDigest)).map((p) => p.identity)).toEqual([
        'arn:aws:sts::111122223333:assumed-role/ci-push/build-42',
      ]);
    });
  });

  describe.each([
    ['a failed call', { errorCode: 'ImageAlreadyExistsException', responseElements: null }, 'failed-call'],
    ['no principal', { userIdentity: { type: 'AWSService' } }, 'no-principal'],
    [
      'neither digest nor manifest',
      { responseElements: null, requestParameters: { repositoryName: 'demo/app' } },
      'no-digest',
    ],
  ] as const)('when the record has %s', (_name, detail, outcome) => {
    it('records nothing (the pusher stays unknown: fail closed)', async () => {
      // Prepare
      const w = handlerWorld();

      // Act
      const out = await recordPusher(w.getDeps)(putImageEvent(detail));

      // Assess
      expect(out).toEqual({ outcome });
      expect(await w.store.listPushers('demo/app', DIGEST)).toEqual([]);
    });
  });

  describe('when the repository is not gated by any rule', () => {
    it('records nothing', async () => {
      // Prepare
      const w = handlerWorld({ policy: policyOf({ rules: [{ repositories: ['apps/**'] }] }) });

      // Act
      const out = await recordPusher(w.getDeps)(putImageEvent());

      // Assess
      expect(out).toEqual({ outcome: 'ungated' });
      expect(await w.store.listPushers('demo/app', DIGEST)).toEqual([]);
    });
  });

  describe('when the event is not a PutImage record', () => {
    it('throws InvalidInputError and records nothing', async () => {
      // Prepare
      const w = handlerWorld();

      // Act
      const act = recordPusher(w.getDeps)(putImageEvent({ eventName: 'BatchDeleteImage' }));

      // Assess
      await expect(act).rejects.toThrow(/eventName/);
      expect(await w.store.listPushers('demo/app', DIGEST)).toEqual([]);
    });
  });
});

/** A release of demo/app whose PASS provenance says GitHub user 583231 (alice) started the build. */
async function builtByAlice(w: HandlerWorld) {
  await recordEvaluatedRelease(w, 'demo/app', DIGEST);
  await w.store.putEvidence(evidence('provenance', { facts: { triggeredBy: ['github:583231'] } }));
  return requestApproval(w.getDeps)({
    repository: 'demo/app',
    digest: DIGEST,
    stage: STAGE,
    taskToken: 'task-token-1',
    reasons: ['awaiting human approval'],
    policyDigest: POLICY_DIGEST,
    timeoutSeconds: 3600,
  });
}

/** A world where `approvers` (RULES.people) may approve any repository. */
const approversWorld = (approvers: string[]) =>
  handlerWorld({
    policy: policyOf({ rules: [{ repositories: ['**'], approval: { people: RULES.people, approvers } }] }),
  });

/** A world where alice and bob may approve any repository. */
const aliceAndBobWorld = () => approversWorld(['alice@example.com', 'bob@example.com']);

/** The token of the link RequestApproval mailed to `to`. */
function mailedToken(w: HandlerWorld, to: string): string {
  const link = w.mailer.sent.find((m) => m.to === to)?.link ?? '';
  return new URL(link).searchParams.get('t') ?? '';
}

function post(w: HandlerWorld, id: string, fields: Record<string, string>) {
  const body = new URLSearchParams(fields).toString();
  return approvalApi(w.getDeps)({
    version: '2.0',
    routeKey: 'POST /approvals/{id}',
    rawPath: `/approvals/${id}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    pathParameters: { id },
    isBase64Encoded: false,
    body,
    requestContext: { http: { method: 'POST', path: `/approvals/${id}` } },
  } as never);
}

describe('Function: approval-api handler, separation of duties from the provenance', () => {
  describe('when the GitHub account that started the build answers with its email', () => {
    it('refuses with 403 and resumes nothing; another person’s approval resumes the workflow', async () => {
      // Prepare
      const w = aliceAndBobWorld();
      const { approvalId } = await builtByAlice(w);

      // Act: each follows the link mailed to them
      const alice = await post(w, approvalId, { decision: 'approve', token: mailedToken(w, 'alice@example.com') });
      const bob = await post(w, approvalId, { decision: 'approve', token: mailedToken(w, 'bob@example.com') });

      // Assess
      expect(alice).toMatchObject({ statusCode: 403 });
      expect(JSON.stringify(alice)).toContain('separation of duties');
      expect(bob).toMatchObject({ statusCode: 200 });
      expect(w.tokens.successes).toHaveLength(1);
      expect(await w.store.getApproval(approvalId)).toMatchObject({
        state: 'APPROVED',
        pushers: ['github:583231'],
        required: 1,
      });
    });
  });
});

/** A Slack button click as API Gateway hands it over (route key, lower-case headers, base64 body). */
function slackClick(w: Pick<HandlerWorld, 'getDeps'>, user: string, value: string, secret = HANDLER_SLACK_SECRET) {
  const payload = { type: 'block_actions', user: { id: user }, actions: [{ action_id: 'approve', value }] };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(WORLD_NOW.getTime() / 1000));
  return approvalApi(w.getDeps)({
    version: '2.0',
    routeKey: 'POST /slack/interactions',
    rawPath: '/slack/interactions',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(secret, ts, body),
    },
    isBase64Encoded: true,
    body: Buffer.from(body).toString('base64'),
    requestContext: { http: { method: 'POST', path: '/slack/interactions' } },
  } as never);
}

describe('Function: approval-api handler, the Slack route (issue 8)', () => {
  describe('when Slack users click Approve on a release alice’s GitHub account built', () => {
    it('refuses a forged request with 401, refuses alice’s Slack id, and takes bob’s', async () => {
      // Prepare
      const w = aliceAndBobWorld();
      const { approvalId } = await builtByAlice(w);
      const value = slackButtonValue(approvalId, (await w.store.getApproval(approvalId))?.evidenceSetDigest ?? '');

      // Act
      const forged = await slackClick(w, 'U0BOB', value, 'f'.repeat(32));
      const alice = await slackClick(w, 'U0ALICE', value);
      await w.slackWork.settled();
      const afterAlice = await w.store.getApproval(approvalId);
      const bob = await slackClick(w, 'U0BOB', value);
      await w.slackWork.settled();

      // Assess
      expect(forged).toMatchObject({ statusCode: 401 });
      expect(alice).toMatchObject({ statusCode: 200 });
      expect(afterAlice).toMatchObject({ state: 'PENDING', approvals: [] });
      const trail = JSON.stringify(
        await w.store.listApprovalAudit(afterAlice?.repository ?? '', afterAlice?.digest ?? ''),
      );
      expect(trail).toContain('separation of duties');
      expect(bob).toMatchObject({ statusCode: 200 });
      expect(w.tokens.successes).toHaveLength(1);
      expect(await w.store.getApproval(approvalId)).toMatchObject({
        state: 'APPROVED',
        approvals: [{ by: 'U0BOB', via: 'slack' }],
      });
    });
  });
});

describe('Function: decideApproval, a reject without a reason', () => {
  describe.each([
    ['email-link', 'bob@example.com'],
    ['cli-local', 'bob@example.com'],
    ['cli-aws', 'arn:aws:iam::111122223333:user/bob'],
    ['slack', 'U0BOB'],
  ] as const)('when it comes through %s', (kind, subject) => {
    it('is refused with INVALID_INPUT naming the reason, and the approval stays pending', async () => {
      // Prepare
      const w = handlerWorld({
        policy: policyOf({
          rules: [
            {
              repositories: ['**'],
              approval: { people: RULES.people, approvers: ['bob@example.com', 'arn:aws:iam::111122223333:user/bob'] },
            },
          ],
        }),
      });
      const { approvalId } = await builtByAlice(w);
      const gate = (await w.getDeps()).gate;

      // Act
      const answer = decideApproval(gate, {
        approvalId,
        decision: 'reject',
        identity: { kind, subject },
        comment: ' ',
      });

      // Assess
      await expect(answer).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT', REJECT_NEEDS_REASON);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING' });
      expect(w.tokens.failures).toEqual([]);
    });
  });
});

describe('Function: decideApproval, more approvers than the quorum needs', () => {
  /** bob and carol may approve; one approval is required. */
  const bobAndCarolWorld = () => approversWorld(['bob@example.com', 'carol@example.com']);
  const approve = (w: HandlerWorld, approvalId: string, subject: string) =>
    decideApproval(w.deps.gate, { approvalId, decision: 'approve', identity: { kind: 'cli-local', subject } });

  describe('when both answer at the same time', () => {
    it('counts one, refuses the other as already answered by the one counted, and resumes the workflow once', async () => {
      // Prepare
      const w = bobAndCarolWorld();
      const { approvalId } = await builtByAlice(w);

      // Act
      const answers = await Promise.allSettled([
        approve(w, approvalId, 'bob@example.com'),
        approve(w, approvalId, 'carol@example.com'),
      ]);

      // Assess
      const won = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const lost = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as Error] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = won[0]?.decidedBy ?? '';
      expect(['bob@example.com', 'carol@example.com']).toContain(winner);
      expect(lost[0]).toMatchObject({ code: 'ALREADY_DECIDED' });
      expect(lost[0]?.message).toContain(`was already answered: APPROVED by ${winner}`);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'APPROVED', approvals: [{ by: winner }] });
      expect(w.tokens.successes).toHaveLength(1);
    });
  });

  describe('when the one counted stopped before deciding (the quorum is full but PENDING)', () => {
    it('decides the approval from the approval counted, resumes the workflow, and refuses the late answer', async () => {
      // Prepare
      const w = bobAndCarolWorld();
      const { approvalId } = await builtByAlice(w);
      await w.store.addApproval(approvalId, {
        by: 'bob@example.com',
        person: 'bob@example.com',
        at: WORLD_NOW.toISOString(),
      });

      // Act
      const late = approve(w, approvalId, 'carol@example.com');

      // Assess
      await expect(late).rejects.toThrow(`was already answered: APPROVED by bob@example.com`);
      expect(await w.store.getApproval(approvalId)).toMatchObject({
        state: 'APPROVED',
        decidedBy: 'bob@example.com',
        approvals: [{ by: 'bob@example.com' }],
      });
      expect(w.tokens.successes).toHaveLength(1);
      const trail = await w.store.listApprovalAudit('demo/app', DIGEST);
      expect(trail.map((a) => [a.kind, a.identity])).toEqual(
        expect.arrayContaining([
          ['decided', 'bob@example.com'],
          ['refused', 'carol@example.com'],
        ]),
      );
    });
  });
});

describe('Function: doSlackWork, when Lambda retries the asynchronous invocation after a crash', () => {
  it('completes the repeated answer instead of refusing it, and resumes the workflow once', async () => {
    // Prepare
    const w = aliceAndBobWorld();
    const { approvalId } = await builtByAlice(w);
    const approval = await w.store.getApproval(approvalId);
    const work = {
      answer: {
        userId: 'U0BOB',
        decision: 'approve' as const,
        approvalId,
        evidenceSetDigest: approval?.evidenceSetDigest ?? '',
      },
    };

    // Act: the same event twice, as Lambda's retry delivers it.
    const first = await doSlackWork(w.deps.gate, work);
    const retried = await doSlackWork(w.deps.gate, work);

    // Assess
    expect(first?.state).toBe('APPROVED');
    expect(retried).toMatchObject({ state: 'APPROVED', approvals: [{ by: 'U0BOB', via: 'slack' }] });
    expect(w.tokens.successes).toHaveLength(1);
  });
});

describe('Function: approval-api handler, the Slack route when the gate cannot read its signing secret', () => {
  it('answers 500 (Slack shows a failure), not a refusal the clicker could take as final', async () => {
    // Prepare
    const w = handlerWorld();
    const broken = {
      ...w.deps,
      gate: {
        ...w.deps.gate,
        slackSigningSecret: {
          getSlackSigningSecret: () => Promise.reject(new ConfigError('cannot read the Slack signing secret')),
        },
      },
    };

    // Act
    const out = await slackClick({ getDeps: async () => broken }, 'U0BOB', `${'a'.repeat(32)}:`);

    // Assess
    expect(out).toMatchObject({ statusCode: 500 });
  });
});

describe('Function: approvalRulesFor', () => {
  describe('when a stage sets its own approval fields', () => {
    it('uses them over the rule’s, in the request and in the decision’s timeout', async () => {
      // Prepare
      const policy = policyOf({
        rules: [
          {
            repositories: ['**'],
            stages: { production: { require: ['approval'], approval: { quorum: 2, timeoutSeconds: 600 } } },
            approval: { quorum: 1, timeoutSeconds: 3600, approvers: ['bob@example.com', 'carol@example.com'] },
          },
        ],
      });
      const rule = policyFor(policy.document, 'demo/app');
      const w = handlerWorld({ policy });
      await w.store.recordPusher({
        repository: 'demo/app',
        digest: DIGEST,
        identity: 'arn:aws:iam::111122223333:user/ci',
        source: 'cloudtrail',
        at: WORLD_NOW.toISOString(),
      });

      // Act
      const rules = approvalRulesFor(rule, 'production');
      const decision = evaluatePolicy(rule, 'production', []);
      const { approvalId } = await builtByAlice(w);

      // Assess
      expect(rules).toMatchObject({
        quorum: 2,
        timeoutSeconds: 600,
        approvers: ['bob@example.com', 'carol@example.com'],
      });
      expect(decision.approvalTimeoutSeconds).toBe(600);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ required: 2 });
    });
  });
});

describe('Function: loadPolicy, approval rules', () => {
  describe.each([
    [
      'a quorum larger than the allowlist',
      { approvers: ['bob@example.com', 'U0BOB', 'carol@example.com'], people: RULES.people, quorum: 3 },
      /quorum 3 needs that many distinct approvers; approvers names 2/,
    ],
    [
      'an identity listed for two people',
      { people: [{ email: 'bob@example.com' }, { email: 'bob@example.com', slack: 'U0BOB' }] },
      /identity bob@example.com is listed for two people/,
    ],
  ] as const)('when a rule has %s', (_name, approval, says) => {
    it('refuses the policy with the reason', () => {
      // Act
      const act = () => policyOf({ rules: [{ repositories: ['**'], approval }] });

      // Assess
      expect(act).toThrow(says);
    });
  });
});
