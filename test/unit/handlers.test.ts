import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { signLink } from '../../lambdas/domain/approval/link.js';
import { AlreadyDecidedError, InvalidInputError, StoreError, TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import type { DecisionRecord } from '../../lambdas/domain/records.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { executionNameFor } from '../../lambdas/domain/workflow/inputs.js';
import { makeHandler as approvalApi } from '../../lambdas/handlers/approval-api.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { makeHandler as startRelease } from '../../lambdas/handlers/start-release.js';
import { makeHandler as waitForScan } from '../../lambdas/handlers/wait-for-scan.js';
import { sha256Hex } from '../support/digest.js';
import { recordEvaluatedRelease } from '../support/handler-world.js';
import { indexOf, oneFileImage } from '../support/images.js';
import {
  APPROVAL_BASE_URL,
  type HandlerWorld,
  WORLD_NOW as NOW,
  HANDLER_POLICY as POLICY,
  policyOf,
  SCAN_TIMEOUT_SECONDS,
  STAGE,
  handlerWorld as world,
} from '../support/world.js';

/** The AWS samples' digests are shortened (60 hex); padded to a valid 64-hex digest. */
const ECR_SAMPLE_HEX = '7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234';
const DIGEST: Digest = `sha256:${ECR_SAMPLE_HEX.padEnd(64, '0')}`;
const OTHER_DIGEST: Digest = `sha256:${'36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5'.padEnd(64, 'e')}`;

/** ECR Image Action, the AWS sample (aws-facts.md §1a) with a valid digest. */
function imageActionEvent(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2019-11-16T01:54:34Z',
    region: 'us-west-2',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'my-repository-name',
      'image-digest': DIGEST,
      'action-type': 'PUSH',
      'image-tag': 'latest',
      ...detail,
    },
    ...envelope,
  };
}

/** ECR Image Scan, the AWS sample (§1b) with a valid digest. */
function ecrScanEvent(digest: string = DIGEST) {
  return {
    version: '0',
    id: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
    'detail-type': 'ECR Image Scan',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2019-10-29T02:36:48Z',
    region: 'us-east-1',
    resources: ['arn:aws:ecr:us-east-1:123456789012:repository/my-repository-name'],
    detail: {
      'scan-status': 'COMPLETE',
      'repository-name': 'my-repository-name',
      'finding-severity-counts': { CRITICAL: 10, MEDIUM: 9 },
      'image-digest': digest,
      'image-tags': [],
    },
  };
}

/** Inspector2 Scan, the AWS sample (§1c): `repository-name` is an ARN, counts include TOTAL. */
function inspectorScanEvent(digest: string = OTHER_DIGEST) {
  return {
    version: '0',
    id: '739c0d3c-4f02-85c7-5a88-94a9EXAMPLE',
    'detail-type': 'Inspector2 Scan',
    source: 'aws.inspector2',
    account: '123456789012',
    time: '2021-12-03T18:03:16Z',
    region: 'us-east-2',
    resources: ['arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample'],
    detail: {
      'scan-status': 'INITIAL_SCAN_COMPLETE',
      'repository-name': 'arn:aws:ecr:us-east-2:809632081692:repository/amazon/amazon-ecs-sample',
      'finding-severity-counts': { CRITICAL: 7, HIGH: 61, MEDIUM: 62, TOTAL: 158 },
      'image-digest': digest,
      'image-tags': ['latest'],
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe('Function: start-release handler', () => {
  describe('when the AWS sample ECR Image Action (PUSH, SUCCESS) arrives', () => {
    it('starts one execution with a valid, deterministic name and input', async () => {
      // Prepare
      const w = world();

      // Act
      const result = await startRelease(w.getDeps)(imageActionEvent());

      // Assess
      expect(w.starter.started).toHaveLength(1);
      const [started] = w.starter.started;
      expect(started?.name.length).toBeLessThanOrEqual(80);
      expect(started?.name).toMatch(/^[0-9A-Za-z_-]+$/);
      expect(started?.input).toEqual({
        repository: 'my-repository-name',
        digest: DIGEST,
        tag: 'latest',
        stage: STAGE,
        timeouts: { scanSeconds: SCAN_TIMEOUT_SECONDS },
      });
      expect(result).toMatchObject({ started: true, executionName: started?.name, alreadyExisted: false });
    });
  });

  describe('when the same push is delivered again with another id and time', () => {
    it('asks for the same execution name and input, which the starter reports as existing', async () => {
      // Prepare
      const w = world();
      const handler = startRelease(w.getDeps);

      // Act
      await handler(imageActionEvent());
      const second = await handler(imageActionEvent({}, { id: 'another-delivery-id', time: '2019-11-16T01:59:59Z' }));

      // Assess
      const [a, b] = w.starter.started;
      expect(b?.name).toBe(a?.name);
      expect(b?.input).toEqual(a?.input);
      expect(second).toMatchObject({ started: true, alreadyExisted: true });
    });
  });

  describe('when the event is not a release of a container image', () => {
    const attachment = (suffix: string) => `sha256-${'a'.repeat(64)}${suffix}`;
    it.each([
      ['a DELETE', { 'action-type': 'DELETE' }, 'DELETE'],
      ['a FAILED push', { result: 'FAILED' }, 'FAILED'],
      ['a cosign .sig tag', { 'image-tag': attachment('.sig') }, attachment('.sig')],
      ['a cosign .att tag', { 'image-tag': attachment('.att') }, attachment('.att')],
      ['a cosign .sbom tag', { 'image-tag': attachment('.sbom') }, attachment('.sbom')],
      ['a referrers-tag index', { 'image-tag': attachment('') }, attachment('')],
      ['a signature artifact', { 'artifact-media-type': MediaTypes.notarySignature }, MediaTypes.notarySignature],
      // Red-team finding 12: a forged event naming no valid repository ended in QuarantineFailed.
      ['a repository name ECR could not send', { 'repository-name': 'Team/App Name!' }, 'is not valid'],
    ] as const)('ignores %s with a reason and starts nothing', async (_label, detail, named) => {
      // Prepare
      const w = world();

      // Act
      const result = await startRelease(w.getDeps)(imageActionEvent(detail));

      // Assess
      expect(result).toMatchObject({ started: false });
      expect('reason' in result ? result.reason : '').toContain(named);
      expect(w.starter.started).toEqual([]);
    });
  });

  describe('when no policy rule governs the pushed repository (red-team finding 13)', () => {
    it('starts nothing, so no execution waits out the scan or tags a repository it does not own', async () => {
      // Prepare
      const w = world({ policy: policyOf({ rules: [{ repositories: ['apps/**'] }] }) });

      // Act
      const ungated = await startRelease(w.getDeps)(imageActionEvent({ 'repository-name': 'tools/ci-cache' }));
      const gated = await startRelease(w.getDeps)(imageActionEvent({ 'repository-name': 'apps/web' }));

      // Assess
      expect(ungated).toEqual({ started: false, reason: 'repository tools/ci-cache is not gated by any policy rule' });
      expect(gated).toMatchObject({ started: true });
      expect(w.starter.started.map((s) => s.input)).toEqual([expect.objectContaining({ repository: 'apps/web' })]);
    });
  });

  describe('when the matching policy rule names its own stage', () => {
    it("starts the release for that stage, and the others for the deployment's", async () => {
      // Prepare
      const w = world({
        policy: policyOf({ rules: [{ repositories: ['staging/**'], stage: 'staging' }, { repositories: ['**'] }] }),
      });

      // Act
      await startRelease(w.getDeps)(imageActionEvent({ 'repository-name': 'staging/web' }));
      await startRelease(w.getDeps)(imageActionEvent({ 'repository-name': 'apps/web' }));

      // Assess
      expect(w.starter.started.map((s) => s.input)).toEqual([
        expect.objectContaining({ repository: 'staging/web', stage: 'staging' }),
        expect.objectContaining({ repository: 'apps/web', stage: STAGE }),
      ]);
      expect(STAGE).not.toBe('staging');
    });
  });

  describe('when the event is malformed', () => {
    const { detail: _omitted, ...withoutDetail } = imageActionEvent();
    it.each([
      ['the detail is missing', withoutDetail, 'detail'],
      [
        'the digest is not a sha256 digest',
        imageActionEvent({ 'image-digest': 'sha256:abc' }),
        'detail["image-digest"]',
      ],
      [
        'the verbatim AWS sample digest (60 hex)',
        imageActionEvent({ 'image-digest': `sha256:${ECR_SAMPLE_HEX}` }),
        'detail["image-digest"]',
      ],
      ['the repository name is empty', imageActionEvent({ 'repository-name': '' }), 'detail["repository-name"]'],
      ['the detail-type is another one', { ...imageActionEvent(), 'detail-type': 'ECR Image Scan' }, '["detail-type"]'],
      ['the source is another one', { ...imageActionEvent(), source: 'aws.s3' }, 'source'],
      ['it is a string', 'garbage', '(root)'],
      ['it is null', null, '(root)'],
      ['it is an array', [1, 2, 3], '(root)'],
    ] as const)('throws InvalidInputError naming the field when %s', async (_label, event, field) => {
      // Prepare
      const w = world();

      // Act
      const act = startRelease(w.getDeps)(event);

      // Assess
      await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT', `${field}:`);
      expect(w.starter.started).toEqual([]);
    });

    it('throws TooLargeError for an event above Limits.eventBytes, before parsing it', async () => {
      // Prepare: an otherwise valid event, padded past the limit.
      const w = world();
      const event = imageActionEvent({ padding: 'x'.repeat(Limits.eventBytes) });

      // Act
      const act = startRelease(w.getDeps)(event);

      // Assess
      await expect(act).rejects.toThrowWithCode(TooLargeError, 'TOO_LARGE', `limit of ${Limits.eventBytes} bytes`);
      expect(w.starter.started).toEqual([]);
    });
  });
});

describe('Function: executionNameFor', () => {
  const hash = sha256Hex;

  describe('when the repository name has the maximum length (256)', () => {
    it('stays within 80 characters of [0-9A-Za-z_-]', () => {
      // Prepare
      const repository = `${Array.from({ length: 64 }, () => 'abc').join('/')}x`;

      // Act
      const name = executionNameFor(repository, DIGEST, hash);

      // Assess
      expect(repository).toHaveLength(256);
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^[0-9A-Za-z_-]+$/);
    });

    it('is what the start-release handler asks for', async () => {
      // Prepare
      const w = world();
      const repository = `${Array.from({ length: 64 }, () => 'abc').join('/')}x`;

      // Act
      await startRelease(w.getDeps)(imageActionEvent({ 'repository-name': repository }));

      // Assess
      expect(w.starter.started[0]?.name).toBe(executionNameFor(repository, DIGEST, hash));
      expect(w.starter.started[0]?.name.length).toBeLessThanOrEqual(80);
    });
  });

  describe('when two repositories push the same digest', () => {
    it.each([
      ['team/app', 'team/web'],
      ['platform/service-one-a', 'platform/service-one-b'], // same 14-character slug
      ['a/b', 'a-b'], // same slug after replacing separators
    ])('gives %s and %s different names', (a, b) => {
      // Act
      const first = executionNameFor(a, DIGEST, hash);
      const second = executionNameFor(b, DIGEST, hash);

      // Assess
      expect(first).not.toBe(second);
    });
  });
});

describe('Function: scan-complete and wait-for-scan handlers', () => {
  const SAMPLES = [
    {
      label: 'ECR Image Scan',
      event: ecrScanEvent(),
      repository: 'my-repository-name',
      digest: DIGEST,
      completion: {
        status: 'COMPLETE',
        source: 'ecr-basic',
        severityCounts: { CRITICAL: 10, MEDIUM: 9 },
        completedAt: '2019-10-29T02:36:48Z',
      },
    },
    {
      label: 'Inspector2 Scan',
      event: inspectorScanEvent(),
      repository: 'amazon/amazon-ecs-sample',
      digest: OTHER_DIGEST,
      completion: {
        status: 'INITIAL_SCAN_COMPLETE',
        source: 'inspector',
        severityCounts: { CRITICAL: 7, HIGH: 61, MEDIUM: 62, TOTAL: 158 },
        completedAt: '2021-12-03T18:03:16Z',
      },
    },
  ] as const;

  describe.each(SAMPLES)('when the $label sample arrives', ({ event, repository, digest, completion }) => {
    it('resumes the waiting WaitForScan token with the counts (token first)', async () => {
      // Prepare
      const w = world();
      const waiting = await waitForScan(w.getDeps)({ repository, digest, stage: STAGE, taskToken: 'token-1' });

      // Act
      const result = await scanComplete(w.getDeps)(event);

      // Assess
      expect(waiting).toEqual({ outcome: 'waiting' });
      expect(result).toEqual({ outcome: 'resumed' });
      expect(w.tokens.successes).toEqual([{ taskToken: 'token-1', output: completion }]);
    });

    it('is recorded and returned by the later WaitForScan (event first)', async () => {
      // Prepare
      const w = world();

      // Act
      const recorded = await scanComplete(w.getDeps)(event);
      const tokensAfterEvent = w.tokens.successes.length;
      const result = await waitForScan(w.getDeps)({ repository, digest, stage: STAGE, taskToken: 'token-2' });

      // Assess
      expect(recorded).toEqual({ outcome: 'recorded' });
      expect(tokensAfterEvent).toBe(0);
      expect(result).toEqual({ outcome: 'completed' });
      expect(w.tokens.successes).toEqual([{ taskToken: 'token-2', output: completion }]);
    });

    it('stores a repeated delivery after the task was answered, without failing (at-least-once events)', async () => {
      // Prepare
      const w = world();
      await waitForScan(w.getDeps)({ repository, digest, stage: STAGE, taskToken: 'token-3' });
      await scanComplete(w.getDeps)(event);

      // Act
      const repeated = await scanComplete(w.getDeps)(event);

      // Assess
      expect(repeated).toEqual({ outcome: 'already-answered' });
      expect(w.tokens.successes).toEqual([{ taskToken: 'token-3', output: completion }]);
    });
  });

  describe('when the scanned repository is not gated by any policy rule', () => {
    it('ignores the event and stores nothing (the Inspector rule cannot filter by repository)', async () => {
      // Prepare
      const w = world({ policy: policyOf({ rules: [{ repositories: ['apps/**'] }] }) });

      // Act
      const result = await scanComplete(w.getDeps)(inspectorScanEvent());
      const later = await waitForScan(w.getDeps)({
        repository: 'amazon/amazon-ecs-sample',
        digest: OTHER_DIGEST,
        stage: STAGE,
        taskToken: 'token-3',
      });

      // Assess
      expect(result).toEqual({ outcome: 'ungated' });
      expect(later).toEqual({ outcome: 'waiting' });
    });
  });

  describe('when the scan event is malformed', () => {
    it.each([
      ['the verbatim ECR sample digest (60 hex)', ecrScanEvent(`sha256:${ECR_SAMPLE_HEX}`), 'detail["image-digest"]'],
      [
        'a negative count',
        { ...ecrScanEvent(), detail: { ...ecrScanEvent().detail, 'finding-severity-counts': { HIGH: -1 } } },
        'detail["finding-severity-counts"].HIGH',
      ],
      ['an unknown source', { ...ecrScanEvent(), source: 'example.scanner' }, 'source'],
      ['garbage', 'garbage', '(root)'],
    ] as const)('throws InvalidInputError for %s and resumes nothing', async (_label, event, field) => {
      // Prepare
      const w = world();
      await waitForScan(w.getDeps)({ repository: 'my-repository-name', digest: DIGEST, stage: STAGE, taskToken: 't' });

      // Act
      const act = scanComplete(w.getDeps)(event);

      // Assess
      await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT', field);
      expect(w.tokens.successes).toEqual([]);
    });
  });

  describe('when WaitForScan is invoked without a task token', () => {
    it('throws InvalidInputError naming taskToken', async () => {
      // Prepare
      const w = world();

      // Act
      const act = waitForScan(w.getDeps)({ repository: 'my-repository-name', digest: DIGEST, stage: STAGE });

      // Assess
      await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT', 'taskToken');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Approvals

async function recordRelease(w: HandlerWorld, repository: string, digest: Digest): Promise<void> {
  await recordEvaluatedRelease(w, repository, digest);
}

/** The principal CloudTrail names as the pusher of the releases these tests approve. */
const CI_PUSHER = 'arn:aws:sts::111122223333:assumed-role/ci-push/build-42';

async function requestFor(
  w: HandlerWorld,
  opts: {
    repository?: string;
    digest?: Digest;
    taskToken?: string;
    timeoutSeconds?: number;
    /** @default CI_PUSHER; null: no pusher is known */
    pusher?: string | null;
  } = {},
) {
  const repository = opts.repository ?? 'demo/app';
  const digest = opts.digest ?? DIGEST;
  if ((await w.store.getRelease(repository, digest)) === null) await recordRelease(w, repository, digest);
  const pusher = opts.pusher === undefined ? CI_PUSHER : opts.pusher;
  if (pusher !== null) {
    await w.store.recordPusher({ repository, digest, identity: pusher, source: 'cloudtrail', at: NOW.toISOString() });
  }
  return requestApproval(w.getDeps)({
    repository,
    digest,
    stage: STAGE,
    taskToken: opts.taskToken ?? 'task-token-1',
    reasons: ['awaiting human approval'],
    policyDigest: POLICY.digest,
    timeoutSeconds: opts.timeoutSeconds ?? 3600,
  });
}

/** The PASS decision that sends demo/app to the approval step, with the evidence the approval page shows. */
async function putPassDecision(w: HandlerWorld, evidence: DecisionRecord['evidence']): Promise<void> {
  await w.store.putDecision({
    repository: 'demo/app',
    digest: DIGEST,
    decision: 'PASS',
    reasons: ['awaiting human approval'],
    policyDigest: POLICY.digest,
    evidence,
    decidedAt: NOW.toISOString(),
    documentDigest: OTHER_DIGEST,
  });
}

describe('Function: request-approval handler', () => {
  describe('when the workflow asks for an approval', () => {
    it('stores the hashed token under a random id with its expiry and publishes the approval URL', async () => {
      // Prepare
      const w = world();

      // Act
      const { approvalId, url } = await requestFor(w, { taskToken: 'task-token-1', timeoutSeconds: 3600 });

      // Assess
      // 128 bits in hex: never starts with '-', which a command line would read as an option
      expect(approvalId).toMatch(/^[0-9a-f]{32}$/);
      expect(url).toBe(`${APPROVAL_BASE_URL}/${approvalId}`);
      const stored = await w.store.getApproval(approvalId);
      expect(stored).toMatchObject({
        repository: 'demo/app',
        digest: DIGEST,
        state: 'PENDING',
        tokenHash: sha256Hex('task-token-1'),
        requestedAt: NOW.toISOString(),
        expiresAt: new Date(NOW.getTime() + 3600 * 1000).toISOString(),
      });
      expect(w.notifier.messages).toHaveLength(1);
      expect(JSON.stringify(w.notifier.messages[0]?.message)).toContain(url);
      expect(w.outcomes.events.map((e) => e.type)).toEqual(['Approval Requested']);
      expect((await w.store.getRelease('demo/app', DIGEST))?.state).toBe('AWAITING_APPROVAL');
    });

    it('mails each approver their own signed link, and keeps the links out of the ops notification', async () => {
      // Prepare
      const w = world();

      // Act
      const { approvalId, url } = await requestFor(w);

      // Assess
      expect(w.mailer.sent.map((m) => m.to)).toEqual(['bob@example.com', 'carol@example.com']);
      const tokens = w.mailer.sent.map((m) => tokenOf(m.link));
      expect(new Set(tokens).size).toBe(2);
      for (const m of w.mailer.sent) {
        expect(m.link.startsWith(`${url}?t=`)).toBe(true);
        expect(m.text).toContain(m.link);
        expect(m.subject).toContain('demo/app');
      }
      const published = JSON.stringify([w.notifier.messages, w.outcomes.events]);
      for (const t of tokens) expect(published).not.toContain(t);
      expect(published).toContain('one signed link to each of 2 approver(s)');
      expect(approvalId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('with no approvers in the policy, sends no link and says the CLI must answer', async () => {
      // Prepare
      const w = world();

      // Act
      await requestFor(w, { repository: 'open/app' });

      // Assess
      expect(w.mailer.sent).toEqual([]);
      expect(JSON.stringify(w.notifier.messages)).toContain(
        'the policy lists no approver email address, so no link can be sent',
      );
    });

    it('gives every request its own unguessable id, and a retry of one request the same id', async () => {
      // Prepare
      const w = world();

      // Act
      const first = await requestFor(w, { taskToken: 'task-token-1' });
      const retry = await requestFor(w, { taskToken: 'task-token-1' });
      const other = await requestFor(w, { digest: OTHER_DIGEST, taskToken: 'task-token-2' });

      // Assess
      expect(retry.approvalId).toBe(first.approvalId);
      expect(other.approvalId).not.toBe(first.approvalId);
      expect(first.approvalId).not.toContain(sha256Hex('task-token-1').slice(0, 16));
      expect(await w.store.listApprovals('PENDING')).toHaveLength(2);
    });
  });

  describe('when the task is retried with a new token after a crash past storing the approval', () => {
    it('keeps the one approval already requested and points it at the new token (issue 10, crash and retry)', async () => {
      // Prepare: the first attempt stored (and may have sent) its approval, then the Lambda died.
      const w = world();
      const first = await requestFor(w, { taskToken: 'task-token-1' });

      // Act
      const retry = await requestFor(w, { taskToken: 'task-token-2' });
      const res = await callApi(
        w,
        'POST',
        first.approvalId,
        linkForm(w, first.approvalId, 'bob@example.com', 'approve'),
      );

      // Assess
      expect(retry).toEqual(first);
      expect(await w.store.listApprovals()).toEqual([
        expect.objectContaining({ approvalId: first.approvalId, taskToken: 'task-token-2', state: 'APPROVED' }),
      ]);
      expect(res.statusCode).toBe(200);
      expect(w.tokens.successes.map((s) => s.taskToken)).toEqual(['task-token-2']);
    });
  });

  describe('when the input is malformed', () => {
    it('throws InvalidInputError naming the field and stores nothing', async () => {
      // Prepare
      const w = world();
      await recordRelease(w, 'demo/app', DIGEST);

      // Act
      const act = requestApproval(w.getDeps)({
        repository: 'demo/app',
        digest: DIGEST,
        stage: STAGE,
        taskToken: 'task-token-1',
        reasons: [],
        policyDigest: POLICY.digest,
        timeoutSeconds: 0,
      });

      // Assess
      await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT', 'timeoutSeconds');
      expect(await w.store.listApprovals()).toEqual([]);
    });
  });
});

function apiEvent(method: string, id: string | undefined, body?: string): APIGatewayProxyEventV2 {
  const path = `/approvals/${id ?? ''}`;
  return {
    version: '2.0',
    routeKey: `${method} /approvals/{id}`,
    rawPath: path,
    rawQueryString: '',
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'gate.example.com',
      domainPrefix: 'gate',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'request-1',
      routeKey: `${method} /approvals/{id}`,
      stage: '$default',
      time: '25/Nov/2026:10:00:00 +0000',
      timeEpoch: NOW.getTime(),
    },
    ...(id === undefined ? {} : { pathParameters: { id } }),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

function structured(out: APIGatewayProxyResultV2): APIGatewayProxyStructuredResultV2 {
  if (typeof out === 'string') throw new Error('expected a structured response');
  return out;
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

async function callApi(w: HandlerWorld, method: string, id: string | undefined, body?: string, query = '') {
  return structured(await approvalApi(w.getDeps)({ ...apiEvent(method, id, body), rawQueryString: query }));
}

/** The signed link RequestApproval mailed to `to` for `approvalId`. */
function linkOf(w: HandlerWorld, approvalId: string, to: string): string {
  const mail = w.mailer.sent.find((m) => m.approvalId === approvalId && m.to === to);
  if (mail === undefined) throw new Error(`no link was mailed to ${to} for ${approvalId}`);
  return mail.link;
}

const tokenOf = (link: string): string => new URL(link).searchParams.get('t') ?? '';

/** The form the page behind `to`'s link posts. */
function linkForm(
  w: HandlerWorld,
  approvalId: string,
  to: string,
  decision: string,
  more: Record<string, string> = {},
): string {
  return form({ decision, token: tokenOf(linkOf(w, approvalId, to)), ...more });
}

/** One signature character flipped: a forgery of a link seen once. */
function forge(token: string): string {
  const [body, sig = ''] = token.split('.');
  const last = sig.at(-1) === 'A' ? 'B' : 'A';
  return `${body}.${sig.slice(0, -6)}${last.repeat(6)}`;
}

/** A link signed with the gate's own key for an address of the test's choosing (what no mail carried). */
async function signFor(w: HandlerWorld, approvalId: string, sub: string): Promise<string> {
  const approval = await w.store.getApproval(approvalId);
  const exp = Math.floor(Date.parse(approval?.expiresAt ?? '') / 1000);
  return signLink(await w.linkSecrets.getLinkKeys(), {
    aid: approvalId,
    sub,
    esd: approval?.evidenceSetDigest ?? '',
    exp,
  });
}

/** One POST to the approval API after RequestApproval stored the approval, and everything it must leave behind. */
interface PostCase {
  readonly name: string;
  /** @default 'demo/app' */
  readonly repository?: string;
  readonly timeoutSeconds?: number;
  /** Seconds the clock moves between the request and the answer. */
  readonly advanceSeconds?: number;
  /** An answer posted before the one under test (it must succeed). */
  readonly first?: (w: HandlerWorld, approvalId: string) => string | Promise<string>;
  /** The form under test, built after the request (and `first`), before the clock moves. */
  readonly body: (w: HandlerWorld, approvalId: string) => string | Promise<string>;
  readonly status: number;
  /** Text the refusal page must show. */
  readonly message?: string;
  readonly approval: { readonly state: string; readonly decidedBy?: string };
  /** The approver the workflow was resumed with; otherwise no task success was sent. */
  readonly resumedBy?: string;
  /** The cause of the ApprovalRejected task failure; otherwise no task failure was sent. */
  readonly rejected?: string;
  readonly evidence: 'PASS' | 'FAIL' | null;
}

describe('Function: approval-api handler', () => {
  describe('when the approval page is opened (GET)', () => {
    it('renders the digest and the evidence statuses and decides nothing', async () => {
      // Prepare
      const w = world();
      const { approvalId } = await requestFor(w);
      await putPassDecision(w, [
        { kind: 'sbom', status: 'PASS', reasons: ['CycloneDX 1.6 SBOM'] },
        { kind: 'scan', status: 'MISSING', reasons: ['no scan yet'] },
      ]);

      // Act
      const res = await callApi(w, 'GET', approvalId);

      // Assess
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(DIGEST);
      expect(res.body).toMatch(/sbom<\/td><td class="PASS">PASS/);
      expect(res.body).toMatch(/scan<\/td><td class="MISSING">MISSING/);
      expect(res.body).not.toContain('<form');
      expect((await w.store.getApproval(approvalId))?.state).toBe('PENDING');
      expect(w.tokens.successes).toEqual([]);
      expect(w.tokens.failures).toEqual([]);
      expect(await w.store.getEvidence('demo/app', DIGEST, 'approval')).toBeNull();
    });

    it('with a signed link (a mail scanner prefetching it): shows the form for that approver and decides nothing', async () => {
      // Prepare
      const w = world();
      const { approvalId } = await requestFor(w);
      const link = linkOf(w, approvalId, 'bob@example.com');

      // Act
      const res = await callApi(w, 'GET', approvalId, undefined, new URL(link).search.slice(1));
      const again = await callApi(w, 'GET', approvalId, undefined, new URL(link).search.slice(1));

      // Assess
      expect([res.statusCode, again.statusCode]).toEqual([200, 200]);
      expect(res.body).toContain('You decide as <strong>bob@example.com</strong>');
      expect(res.body).toContain(`name="token" value="${new URL(link).searchParams.get('t')}"`);
      expect(res.body).not.toContain('name="by"');
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING' });
      expect(w.tokens.successes).toEqual([]);
      expect(await w.store.getEvidence('demo/app', DIGEST, 'approval')).toBeNull();
    });

    it('with a forged link: answers 403 and shows no form', async () => {
      // Prepare
      const w = world();
      const { approvalId } = await requestFor(w);
      const token = forge(tokenOf(linkOf(w, approvalId, 'bob@example.com')));

      // Act
      const res = await callApi(w, 'GET', approvalId, undefined, `t=${token}`);

      // Assess
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('not signed by this gate');
      expect(res.body).not.toContain('<form');
    });
  });

  describe('when an answer is posted (POST)', () => {
    /** What an answer that approved through bob's link leaves behind. */
    const APPROVED_BY_BOB = {
      approval: { state: 'APPROVED', decidedBy: 'bob@example.com' },
      resumedBy: 'bob@example.com',
      evidence: 'PASS',
    } as const;
    /** What a refused answer leaves behind: the approval as it was, no evidence. */
    const LEFT_PENDING = { approval: { state: 'PENDING' }, evidence: null } as const;
    const POSTS: readonly PostCase[] = [
      {
        name: "approved through bob's link: decides once, stores approval evidence and resumes the workflow",
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'approve'),
        status: 200,
        ...APPROVED_BY_BOB,
      },
      {
        name: "rejected through bob's link: fails the task with ApprovalRejected and stores approval FAIL",
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'reject', { comment: 'not today' }),
        status: 200,
        approval: { state: 'REJECTED', decidedBy: 'bob@example.com' },
        rejected: 'rejected by bob@example.com: not today',
        evidence: 'FAIL',
      },
      {
        name: 'a reject without a reason (blank comment): answers 400 "a reject needs a reason" and leaves the approval pending',
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'reject', { comment: '  ' }),
        status: 400,
        message: 'a reject needs a reason',
        ...LEFT_PENDING,
      },
      {
        name: 'forged link signature: answers 403 and leaves the approval pending',
        body: (w, id) => form({ decision: 'approve', token: forge(tokenOf(linkOf(w, id, 'bob@example.com'))) }),
        status: 403,
        message: 'not signed by this gate',
        ...LEFT_PENDING,
      },
      {
        name: "tampered address (bob's signature on a link naming mallory): answers 403",
        body: (w, id) => {
          const [, sig] = tokenOf(linkOf(w, id, 'bob@example.com')).split('.');
          const claims = { aid: id, sub: 'mallory@example.com', esd: '', exp: 4_000_000_000 };
          return form({
            decision: 'approve',
            token: `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`,
          });
        },
        status: 403,
        message: 'not signed by this gate',
        ...LEFT_PENDING,
      },
      {
        name: 'replayed link: the second use answers 409 "already used" and keeps the first answer',
        first: (w, id) => linkForm(w, id, 'bob@example.com', 'approve'),
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'approve'),
        status: 409,
        message: 'already used',
        ...APPROVED_BY_BOB,
      },
      {
        name: 'double submit (approve, then reject through the same link): answers 409 and keeps the first answer',
        first: (w, id) => linkForm(w, id, 'bob@example.com', 'approve'),
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'reject', { comment: 'changed my mind' }),
        status: 409,
        message: 'already answered: APPROVED by bob@example.com',
        ...APPROVED_BY_BOB,
      },
      {
        name: "approve after reject (carol's link after bob's): answers 409 and the rejection stands",
        first: (w, id) => linkForm(w, id, 'bob@example.com', 'reject', { comment: 'not today' }),
        body: (w, id) => linkForm(w, id, 'carol@example.com', 'approve'),
        status: 409,
        message: 'already answered: REJECTED by bob@example.com',
        approval: { state: 'REJECTED', decidedBy: 'bob@example.com' },
        rejected: 'rejected by bob@example.com: not today',
        evidence: 'FAIL',
      },
      {
        name: 'expired link: answers 410 and stores nothing',
        timeoutSeconds: 60,
        advanceSeconds: 61,
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'approve'),
        status: 410,
        message: 'link expired',
        ...LEFT_PENDING,
      },
      {
        name: 'a link for another approval: answers 403 and leaves this one pending',
        body: async (w, id) => {
          const other = await requestFor(w, { digest: OTHER_DIGEST, taskToken: 'task-token-2' });
          expect(other.approvalId).not.toBe(id);
          return linkForm(w, other.approvalId, 'bob@example.com', 'approve');
        },
        status: 403,
        message: 'for another approval',
        ...LEFT_PENDING,
      },
      {
        name: 'a link for another approver (validly signed, for an address this repository does not list): answers 403',
        repository: 'restricted/app',
        body: async (w, id) =>
          form({ decision: 'reject', token: await signFor(w, id, 'bob@example.com'), comment: 'no' }),
        status: 403,
        message: 'bob@example.com is not an allowed approver for restricted/app',
        ...LEFT_PENDING,
      },
      {
        name: 'no approvers in the policy: no link was sent, and a validly signed one is refused with 403',
        repository: 'open/app',
        body: async (w, id) => {
          expect(w.mailer.sent).toEqual([]);
          return form({ decision: 'approve', token: await signFor(w, id, 'bob@example.com') });
        },
        status: 403,
        message: 'no approver email addresses in the policy',
        ...LEFT_PENDING,
      },
      {
        name: "typed identity on the form (bob's valid link, by=alice): answers 400 and decides nothing",
        body: (w, id) => linkForm(w, id, 'bob@example.com', 'approve', { by: 'alice@example.com' }),
        status: 400,
        message: 'a typed identity is not accepted',
        ...LEFT_PENDING,
      },
      {
        name: 'the previous key (rotation): a link signed before the rotation still approves',
        body: (w, id) => {
          const body = linkForm(w, id, 'bob@example.com', 'approve');
          w.linkSecrets.keys = { current: randomBytes(32), previous: w.linkSecrets.keys.current };
          return body;
        },
        status: 200,
        ...APPROVED_BY_BOB,
      },
      {
        name: 'a retired key (rotated twice): answers 403',
        body: (w, id) => {
          const body = linkForm(w, id, 'bob@example.com', 'approve');
          w.linkSecrets.keys = { current: randomBytes(32), previous: randomBytes(32) };
          return body;
        },
        status: 403,
        ...LEFT_PENDING,
      },
      ...(
        [
          ['the link token is missing', () => form({ decision: 'approve' })],
          ['the decision is unknown', (w: HandlerWorld, id: string) => linkForm(w, id, 'bob@example.com', 'maybe')],
          ['the body is garbage', () => '%%%\u0000{not a form'],
        ] as const
      ).map(([label, body]) => ({
        name: `bad form: answers 400 when ${label} and leaves the approval pending`,
        body,
        status: 400,
        ...LEFT_PENDING,
      })),
      {
        name: "approvers set: accepts the listed approver's link",
        repository: 'restricted/app',
        body: (w, id) => linkForm(w, id, 'alice@example.com', 'approve'),
        status: 200,
        approval: { state: 'APPROVED', decidedBy: 'alice@example.com' },
        resumedBy: 'alice@example.com',
        evidence: 'PASS',
      },
    ];

    it.each(POSTS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      // Prepare
      const w = world();
      const repository = c.repository ?? 'demo/app';
      const { approvalId } = await requestFor(w, {
        repository,
        taskToken: 'task-token-1',
        ...(c.timeoutSeconds !== undefined && { timeoutSeconds: c.timeoutSeconds }),
      });
      if (c.first !== undefined)
        expect((await callApi(w, 'POST', approvalId, await c.first(w, approvalId))).statusCode).toBe(200);
      const body = await c.body(w, approvalId);
      w.clock.advance(c.advanceSeconds ?? 0);
      const before = await w.store.getApproval(approvalId);

      // Act
      const res = await callApi(w, 'POST', approvalId, body);

      // Assess
      expect(res.statusCode, res.body).toBe(c.status);
      if (c.message !== undefined) expect(res.body).toContain(c.message);
      expect(await w.store.getApproval(approvalId)).toMatchObject(c.approval);
      if (c.status !== 200) expect(await w.store.getApproval(approvalId)).toEqual(before);
      expect(w.tokens.successes).toEqual(
        c.resumedBy === undefined
          ? []
          : [{ taskToken: 'task-token-1', output: { approved: true, by: c.resumedBy, approvalId } }],
      );
      expect(w.tokens.failures).toEqual(
        c.rejected === undefined ? [] : [{ taskToken: 'task-token-1', error: 'ApprovalRejected', cause: c.rejected }],
      );
      expect((await w.store.getEvidence(repository, DIGEST, 'approval'))?.status ?? null).toBe(c.evidence);
    });
  });

  describe('when the rule needs two approvers and one link is used twice (quorum and single use)', () => {
    it('counts the first use, refuses the second as already used, and the other approver decides', async () => {
      // Prepare
      const w = world({
        policy: policyOf({
          rules: [
            { repositories: ['**'], approval: { approvers: ['bob@example.com', 'carol@example.com'], quorum: 2 } },
          ],
        }),
      });
      const { approvalId } = await requestFor(w);
      const bob = linkForm(w, approvalId, 'bob@example.com', 'approve');

      // Act
      const first = await callApi(w, 'POST', approvalId, bob);
      const replay = await callApi(w, 'POST', approvalId, bob);
      const carol = await callApi(w, 'POST', approvalId, linkForm(w, approvalId, 'carol@example.com', 'approve'));

      // Assess
      expect([first.statusCode, replay.statusCode, carol.statusCode]).toEqual([200, 409, 200]);
      expect(first.body).toContain('1 of 2 approvals');
      expect(replay.body).toContain('already used');
      expect(w.tokens.successes).toHaveLength(1);
      const evidence = await w.store.getEvidence('demo/app', DIGEST, 'approval');
      expect(evidence?.facts.approvals).toEqual([
        expect.objectContaining({ by: 'bob@example.com', via: 'email-link' }),
        expect.objectContaining({ by: 'carol@example.com', via: 'email-link' }),
      ]);
      expect(evidence?.reasons).toContain(
        'identities: bob@example.com (signed email link), carol@example.com (signed email link)',
      );
    });
  });

  describe('when an authorizer verified the caller (OIDC on the link routes)', () => {
    it.each([
      ['the same address as the link', 'BOB@example.com', 200, 'APPROVED'],
      ['another address than the link', 'mallory@example.com', 403, 'PENDING'],
    ])('with %s: answers %i', async (_label, email, status, state) => {
      // Prepare
      const w = world();
      const { approvalId } = await requestFor(w);
      const event = apiEvent('POST', approvalId, linkForm(w, approvalId, 'bob@example.com', 'approve'));
      const withClaims = {
        ...event,
        requestContext: { ...event.requestContext, authorizer: { jwt: { claims: { email }, scopes: [] } } },
      };

      // Act
      const res = structured(await approvalApi(w.getDeps)(withClaims));

      // Assess
      expect(res.statusCode, res.body).toBe(status);
      expect(await w.store.getApproval(approvalId)).toMatchObject({ state });
    });
  });

  describe('when the request is bad', () => {
    it.each([
      ['an unknown id (GET)', 404, 'GET', 'A'.repeat(22), undefined],
      ['an unknown id (POST)', 404, 'POST', 'A'.repeat(22), form({ decision: 'approve', token: 'a.b' })],
      ['a malformed id', 400, 'GET', 'not an id!', undefined],
      ['a too short id', 400, 'POST', 'abc', form({ decision: 'approve', token: 'a.b' })],
      ['no id', 400, 'GET', undefined, undefined],
    ] as const)('answers %s with %i', async (_label, status, method, id, body) => {
      // Prepare
      const w = world();
      await requestFor(w);

      // Act
      const res = await callApi(w, method, id, body);

      // Assess
      expect(res.statusCode).toBe(status);
      expect(w.tokens.successes).toEqual([]);
    });
  });
});

/** A store whose first `putEvidence` lands and then fails: a crash right after the write. */
class CrashAfterEvidenceStore extends MemoryStore {
  private crashed = false;
  public override async putEvidence(...args: Parameters<MemoryStore['putEvidence']>) {
    const stored = await super.putEvidence(...args);
    if (this.crashed) return stored;
    this.crashed = true;
    throw new StoreError('the response was lost after the write');
  }
}

describe('Function: approval-api handler, answered again after a crash', () => {
  describe('when the answer was recorded but the request failed before the workflow was resumed', () => {
    it.each([
      ['approve', { successes: 1, failures: 0 }, 'PASS'],
      ['reject', { successes: 0, failures: 1 }, 'FAIL'],
    ] as const)(
      'completes the same %s by the same approver once (issue 10, crash and retry)',
      async (decision, answered, status) => {
        // Prepare
        const store = new CrashAfterEvidenceStore();
        const w = world({ store });
        const { approvalId } = await requestFor(w);
        const body = linkForm(w, approvalId, 'bob@example.com', decision, { comment: 'looked at it' });
        const crashed = await callApi(w, 'POST', approvalId, body);

        // Act
        const again = await callApi(w, 'POST', approvalId, body);
        const third = await callApi(w, 'POST', approvalId, body);
        const other = await callApi(
          w,
          'POST',
          approvalId,
          linkForm(w, approvalId, 'carol@example.com', decision, { comment: 'me too' }),
        );

        // Assess: the link is used up (409 "already used"), but its use finished the answer once
        expect(crashed.statusCode).toBe(500);
        expect([again.statusCode, third.statusCode, other.statusCode]).toEqual([409, 409, 409]);
        expect(again.body).toContain('already used');
        expect({ successes: w.tokens.successes.length, failures: w.tokens.failures.length }).toEqual(answered);
        expect(await store.getEvidence('demo/app', DIGEST, 'approval')).toMatchObject({
          status,
          facts: { approvalId, decidedBy: 'bob@example.com', comment: 'looked at it' },
        });
      },
    );
  });
});

/** A store whose `decideApproval` fails as told, for the quarantine-after-timeout path. */
class FailingDecideStore extends MemoryStore {
  public constructor(private readonly failure: () => Error) {
    super();
  }
  public override async decideApproval(): Promise<never> {
    throw this.failure();
  }
}

async function timedOutApproval(store: MemoryStore) {
  const w = world({ store });
  await recordRelease(w, 'demo/app', DIGEST);
  await putPassDecision(w, []);
  await requestFor(w);
  return quarantine(w.getDeps)({
    repository: 'demo/app',
    digest: DIGEST,
    stage: STAGE,
    failure: { Error: 'States.Timeout', Cause: 'no answer' },
  });
}

describe('Function: quarantine handler', () => {
  describe('when the approval timed out and an approver answered at the same moment', () => {
    it('keeps that answer and quarantines', async () => {
      // Prepare
      const store = new FailingDecideStore(() => new AlreadyDecidedError('approval was already answered: REJECTED'));

      // Act
      const out = await timedOutApproval(store);

      // Assess
      expect(out.reasons).toEqual(['approval-expired', 'no decision before the approval timeout: 0 of 1 approvals']);
      expect((await store.getRelease('demo/app', DIGEST))?.state).toBe('QUARANTINED');
    });
  });

  describe('when the store fails while the pending approval is expired', () => {
    it('fails the step with StoreError (the ASL retries it) instead of swallowing it', async () => {
      // Prepare
      const store = new FailingDecideStore(() => new StoreError('DynamoDB throttled'));

      // Act
      const act = timedOutApproval(store);

      // Assess
      await expect(act).rejects.toThrowWithCode(StoreError, 'STORE_ERROR');
      expect((await store.getRelease('demo/app', DIGEST))?.state).not.toBe('QUARANTINED');
    });
  });
});

describe('Function: start-release, wait-for-scan and scan-complete handlers on a multi-platform push (red-team finding 24)', () => {
  const repository = 'my-repository-name';

  /** An index of two one-file platform images, pushed into the world's registry. */
  async function pushedIndex(w: HandlerWorld) {
    const amd64 = oneFileImage('multi', PLATFORMS.linuxAmd64);
    const arm64 = oneFileImage('multi', PLATFORMS.linuxArm64);
    const index = await pushManifest(w.deps.gate.registry, repository, indexOf([amd64, arm64]), 'latest');
    return { index, platforms: [amd64.root.digest, arm64.root.digest] as const };
  }
  const push = (w: HandlerWorld, digest: string, tag?: string) =>
    startRelease(w.getDeps)(imageActionEvent({ 'image-digest': digest, 'image-tag': tag }));

  describe('when the index event comes first and each platform event follows, twice', () => {
    it('starts the index only; the platform pushes start nothing and say why', async () => {
      // Prepare
      const w = world();
      const { index, platforms } = await pushedIndex(w);

      // Act
      await push(w, index, 'latest');
      const later = [];
      for (const digest of [...platforms, ...platforms]) later.push(await push(w, digest));

      // Assess
      expect(w.starter.started.map((s) => s.input)).toEqual([
        expect.objectContaining({ digest: index, tag: 'latest' }),
      ]);
      expect(later).toEqual(
        [...platforms, ...platforms].map(() => ({
          started: false,
          reason: `platform manifest of index ${index}, which is gated with it`,
        })),
      );
      expect(await w.store.listParentIndexes(repository, platforms[0])).toEqual([index]);
    });
  });

  describe('when a platform manifest of the index is pushed under a tag of its own', () => {
    it('starts a run for it: a tag is deployable on its own', async () => {
      // Prepare
      const w = world();
      const { index, platforms } = await pushedIndex(w);
      await push(w, index, 'latest');

      // Act
      const result = await push(w, platforms[1], 'arm64-only');

      // Assess
      expect(result).toMatchObject({ started: true, input: { digest: platforms[1], tag: 'arm64-only' } });
    });
  });

  describe("when the index waits for its scan and each platform's scan event arrives", () => {
    it('resumes the index on the last platform scan, not before (an index is never scanned itself)', async () => {
      // Prepare
      const w = world();
      const { index, platforms } = await pushedIndex(w);
      await push(w, index, 'latest');
      const waiting = await waitForScan(w.getDeps)({ repository, digest: index, stage: STAGE, taskToken: 'index' });

      // Act
      const first = await scanComplete(w.getDeps)(ecrScanEvent(platforms[0]));
      const afterFirst = w.tokens.successes.length;
      const second = await scanComplete(w.getDeps)(ecrScanEvent(platforms[1]));

      // Assess
      expect(waiting).toEqual({ outcome: 'waiting' });
      expect([first, second]).toEqual([{ outcome: 'recorded' }, { outcome: 'recorded' }]);
      expect(afterFirst).toBe(0);
      expect(w.tokens.successes).toEqual([
        {
          taskToken: 'index',
          output: expect.objectContaining({ status: 'COMPLETE', severityCounts: { CRITICAL: 20, MEDIUM: 18 } }),
        },
      ]);
    });
  });
});
