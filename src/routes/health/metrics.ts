// GET /metrics: Prometheus text (src/metrics.ts). Answered to a client presenting METRICS_TOKEN as a
// bearer token, or to a client on this host (the scraper next to the portal) when loopback is allowed:
// always outside production, in production only when the operator says so (METRICS_ALLOW_LOOPBACK=true).
// "Loopback" is only as good as the proxy settings: with TRUSTED_PROXIES missing, every request nginx
// relays comes from 127.0.0.1, so production does not trust it by default. Anyone else gets the ordinary
// 404, so the address is not advertised. The client address is ctx.ip, decided by
// middleware/clientAddress.ts: a request nginx relays from outside is not loopback, even though nginx
// itself connects from 127.0.0.1.
// Mounted with the health probes, before the request limits: a scraper polls, and a refusal costs less
// than counting it would. Each scrape also makes the readiness checks /readyz makes (readiness.ts), so
// Prometheus can alert on them; the relay probe's answer is shared with /readyz (cached 10 s).
import { createHash, timingSafeEqual } from "node:crypto";
import Router from "@koa/router";
import ipaddr from "ipaddr.js";
import type { AppDependencies } from "../../appDependencies.js";
import { notFound } from "../../errors.js";
import type { AppMetrics } from "../../metrics.js";
import type { ReadinessCheck } from "./readiness.js";

export function metricsRoutes(deps: AppDependencies, metrics: AppMetrics, readiness: ReadinessCheck): Router {
  const router = new Router();
  const tokenDigest = deps.config.metricsToken ? digest(deps.config.metricsToken) : null;
  const isLoopbackAllowed = deps.config.isMetricsLoopbackAllowed;

  router.get("/metrics", async function serveMetrics(ctx) {
    const isAnswered =
      hasToken(ctx.get("Authorization"), tokenDigest) || (isLoopbackAllowed && isLoopback(ctx.ip));
    if (!isAnswered) throw notFound();
    ctx.set("Cache-Control", "no-store");
    ctx.type = metrics.contentType;
    const report = await readiness.check();
    ctx.body = await metrics.scrape({
      db: deps.db,
      isReady: report.failing.length === 0,
      readinessChecks: {
        database: report.checks.database === "ok",
        migrations: report.checks.migrations === "ok",
        uploads: !report.failing.includes("uploads"),
        uploads_room: !report.degraded.includes("uploads"),
        mail: report.checks.mail === "ok",
        ...(deps.config.evidence.malwareScan ? { scanner: report.checks.scanner === "ok" } : {}),
      },
      backupDir: deps.config.backupDir,
      securityTxtExpiresAt: deps.config.securityTxt?.expiresAt ?? null,
    });
  });

  return router;
}

function isLoopback(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === "loopback";
}

/** Compares digests, so the comparison takes the same time whatever the length or content presented. */
function hasToken(authorization: string, tokenDigest: Buffer | null): boolean {
  if (!tokenDigest) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), tokenDigest);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
