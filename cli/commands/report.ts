/**
 * `release-gate report <digest>`: writes the release's HTML evidence report
 * (lambdas/domain/workflow/report.ts) to the document store (S3) and to `<work-dir>/reports/`,
 * and prints where.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock, DocumentStore, ReleaseStore } from '../../lambdas/domain/ports.js';
import { buildReleaseReport } from '../../lambdas/domain/workflow/report.js';
import { renderReportPage } from '../../lambdas/domain/workflow/report-page.js';
import { REPORT_HELP, REPORT_USAGE } from '../help-text.js';
import { findRelease, RELEASE_COMMAND_OPTIONS, releaseCommandArgs } from './release-lookup.js';
import type { CommandIo } from './verify-bundle.js';

export { REPORT_HELP, REPORT_USAGE };

export const REPORT_MEDIA_TYPE = 'text/html; charset=utf-8';

export interface ReportOptions {
  readonly digest: string;
  readonly repository?: string;
  readonly open: boolean;
  readonly json: boolean;
  readonly workDir: string;
}

export function parseReportArgs(args: string[]): ReportOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...RELEASE_COMMAND_OPTIONS, open: { type: 'boolean', default: false } },
  });
  const { argument, ...common } = releaseCommandArgs('report', positionals, values);
  return { digest: argument, open: values.open, ...common };
}

export async function runReport(
  options: ReportOptions,
  ports: { readonly store: ReleaseStore; readonly documents: DocumentStore; readonly clock: Clock },
  bucket: string,
  io: CommandIo,
): Promise<number> {
  const release = await findRelease(ports.store, options.digest, options.repository);
  const report = await buildReleaseReport(ports, release.repository, release.digest, ports.clock.now());
  const html = new TextEncoder().encode(renderReportPage(report));
  const document = await ports.documents.put(html, REPORT_MEDIA_TYPE);
  const path = await saveReport(options.workDir, release.repository, release.digest, html);
  const uri = `s3://${bucket}/evidence/sha256/${document.slice(7)}`;
  io.stdout.write(options.json ? `${JSON.stringify({ path, document, uri }, null, 2)}\n` : `${path}\n${uri}\n`);
  if (options.open) openFile(path);
  return 0;
}

/** Writes the report to `<work-dir>/reports/<repository>-<digest prefix>.html`; returns the path. */
export async function saveReport(workDir: string, repository: string, digest: string, html: Uint8Array) {
  const dir = resolve(workDir, 'reports');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${repository.replaceAll('/', '_')}-${digest.slice(7, 23)}.html`);
  await writeFile(path, html);
  return path;
}

/** Opens a file with the desktop's viewer: best effort, a machine without a desktop has no xdg-open. */
export function openFile(path: string): void {
  spawn('xdg-open', [path], { detached: true, stdio: 'ignore' })
    .on('error', () => {})
    .unref();
}
