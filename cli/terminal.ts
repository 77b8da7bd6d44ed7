/**
 * How the CLI writes to the terminal: every byte through `terminalText` (cli/printable.ts), and
 * colour only where it helps and is wanted. Colour follows https://no-color.org: a non-empty
 * NO_COLOR turns it off (and wins over FORCE_COLOR: "no colour" is the user's explicit ask);
 * FORCE_COLOR turns it on off a terminal (`0`/`false` off); otherwise only on a TTY, not TERM=dumb.
 * Node's own check (util.styleText's validateStream) lets FORCE_COLOR win and treats an empty
 * NO_COLOR as set, hence this small decision here; the escapes come from util.styleText.
 */
import { styleText } from 'node:util';
import { terminalText } from './printable.js';

/** What the CLI writes to; `process.stdout`/`process.stderr` fit. */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Whether to colour what goes to `stream`, from the environment and whether it is a terminal. */
export function colourWanted(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  return stream.isTTY === true && env.TERM !== 'dumb';
}

// The outcome words the CLI prints, by colour. Matched as whole words on text already made
// printable, so the only escapes in the output are these.
const GREEN = /\b(PROMOTED|PASS|PASSED|ROLLED_BACK|RESUBMITTED|APPROVED)\b/g;
const RED =
  /\b(QUARANTINED|REJECTED|BLOCK|BLOCKED|REFUSED|FAIL|FAILED|REVOKED|UNEXPECTED|DIFFERENT|MISSING|INVALID|UNTRUSTED|ERROR|EXPIRED)\b/g;
const YELLOW = /\b(PENDING|AWAITING_APPROVAL|RECORDED|EVALUATED|BREAK-GLASS)\b/g;

/** `text` (already printable) with its outcome words coloured: PROMOTED green, QUARANTINED/REJECTED red, pending yellow. */
export function colourOutcomes(text: string): string {
  const paint = (style: 'green' | 'red' | 'yellow') => (word: string) =>
    styleText(style, word, { validateStream: false });
  return text.replace(GREEN, paint('green')).replace(RED, paint('red')).replace(YELLOW, paint('yellow'));
}

/**
 * A sink that writes to `stream` only printable text, coloured when wanted. `plain` (a `--json`
 * answer) is never coloured: a document for programs.
 */
export function terminalSink(
  stream: TextSink,
  opts: { readonly plain?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
) {
  const colour = opts.plain !== true && colourWanted(stream, opts.env);
  return {
    write: (text: string): unknown => stream.write(colour ? colourOutcomes(terminalText(text)) : terminalText(text)),
  };
}

/** The CLI's stdout and stderr for `argv`: `--json` (before any `--`) keeps stdout plain. */
export function terminalIo(
  argv: readonly string[],
  streams: { readonly stdout: TextSink; readonly stderr: TextSink } = process,
  env: NodeJS.ProcessEnv = process.env,
): CliIo {
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  return {
    stdout: terminalSink(streams.stdout, { plain: options.includes('--json'), env }),
    stderr: terminalSink(streams.stderr, { env }),
  };
}
