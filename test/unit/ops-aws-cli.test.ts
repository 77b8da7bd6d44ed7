/**
 * `release-gate <command> --aws` (cli/commands/ops-aws.ts): which route each command asks, what it
 * refuses before sending anything, and how answers are printed, an unknown outcome included.
 */
import { describe, expect, it } from 'vitest';
import { opsRequestOf, printOpsAnswer } from '../../cli/commands/ops-aws.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { captureIo } from '../support/cli-process.js';
import { newDigest } from '../support/store-records.js';

const DIGEST = newDigest();
const OUTPUT = { json: false, open: false, workDir: '/nonexistent' };

describe('Function: opsRequestOf', () => {
  describe('when each command is given with --aws', () => {
    it('asks its route with the query or body the handler takes', async () => {
      // Act
      const requests = {
        range: (await opsRequestOf('triage', ['pkg:deb/debian/openssl', '--range', '<3.0.13', '--aws'])).request,
        id: (await opsRequestOf('triage', ['CVE-2024-1', '--aws'])).request,
        explain: (await opsRequestOf('explain', [DIGEST.slice(0, 20), '--repository', 'a/b', '--aws'])).request,
        revoke: (await opsRequestOf('revoke', [DIGEST, '--reason', 'CVE', '--aws'])).request,
        rollback: (await opsRequestOf('rollback', ['prod/a/b', '--to', DIGEST, '--aws'])).request,
        release: (await opsRequestOf('release', [DIGEST, '--reason', 'fixed', '--aws'])).request,
        rollbackGlass: (await opsRequestOf('rollback', ['a/b', '--break-glass', '--reason', 'CVE', '--aws'])).request,
        releaseGlass: (await opsRequestOf('release', [DIGEST, '--break-glass', '--reason', 'r', '--aws'])).request,
      };

      // Assess
      expect(requests).toEqual({
        range: { route: 'triage', query: { purl: 'pkg:deb/debian/openssl', range: '<3.0.13' } },
        id: { route: 'triage', query: { id: 'CVE-2024-1' } },
        explain: { route: 'explain', query: { digest: DIGEST.slice(0, 20), repository: 'a/b' } },
        revoke: { route: 'revoke', body: { digest: DIGEST, reason: 'CVE' } },
        rollback: { route: 'rollback', body: { repository: 'prod/a/b', to: DIGEST } },
        release: { route: 'release', body: { digest: DIGEST, reason: 'fixed' } },
        rollbackGlass: { route: 'rollback', body: { repository: 'a/b', reason: 'CVE', breakGlass: { reason: 'CVE' } } },
        releaseGlass: { route: 'release', body: { digest: DIGEST, reason: 'r', breakGlass: { reason: 'r' } } },
      });
    });
  });

  describe('when the gate is named by --stack or --api-url', () => {
    it('keeps where the gate is apart from the request; status takes an optional digest', async () => {
      // Act
      const byStack = await opsRequestOf('status', [DIGEST.slice(0, 20), '--stack', 'release-gate']);
      const byUrl = await opsRequestOf('triage', ['CVE-2024-1', '--aws', '--api-url', 'https://gate.example.com/']);
      const all = await opsRequestOf('status', ['--aws']);

      // Assess
      expect(byStack).toMatchObject({
        where: { stack: 'release-gate' },
        request: { route: 'status', query: { digest: DIGEST.slice(0, 20) } },
      });
      expect(byUrl.where).toEqual({ apiUrl: 'https://gate.example.com/' });
      expect(all).toMatchObject({ where: {}, request: { route: 'status', query: {} } });
    });
  });

  describe('when local-only options or missing arguments are given', () => {
    it('refuses before sending anything, naming the option and why', async () => {
      // Act & Assess
      const refused = async (command: Parameters<typeof opsRequestOf>[0], args: string[], message: string) =>
        expect(opsRequestOf(command, [...args, '--aws'])).rejects.toThrow(
          expect.objectContaining({ name: new InvalidInputError('x').name, message: expect.stringContaining(message) }),
        );
      await refused('revoke', [DIGEST, '--reason', 'r', '--by', 'alice'], '--by: not with --aws');
      await refused('rollback', ['a/b', '--break-glass'], '--reason TEXT is required');
      await refused('revoke', [DIGEST, '--reason', 'r', '--break-glass'], '--break-glass: not an option of revoke');
      await refused('release', [DIGEST, '--reason', 'r', '--approved-by', 'bob'], '--approved-by: not with --aws');
      await refused('explain', [DIGEST, '--policy', 'p.yaml'], '--policy: not with --aws');
      await refused('triage', ['CVE-1', '--advisories', 'dir'], '--advisories: not with --aws');
      await refused('revoke', [DIGEST], '--reason TEXT is required');
      await refused('rollback', [], 'rollback takes a repository');
      await refused('triage', ['CVE-1', '--range', '<1'], '--range: only with a package URL');
      await refused('explain', [DIGEST, '--to', DIGEST], '--to: not an option of explain');
    });
  });
});

describe('Function: printOpsAnswer', () => {
  describe('when a rollback answer has an outcome this CLI does not know (a newer gate)', () => {
    it('prints the outcome and its reasons, exit 0', async () => {
      // Prepare
      const { io, out } = captureIo();

      // Act
      const code = await printOpsAnswer(
        'release',
        {
          outcome: 'RESUBMITTED',
          repository: 'a/b',
          digest: DIGEST,
          reasons: ['a new gate run started'],
          executionName: 'x',
        },
        OUTPUT,
        io,
      );

      // Assess
      expect(code).toBe(0);
      expect(out()).toBe(`RESUBMITTED: a/b@${DIGEST}\n  - a new gate run started\n`);
    });
  });

  describe('when a known answer is malformed', () => {
    it('throws instead of printing part of it', async () => {
      const { io } = captureIo();
      await expect(printOpsAnswer('revoke', { repository: 'a/b', created: 'yes' }, OUTPUT, io)).rejects.toThrow();
    });
  });

  describe('when a rollback was refused', () => {
    it('prints the local table without the break-glass hint and exits 1', async () => {
      // Prepare
      const { io, out } = captureIo();

      // Act
      const code = await printOpsAnswer(
        'rollback',
        { outcome: 'REFUSED', repository: 'a/b', digest: DIGEST, reasons: ['revoked at t by o: r'], seconds: 0.25 },
        OUTPUT,
        io,
      );

      // Assess
      expect(code).toBe(1);
      expect(out()).toContain(
        `rollback of a/b REFUSED (target ${DIGEST}); production unchanged\n  - revoked at t by o: r`,
      );
      expect(out()).toContain('took 0.25 s, re-verification included');
      expect(out()).toContain('release-gate break-glass confirm ID --aws');
      expect(out()).not.toContain('--approved-by');
    });
  });
});
