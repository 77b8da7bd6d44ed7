/**
 * Text from evidence (SBOM names and versions, reasons quoting them, approval comments) as it is
 * safe to print on a terminal. Whoever pushes writes those strings, so a control character (ESC
 * starting a terminal escape sequence, BEL, CR overwriting the line, C1 controls) or a bidi override
 * is shown as a visible `\uXXXX` escape, never sent raw. Idempotent: its output has no control
 * character left, so text made printable twice reads the same.
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

/**
 * The CLI's output boundary (cli/main.ts writes everything through it): every line made
 * printable, the line breaks kept. On JSON it keeps the document valid and equal: JSON.stringify
 * already escapes C0 controls inside strings, and what is left (C1 controls, bidi overrides) can
 * only sit inside strings, where `\uXXXX` is the same character.
 */
export function terminalText(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
