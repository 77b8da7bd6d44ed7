/**
 * The CLI's output boundary (cli/terminal.ts, cli/printable.ts) and its progress (cli/progress.ts),
 * in-process: sinks that say whether they are a terminal, as process.stdout/stderr do.
 */
import { clearLine, cursorTo, moveCursor } from 'node:readline';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalText } from '../../cli/printable.js';
import { startProgress, withProgress } from '../../cli/progress.js';
import { colourWanted, terminalIo } from '../../cli/terminal.js';
import { RAW_CONTROL, withoutColour } from '../support/terminal.js';

/** A stream that keeps what is written, a terminal when `isTTY`. */
function sink(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    // What a tty.WriteStream has and a spinner uses to redraw its line.
    {
      isTTY,
      columns: 80,
      cursorTo: (x: number, done?: () => void) => cursorTo(stream, x, undefined, done),
      clearLine: (dir: -1 | 0 | 1, done?: () => void) => clearLine(stream, dir, done),
      moveCursor: (dx: number, dy: number, done?: () => void) => moveCursor(stream, dx, dy, done),
    },
  );
  return { stream, text: () => text };
}

const HOSTILE = 'evil\u001b[2J\u001b]8;;https://x.example\u0007link\u001b]8;;\u0007 FAIL\rPASS \u202eexe.txt \u009b31m';

describe('Function: terminalText', () => {
  it('keeps the line breaks and escapes every other control character and bidi override', () => {
    // Act
    const shown = terminalText(`${HOSTILE}\nnext line\n`);

    // Assess
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(shown).toBe(
      'evil\\u001b[2J\\u001b]8;;https://x.example\\u0007link\\u001b]8;;\\u0007 FAIL\\u000dPASS \\u202eexe.txt \\u009b31m\nnext line\n',
    );
  });

  it('keeps a JSON document valid and equal (C1 and bidi escaped inside its strings)', () => {
    // Prepare
    const doc = { reason: HOSTILE, nested: [{ name: 'a\u202eb' }] };

    // Act
    const shown = terminalText(JSON.stringify(doc, null, 2));

    // Assess
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(shown)).toEqual(doc);
  });
});

describe('Function: colourWanted', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe', false, {}, false],
    ['a terminal with NO_COLOR', true, { NO_COLOR: '1' }, false],
    ['a terminal with an empty NO_COLOR (unset, per no-color.org)', true, { NO_COLOR: '' }, true],
    ['a pipe with FORCE_COLOR', false, { FORCE_COLOR: '1' }, true],
    ['a terminal with FORCE_COLOR=0', true, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR and NO_COLOR together', true, { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
    ['a dumb terminal', true, { TERM: 'dumb' }, false],
  ])('on %s', (_what, isTTY, env, wanted) => {
    expect(colourWanted({ isTTY }, env)).toBe(wanted);
  });
});

describe('Function: terminalIo', () => {
  it('colours outcomes on a terminal: PROMOTED green, QUARANTINED red, AWAITING_APPROVAL yellow', () => {
    // Prepare
    const out = sink(true);

    // Act
    terminalIo([], { stdout: out.stream, stderr: sink(true).stream }, {}).stdout.write(
      'a PROMOTED\nb QUARANTINED\nc AWAITING_APPROVAL\n',
    );

    // Assess
    expect(out.text()).toBe(
      'a \u001b[32mPROMOTED\u001b[39m\nb \u001b[31mQUARANTINED\u001b[39m\nc \u001b[33mAWAITING_APPROVAL\u001b[39m\n',
    );
  });

  it.each([
    ['a pipe', false, {}, []],
    ['NO_COLOR on a terminal', true, { NO_COLOR: '1' }, []],
    ['--json on a terminal', true, {}, ['status', '--json']],
  ])('writes no escape code on %s, and text from evidence escaped', (_what, isTTY, env, argv) => {
    // Prepare
    const out = sink(isTTY);
    const err = sink(isTTY);

    // Act
    const io = terminalIo(argv, { stdout: out.stream, stderr: err.stream }, env);
    io.stdout.write(`PROMOTED ${HOSTILE}\n`);
    io.stderr.write(`error: REJECTED ${HOSTILE}\n`);

    // Assess
    expect(out.text()).not.toMatch(RAW_CONTROL);
    expect(out.text()).toContain('PROMOTED evil\\u001b[2J');
    // stderr is a terminal's in the --json case: coloured, the colour its only escapes.
    expect(withoutColour(err.text())).not.toMatch(RAW_CONTROL);
    if (!isTTY || 'NO_COLOR' in env) expect(err.text()).not.toContain('\u001b');
  });
});

describe('Function: startProgress', () => {
  it('shows the spinner with its text on a terminal, then clears it', async () => {
    // Prepare
    const err = sink(true);

    // Act
    await withProgress('collecting the evidence of demo/good', async (p) => p.update('gating 3 images (1 done)'), {
      stream: err.stream,
      env: {},
    });

    // Assess
    expect(err.text()).toContain('collecting the evidence of demo/good');
    expect(err.text()).toContain('gating 3 images (1 done)');
  });

  it('writes nothing when the stream is not a terminal, or on CI or a dumb terminal', () => {
    // Prepare
    const pipe = sink(false);
    const ci = sink(true);
    const dumb = sink(true);

    // Act
    for (const [stream, env] of [
      [pipe.stream, {}],
      [ci.stream, { CI: 'true' }],
      [dumb.stream, { TERM: 'dumb' }],
    ] as const) {
      const p = startProgress('working', { stream, env });
      p.update('still working');
      p.done();
    }

    // Assess
    expect(pipe.text() + ci.text() + dumb.text()).toBe('');
  });

  it('never shows evidence text raw in the spinner', () => {
    // Prepare
    const err = sink(true);

    // Act
    startProgress(`collecting ${HOSTILE}`, { stream: err.stream, env: {} }).done();

    // Assess: the spinner's own escapes only (cursor, colour, line clear), none from the text.
    expect(err.text()).toContain('evil\\u001b[2J');
    for (const raw of ['\u0007', '\r', '\u202e', '\u009b']) expect(err.text()).not.toContain(raw);
  });
});
