import { randomUUID } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { type BreakGlassAsk, confirmBreakGlass, requestBreakGlass } from '../domain/incident/break-glass-request.js';
import { findRelease } from '../domain/incident/lookup.js';
import { releaseFromQuarantine } from '../domain/incident/release.js';
import { revokeRelease } from '../domain/incident/revoke.js';
import { rollbackRelease } from '../domain/incident/rollback.js';
import { gatedRepositoryOf } from '../domain/incident/track.js';
import type { AdvisorySource } from '../domain/osv/advisory-index.js';
import type { ExecutionStarter } from '../domain/ports.js';
import { DigestSchema } from '../domain/types.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import * as z from '../domain/zod.js';
import { Answer, type OpsRoutes, parseBody, Repository, Text } from './ops-http.js';
import { opsRoutePath } from './ops-routes.js';

/** What the incident actions need: the gate's ports, the execution starter and today's advisories. */
export interface OpsWriteDeps {
  readonly gate: GateDeps;
  /** Starts a release's next gate round (`release` of a quarantined release that passes now). */
  readonly starter: ExecutionStarter;
  /**
   * Today's OSV advisories that may affect a re-verified release's components: the advisories
   * folder of the embedded stack (all of it), the bucket's `advisories/` prefix through its index
   * on AWS (osv/advisory-index.ts).
   * @default - the scan source is asked again (ECR/Inspector's current findings on AWS)
   */
  readonly advisories?: AdvisorySource;
  /**
   * Whether `advisories` add to the scan source's current findings (AWS: Inspector's findings and
   * the bucket's `advisories/` records) rather than take their place (the embedded stack's folder).
   * @default false
   */
  readonly advisoriesWithScans?: boolean;
}

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

/** The incident actions (`/cli/incident/…`): revoke, rollback, release, break-glass confirmation. */
export const OPS_WRITE: OpsRoutes<OpsWriteDeps> = {
  routes: ['revoke', 'rollback', 'release', 'breakGlassConfirm'],
  dispatch: async (route, event, operator, deps) => {
    const { gate } = deps;
    switch (route) {
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
      default:
        throw new NotFoundError(`${route} is not an incident route`);
    }
  },
};

/**
 * Stores the operator's break-glass as PENDING (nothing else is done) and answers 202 with what
 * the second person runs: their signed confirmation is the approval.
 */
async function askBreakGlass(deps: OpsWriteDeps, ask: BreakGlassAsk): Promise<Answer> {
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

async function incidentDeps(deps: OpsWriteDeps) {
  return {
    ...deps.gate,
    starter: deps.starter,
    ...(deps.advisories === undefined ? {} : { advisories: deps.advisories }),
    advisoriesWithScans: deps.advisoriesWithScans === true,
  };
}
