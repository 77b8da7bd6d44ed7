/**
 * Re-verification's collectors on AWS (domain/incident/recollection.ts): ops-write asks the
 * collect-evidence function to collect a kind again (a recollect request), which answers without
 * storing anything; the Lambda adapter reads its answer or rethrows its error under its name.
 */
import type { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { localRecollector } from '../../cli/local/recollector.js';
import { LambdaRecollector } from '../../lambdas/adapters/aws/lambda-recollector.js';
import { ConfigError, isRetryable } from '../../lambdas/domain/errors.js';
import { COMPONENTS_DOCUMENT } from '../../lambdas/domain/evidence/components-document.js';
import type { Recollected, Recollector, RecollectRequest } from '../../lambdas/domain/incident/recollection.js';
import { reverify } from '../../lambdas/domain/incident/reverify.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { makeHandler as collectEvidence } from '../../lambdas/handlers/collect-evidence.js';
import { npm, sbomResult } from '../support/components.js';
import { handlerWorld, recordEvaluatedRelease } from '../support/handler-world.js';
import { oneFileImage, pushManifest } from '../support/images.js';
import { decisionRecord, evidenceRecord } from '../support/store-records.js';

const REPO = 'team/app';

async function releaseWithImage() {
  const w = handlerWorld();
  const image = oneFileImage('recollected').root;
  await pushManifest(w.deps.gate.registry, REPO, image, '1.0.0');
  await recordEvaluatedRelease(w, REPO, image.digest);
  return { w, digest: image.digest };
}

/** A release with a decision and stored sbom evidence (left-pad 1.3.0): what re-verification reads. */
async function gatedRelease() {
  const { w, digest } = await releaseWithImage();
  const doc = sbomResult([npm('left-pad', '1.3.0')]).documents[0];
  if (doc === undefined) throw new Error('sbomResult has its components document');
  const stored = await w.store.put(doc.bytes, doc.mediaType);
  const documents = [
    { name: COMPONENTS_DOCUMENT, mediaType: doc.mediaType, digest: stored, size: doc.bytes.byteLength },
  ];
  await w.store.putEvidence(evidenceRecord(REPO, digest, { documents }));
  await w.store.putDecision(decisionRecord(REPO, digest));
  const release = await w.store.getRelease(REPO, digest);
  if (release === null) throw new Error('the release is recorded');
  return { w, release };
}

describe('Function: reverify', () => {
  it('asks the recollector for each kind, the scan with the advisories’ matches of the stored SBOM', async () => {
    // Prepare
    const { w, release } = await gatedRelease();
    const asked: RecollectRequest[] = [];
    const recollector: Recollector = {
      recollect: async (request): Promise<Recollected> => {
        asked.push(request);
        return {
          kind: request.kind,
          status: 'PASS',
          reasons: [],
          ...(request.kind === 'scan' && { reportFindings: [] }),
        };
      },
    };
    const advisory = parseOsvRecord(
      new TextEncoder().encode(
        JSON.stringify({
          id: 'GHSA-0000-0000-0001',
          modified: '2026-01-01T00:00:00Z',
          affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['1.3.0'] }],
        }),
      ),
      'json',
      'advisory',
    );

    // Act
    await reverify({ ...w.deps.gate, recollector, advisories: [advisory], advisoriesWithScans: true }, release);

    // Assess
    expect(asked.map((r) => r.kind)).toEqual(['signature', 'provenance', 'scan']);
    expect(asked[2]?.advisoryScan).toMatchObject({
      withScans: true,
      report: { findings: [{ id: 'GHSA-0000-0000-0001', packageName: 'left-pad', packageVersion: '1.3.0' }] },
    });
    expect(asked.every((r) => r.recollect && r.repository === REPO && r.digest === release.digest)).toBe(true);
  });

  it('asks for every kind at once, as the workflow collects them (on AWS each is an invocation)', async () => {
    // Prepare: a recollector that answers only once every request is in flight
    const { w, release } = await gatedRelease();
    let inFlight = 0;
    let most = 0;
    const recollector: Recollector = {
      recollect: async (request): Promise<Recollected> => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return {
          kind: request.kind,
          status: 'PASS',
          reasons: [],
          ...(request.kind === 'scan' && { reportFindings: [] }),
        };
      },
    };

    // Act
    await reverify({ ...w.deps.gate, recollector }, release);

    // Assess: signature, provenance and scan were all asked before any answered
    expect(most).toBe(3);
  });

  it('refuses with a ConfigError when no recollector is wired (nothing is judged unverified)', async () => {
    // Prepare
    const { w, release } = await gatedRelease();
    const { recollector: _, ...gate } = w.deps.gate;

    // Act
    const act = reverify(gate, release);

    // Assess
    await expect(act).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('Handler: collect-evidence', () => {
  describe('when it is sent a recollect request', () => {
    it('collects the kind again and answers its result, storing nothing', async () => {
      // Prepare: an unsigned image.
      const { w, digest } = await releaseWithImage();
      const request: RecollectRequest = { recollect: true, repository: REPO, digest, kind: 'signature' };

      // Act
      const answer = await collectEvidence(w.getDeps)(JSON.parse(JSON.stringify(request)));

      // Assess
      expect(answer).toMatchObject({
        kind: 'signature',
        status: 'FAIL',
        reasons: [expect.stringMatching(/signature/i)],
      });
      expect(await w.store.listEvidence(REPO, digest)).toEqual([]);
    });

    it("scans with the advisories' findings in place of the scan source, and answers the report's ids", async () => {
      // Prepare: the handler world's scan source has no scan at all; the advisory match has one finding.
      const { w, digest } = await releaseWithImage();
      const finding = {
        id: 'CVE-2099-0001',
        aliases: ['GHSA-aaaa-bbbb-cccc'],
        severity: 'CRITICAL' as const,
        packageName: 'left-pad',
        packageVersion: '1.3.0',
      };
      const request: RecollectRequest = {
        recollect: true,
        repository: REPO,
        digest,
        kind: 'scan',
        advisoryScan: {
          report: { status: 'COMPLETE', scanner: 'osv', findings: [finding], unevaluated: [], advisoryCount: 1 },
          withScans: false,
        },
      };

      // Act
      const answer = await collectEvidence(w.getDeps)(JSON.parse(JSON.stringify(request)));

      // Assess
      expect(answer).toMatchObject({
        kind: 'scan',
        status: 'FAIL',
        reportFindings: [{ id: 'CVE-2099-0001', aliases: ['GHSA-aaaa-bbbb-cccc'] }],
      });
      expect(await w.store.listEvidence(REPO, digest)).toEqual([]);
    });

    it('refuses a request with a field it does not know', async () => {
      // Prepare
      const { w, digest } = await releaseWithImage();

      // Act
      const act = collectEvidence(w.getDeps)({ recollect: true, repository: REPO, digest, kind: 'eval', store: true });

      // Assess
      await expect(act).rejects.toThrow(/recollect request/);
    });
  });
});

describe('Function: localRecollector (the embedded stack’s ops routes)', () => {
  it('asks the collect-evidence handler module, through JSON, as ops-write asks the function', async () => {
    // Prepare
    const { w, digest } = await releaseWithImage();
    const recollector = localRecollector(w.getDeps);
    const request: RecollectRequest = { recollect: true, repository: REPO, digest, kind: 'signature' };

    // Act
    const answer = await recollector.recollect(request, w.deps.gate);
    const refused = recollector.recollect({ ...request, extra: 1 } as RecollectRequest, w.deps.gate);

    // Assess: the handler's own parse refuses what the request schema does not name.
    expect(answer).toMatchObject({ kind: 'signature', status: 'FAIL' });
    await expect(refused).rejects.toThrow(/recollect request/);
    expect(await w.store.listEvidence(REPO, digest)).toEqual([]);
  });
});

describe('Class: LambdaRecollector', () => {
  const REQUEST: RecollectRequest = {
    recollect: true,
    repository: REPO,
    digest: `sha256:${'ab'.repeat(32)}`,
    kind: 'provenance',
  };

  /** A LambdaClient answering as the Invoke API reference says, recording what it was sent. */
  function client(answer: { Payload: unknown; FunctionError?: string }) {
    const sent: InvokeCommand[] = [];
    return {
      sent,
      client: {
        send: async (command: InvokeCommand) => {
          sent.push(command);
          return {
            StatusCode: 200,
            ...(answer.FunctionError === undefined ? {} : { FunctionError: answer.FunctionError }),
            Payload: new TextEncoder().encode(JSON.stringify(answer.Payload)),
          };
        },
      },
    };
  }

  describe('Method: recollect', () => {
    it('invokes collect-evidence synchronously with the request and answers its result', async () => {
      // Prepare
      const result = { kind: 'provenance', status: 'FAIL', reasons: ['builder not allowed'] };
      const fake = client({ Payload: result });
      const recollector = new LambdaRecollector({ client: fake.client as never, functionName: 'gate-collect' });

      // Act
      const out = await recollector.recollect(REQUEST);

      // Assess
      expect(out).toEqual(result);
      expect(fake.sent[0]?.input).toMatchObject({ FunctionName: 'gate-collect', InvocationType: 'RequestResponse' });
      expect(JSON.parse(new TextDecoder().decode(fake.sent[0]?.input.Payload as Uint8Array))).toEqual(REQUEST);
    });

    it("rethrows the function's error under its name, so that a transient one stays retryable", async () => {
      // Prepare
      const fake = client({
        FunctionError: 'Unhandled',
        Payload: { errorType: 'StoreError', errorMessage: 'throttled' },
      });
      const recollector = new LambdaRecollector({ client: fake.client as never, functionName: 'gate-collect' });

      // Act
      const err = await recollector.recollect(REQUEST).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(Error);
      expect(isRetryable(err)).toBe(true);
      expect(String(err)).toContain('throttled');
    });

    it('refuses an answer that is not a result', async () => {
      // Prepare
      const fake = client({ Payload: { kind: 'provenance', status: 'MAYBE', reasons: [] } });
      const recollector = new LambdaRecollector({ client: fake.client as never, functionName: 'gate-collect' });

      // Act
      const act = recollector.recollect(REQUEST);

      // Assess
      await expect(act).rejects.toThrow(/collect-evidence's answer/);
    });
  });
});
