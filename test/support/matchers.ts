/**
 * Custom matchers, registered for every test file by `test/support/setup.ts`.
 *
 * `toThrowWithCode(ErrorClass, code, message?)`, after sigstore-js's matcher of the same name: the
 * function throws (or the promise rejects, with `.rejects`) an instance of `ErrorClass` whose
 * `detail` code (format verifiers) or gate-wide `code` equals `code`, and, when `message` is given,
 * whose message contains that string or matches that pattern.
 *
 * Named exports: `stringContainingAll` (an asymmetric matcher) and `expectEvidence` (a collector's
 * result against a table row).
 */
import { expect } from 'vitest';
import type { GateError } from '../../lambdas/domain/errors.js';
import type { EvidenceResult, EvidenceStatus } from '../../lambdas/domain/types.js';

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

/**
 * An asymmetric matcher for a string that contains every piece, in any order:
 * `expect(reasons).toEqual([stringContainingAll('referrer', 'altered')])`.
 */
export function stringContainingAll(...pieces: readonly string[]): unknown {
  const escaped = pieces.map((p) => `(?=[\\s\\S]*${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`);
  return expect.stringMatching(new RegExp(`^${escaped.join('')}`));
}

/** What a collector's result must be; every field given is checked. */
export interface ExpectedEvidence {
  readonly status: EvidenceStatus;
  /** The reasons, whole (asymmetric matchers allowed). */
  readonly reasons?: unknown;
  /** One of the reasons, exactly. */
  readonly reason?: string;
  /** A piece of the first reason: contained (string) or matched (pattern). */
  readonly firstReason?: string | RegExp;
  /** A piece of all reasons joined with spaces: contained (string) or matched (pattern). */
  readonly reasonsText?: string | RegExp;
  /** Facts the result has (`toMatchObject`). */
  readonly facts?: Record<string, unknown>;
  /** The facts, whole. */
  readonly exactFacts?: Record<string, unknown>;
  /** Some facts, each exactly (`undefined`: the fact is absent). */
  readonly factValues?: Record<string, unknown>;
  /** The names of the documents, whole. */
  readonly documents?: readonly string[];
}

/** Asserts a collector's result (`EvidenceResult`) against what a test row expects of it. */
export function expectEvidence(
  result: Pick<EvidenceResult, 'status' | 'reasons' | 'facts' | 'documents'>,
  expected: ExpectedEvidence,
): void {
  expect(result.status).toBe(expected.status);
  if (expected.reasons !== undefined) expect(result.reasons).toEqual(expected.reasons);
  if (expected.reason !== undefined) expect(result.reasons).toContain(expected.reason);
  if (typeof expected.firstReason === 'string') expect(result.reasons[0]).toContain(expected.firstReason);
  if (expected.firstReason instanceof RegExp) expect(result.reasons[0]).toMatch(expected.firstReason);
  if (typeof expected.reasonsText === 'string') expect(result.reasons.join(' ')).toContain(expected.reasonsText);
  if (expected.reasonsText instanceof RegExp) expect(result.reasons.join(' ')).toMatch(expected.reasonsText);
  if (expected.facts !== undefined) expect(result.facts).toMatchObject(expected.facts);
  if (expected.exactFacts !== undefined) expect(result.facts).toEqual(expected.exactFacts);
  for (const [key, value] of Object.entries(expected.factValues ?? {})) expect(result.facts[key]).toEqual(value);
  if (expected.documents !== undefined) expect(result.documents.map((d) => d.name)).toEqual(expected.documents);
}
