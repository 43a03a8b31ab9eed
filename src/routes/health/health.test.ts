import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { startEmbeddedPostgres } from "../../database/embeddedPostgres.js";
import { applyMigrations } from "../../database/migrations.js";
import { startTestApp } from "../../test/app.js";
import { freePort } from "../../test/ports.js";

describe("/readyz", () => {
  test("turns 503 and names the database when Postgres is stopped", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "vp-readyz-"));
    await chmod(dataDir, 0o755); // the postgres OS user must reach its data folder inside
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, "pg"),
      port: await freePort(),
      databaseName: "readyz",
      fsync: false,
    });
    await applyMigrations(postgres.connectionString);
    const testApp = await startTestApp({
      databaseUrl: postgres.connectionString,
      env: { DATABASE_CONNECTION_TIMEOUT_MS: "1000" },
    });
    try {
      const healthy = await fetch(`${testApp.baseUrl}/readyz`);
      assert.equal(healthy.status, 200);

      await postgres.stop();
      const response = await fetch(`${testApp.baseUrl}/readyz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), {
        status: "not ready",
        failing: ["database", "migrations"],
        checks: { database: "unreachable", migrations: "skipped", uploads: "ok" },
      });
      const liveness = await fetch(`${testApp.baseUrl}/healthz`);
      assert.equal(liveness.status, 200, "the process itself is still alive");
    } finally {
      await testApp.close();
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("turns 503 and names the uploads folder when it cannot be written", async () => {
    const testApp = await startTestApp({ env: { UPLOADS_DIR: "/dev/null/uploads" } });
    try {
      const response = await fetch(`${testApp.baseUrl}/readyz`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { failing: string[]; checks: Record<string, string> };
      assert.deepEqual(body.failing, ["uploads"]);
      assert.equal(body.checks.uploads, "not writable");
    } finally {
      await testApp.close();
    }
  });
});
