/**
 * Starting a gate round's execution on the running embedded stack from another terminal:
 * `release-gate release` (a release from quarantine, lambdas/domain/incident/release.ts) runs in
 * the CLI's process, but the state machine runs in the stack's. The route `POST
 * /local/executions/{name}` is the local stand-in of StartExecution (AWS has no such route: the
 * IAM-authorized ops API calls StartExecution there), and `LocalExecutionStarter` is the CLI's
 * ExecutionStarter that calls it.
 *
 * It starts only the execution a release record names, while that release is RECORDED: the round
 * `resubmitRelease` just started. Anything else is refused, so the route cannot run the gate for
 * a release on its own. Like the local decision route it needs the CLI's header (a web page cannot
 * send it cross-origin without a CORS preflight, which this server never grants).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseJsonDocument } from '../../lambdas/domain/document.js';
import { ConflictError, describeError, NotificationError } from '../../lambdas/domain/errors.js';
import type { ExecutionStarter } from '../../lambdas/domain/ports.js';
import { ExecutionInputSchema } from '../../lambdas/domain/workflow/inputs.js';
import { statusOf } from '../../lambdas/handlers/approval-api.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { isCliPost, LOCAL_DECISION_HEADER, plainText } from './state.js';

/** The route's path pattern (the name is Step Functions' charset, so it needs no decoding). */
export const LOCAL_EXECUTION_ROUTE = /^\/local\/executions\/([0-9A-Za-z_-]{1,80})$/;

/** Execution inputs are a few hundred bytes. */
const INPUT_MAX_BYTES = 4096;

export async function localExecutionStart(
  getDeps: () => Promise<HandlerDeps>,
  req: IncomingMessage,
  name: string,
  body: string,
  res: ServerResponse,
): Promise<void> {
  const text = plainText(res);
  if (!isCliPost(req, res, 'release-gate release')) return;
  try {
    const input = parseJsonDocument(new TextEncoder().encode(body), ExecutionInputSchema, {
      what: 'execution input',
      maxBytes: INPUT_MAX_BYTES,
    });
    const deps = await getDeps();
    const release = await deps.gate.store.getRelease(input.repository, input.digest);
    if (release === null || release.executionName !== name || release.state !== 'RECORDED') {
      return text(
        409,
        `${name} is not the execution of a release round waiting to start (${release === null ? 'no release' : `${release.state}, ${release.executionName}`})`,
      );
    }
    const started = await deps.starter.start(name, input);
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(started)}\n`);
  } catch (err) {
    text(statusOf(err), describeError(err));
  }
}

/** The CLI's ExecutionStarter against a running embedded stack (its approval server's origin). */
export class LocalExecutionStarter implements ExecutionStarter {
  public constructor(private readonly approvalBaseUrl: string) {}

  public async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyExisted: boolean }> {
    const url = `${new URL(this.approvalBaseUrl).origin}/local/executions/${encodeURIComponent(name)}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...LOCAL_DECISION_HEADER },
      body: JSON.stringify(input),
    });
    const text = await res.text();
    const refused = `the local gate refused to start ${name}: ${res.status} ${text.trim().slice(0, 500)}`;
    if (res.status === 409) throw new ConflictError(refused);
    if (!res.ok) throw new NotificationError(refused);
    return parseJsonDocument(text, StartedSchema, {
      what: `the local gate's answer to ${name}`,
      maxBytes: INPUT_MAX_BYTES,
    });
  }
}

const StartedSchema = z.object({ executionArn: z.string(), alreadyExisted: z.boolean() });
