/**
 * Recollector on AWS (domain/incident/recollection.ts): ops-write invokes the collect-evidence
 * function synchronously (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
 * `RequestResponse`) with a recollect request, which it answers without storing anything. The
 * collectors and verifiers stay in that one function's bundle, with its role's read access.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { parseJsonDocument, parseJsonValue } from '../../domain/document.js';
import { type Recollected, RecollectedSchema, type Recollector } from '../../domain/incident/recollection.js';
import * as z from '../../domain/zod.js';

/** A synchronous invocation's payload is at most 6 MB either way (Lambda quotas). */
const PAYLOAD_MAX_BYTES = 6 * 1024 * 1024;

const FunctionErrorSchema = z.object({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) });

export interface LambdaRecollectorProps {
  readonly client: Pick<LambdaClient, 'send'>;
  /** The collect-evidence function (COLLECT_EVIDENCE_FUNCTION_NAME): the role may invoke only it. */
  readonly functionName: string;
}

export class LambdaRecollector implements Recollector {
  public constructor(private readonly props: LambdaRecollectorProps) {}

  public async recollect(request: Parameters<Recollector['recollect']>[0]): Promise<Recollected> {
    const out = await this.props.client.send(
      new InvokeCommand({
        FunctionName: this.props.functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(request)),
      }),
    );
    const limits = { what: `collect-evidence's answer (${request.kind})`, maxBytes: PAYLOAD_MAX_BYTES };
    const payload = out.Payload ?? new Uint8Array();
    if (out.FunctionError !== undefined) {
      // The collector's own error (a transient store or registry failure): the request fails.
      const err = FunctionErrorSchema.safeParse(parseJsonValue(payload, limits));
      const type = (err.success ? err.data.errorType : undefined) ?? out.FunctionError;
      const message = (err.success ? err.data.errorMessage : undefined) ?? 'no message';
      // Rethrown under the remote error's name, as in process (isRetryable and the logs read it).
      const remote = new Error(`collect-evidence could not collect ${request.kind} again: ${message}`);
      remote.name = type;
      throw remote;
    }
    return parseJsonDocument(payload, RecollectedSchema, limits);
  }
}
