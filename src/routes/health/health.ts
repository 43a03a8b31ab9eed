// Probes for load balancers and systemd. /healthz touches nothing; /readyz says whether this instance
// can serve (database, migrations, uploads volume) and names what fails; /version says what runs.
import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";
import {
  APPLIED_MIGRATIONS_QUERY,
  localMigrationNames,
  unappliedMigrations,
} from "../../database/migrations.js";

const CHECK_TIMEOUT_MS = 3_000;

type CheckResult = "ok" | string;

export function healthRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const expectedMigrations = localMigrationNames();

  router.get("/healthz", (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = { status: "ok" };
  });

  router.get("/readyz", async (ctx) => {
    const database = await withTimeout(checkDatabase(deps));
    const migrations =
      database === "ok" ? await withTimeout(checkMigrations(deps, expectedMigrations)) : "skipped";
    const uploads = await withTimeout(checkUploadsWritable(deps.config.uploadsDir));
    const checks = { database, migrations, uploads };
    const failing = Object.entries(checks)
      .filter(([, result]) => result !== "ok")
      .map(([name]) => name);
    ctx.set("Cache-Control", "no-store");
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = { status: failing.length === 0 ? "ready" : "not ready", failing, checks };
  });

  router.get("/version", (ctx) => {
    ctx.body = { version: deps.config.version, commit: deps.config.buildCommit };
  });

  return router;
}

async function checkDatabase(deps: AppDependencies): Promise<CheckResult> {
  try {
    await deps.db.$queryRaw`SELECT 1`;
    return "ok";
  } catch (error) {
    deps.logger.warn({ err: error }, "readiness: database unreachable");
    return "unreachable";
  }
}

async function checkMigrations(deps: AppDependencies, expected: string[]): Promise<CheckResult> {
  try {
    const rows = await deps.db.$queryRawUnsafe<{ migration_name: string }[]>(APPLIED_MIGRATIONS_QUERY);
    const missing = unappliedMigrations(
      rows.map((row) => row.migration_name),
      expected,
    );
    return missing.length === 0 ? "ok" : `${missing.length} migration(s) not applied`;
  } catch (error) {
    deps.logger.warn({ err: error }, "readiness: migrations table unreadable");
    return "not applied";
  }
}

async function checkUploadsWritable(uploadsDir: string): Promise<CheckResult> {
  // access(W_OK) says yes to root even on a read-only mount: write a real probe file instead.
  const probe = path.join(uploadsDir, `.readyz-${randomUUID()}`);
  try {
    await writeFile(probe, "", { mode: 0o600 });
    await rm(probe, { force: true });
    return "ok";
  } catch {
    return "not writable";
  }
}

async function withTimeout(check: Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve("timed out"), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
