/**
 * The ops API's IAM-authorized routes (`release-gate status|triage|explain|report|revoke|rollback|
 * release --aws`), shared by the handler, the CDK construct, the embedded stack and the CLI. Reads sit
 * under one prefix and incident actions under another, so that one `execute-api:Invoke` ARN per
 * class grants triage to on-call without rollback.
 */

/** Read-only queries: status, triage, explain, report. */
export const OPS_READ_PREFIX = '/cli/query';
/** Incident actions that change production or the record: revoke, rollback, release. */
export const OPS_WRITE_PREFIX = '/cli/incident';

export const OPS_ROUTES = {
  /** The releases the gate recorded (`status`), or one release's evidence and trail (`status <digest>`). */
  status: { method: 'GET', path: `${OPS_READ_PREFIX}/status` },
  triage: { method: 'GET', path: `${OPS_READ_PREFIX}/triage` },
  triageAdvisory: { method: 'POST', path: `${OPS_READ_PREFIX}/triage` },
  explain: { method: 'GET', path: `${OPS_READ_PREFIX}/explain` },
  report: { method: 'GET', path: `${OPS_READ_PREFIX}/report` },
  revoke: { method: 'POST', path: `${OPS_WRITE_PREFIX}/revoke` },
  rollback: { method: 'POST', path: `${OPS_WRITE_PREFIX}/rollback` },
  release: { method: 'POST', path: `${OPS_WRITE_PREFIX}/release` },
  /** A second principal confirms a pending break-glass (`rollback|release` with `breakGlass`). */
  breakGlassConfirm: { method: 'POST', path: `${OPS_WRITE_PREFIX}/break-glass/{id}` },
} as const;

export type OpsRouteName = keyof typeof OPS_ROUTES;

/** API Gateway's route key (`METHOD /path`) of a route. */
export const opsRouteKey = (name: OpsRouteName): string => `${OPS_ROUTES[name].method} ${OPS_ROUTES[name].path}`;

/** A route's path with its `{id}` filled in (percent-encoded). */
export const opsRoutePath = (name: OpsRouteName, id?: string): string =>
  OPS_ROUTES[name].path.replace('{id}', encodeURIComponent(id ?? ''));

/**
 * The route a method and path name, with its path parameters, if any (API Gateway matches the
 * route before it authorizes). A `{id}` segment matches one non-empty path segment.
 */
export function opsRouteOf(
  method: string,
  path: string,
): { route: OpsRouteName; pathParameters: Record<string, string> } | undefined {
  for (const name of Object.keys(OPS_ROUTES) as OpsRouteName[]) {
    const template = OPS_ROUTES[name].path;
    if (OPS_ROUTES[name].method !== method) continue;
    const [head, tail] = template.split('{id}');
    if (tail === undefined) {
      if (template === path) return { route: name, pathParameters: {} };
      continue;
    }
    const prefix = head ?? '';
    if (!path.startsWith(prefix) || !path.endsWith(tail)) continue;
    const segment = path.slice(prefix.length, path.length - tail.length);
    if (segment === '' || segment.includes('/')) continue;
    let id: string;
    try {
      id = decodeURIComponent(segment);
    } catch {
      continue;
    }
    return { route: name, pathParameters: { id } };
  }
  return undefined;
}

/** The route of an API Gateway route key, if it is one of these. */
export function opsRouteByKey(routeKey: string): OpsRouteName | undefined {
  return (Object.keys(OPS_ROUTES) as OpsRouteName[]).find((name) => opsRouteKey(name) === routeKey);
}

/**
 * The stack outputs `release-gate … --stack NAME` reads (infra/release-gate-stack.ts writes them):
 * the HTTP API every `--aws` command signs its requests to, and the ops routes this deployment
 * serves, so that a stack deployed before a route existed is named as such instead of a bare 404.
 */
export const CLI_STACK_OUTPUTS = { apiUrl: 'ApprovalApiUrl', opsRoutes: 'OpsApiRoutes' } as const;

/** The value of the `OpsApiRoutes` output: the route names, space-separated. */
export const opsRoutesOutput = (): string => Object.keys(OPS_ROUTES).join(' ');
