/**
 * The local stand-in for the S3 `advisories/` prefix and its ObjectCreated notification: the
 * embedded stack watches its advisories folder, and a new or changed OSV file re-validates the
 * live releases against the records in it (incident/revalidate.ts).
 *
 * `fs.watch` reports a file several times while it is written (create, then one change per
 * write), so changes are collected until the folder is quiet for `debounceMs`, and a file whose
 * bytes were already handled is not handled again. A file that does not parse is reported with
 * the reason and skipped (a half-written file is read again on its next change); an error of the
 * re-validation itself is reported, never thrown into the watcher.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAdvisoryFile } from '../../lambdas/adapters/scan/advisories-folder.js';
import { describeError } from '../../lambdas/domain/errors.js';
import type { RevalidationSummary, RevalidationTrigger } from '../../lambdas/domain/incident/revalidate.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type OsvRecord, osvFormatOf } from '../../lambdas/domain/osv/schema.js';

export interface AdvisoryWatchOptions {
  readonly dir: string;
  readonly revalidate: (trigger: RevalidationTrigger) => Promise<RevalidationSummary>;
  /** Where problems and results are reported (a bad file, a failed run). */
  readonly log: (line: string) => void;
  /** @default 150 */
  readonly debounceMs?: number;
}

/** One handled batch of changed files. */
export interface AdvisoryWatchRun {
  readonly files: readonly string[];
  /** Files skipped, with the reason. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  readonly summary?: RevalidationSummary;
  readonly error?: string;
}

export class AdvisoryWatch {
  /** Every batch handled, oldest first. */
  public readonly runs: AdvisoryWatchRun[] = [];
  private readonly pending = new Set<string>();
  /** sha256 of the bytes last handled, per file name. */
  private readonly handled = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly listeners: ((run: AdvisoryWatchRun) => void)[] = [];

  private constructor(
    private readonly opts: AdvisoryWatchOptions,
    private readonly watcher: FSWatcher,
  ) {}

  /**
   * Starts watching `dir` (its own files; sub-folders are not watched). The files in it now are
   * taken as known (the scanner already reads them); only files created or changed afterwards
   * re-validate. Throws when `dir` cannot be watched.
   */
  public static async start(opts: AdvisoryWatchOptions): Promise<AdvisoryWatch> {
    const holder: { w?: AdvisoryWatch } = {};
    // Watching first, then listing: a file that arrives in between is seen as a change.
    const watcher = watch(opts.dir, (_event, name) => {
      if (name !== null) holder.w?.changed(String(name));
    });
    const w = new AdvisoryWatch(opts, watcher);
    holder.w = w;
    for (const name of await readdir(opts.dir)) {
      if (osvFormatOf(name) === null || w.pending.has(name)) continue;
      const hash = await hashOf(join(opts.dir, name));
      if (hash !== null) w.handled.set(name, hash);
    }
    return w;
  }

  /** Called with each handled batch. */
  public onRun(listener: (run: AdvisoryWatchRun) => void): void {
    this.listeners.push(listener);
  }

  private changed(name: string): void {
    if (osvFormatOf(name) === null) return;
    this.pending.add(name);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.flush());
    }, this.opts.debounceMs ?? 150);
  }

  private async flush(): Promise<void> {
    const names = [...this.pending].sort();
    this.pending.clear();
    const records: OsvRecord[] = [];
    const files: string[] = [];
    const skipped: { file: string; reason: string }[] = [];
    for (const name of names) {
      const path = join(this.opts.dir, name);
      const hash = await hashOf(path);
      // Removed, or the same bytes as last time: nothing new.
      if (hash === null || this.handled.get(name) === hash) continue;
      try {
        records.push(await loadAdvisoryFile(path));
        files.push(name);
        this.handled.set(name, hash);
      } catch (err) {
        const reason = describeError(err);
        skipped.push({ file: name, reason });
        this.opts.log(`advisory ${name} skipped: ${reason}`);
      }
    }
    if (files.length === 0 && skipped.length === 0) return;
    let run: AdvisoryWatchRun = { files, skipped };
    if (records.length > 0) {
      try {
        const summary = await this.opts.revalidate({
          kind: 'advisories',
          advisories: records,
          source: files.join(', '),
        });
        run = { ...run, summary };
        this.opts.log(
          `re-validated ${summary.checked} live release(s) against ${files.join(', ')}: ${summary.newlyAffected.length} newly affected`,
        );
      } catch (err) {
        // Read again on its next change: the alert must not be lost to a transient failure.
        for (const f of files) this.handled.delete(f);
        run = { ...run, error: describeError(err) };
        this.opts.log(`re-validation for ${files.join(', ')} failed: ${describeError(err)}`);
      }
    }
    this.runs.push(run);
    for (const l of this.listeners) l(run);
  }

  /** Stops watching; a batch being handled is finished first. */
  public async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher.close();
    await this.running;
  }
}

/** What identifies the file's bytes; a file past the size limit by its size alone (it is refused unread). */
async function hashOf(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    if (info.size > Limits.advisoryBytes) return `size ${info.size}`;
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return null;
  }
}
