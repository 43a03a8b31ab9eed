// Probes for load balancers and systemd. /healthz touches nothing; /readyz says whether this instance
// can serve (database, migrations, uploads volume) and names what fails; /version says what runs.
// The checks themselves, and why an unreachable mail relay or a nearly full uploads volume only make
// the instance "degraded" (still 200), and read-only maintenance "maintenance" (still 200), are in
// readiness.ts, which /metrics reports too.
import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";
import type { ReadinessCheck } from "./readiness.js";

export function healthRoutes(deps: AppDependencies, readiness: ReadinessCheck): Router {
  const router = new Router();

  router.get("/healthz", (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = { status: "ok" };
  });

  router.get("/readyz", async (ctx) => {
    const report = await readiness.check();
    ctx.set("Cache-Control", "no-store");
    ctx.status = report.failing.length === 0 ? 200 : 503;
    ctx.body = report;
  });

  router.get("/version", (ctx) => {
    ctx.body = { version: deps.config.version, commit: deps.config.buildCommit };
  });

  return router;
}
