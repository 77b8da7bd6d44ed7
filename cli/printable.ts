/**
 * Text from evidence (SBOM names and versions, reasons quoting them, approval comments) as it is
 * safe to print on a terminal. Whoever pushes writes those strings, so a control character (ESC
 * starting a terminal escape sequence, BEL, CR overwriting the line, C1 controls) or a bidi override
 * is shown as a visible `\uXXXX` escape, never sent raw.
 */
export function printable(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const control =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}
