import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { compactErrors, MAX_ERROR_MESSAGE } from '../../lambdas/handlers/compact-errors.js';

describe('Function: compactErrors', () => {
  describe('when the handler throws a long error', () => {
    it('rethrows the same name with a bounded message and no stack frames', async () => {
      // Prepare
      const handler = compactErrors(async () => {
        throw new InvalidInputError('x'.repeat(50_000));
      });

      // Act
      const err: unknown = await handler({}).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(Error);
      const e = err as Error;
      expect(e.name).toBe('InvalidInputError');
      expect(e.message).toHaveLength(MAX_ERROR_MESSAGE);
      expect(e.stack).not.toContain('\n    at ');
    });
  });

  describe('when the handler succeeds', () => {
    it('returns its result unchanged', async () => {
      await expect(compactErrors(async (n: number) => n + 1)(1)).resolves.toBe(2);
    });
  });
});
