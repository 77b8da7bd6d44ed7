import { oneLine } from '../../domain/approval/email.js';
import type { NotificationEvent } from '../../domain/ports.js';

/** Where a reader goes next: the evidence report, the execution's history, the approval page. */
export interface NotificationLinks {
  /** The CLI command that writes the release's HTML report (the report route is IAM-authorized). */
  readonly report?: string;
  /** The Step Functions console page of the execution. */
  readonly execution?: string;
  readonly approvalPage?: string;
}

// Limits that keep a mail readable and the message far below SNS's 256 KiB.
const MAX_LIST_ITEMS = 20;
const MAX_VALUE_CHARS = 500;
const MAX_DEPTH = 4;
const MAX_TEXT_CHARS = 32 * 1024;
/** Shown in the header and the links, not again under "Details". */
const HEADER_KEYS = new Set(['repository', 'digest', 'url', 'executionArn']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The execution's page in the Step Functions console, for the commercial partition (the console
 * host differs elsewhere; there the ARN itself is shown).
 */
export function executionConsoleUrl(executionArn: string): string | undefined {
  const m = /^arn:aws:states:([a-z0-9-]+):\d{12}:execution:[^:]+:[^:]+$/.exec(executionArn);
  if (m === null) return undefined;
  const region = m[1];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The links of a notification about `detail`, given the execution it was raised in (if any). */
export function notificationLinks(
  detail: Readonly<Record<string, unknown>>,
  executionArn: string | undefined,
): NotificationLinks {
  const repository = str(detail.repository);
  const digest = str(detail.digest);
  const arn = str(detail.executionArn) ?? executionArn;
  const approvalPage = str(detail.url);
  return {
    ...(repository !== undefined &&
      digest !== undefined && { report: `release-gate report ${digest} --repository ${repository} --aws --open` }),
    ...(arn !== undefined && { execution: executionConsoleUrl(arn) ?? arn }),
    ...(approvalPage !== undefined && { approvalPage }),
  };
}

function clip(s: string): string {
  const line = oneLine(s);
  return line.length <= MAX_VALUE_CHARS ? line : `${line.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

const isNested = (v: unknown): v is object =>
  v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : clip(JSON.stringify(v));
  if (typeof v === 'object') return Object.keys(v).length === 0 ? '-' : clip(JSON.stringify(v));
  return clip(String(v));
}

/** An indented, YAML-like rendering: people read it, nothing parses it (the JSON part is for that). */
function render(value: object, indent: string, depth: number): string[] {
  const list = Array.isArray(value);
  const entries: [string, unknown][] = list
    ? value.slice(0, MAX_LIST_ITEMS).map((v): [string, unknown] => ['-', v])
    : Object.entries(value)
        .slice(0, MAX_LIST_ITEMS * 2)
        .map(([k, v]): [string, unknown] => [`${clip(k)}:`, v]);
  const lines = entries.flatMap(([label, v]) =>
    isNested(v) && depth < MAX_DEPTH
      ? [`${indent}${label}`, ...render(v, `${indent}  `, depth + 1)]
      : [`${indent}${label} ${scalar(v)}`],
  );
  const more = list ? value.length - MAX_LIST_ITEMS : 0;
  return more > 0 ? [...lines, `${indent}… and ${more} more`] : lines;
}

/**
 * The plain-text body of a notification: what happened, to which release, where to look, then
 * the event's detail. Every string from evidence goes through `oneLine` (no control characters,
 * no line breaks, no bidi overrides): a mail client or terminal shows exactly what was sent.
 */
export function notificationText(
  subject: string,
  event: NotificationEvent,
  detail: Readonly<Record<string, unknown>>,
  links: NotificationLinks,
): string {
  const repository = str(detail.repository);
  const digest = str(detail.digest);
  const linkLines = [
    ...(links.approvalPage === undefined ? [] : [`Approval page: ${clip(links.approvalPage)}`]),
    ...(links.report === undefined ? [] : [`Report:        ${clip(links.report)}`]),
    ...(links.execution === undefined ? [] : [`Execution:     ${clip(links.execution)}`]),
  ];
  const details = Object.fromEntries(Object.entries(detail).filter(([k]) => !HEADER_KEYS.has(k)));
  const text = [
    clip(subject),
    '',
    `Event:       ${event}`,
    ...(repository === undefined ? [] : [`Repository:  ${clip(repository)}`]),
    ...(digest === undefined ? [] : [`Digest:      ${clip(digest)}`]),
    ...(linkLines.length === 0 ? [] : ['', ...linkLines]),
    ...(Object.keys(details).length === 0 ? [] : ['', 'Details:', ...render(details, '  ', 0)]),
    '',
  ].join('\n');
  return text.length <= MAX_TEXT_CHARS
    ? text
    : `${text.slice(0, MAX_TEXT_CHARS)}\n… (cut here: the JSON message, for queues and functions, has the full detail)\n`;
}
