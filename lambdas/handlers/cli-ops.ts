import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, GateError, InvalidInputError, NotFoundError, TooLargeError } from '../domain/errors.js';
import { type BreakGlassAsk, confirmBreakGlass, requestBreakGlass } from '../domain/incident/break-glass-request.js';
import { findRelease } from '../domain/incident/lookup.js';
import { releaseFromQuarantine } from '../domain/incident/release.js';
import { revokeRelease } from '../domain/incident/revoke.js';
import { rollbackRelease } from '../domain/incident/rollback.js';
import { gatedRepositoryOf } from '../domain/incident/track.js';
import { Limits } from '../domain/limits.js';
import { type OsvRecord, parseOsvRecord } from '../domain/osv/schema.js';
import type { ExecutionStarter } from '../domain/ports.js';
import { names, type TriageQuestion, triage } from '../domain/triage/triage.js';
import { DigestSchema } from '../domain/types.js';
import type { ApprovalIdentity } from '../domain/workflow/decide-approval.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import { explainDecision } from '../domain/workflow/explain.js';
import { releaseStatus } from '../domain/workflow/release-status.js';
import { buildReleaseReport } from '../domain/workflow/report.js';
import { renderReportPage } from '../domain/workflow/report-page.js';
import * as z from '../domain/zod.js';
import { iamCaller, jsonResponse as json } from './iam-caller.js';
import { logger } from './logger.js';
import { gateMetrics } from './metrics.js';
import { OPS_ROUTES, type OpsRouteName, opsRouteByKey, opsRoutePath } from './ops-routes.js';

/** What the ops routes need: the gate's ports, where reports are stored, and today's advisories. */
export interface OpsDeps {
  readonly gate: GateDeps;
  /** Starts a release's next gate round (`release` of a quarantined release that passes now). */
  readonly starter: ExecutionStarter;
  /** Where a stored document is, for people (`s3://<bucket>/evidence/sha256/<hex>`). */
  readonly documentUri: (document: string) => string;
  /**
   * Today's OSV advisories for re-verification (the advisories folder of the embedded stack).
   * @default - the scan source is asked again (ECR/Inspector's current findings on AWS)
   */
  readonly advisories?: () => Promise<readonly OsvRecord[]>;
  /**
   * Whether `advisories` add to the scan source's current findings (AWS: Inspector's findings and
   * the bucket's `advisories/` records) rather than take their place (the embedded stack's folder).
   * @default false
   */
  readonly advisoriesWithScans?: boolean;
}

/** The media type reports are stored with (the same as `release-gate report` locally). */
export const REPORT_MEDIA_TYPE = 'text/html; charset=utf-8';

/** Incident bodies are a digest, a repository and a reason: a few hundred bytes. */
const INCIDENT_BODY_MAX_BYTES = 16_384;
/** A report larger than this is answered by its S3 location only (Lambda answers at most 6 MB). */
const REPORT_INLINE_MAX_BYTES = 4 * 1024 * 1024;

const STATUS_FOR: Partial<Record<GateError['code'], number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  UNTRUSTED: 403,
  CONFLICT: 409,
  EXPIRED: 410,
  TOO_LARGE: 413,
};

const Text = z.string().check(z.trim(), z.minLength(1), z.maxLength(1000));
const Repository = z.string().check(z.minLength(1), z.maxLength(256));
/** A whole digest or a unique prefix of one (`sha256:` included), as the CLI takes it. */
const DigestOrPrefix = z.string().check(z.regex(/^sha256:[a-f0-9]{1,64}$/, 'expected sha256:<hex> or a prefix of it'));

/**
 * The bodies of the incident routes. Strict: a typed identity (`by`) or a typed break-glass
 * approver is refused, not ignored: whoever sends one expects it to count, and on AWS the only
 * identity is the request's signature.
 */
const RevokeBody = z.strictObject({ digest: DigestSchema, repository: z.optional(Repository), reason: Text });
/** A break-glass is asked for with its reason only: the approver is whoever signs the confirmation. */
const BreakGlassBody = z.strictObject({ reason: Text });
const RollbackBody = z.strictObject({
  repository: Repository,
  to: z.optional(DigestSchema),
  reason: z.optional(Text),
  breakGlass: z.optional(BreakGlassBody),
});
const ReleaseBody = z.strictObject({
  digest: DigestSchema,
  repository: z.optional(Repository),
  reason: Text,
  breakGlass: z.optional(BreakGlassBody),
});
const ConfirmBody = z.strictObject({});
const BreakGlassId = z.uuid();
const TYPED_IDENTITY_FIELDS = ['by', 'operator', 'approvedBy', 'approver'] as const;

/** An answer other than 200: a pending break-glass is accepted (202), not done. */
class Answer {
  public constructor(
    public readonly status: number,
    public readonly body: unknown,
  ) {}
}

const StatusQuery = z.strictObject({ digest: z.optional(DigestOrPrefix) });
const ReleaseQuery = z.strictObject({ digest: DigestOrPrefix, repository: z.optional(Repository) });
const TriageQuery = z.strictObject({
  purl: z.optional(z.string().check(z.minLength(5), z.maxLength(1000))),
  range: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  id: z.optional(Text),
});

/**
 * The ops API (IAM authorization on every route): the incident commands of `release-gate --aws`.
 * The operator is the principal API Gateway verified from the request's SigV4 signature
 * (`requestContext.authorizer.iam.userArn`), recorded as `cli-aws`; a typed identity is refused.
 * Each route calls the same domain function the CLI calls locally and answers its result as JSON.
 * Which principals may call which class of routes is IAM's business (`OpsReadInvokeArn`,
 * `OpsWriteInvokeArn`); the domain applies the rules it applies locally.
 */
export const makeHandler =
  (getDeps: () => Promise<OpsDeps>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    // The route API Gateway matched (and authorized): its key, never a path the caller spelled.
    const route = opsRouteByKey(event.routeKey);
    if (route === undefined) return json(404, { error: 'NOT_FOUND', message: 'no such route' });
    const caller = iamCaller(event, 'an operator');
    if ('refused' in caller) {
      if (caller.refused.statusCode === 500) {
        logger.error('ops route without an IAM principal: refused', { routeKey: event.routeKey });
      }
      return caller.refused;
    }
    const operator: ApprovalIdentity = { kind: 'cli-aws', subject: caller.principal };
    try {
      const answer = await dispatch(route, event, operator, await getDeps());
      logger.info('ops request answered', { route, principal: caller.principal });
      const status = answer instanceof Answer ? answer.status : 200;
      gateMetrics.opsRequest(route, status);
      return answer instanceof Answer ? json(answer.status, answer.body) : json(200, answer);
    } catch (err) {
      const status = err instanceof GateError ? (STATUS_FOR[err.code] ?? 500) : 500;
      if (status === 500) logger.error('ops request failed', { route, error: describeError(err) });
      else logger.warn('ops request refused', { route, principal: caller.principal, error: describeError(err) });
      gateMetrics.opsRequest(route, status);
      return json(status, { error: err instanceof GateError ? err.code : 'ERROR', message: describeError(err) });
    }
  };

async function dispatch(
  route: OpsRouteName,
  event: APIGatewayProxyEventV2,
  operator: ApprovalIdentity,
  deps: OpsDeps,
): Promise<unknown> {
  const { gate } = deps;
  switch (route) {
    case 'status': {
      const q = parseQuery(event, StatusQuery);
      const releases = await releaseStatus(gate.store, q.digest);
      if (q.digest !== undefined && releases.length === 0)
        throw new NotFoundError(`no release with digest ${q.digest}`);
      // Each stored document with where it is, for people (the local status prints the same).
      return {
        releases: releases.map((r) => ({
          ...r,
          evidence: r.evidence.map((e) => ({
            ...e,
            documents: e.documents.map((d) => ({ ...d, uri: deps.documentUri(d.digest) })),
          })),
        })),
      };
    }
    case 'triage':
      return triage(gate.store, triageQuestion(parseQuery(event, TriageQuery)));
    case 'triageAdvisory':
      return triage(gate.store, advisoryQuestion(event));
    case 'explain': {
      const q = parseQuery(event, ReleaseQuery);
      const release = await findRelease(gate.store, q.digest, q.repository);
      return explainDecision(gate, release.repository, release.digest);
    }
    case 'report': {
      const q = parseQuery(event, ReleaseQuery);
      const release = await findRelease(gate.store, q.digest, q.repository);
      const report = await buildReleaseReport(gate, release.repository, release.digest, gate.clock.now());
      const html = renderReportPage(report);
      const bytes = new TextEncoder().encode(html);
      // Content-addressed: asking twice stores the same object once.
      const document = await gate.documents.put(bytes, REPORT_MEDIA_TYPE);
      return {
        repository: release.repository,
        digest: release.digest,
        document,
        uri: deps.documentUri(document),
        ...(bytes.length <= REPORT_INLINE_MAX_BYTES ? { html } : {}),
      };
    }
    case 'revoke': {
      const body = parseBody(event, RevokeBody);
      const release = await findRelease(gate.store, body.digest, body.repository);
      const out = await revokeRelease(gate, {
        repository: release.repository,
        digest: release.digest,
        reason: body.reason,
        by: operator,
      });
      return { repository: release.repository, ...out };
    }
    case 'rollback': {
      const body = parseBody(event, RollbackBody);
      const started = performance.now();
      const repository = await gatedRepositoryOf(gate.policy.document, gate.store, body.repository);
      if (repository === null) throw new NotFoundError(`nothing was promoted to or from ${body.repository}`);
      if (body.breakGlass !== undefined) {
        return askBreakGlass(deps, {
          action: 'rollback',
          repository,
          ...(body.to === undefined ? {} : { digest: body.to }),
          reason: body.breakGlass.reason,
          ...(body.reason === undefined ? {} : { actionReason: body.reason }),
          operator,
        });
      }
      const out = await rollbackRelease(await incidentDeps(deps), {
        repository,
        operator,
        ...(body.to === undefined ? {} : { to: body.to }),
        ...(body.reason === undefined ? {} : { reason: body.reason }),
      });
      return { ...out, seconds: (performance.now() - started) / 1000 };
    }
    case 'release': {
      const body = parseBody(event, ReleaseBody);
      const release = await findRelease(gate.store, body.digest, body.repository);
      if (body.breakGlass !== undefined) {
        return askBreakGlass(deps, {
          action: 'release',
          repository: release.repository,
          digest: release.digest,
          reason: body.breakGlass.reason,
          actionReason: body.reason,
          operator,
        });
      }
      return releaseFromQuarantine(await incidentDeps(deps), {
        repository: release.repository,
        digest: release.digest,
        reason: body.reason,
        operator,
      });
    }
    case 'breakGlassConfirm': {
      // Nothing to say but who signs: an empty body or `{}` (a typed approver is refused).
      if ((event.body ?? '') !== '') parseBody(event, ConfirmBody);
      const id = BreakGlassId.safeParse(event.pathParameters?.id);
      if (!id.success) throw new InvalidInputError('id: not a break-glass request id');
      const started = performance.now();
      const done = await confirmBreakGlass(await incidentDeps(deps), id.data, operator);
      // As the rollback route answers it: how long the rollback took.
      return done.action === 'rollback'
        ? { ...done, outcome: { ...done.outcome, seconds: (performance.now() - started) / 1000 } }
        : done;
    }
  }
}

/**
 * Stores the operator's break-glass as PENDING (nothing else is done) and answers 202 with what
 * the second person runs: their signed confirmation is the approval.
 */
async function askBreakGlass(deps: OpsDeps, ask: BreakGlassAsk): Promise<Answer> {
  const pending = await requestBreakGlass(deps.gate, ask, randomUUID());
  return new Answer(202, {
    outcome: 'PENDING',
    ...pending,
    confirm: {
      route: `POST ${opsRoutePath('breakGlassConfirm', pending.id)}`,
      command: `release-gate break-glass confirm ${pending.id} --aws`,
      by: 'a second principal allowed to approve this release (not the operator)',
    },
  });
}

async function incidentDeps(deps: OpsDeps) {
  return {
    ...deps.gate,
    starter: deps.starter,
    ...(deps.advisories === undefined ? {} : { advisories: await deps.advisories() }),
    advisoriesWithScans: deps.advisoriesWithScans === true,
  };
}

function triageQuestion(q: z.infer<typeof TriageQuery>): TriageQuestion {
  if (q.purl !== undefined) {
    if (q.id !== undefined) throw new InvalidInputError('purl and id: ask about one of them');
    if (!q.purl.toLowerCase().startsWith('pkg:')) throw new InvalidInputError('purl: not a package URL (pkg:…)');
    return { kind: 'range', purl: q.purl, ...(q.range === undefined ? {} : { range: q.range }) };
  }
  if (q.range !== undefined) throw new InvalidInputError('range: only with a purl');
  if (q.id === undefined) throw new InvalidInputError('give purl (and range), or id, or POST an OSV advisory');
  return { kind: 'vulnerability', id: q.id, advisories: [] };
}

/** `POST …/triage`: the body is one OSV record (JSON); with `?id=` it must name that id. */
function advisoryQuestion(event: APIGatewayProxyEventV2): TriageQuestion {
  const q = parseQuery(event, z.strictObject({ id: z.optional(Text) }));
  // parseOsvRecord checks the size, strict UTF-8 and the schema, and names every invalid field.
  const advisory = parseOsvRecord(bodyBytes(event, Limits.advisoryBytes), 'json', 'request body');
  if (q.id === undefined) return { kind: 'advisory', advisory };
  if (!names(advisory, q.id))
    throw new InvalidInputError(`the advisory is ${advisory.id}, which does not name ${q.id}`);
  return { kind: 'vulnerability', id: q.id, advisories: [advisory] };
}

function parseQuery<T extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: T): z.infer<T> {
  const params = new URLSearchParams(event.rawQueryString ?? '');
  const fields: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in fields) throw new InvalidInputError(`query parameter ${key}: given twice`);
    fields[key] = value;
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new InvalidInputError(`query: ${issues(parsed.error)}`);
  return parsed.data;
}

/** The body's bytes, refused past `maxBytes` before anything else reads it. */
function bodyBytes(event: APIGatewayProxyEventV2, maxBytes: number): Uint8Array {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new TooLargeError('request body', bytes.length, maxBytes);
  return new Uint8Array(bytes);
}

function parseBody<T extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: T): z.infer<T> {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes(event, INCIDENT_BODY_MAX_BYTES));
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError('the body is not JSON', { cause: err });
  }
  if (raw !== null && typeof raw === 'object') {
    const typed = TYPED_IDENTITY_FIELDS.filter((f) => f in raw);
    if (typed.some((f) => f === 'by' || f === 'operator')) {
      throw new InvalidInputError(
        `${typed.join(', ')}: a typed identity is not accepted: your AWS principal (the request signature) is the operator`,
      );
    }
    const glass = (raw as { breakGlass?: unknown }).breakGlass;
    const typedApprover = glass !== null && typeof glass === 'object' && ('approver' in glass || 'approvedBy' in glass);
    if (typed.length > 0 || typedApprover) {
      // A break-glass needs a second person whose identity is verified as the operator's is; one
      // signed request proves one principal, so the approver is whoever signs the confirmation.
      throw new InvalidInputError(
        `${[...typed, ...(typedApprover ? ['breakGlass approver'] : [])].join(', ')}: a typed approver is not accepted: send breakGlass with a reason only, and a second principal confirms it (POST ${OPS_ROUTES.breakGlassConfirm.path})`,
      );
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`body: ${issues(parsed.error)}`);
  return parsed.data;
}

function issues(error: z.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
