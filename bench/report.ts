/**
 * Printing and small statistics for the benchmark: aligned tables and percentiles. Figures are
 * printed, never asserted: timings on a shared 2-core machine are not a pass/fail signal.
 */

export type Cell = string | number;

export interface Column {
  readonly header: string;
  /** @default 'left' for the first column, 'right' for the others */
  readonly align?: 'left' | 'right';
}

/** Renders rows under headers, each column as wide as its widest cell. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...text.map((r) => (r[i] ?? '').length)));
  const alignOf = (i: number) => columns[i]?.align ?? (i === 0 ? 'left' : 'right');
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (alignOf(i) === 'left' ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...text.map((r) => line(columns.map((_, i) => r[i] ?? '')))].join(
    '\n',
  );
}

function cellText(cell: Cell | undefined): string {
  if (cell === undefined) return '';
  return typeof cell === 'number' ? formatNumber(cell) : cell;
}

/** Thousands separators; at most one decimal above 100, two below 10. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  const digits = Number.isInteger(n) ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ms(n: number | undefined): string {
  return n === undefined ? '-' : `${formatNumber(n)} ms`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? mib(bytes) : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Per-second rate of `count` things done in `elapsedMs`. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? Number.POSITIVE_INFINITY : (count * 1000) / elapsedMs;
}

export interface Section {
  readonly title: string;
  /** One line on what was measured and how. */
  readonly method: readonly string[];
  readonly tables: readonly string[];
  readonly notes?: readonly string[];
  /** The issues' targets this section measures, for the summary the bench ends with. */
  readonly targets?: readonly Target[];
}

/** One target of an issue, as measured: printed again, all together, at the end of the run. */
export interface Target {
  readonly what: string;
  readonly measured: string;
  readonly target: string;
  readonly met: boolean;
}

/** The table of every target the run measured, each met or NOT met. */
export function formatTargets(targets: readonly Target[]): string {
  const title = 'Targets';
  return [
    `\n${title}`,
    '═'.repeat(title.length),
    formatTable(
      [{ header: 'what' }, { header: 'measured' }, { header: 'target' }, { header: '', align: 'left' }],
      targets.map((t) => [t.what, t.measured, t.target, t.met ? 'met' : 'NOT met']),
    ),
  ].join('\n');
}

export function formatSection(s: Section): string {
  const out = [`\n${s.title}`, '═'.repeat(s.title.length), ...s.method.map((m) => `  ${m}`), ''];
  for (const t of s.tables) out.push(t, '');
  for (const n of s.notes ?? []) out.push(`  ${n}`);
  return out.join('\n').trimEnd();
}
