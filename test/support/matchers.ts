/**
 * Custom matchers, registered for every test file by `test/support/setup.ts`.
 *
 * `toThrowWithCode(ErrorClass, code, message?)`, after sigstore-js's matcher of the same name: the
 * function throws (or the promise rejects, with `.rejects`) an instance of `ErrorClass` whose
 * `detail` code (format verifiers) or gate-wide `code` equals `code`, and, when `message` is given,
 * whose message contains that string or matches that pattern.
 */
import { expect } from 'vitest';
import type { GateError } from '../../lambdas/domain/errors.js';

type ErrorClass = abstract new (...args: never[]) => GateError;

interface CodeMatchers<R = unknown> {
  toThrowWithCode(errorClass: ErrorClass, code: string, message?: string | RegExp): R;
}

declare module 'vitest' {
  interface Assertion<T> extends CodeMatchers<T> {}
  interface AsymmetricMatchersContaining extends CodeMatchers {}
}

function thrownBy(received: unknown): { threw: boolean; error: unknown } {
  if (typeof received !== 'function') return { threw: true, error: received }; // `.rejects` passes the reason
  try {
    const result: unknown = received();
    if (result instanceof Promise) {
      throw new TypeError(
        'toThrowWithCode: the function returned a promise; use `await expect(p).rejects.toThrowWithCode(...)`',
      );
    }
    return { threw: false, error: undefined };
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('toThrowWithCode:')) throw error;
    return { threw: true, error };
  }
}

expect.extend({
  toThrowWithCode(received: unknown, errorClass: ErrorClass, code: string, message?: string | RegExp) {
    const { threw, error } = thrownBy(received);
    const describe = (e: unknown): string =>
      e instanceof Error
        ? `${e.name} (code ${String((e as Partial<GateError>).code)}, detail ${String((e as Partial<GateError>).detail)}): ${e.message}`
        : String(e);
    const wanted = `a ${errorClass.name} with code ${code}${message === undefined ? '' : ` and message ${String(message)}`}`;
    if (!threw) {
      return { pass: false, message: () => `expected ${wanted}, but nothing was thrown` };
    }
    const messageMatches = (text: string): boolean =>
      message === undefined || (typeof message === 'string' ? text.includes(message) : message.test(text));
    const pass =
      error instanceof errorClass && (error.detail === code || error.code === code) && messageMatches(error.message);
    return {
      pass,
      message: () =>
        pass
          ? `expected not to throw ${wanted}, but it did: ${describe(error)}`
          : `expected ${wanted}, but got ${describe(error)}`,
    };
  },
});
