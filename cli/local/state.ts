import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { safeParseJsonDocument } from '../../lambdas/domain/document.js';

/** What a running local gate publishes for the CLI in other terminals (`approve`, `status`). */
export const LocalStateSchema = z.object({
  pid: z.number().int(),
  approvalBaseUrl: z.string().url(),
  dynamoEndpoint: z.string().url(),
  s3Endpoint: z.string().url(),
  tableName: z.string(),
  bucket: z.string(),
  registryRoot: z.string(),
  policyPath: z.string(),
  /** The OSV advisories folder the local scanner reads (`rollback` re-verifies against it). */
  advisoriesDir: z.string().optional(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

export const DEFAULT_WORK_DIR = '.release-gate';

export async function writeLocalState(workDir: string, state: LocalState): Promise<void> {
  await writeFile(join(workDir, 'local.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/** Local state files are a few hundred bytes. */
const LOCAL_STATE_MAX_BYTES = 64 * 1024;

/**
 * The state a local gate published, or null when there is none. A file that does not read as the
 * current schema (written by another version, or cut short) counts as none: `npm start` rewrites it.
 */
export async function readLocalState(workDir: string): Promise<LocalState | null> {
  const path = join(workDir, 'local.json');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    return null;
  }
  const parsed = safeParseJsonDocument(bytes, LocalStateSchema, { what: path, maxBytes: LOCAL_STATE_MAX_BYTES });
  return parsed.success ? parsed.data : null;
}

/** True when the process that wrote the state is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local-only decision route of the embedded stack (`POST /local/approvals/{id}`, a typed name
 * recorded as local and unauthenticated), next to the approval pages. AWS has no such route.
 */
export function localDecisionBase(approvalBaseUrl: string): string {
  return `${new URL(approvalBaseUrl).origin}/local/approvals`;
}

/**
 * The header the local decision route requires. A web page cannot make a browser send a custom
 * header to another origin without a CORS preflight, which the local server never grants, so a
 * page open in the approver's browser cannot answer through this route (CSRF).
 */
export const LOCAL_DECISION_HEADER = { 'x-release-gate-local': 'cli' } as const;

/** A plain-text answer of a local route. */
export function plainText(res: ServerResponse): (status: number, message: string) => void {
  return (status, message) =>
    void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
}

/**
 * Whether a request to a local-only route is a POST carrying the CLI's header
 * (`LOCAL_DECISION_HEADER`); answers 405 or 403 (naming `command`) when it is not.
 */
export function isCliPost(req: IncomingMessage, res: ServerResponse, command: string): boolean {
  const text = plainText(res);
  if (req.method !== 'POST') text(405, 'method not allowed');
  else if (req.headers['x-release-gate-local'] !== LOCAL_DECISION_HEADER['x-release-gate-local']) {
    text(403, `this route answers \`${command}\` only (header missing)`);
  } else return true;
  return false;
}
