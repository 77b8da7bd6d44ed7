import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { OutboxMailer } from '../../lambdas/adapters/mail/outbox-mailer.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { folderAdvisorySource, loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { FileLinkSecrets } from '../../lambdas/adapters/secrets/file-link-secrets.js';
import { FileSlackBotToken } from '../../lambdas/adapters/secrets/slack-bot-token.js';
import { FileSlackSigningSecret } from '../../lambdas/adapters/secrets/slack-signing-secret.js';
import { FileRevocationList } from '../../lambdas/adapters/signer/local-revocation.js';
import { SlackWebApi } from '../../lambdas/adapters/slack/web-api.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { documentUri, S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { FileVsaSigner } from '../../lambdas/adapters/vsa/file-vsa-signer.js';
import { SLACK_MAX_BODY_BYTES } from '../../lambdas/domain/approval/slack.js';
import { ConfigError, describeError, InvalidInputError, TooLargeError } from '../../lambdas/domain/errors.js';
import { IN_PROCESS_RECOLLECTOR } from '../../lambdas/domain/incident/recollect.js';
import {
  type RevalidateDeps,
  type RevalidationSummary,
  type RevalidationTrigger,
  revalidate,
} from '../../lambdas/domain/incident/revalidate.js';
import { Limits } from '../../lambdas/domain/limits.js';
import type { OsvRecord } from '../../lambdas/domain/osv/schema.js';
import type { LoadedPolicy } from '../../lambdas/domain/policy/load.js';
import {
  type InspectorSbomSource,
  type Notifier,
  type OutcomeEmitter,
  type OutcomeEventType,
  type RegistryWriter,
  systemClock,
  type VsaSigner,
} from '../../lambdas/domain/ports.js';
import { describeAnswer } from '../../lambdas/domain/workflow/approval-page.js';
import { collectContext } from '../../lambdas/domain/workflow/collect-evidence.js';
import { decideApproval } from '../../lambdas/domain/workflow/decide-approval.js';
import type { GateDeps } from '../../lambdas/domain/workflow/deps.js';
import { doSlackWork } from '../../lambdas/domain/workflow/slack-answer.js';
import { makeHandler as approvalApi, statusOf } from '../../lambdas/handlers/approval-api.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { CLI_APPROVAL_ROUTE_KEY } from '../../lambdas/handlers/cli-approvals.js';
import { makeHandler as opsApi } from '../../lambdas/handlers/cli-ops.js';
import { logAuditFailure } from '../../lambdas/handlers/logger.js';
import { OPS_READ_PREFIX, opsRouteKey, opsRouteOf } from '../../lambdas/handlers/ops-routes.js';
import { makeHandler as recordPusher } from '../../lambdas/handlers/record-pusher.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { makeHandler as slackInteractions } from '../../lambdas/handlers/slack-interactions.js';
import { makeHandler as startRelease } from '../../lambdas/handlers/start-release.js';
import { terminalText } from '../printable.js';
import { AdvisoryWatch } from './advisory-watch.js';
import { LOCAL_EXECUTION_ROUTE, localExecutionStart } from './execution-route.js';
import { LOCAL_ACCOUNT, LOCAL_APPROVER, LocalIamUsers, SigV4RefusedError, verifySigV4 } from './iam-route.js';
import { InProcessWorkQueue } from './in-process-work-queue.js';
import { localOutcomeLog } from './outcome-log.js';
import { localRecollector } from './recollector.js';
import { LocalScanner } from './scanner.js';
import { SlackReceiver } from './slack-receiver.js';
import { type StandIns, startStandIns } from './stand-ins.js';
import { isCliPost, plainText } from './state.js';
import { LocalStepFunctions } from './step-functions.js';
import { LocalTaskTokens } from './task-tokens.js';
import { VSA_KEY_FILE } from './vsa-key-file.js';

export interface LocalGateOptions {
  readonly policy: LoadedPolicy;
  /**
   * The OSV records the local scanner matches, fixed at start.
   * @default - none (or those of `advisoriesDir`)
   */
  readonly advisories?: readonly OsvRecord[];
  /**
   * An OSV advisories folder: the local scanner and re-validation read it again each time (a record
   * added later counts), and the gate watches it. A new or changed OSV file in it re-validates the
   * live releases against its records (`Release Newly Affected`, as the S3 `advisories/` prefix
   * does on AWS). Takes the place of `advisories`.
   * @default - no folder: `advisories`, and nothing is watched
   */
  readonly advisoriesDir?: string;
  /** Registry: an OCI-layout root (`<root>/<repository>`) or any RegistryWriter. */
  readonly registry: RegistryWriter;
  /** Persistent data for dynalite/s3rver. @default - in memory / temporary */
  readonly dataDir?: string;
  /** @default 'production' */
  readonly stage?: string;
  /** @default 30 */
  readonly scanTimeoutSeconds?: number;
  /** @default 0 (ephemeral) */
  readonly approvalPort?: number;
  /**
   * The local stand-in for AWS Signer's revocation service: a revocation list file (format in
   * lambdas/adapters/signer/local-revocation.ts). A missing file revokes nothing.
   * @default - no revocation checker: AWS Signer signatures and CRL-bearing chains fail closed
   */
  readonly revocationList?: string;
  /** @default - the ASL's own Task timeouts (see LocalStepFunctionsOptions) */
  readonly maxTaskSeconds?: number;
  /**
   * Wraps the ports the handlers use (tests inject backend failures through it). The fixture
   * factory and the local scanner keep the unwrapped ones.
   * @default - the ports as they are
   */
  readonly decoratePorts?: (ports: GatePorts) => GatePorts;
  /** Signs the VSA on promote (tests pass one whose key fails). @default - a file key under `workDir` */
  readonly vsaSigner?: VsaSigner;
  /**
   * Amazon Inspector's SBOM export (`sbom.acceptInspectorExport`); the embedded stack has no
   * Inspector. @default - none: the collector reads it as "not available", so an image without an
   * SBOM has none
   */
  readonly inspectorSboms?: InspectorSbomSource;
  /**
   * Where the approval-link signing secret (`link-secret.json`, generated once, 0600), the local
   * IAM users' keys (`aws-credentials`, likewise), the email outbox (`outbox/*.eml`), the local
   * Slack bot token (`slack-bot-token`) and the Slack calls the local receiver recorded
   * (`slack/*.json`) live.
   * @default - a fresh temporary directory
   */
  readonly workDir?: string;
  /**
   * The channels the local Slack receiver knows; a post to any other is refused `channel_not_found`.
   * @default - every channel exists
   */
  readonly slackChannels?: readonly string[];
}

/** The outside-world ports of the handlers that a test may wrap. */
export type GatePorts = Pick<GateDeps, 'registry' | 'store' | 'documents' | 'scans'>;

export interface OutcomeEvent {
  readonly type: OutcomeEventType;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly at: Date;
}

export { VSA_KEY_FILE } from './vsa-key-file.js';
/** `verifier.id` of the VSAs the embedded stack signs. */
export const LOCAL_VSA_VERIFIER_ID = 'https://release-gate.dev/verifier/local';
/** The principal the local ECR stand-in reports as the pusher (CloudTrail `userIdentity.arn`). */
export const LOCAL_PUSHER = 'arn:aws:iam::000000000000:user/local-pusher';

/** CloudTrail's record of a successful `PutImage`, as EventBridge delivers it (aws-facts.md §9). */
export function putImageRecord(repository: string, reference: string, digest: string, pusher: string) {
  const time = new Date().toISOString();
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ecr',
    account: '000000000000',
    time,
    region: 'local',
    resources: [],
    detail: {
      eventSource: 'ecr.amazonaws.com',
      eventName: 'PutImage',
      eventTime: time,
      userIdentity: { type: 'IAMUser', arn: pusher },
      requestParameters: {
        repositoryName: repository,
        ...(reference.startsWith('sha256:') ? {} : { imageTag: reference }),
      },
      responseElements: { image: { repositoryName: repository, imageId: { imageDigest: digest } } },
    },
  };
}

/** How a test or the demo wants the local scanner to behave on a push. */
export type ScanMode = 'after-start' | 'before-start' | 'never';

/**
 * The embedded stack: dynalite + s3rver (real SDK clients), an OCI registry, the ASL on
 * aws-local-stepfunctions with every Task on its real handler module, the local OSV scanner and an
 * approval HTTP server that serves the same approval-api handler as API Gateway does on AWS.
 */
export class LocalGate {
  public readonly outcomes: OutcomeEvent[] = [];
  public readonly notifications: { subject: string; message: Readonly<Record<string, unknown>> }[] = [];
  private readonly outcomeListeners: ((e: OutcomeEvent) => void)[] = [];
  /** The scanner reads through the unwrapped ports: like ECR's, it is not the gate's own code. */
  private scannerPorts: GatePorts | undefined;
  /** The temporary work directory this gate made (no `workDir` given), removed on stop. */
  private ownedDir: string | undefined;
  /** The local Slack: every `chat.postMessage` / `chat.update` the gate made, also as files. */
  public slack: SlackReceiver | undefined;
  /** The Slack answers acknowledged and not yet decided (hold / release / settled for tests). */
  public slackWork: InProcessWorkQueue | undefined;
  /** The watch on `advisoriesDir`, when one was given: every batch of changed files it handled. */
  public advisoryWatch: AdvisoryWatch | undefined;
  private revalidateDeps: RevalidateDeps | undefined;

  private constructor(
    public readonly deps: HandlerDeps,
    public readonly sfn: LocalStepFunctions,
    public readonly tokens: LocalTaskTokens,
    public readonly scanner: LocalScanner,
    public readonly standIns: StandIns,
    private readonly server: Server,
    public readonly approvalBaseUrl: string,
    /** The local email channel: every approval mail, as an `.eml` file and in memory. */
    public readonly mailer: OutboxMailer,
    /**
     * The local IAM users whose SigV4 signatures the IAM route accepts (`aws-credentials` in the
     * work directory, generated with one user, `local-approver`).
     */
    public readonly iamUsers: LocalIamUsers,
  ) {}

  /** The folder the approval mails are written to. */
  public get outboxDir(): string {
    return this.mailer.dir;
  }

  public static async start(opts: LocalGateOptions): Promise<LocalGate> {
    const standIns = await startStandIns(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
    const clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
    const documents = new S3DocumentStore({ client: clients.s3, bucket: standIns.bucket });
    const advisoriesDir = opts.advisoriesDir;
    const advisorySource =
      advisoriesDir === undefined ? async () => opts.advisories ?? [] : () => loadAdvisories(advisoriesDir);
    const scanner = new LocalScanner(documents, advisoriesDir === undefined ? (opts.advisories ?? []) : advisorySource);
    const tokens = new LocalTaskTokens();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(opts.approvalPort ?? 0, '127.0.0.1', resolve));
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    const approvalBaseUrl = `http://127.0.0.1:${port}/approvals`;

    const ownedDir = opts.workDir === undefined ? await mkdtemp(join(tmpdir(), 'rg-local-')) : undefined;
    const workDir = opts.workDir ?? ownedDir ?? '';
    const mailer = new OutboxMailer({ dir: join(workDir, 'outbox') });
    // The local Slack: the real Web API adapter posts to the receiver with a generated bot token.
    const botToken = new FileSlackBotToken(join(workDir, 'slack-bot-token'));
    const slackReceiver = await SlackReceiver.start({
      dir: join(workDir, 'slack'),
      token: await botToken.getSlackBotToken(),
      ...(opts.slackChannels === undefined ? {} : { channels: opts.slackChannels }),
    });
    const holder: { gate?: LocalGate } = {};
    // Slack answers are decided after the HTTP answer is sent, as the self-invoke does on AWS.
    const slackWork = new InProcessWorkQueue(
      async (work) => doSlackWork((await getDeps()).gate, work),
      (err) => process.stderr.write(`slack work failed: ${terminalText(describeError(err))}\n`),
    );
    const notifier: Notifier = {
      publish: async (subject, message) => {
        holder.gate?.notifications.push({ subject, message });
      },
    };
    const outcomes: OutcomeEmitter = {
      emit: async (type, detail) => {
        const e = { type, detail, at: new Date() };
        holder.gate?.outcomes.push(e);
        for (const l of holder.gate?.outcomeListeners ?? []) l(e);
      },
    };
    const ports: GatePorts = {
      registry: opts.registry,
      store: new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName }),
      documents,
      scans: scanner,
    };
    const gateDeps: GateDeps = {
      ...(opts.decoratePorts ?? ((p) => p))(ports),
      config: {
        stage: opts.stage ?? 'production',
        scanTimeoutSeconds: opts.scanTimeoutSeconds ?? 30,
        approvalBaseUrl,
      },
      policy: opts.policy,
      tokens,
      notifier,
      outcomes,
      clock: systemClock,
      approvalLinks: { secrets: new FileLinkSecrets(join(workDir, 'link-secret.json')), mailer },
      slackSigningSecret: new FileSlackSigningSecret(join(workDir, 'slack-signing-secret')),
      auditFailures: logAuditFailure,
      slack: new SlackWebApi({
        token: botToken,
        baseUrl: slackReceiver.baseUrl,
        responseUrlPrefix: slackReceiver.responsePrefix,
      }),
      slackWork,
      vsa: {
        signer: opts.vsaSigner ?? new FileVsaSigner(join(workDir, VSA_KEY_FILE)),
        verifierId: LOCAL_VSA_VERIFIER_ID,
      },
      ...(opts.inspectorSboms === undefined ? {} : { inspectorSboms: opts.inspectorSboms }),
      // The gate's own re-verification (the incident commands run in process) collects in process.
      recollector: IN_PROCESS_RECOLLECTOR,
      ...(opts.revocationList === undefined
        ? {}
        : { revocation: new FileRevocationList({ path: opts.revocationList, whenMissing: 'nothing-revoked' }) }),
    };
    const depsHolder: { deps?: HandlerDeps } = {};
    const getDeps = async (): Promise<HandlerDeps> => {
      if (depsHolder.deps === undefined) throw new Error('local gate is not started');
      return depsHolder.deps;
    };
    const sfn = new LocalStepFunctions(
      getDeps,
      tokens,
      undefined,
      opts.maxTaskSeconds === undefined ? {} : { maxTaskSeconds: opts.maxTaskSeconds },
    );
    depsHolder.deps = { gate: gateDeps, starter: sfn };
    const iamUsers = LocalIamUsers.in(workDir);
    // Generated now rather than on first use: the demo prints commands that read these files
    // (the Slack click's `openssl` signature, the AWS credential chain of `approve --aws`).
    await gateDeps.slackSigningSecret?.getSlackSigningSecret();
    await iamUsers.credentialsOf(LOCAL_APPROVER);
    const gate = new LocalGate(
      depsHolder.deps,
      sfn,
      tokens,
      scanner,
      standIns,
      server,
      approvalBaseUrl,
      mailer,
      iamUsers,
    );
    holder.gate = gate;
    gate.ownedDir = ownedDir;
    gate.slack = slackReceiver;
    gate.slackWork = slackWork;
    gate.scannerPorts = ports;
    // Re-validation alerts also go to the local outcomes log, as the CLI's incident commands' do.
    const log = localOutcomeLog(workDir, () => {});
    gate.revalidateDeps = {
      store: gateDeps.store,
      clock: systemClock,
      policy: opts.policy,
      advisories: advisorySource,
      notifier: {
        publish: async (subject, message, event) => {
          await notifier.publish(subject, message, event);
          await log.notifier.publish(subject, message, event);
        },
      },
      outcomes: {
        emit: async (type, detail) => {
          await outcomes.emit(type, detail);
          await log.outcomes.emit(type, detail);
        },
      },
    };
    if (advisoriesDir !== undefined) {
      try {
        gate.advisoryWatch = await AdvisoryWatch.start({
          dir: advisoriesDir,
          revalidate: (trigger) => gate.revalidate(trigger),
          log: (line) => process.stderr.write(`${terminalText(line)}\n`),
        });
      } catch (err) {
        await gate.stop();
        throw new ConfigError(`advisories folder ${advisoriesDir} cannot be watched: ${describeError(err)}`, {
          cause: err,
        });
      }
    }
    const api = approvalApi(getDeps);
    // The incident commands' routes (`--aws`), with the gate's ports: what the ops-read and ops-write Lambdas have.
    // Re-verification asks the collect-evidence handler, as ops-write asks the function on AWS.
    const recollector = localRecollector(getDeps);
    const ops = opsApi(async () => {
      const { gate, starter } = await getDeps();
      return {
        gate: { ...gate, recollector },
        starter,
        documentUri: (document) => documentUri(standIns.bucket, document),
        // The folder as it is at each call (no index: a local folder is read whole).
        advisories: advisoriesDir === undefined ? advisorySource : folderAdvisorySource(advisoriesDir),
      };
    });
    const slack = slackInteractions(getDeps);
    server.on('request', (req, res) => {
      void (async () => {
        try {
          const url = new URL(req.url ?? '/', 'http://127.0.0.1');
          const slackRoute = url.pathname === '/slack/interactions';
          const body = await readBody(
            req,
            slackRoute
              ? SLACK_MAX_BODY_BYTES
              : url.pathname.startsWith(OPS_READ_PREFIX)
                ? Limits.advisoryBytes
                : APPROVAL_BODY_BYTES,
          );
          const local = /^\/local\/approvals\/([^/]+)$/.exec(url.pathname);
          if (local !== null) {
            await localDecision(getDeps, req, local[1] ?? '', body, res);
            return;
          }
          if (slackRoute) {
            send(res, await slack(apiEvent(req, url, body, {})));
            slackWork.runPending();
            return;
          }
          const execution = LOCAL_EXECUTION_ROUTE.exec(url.pathname);
          if (execution !== null) {
            await localExecutionStart(getDeps, req, execution[1] ?? '', body, res);
            return;
          }
          const cliRoute = /^\/cli\/approvals\/([^/]+)$/.exec(url.pathname);
          if (cliRoute !== null) {
            // API Gateway matches the route (method and path) before it authorizes.
            if (req.method !== 'POST') return send(res, NOT_FOUND);
            const id = decodePathId(cliRoute[1] ?? '');
            send(res, await iamRoute(api, iamUsers, req, url, body, CLI_APPROVAL_ROUTE_KEY, { id }));
            return;
          }
          const opsRoute = opsRouteOf(req.method ?? '', url.pathname);
          if (opsRoute !== undefined) {
            const key = opsRouteKey(opsRoute.route);
            send(res, await iamRoute(ops, iamUsers, req, url, body, key, opsRoute.pathParameters));
            return;
          }
          if (url.pathname.startsWith('/cli/')) return send(res, NOT_FOUND);
          const m = /^\/approvals\/([^/]+)$/.exec(url.pathname);
          if (m === null) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
            return;
          }
          send(res, await api(apiEvent(req, url, body, { id: decodePathId(m[1] ?? '') })));
        } catch (err) {
          // The status says what was wrong; a body past the limit is answered (413), then the
          // connection is closed, instead of resetting it under the client.
          const status = err instanceof TooLargeError ? 413 : err instanceof InvalidInputError ? 400 : 500;
          res
            .writeHead(status, { 'content-type': 'text/plain', ...(status === 413 && { connection: 'close' }) })
            .end(`${describeError(err)}\n`);
        }
      })();
    });
    return gate;
  }

  /**
   * Re-validates the live releases (incident/revalidate.ts) on this stack: alerts go to
   * `outcomes`/`notifications`, the outcome listeners and `<workDir>/outcomes.jsonl`. A scheduled
   * run reads the advisories folder (or `advisories`).
   */
  public async revalidate(trigger: RevalidationTrigger): Promise<RevalidationSummary> {
    if (this.revalidateDeps === undefined) throw new Error('local gate is not started');
    return revalidate(this.revalidateDeps, trigger);
  }

  public onOutcome(listener: (e: OutcomeEvent) => void): void {
    this.outcomeListeners.push(listener);
  }

  /**
   * What ECR does on a push: emit `ECR Image Action` (→ the start-release handler) and scan the
   * image (→ `ECR Image Scan` → the scan-complete handler). `scan` orders the two. CloudTrail's
   * `PutImage` record (→ the record-pusher handler) names `pusher` first, as
   * `LOCAL_PUSHER` by default; `pusher: null` sends none (the pusher is unknown).
   */
  public async push(
    repository: string,
    reference: string,
    opts: { scan?: ScanMode; duplicateEvent?: boolean; pusher?: string | null } = {},
  ): Promise<{ digest: string; executionName: string | null; startResult: unknown }> {
    const manifest = await this.deps.gate.registry.getManifest(repository, reference);
    const pusher = opts.pusher === undefined ? LOCAL_PUSHER : opts.pusher;
    if (pusher !== null)
      await recordPusher(async () => this.deps)(putImageRecord(repository, reference, manifest.digest, pusher));
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      detail: {
        result: 'SUCCESS',
        'repository-name': repository,
        'image-digest': manifest.digest,
        'action-type': 'PUSH',
        ...(reference.startsWith('sha256:') ? {} : { 'image-tag': reference }),
        'manifest-media-type': manifest.mediaType,
      },
    };
    const scan = opts.scan ?? 'after-start';
    if (scan === 'before-start') await this.scanAndNotify(repository, manifest.digest);
    const start = startRelease(async () => this.deps);
    const startResult = await start(event);
    if (opts.duplicateEvent) await start({ ...event, id: crypto.randomUUID(), time: new Date().toISOString() });
    if (scan === 'after-start') {
      // Like ECR's scan on push, this runs beside the workflow. If it fails, no scan-complete event
      // arrives and WaitForScan times out into MISSING scan evidence (fail closed); say why here.
      void this.scanAndNotify(repository, manifest.digest).catch((err: unknown) => {
        process.stderr.write(
          terminalText(`local scanner failed for ${repository}@${manifest.digest}: ${describeError(err)}\n`),
        );
      });
    }
    const name =
      startResult !== null && typeof startResult === 'object' && 'executionName' in startResult
        ? String(startResult.executionName)
        : null;
    return { digest: manifest.digest, executionName: name, startResult };
  }

  public async scanAndNotify(repository: string, digest: string): Promise<void> {
    const ctx = collectContext({ ...this.deps.gate, ...this.scannerPorts }, { repository, digest });
    for (const event of await this.scanner.scan(ctx)) await scanComplete(async () => this.deps)(event);
  }

  public async waitForExecution(name: string) {
    const exec = this.sfn.executions.get(name);
    if (exec === undefined) throw new Error(`no execution ${name}`);
    await exec.done;
    return exec;
  }

  public async stop(): Promise<void> {
    await this.advisoryWatch?.stop();
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    // Acknowledged Slack answers are decided before the stores go away (held ones are dropped).
    await this.slackWork?.settled();
    await this.standIns.stop();
    await this.slack?.stop();
    if (this.ownedDir !== undefined) await rm(this.ownedDir, { recursive: true, force: true });
  }
}

/**
 * `release-gate approve|reject` against the embedded stack: the typed `by` is recorded as local
 * and unauthenticated. This route exists only here, on 127.0.0.1, never on AWS.
 */
async function localDecision(
  getDeps: () => Promise<HandlerDeps>,
  req: IncomingMessage,
  rawId: string,
  body: string,
  res: ServerResponse,
): Promise<void> {
  const text = plainText(res);
  if (!isCliPost(req, res, 'release-gate approve|reject')) return;
  const form = LocalDecisionSchema.safeParse(Object.fromEntries(new URLSearchParams(body)));
  if (!form.success) return text(400, 'decision and by are required');
  try {
    const decided = await decideApproval((await getDeps()).gate, {
      approvalId: decodeURIComponent(rawId),
      decision: form.data.decision,
      identity: { kind: 'cli-local', subject: form.data.by },
      ...(form.data.comment === undefined ? {} : { comment: form.data.comment }),
      origin: { sourceIp: req.socket.remoteAddress, userAgent: req.headers['user-agent'] },
    });
    const { title, message } = describeAnswer(decided);
    text(200, `${title}: ${message}`);
  } catch (err) {
    text(statusOf(err), describeError(err));
  }
}
const LocalDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string().trim().min(1).max(200),
  comment: z.string().max(1000).optional(),
});

/**
 * A route with IAM authorization as API Gateway serves it (`POST /cli/approvals/{id}`, the ops
 * routes): the SigV4 signature is verified against the local IAM users first (403 with API
 * Gateway's message otherwise, and the handler never runs); then the handler gets the event with
 * `authorizer.iam` naming the signer.
 */
async function iamRoute(
  handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>,
  users: LocalIamUsers,
  req: IncomingMessage,
  url: URL,
  body: string,
  routeKey: string,
  pathParameters: Record<string, string>,
): Promise<APIGatewayProxyResultV2> {
  let user: Awaited<ReturnType<typeof verifySigV4>>;
  try {
    user = await verifySigV4(
      users,
      {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
      },
      new Date(),
    );
  } catch (err) {
    if (err instanceof SigV4RefusedError) {
      return {
        statusCode: 403,
        headers: { 'content-type': 'application/json' },
        body: `${JSON.stringify({ message: err.message })}\n`,
      };
    }
    throw err;
  }
  const event = apiEvent(req, url, body, pathParameters);
  return handler({
    ...event,
    routeKey,
    requestContext: {
      ...event.requestContext,
      routeKey,
      // What API Gateway reports for an IAM user's long-term key (payload format 2.0).
      authorizer: {
        iam: {
          accessKey: user.accessKeyId,
          accountId: LOCAL_ACCOUNT,
          callerId: user.userArn.split('/').at(-1) ?? '',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: user.userArn,
          userId: user.userArn.split('/').at(-1) ?? '',
        },
      },
    },
  } as APIGatewayProxyEventV2);
}

/** API Gateway's answer to a request no route matches. */
const NOT_FOUND = { statusCode: 404, body: '{"message":"Not Found"}\n' };

/** A path segment's id, percent-decoded (400 when it is not valid percent-encoding). */
function decodePathId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (err) {
    throw new InvalidInputError('the approval id in the path is not valid percent-encoding', { cause: err });
  }
}

/** Approval form posts are a few hundred bytes; API Gateway's own limit is far above this. */
const APPROVAL_BODY_BYTES = 16_384;
/** How much of an oversized body is read (and dropped) so that the client gets its 413. */
const DRAIN_BYTES = 1024 * 1024;

/** The request body, refused (TooLargeError) past `limit` bytes: the rest is read and dropped. */
/** The API Gateway (HTTP API, payload 2.0) event of a local request: only the fields the handlers read. */
function apiEvent(
  req: IncomingMessage,
  url: URL,
  body: string,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${req.method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
    pathParameters,
    requestContext: {
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
    },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

function send(res: ServerResponse, out: APIGatewayProxyResultV2): void {
  if (typeof out === 'string') {
    res.writeHead(200).end(out);
    return;
  }
  res.writeHead(out.statusCode ?? 200, out.headers as Record<string, string>).end(out.body ?? '');
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        // Drained up to a bound so the 413 reaches the client; past it, a flood is cut off.
        if (size > DRAIN_BYTES) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > limit) reject(new TooLargeError('request body', size, limit));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

export { OciLayoutRegistry };
