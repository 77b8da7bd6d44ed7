/**
 * The local Slack of the embedded stack: an HTTP server on 127.0.0.1 that answers `chat.postMessage`,
 * `chat.update` and `views.open` the way the Slack Web API does, takes interaction answers posted
 * to its response URLs (`/respond/<name>`, recorded as `response_url`), (HTTP 200, `{ok, channel, ts}` or
 * `{ok: false, error}`), and records every call as a JSON file (`<dir>/<nnnn>-<method>.json`: the
 * method, the headers without the token, the body, the answer) so the messages the gate sent can
 * be read. The gate's real adapter (lambdas/adapters/slack/web-api.ts) talks to it unchanged.
 *
 * What it checks, as Slack does: the bearer token (`not_authed`, `invalid_auth`), a JSON body
 * (`invalid_json`), the channel (`channel_not_found` for one not in `channels`, when given), text or
 * blocks (`no_text`), at most 50 blocks (`invalid_blocks`), and for an update the message
 * (`message_not_found`). Channel names resolve to stable ids (`#releases` → `C…`), so an update
 * must name the id the post answered with, as on Slack.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';

export interface SlackReceiverOptions {
  /** Where the calls are recorded. */
  readonly dir: string;
  /** The bot token the receiver accepts (the gate's `slack-bot-token` file). */
  readonly token: string;
  /** @default - every channel exists */
  readonly channels?: readonly string[];
}

/** One recorded call. */
export interface SlackCall {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly response: Readonly<Record<string, unknown>>;
  readonly file: string;
}

/** The arguments both methods share (Slack ignores the ones it does not know). */
const ArgsSchema = z.object({
  channel: z.string().optional(),
  ts: z.string().optional(),
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  trigger_id: z.string().optional(),
  view: z
    .object({ type: z.string(), blocks: z.array(z.unknown()).optional() })
    .passthrough()
    .optional(),
});

/** Slack's request bodies for these methods are small; 1 MiB is far above any message. */
const MAX_BODY_BYTES = 1024 * 1024;

export class SlackReceiver {
  public readonly calls: SlackCall[] = [];
  private readonly messages = new Set<string>();
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    private readonly opts: SlackReceiverOptions,
    /** The Web API base URL to configure the adapter with (`http://127.0.0.1:<port>/api/`). */
    public readonly baseUrl: string,
  ) {}

  public get dir(): string {
    return this.opts.dir;
  }

  public static async start(opts: SlackReceiverOptions): Promise<SlackReceiver> {
    await mkdir(opts.dir, { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    const receiver = new SlackReceiver(server, opts, `http://127.0.0.1:${port}/api/`);
    server.on('request', (req, res) => {
      void receiver.handle(req).then(
        ({ status, answer }) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      );
    });
    return receiver;
  }

  /** The calls of one method (`chat.postMessage`, `chat.update`), oldest first. */
  public callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** The `response_url` of a local interaction (a click built for the local stack carries it). */
  public responseUrl(name: string): string {
    return `${this.responsePrefix}${encodeURIComponent(name)}`;
  }

  /** Where the local response URLs are (the adapter's `responseUrlPrefix`). */
  public get responsePrefix(): string {
    return this.baseUrl.replace(/api\/$/, 'respond/');
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; answer: Record<string, unknown> }> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/respond/')) {
      // A response_url: Slack takes the message (no token) and shows it to the interaction's user.
      const raw = await readBody(req);
      let body: unknown = raw;
      try {
        body = JSON.parse(raw ?? '');
      } catch {
        // recorded as sent
      }
      const answer = { ok: true };
      await this.record('response_url', req, body, answer);
      return { status: 200, answer };
    }
    const method = /^\/api\/([A-Za-z.]+)$/.exec(path)?.[1];
    if (method === undefined) return { status: 404, answer: { ok: false, error: 'unknown_method' } };
    const raw = await readBody(req);
    let body: unknown = raw;
    let answer: Record<string, unknown>;
    if (raw === null) answer = { ok: false, error: 'request_too_large' };
    else {
      try {
        body = JSON.parse(raw);
        answer = this.answer(method, req, body);
      } catch {
        answer = { ok: false, error: 'invalid_json' };
      }
    }
    await this.record(method, req, body, answer);
    return { status: 200, answer };
  }

  private answer(method: string, req: IncomingMessage, body: unknown): Record<string, unknown> {
    const auth = req.headers.authorization;
    if (auth === undefined) return { ok: false, error: 'not_authed' };
    if (auth !== `Bearer ${this.opts.token}`) return { ok: false, error: 'invalid_auth' };
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return { ok: false, error: 'invalid_json' };
    const parsed = ArgsSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: 'invalid_arguments' };
    const { channel, ts, text, blocks } = parsed.data;
    if (method === 'views.open') {
      // https://docs.slack.dev/reference/methods/views.open: a trigger and a view of at most 100 blocks.
      if (parsed.data.trigger_id === undefined || parsed.data.view === undefined) {
        return { ok: false, error: 'invalid_arguments' };
      }
      if ((parsed.data.view.blocks?.length ?? 0) > 100) return { ok: false, error: 'invalid_blocks' };
      this.sequence += 1;
      return { ok: true, view: { id: `V${String(this.sequence).padStart(8, '0')}`, ...parsed.data.view } };
    }
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    if (blocks !== undefined && blocks.length > 50) return { ok: false, error: 'invalid_blocks' };
    if ((text === undefined || text === '') && blocks === undefined) return { ok: false, error: 'no_text' };
    if (method === 'chat.postMessage') {
      if (this.opts.channels !== undefined && !this.opts.channels.includes(channel)) {
        return { ok: false, error: 'channel_not_found' };
      }
      const id = channelId(channel);
      this.sequence += 1;
      const posted = `${Math.floor(Date.now() / 1000)}.${String(this.sequence).padStart(6, '0')}`;
      this.messages.add(`${id}/${posted}`);
      return { ok: true, channel: id, ts: posted, message: { type: 'message', text, blocks } };
    }
    if (method === 'chat.update') {
      if (ts === undefined || !this.messages.has(`${channel}/${ts}`)) return { ok: false, error: 'message_not_found' };
      return { ok: true, channel, ts, text, message: { text, blocks } };
    }
    return { ok: false, error: 'unknown_method' };
  }

  private async record(method: string, req: IncomingMessage, body: unknown, response: Record<string, unknown>) {
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, k === 'authorization' ? 'Bearer [redacted]' : String(v)]),
    );
    const file = join(this.opts.dir, `${String(this.calls.length + 1).padStart(4, '0')}-${method}.json`);
    const call = { method, headers, body, response, file };
    this.calls.push(call);
    await writeFile(file, `${JSON.stringify({ method, headers, body, response }, null, 2)}\n`);
  }
}

/** A channel id as Slack answers it: ids stay, names map to a stable `C…` id. */
export function channelId(channel: string): string {
  if (/^[CGD][A-Z0-9]{2,30}$/.test(channel)) return channel;
  const name = channel.replace(/^#/, '');
  return `C${createHash('sha256').update(name).digest('hex').slice(0, 10).toUpperCase()}`;
}

/** The body, or null past MAX_BODY_BYTES (the rest is read and dropped). */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}
