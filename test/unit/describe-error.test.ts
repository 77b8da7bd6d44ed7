import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonDocument } from '../../lambdas/domain/document.js';
import { describeError, InvalidInputError, RegistryError } from '../../lambdas/domain/errors.js';

describe('Function: describeError', () => {
  describe('when a document failed its schema (the cause is the ZodError)', () => {
    it('says the issues once, on one line, without the ZodError dump (found by the fail-closed matrix)', () => {
      // Prepare
      let caught: unknown;
      try {
        parseJsonDocument('{"critical":"not simple signing"}', z.object({ critical: z.object({}) }), {
          what: 'simple-signing payload',
          maxBytes: 1024,
        });
      } catch (err) {
        caught = err;
      }

      // Act
      const text = describeError(caught);

      // Assess
      expect(caught).toBeInstanceOf(InvalidInputError);
      expect(text).toBe('simple-signing payload: critical: Invalid input: expected object, received string');
      expect(text).not.toContain('\n');
    });
  });

  describe('when the cause is another error', () => {
    it('appends its message', () => {
      // Act
      const text = describeError(new RegistryError('fetch failed', { cause: new Error('ECONNRESET') }));

      // Assess
      expect(text).toBe('fetch failed: ECONNRESET');
    });
  });
});
