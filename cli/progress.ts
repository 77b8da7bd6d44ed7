/**
 * Progress on long work (gate evidence collection, the demo and its drill, a rollback's
 * re-verification): a spinner on stderr with what is being done, only when stderr is an
 * interactive terminal; silent otherwise, so pipes, logs and CI see the result alone. stdout is
 * never written. yocto-spinner (a tiny maintained spinner) clears its line around whatever the
 * command prints meanwhile.
 */
import type { Writable } from 'node:stream';
import yoctoSpinner from 'yocto-spinner';
import { printable } from './printable.js';

/** What long work reports to; a no-op off a terminal. */
export interface Progress {
  /** What is being done now (text from evidence is made printable). */
  update(text: string): void;
  /** Removes the spinner; what was printed meanwhile stays. */
  done(): void;
}

export const noProgress: Progress = { update: () => {}, done: () => {} };

/** Whether progress is shown on `stream`: an interactive terminal (not TERM=dumb, not CI). */
export function progressWanted(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb' && env.CI === undefined;
}

/** Starts a spinner with `text` on `stream` (default stderr) when progress is wanted there. */
export function startProgress(
  text: string,
  opts: { readonly stream?: Writable & { readonly isTTY?: boolean }; readonly env?: NodeJS.ProcessEnv } = {},
): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!progressWanted(stream, opts.env)) return noProgress;
  const spinner = yoctoSpinner({ text: printable(text), stream }).start();
  return {
    update: (next) => {
      spinner.text = printable(next);
    },
    done: () => {
      spinner.stop();
    },
  };
}

/** Runs `work` with a spinner saying `text`, removed when it settles. */
export async function withProgress<T>(
  text: string,
  work: (progress: Progress) => Promise<T>,
  opts?: Parameters<typeof startProgress>[1],
): Promise<T> {
  const progress = startProgress(text, opts);
  try {
    return await work(progress);
  } finally {
    progress.done();
  }
}
