import { describe, expect, it } from 'vitest';
import { printable } from '../../cli/printable.js';

describe('Function: printable (red-team finding 17)', () => {
  it.each([
    ['an ANSI escape sequence', 'left-pad\u001b[2J\u001b[31mPASS', 'left-pad\\u001b[2J\\u001b[31mPASS'],
    ['a carriage return that would overwrite the line', 'FAIL\rPASS', 'FAIL\\u000dPASS'],
    ['a bell and a C1 control', 'a\u0007b\u009bc', 'a\\u0007b\\u009bc'],
    ['a bidi override', 'evil\u202etxt.exe', 'evil\\u202etxt.exe'],
  ])('shows %s as visible escapes', (_what, raw, shown) => {
    expect(printable(raw)).toBe(shown);
  });

  it('leaves ordinary text, Unicode included, as it is', () => {
    expect(printable('pkg:npm/@scope/naïve@1.0.0 — 日本語 ✓')).toBe('pkg:npm/@scope/naïve@1.0.0 — 日本語 ✓');
  });
});
