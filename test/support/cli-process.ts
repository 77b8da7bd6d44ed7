/**
 * Runs the real `release-gate` CLI (`node --import tsx cli/entry.ts …`) as a child process from the
 * repository root, the way a user or a CI job does: the tests see exit codes, stdout and stderr,
 * nothing in-process.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CLI_ENTRY = 'cli/entry.ts';
export const CLI_ENV = { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' };

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one CLI command to completion. A non-zero exit is a result, not a rejection. `entry` is the
 * script relative to the repository root. @default 'cli/entry.ts'
 */
export function runCli(
  args: readonly string[],
  opts: {
    readonly timeoutMs?: number;
    readonly entry?: string;
    /** The child's whole environment. @default - the test's, with POWERTOOLS_LOG_LEVEL=WARN */
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', opts.entry ?? CLI_ENTRY, ...args],
      { cwd: REPO_ROOT, env: opts.env ?? CLI_ENV, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ code: 0, stdout, stderr });
        } else if (typeof err.code === 'number') {
          resolve({ code: err.code, stdout, stderr });
        } else {
          reject(new Error(`release-gate ${args.join(' ')} did not exit normally (${err.message}): ${stderr}`));
        }
      },
    );
  });
}

/** A long-running CLI command (`demo`) whose output the test reads while it runs. */
export class CliProcess {
  private out = '';
  private err = '';
  private readonly exit: Promise<number>;
  private closed = false;
  private readonly waiters: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.out += chunk.toString();
      this.notify();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.err += chunk.toString();
    });
    // 'close' (not 'exit'): stdout has been read to its end by then.
    this.exit = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.closed = true;
        this.notify();
        resolve(code ?? (signal === null ? -1 : -2));
      });
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  public static spawn(args: readonly string[]): CliProcess {
    return new CliProcess(
      spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
        cwd: REPO_ROOT,
        env: CLI_ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  public get stdout(): string {
    return this.out;
  }

  public get stderr(): string {
    return this.err;
  }

  /** False once the process has exited and its output has been read. */
  public get running(): boolean {
    return !this.closed;
  }

  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  public waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} in stdout within ${timeoutMs} ms:\n${this.out}\n${this.err}`));
      }, timeoutMs);
      const check = (): void => {
        const m = pattern.exec(this.out);
        if (m !== null) {
          done();
          resolve(m);
        } else if (!this.running) {
          done();
          reject(new Error(`exited before printing ${pattern}:\n${this.out}\n${this.err}`));
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The exit code; rejects (and kills the process) after `timeoutMs`. */
  public async waitForExit(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void this.kill();
        reject(new Error(`did not exit within ${timeoutMs} ms:\n${this.out}\n${this.err}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  public async kill(): Promise<void> {
    if (this.closed) return;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const hard = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exit;
    clearTimeout(hard);
  }
}

/** Stdout and stderr of a CLI command run in this process, collected as text. */
export function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
