import { type OpsRoutes, serveOps } from './ops-http.js';
import { OPS_READ, type OpsReadDeps } from './ops-read-routes.js';
import type { OpsRouteName } from './ops-routes.js';
import { OPS_WRITE, type OpsWriteDeps } from './ops-write-routes.js';

export { REPORT_MEDIA_TYPE } from './ops-read-routes.js';

/** What every ops route needs: the read routes' ports and the incident actions'. */
export type OpsDeps = OpsReadDeps & OpsWriteDeps;

/** Both classes of routes, as one server answers them (the embedded stack, the tests). */
const OPS_ALL: OpsRoutes<OpsDeps> = {
  routes: [...OPS_READ.routes, ...OPS_WRITE.routes],
  dispatch: (route: OpsRouteName, event, operator, deps) =>
    (OPS_READ.routes.includes(route) ? OPS_READ : OPS_WRITE).dispatch(route, event, operator, deps),
};

/**
 * Every ops route in one handler. On AWS each class is its own function (ops-read.ts,
 * ops-write.ts: a role each, so the read function cannot change production); the embedded stack
 * serves both from one process.
 */
export const makeHandler = (getDeps: () => Promise<OpsDeps>) => serveOps(OPS_ALL, getDeps);
