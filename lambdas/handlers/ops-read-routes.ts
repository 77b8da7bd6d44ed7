import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { findRelease } from '../domain/incident/lookup.js';
import { Limits } from '../domain/limits.js';
import { parseOsvRecord } from '../domain/osv/schema.js';
import { names, type TriageQuestion, triage } from '../domain/triage/triage.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import { explainDecision } from '../domain/workflow/explain.js';
import { releaseStatus } from '../domain/workflow/release-status.js';
import { buildReleaseReport } from '../domain/workflow/report.js';
import { renderReportPage } from '../domain/workflow/report-page.js';
import * as z from '../domain/zod.js';
import { bodyBytes, type OpsRoutes, parseQuery, Repository, Text } from './ops-http.js';

/** What the read routes need: the gate's store and documents, and where a document is for people. */
export interface OpsReadDeps {
  readonly gate: GateDeps;
  /** Where a stored document is, for people (`s3://<bucket>/evidence/sha256/<hex>`). */
  readonly documentUri: (document: string) => string;
}

/** The media type reports are stored with (the same as `release-gate report` locally). */
export const REPORT_MEDIA_TYPE = 'text/html; charset=utf-8';

/** A report larger than this is answered by its S3 location only (Lambda answers at most 6 MB). */
const REPORT_INLINE_MAX_BYTES = 4 * 1024 * 1024;

/** A whole digest or a unique prefix of one (`sha256:` included), as the CLI takes it. */
const DigestOrPrefix = z.string().check(z.regex(/^sha256:[a-f0-9]{1,64}$/, 'expected sha256:<hex> or a prefix of it'));
const StatusQuery = z.strictObject({ digest: z.optional(DigestOrPrefix) });
const ReleaseQuery = z.strictObject({ digest: DigestOrPrefix, repository: z.optional(Repository) });
const TriageQuery = z.strictObject({
  purl: z.optional(z.string().check(z.minLength(5), z.maxLength(1000))),
  range: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  id: z.optional(Text),
});

/** The read-only queries (`/cli/query/…`): status, triage, explain, report. Nothing is written but a report. */
export const OPS_READ: OpsRoutes<OpsReadDeps> = {
  routes: ['status', 'triage', 'triageAdvisory', 'explain', 'report'],
  dispatch: async (route, event, _operator, deps) => {
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
      default:
        throw new NotFoundError(`${route} is not a read route`);
    }
  },
};

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
