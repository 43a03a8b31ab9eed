import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { startEmbeddedPostgres } from "../../database/embeddedPostgres.js";
import { applyMigrations } from "../../database/migrations.js";
import { startTestApp } from "../../test/app.js";
import { freePort } from "../../test/ports.js";
import { startRefusingPort, startTestSmtpServer } from "../../test/smtp.js";
import { SCANNING_OFF } from "./readiness.js";

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
    const relay = await startRefusingPort();
    const testApp = await startTestApp({
      databaseUrl: postgres.connectionString,
      env: { DATABASE_CONNECTION_TIMEOUT_MS: "1000", SMTP_PORTS: String(relay.port) },
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
        degraded: ["mail"],
        checks: {
          database: "unreachable",
          migrations: "skipped",
          uploads: "ok",
          mail: "degraded: relay unreachable",
          scanner: SCANNING_OFF,
        },
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

describe("/readyz and the mail relay", () => {
  test("a relay that greets: ready", async () => {
    const relay = await startTestSmtpServer({ tls: "starttls" });
    const testApp = await startTestApp({ env: { SMTP_PORTS: String(relay.port) } });
    try {
      const response = await fetch(`${testApp.baseUrl}/readyz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        status: "ready",
        failing: [],
        degraded: [],
        checks: { database: "ok", migrations: "ok", uploads: "ok", mail: "ok", scanner: SCANNING_OFF },
      });
      assert.equal(relay.messages.length, 0, "the probe sends nothing");
    } finally {
      await testApp.close();
      await relay.close();
    }
  });

  test("one greeting port among refusing ones is enough", async () => {
    const refusing = await startRefusingPort();
    const relay = await startTestSmtpServer({ tls: "starttls" });
    const testApp = await startTestApp({ env: { SMTP_PORTS: `${refusing.port},${relay.port}` } });
    try {
      const body = (await (await fetch(`${testApp.baseUrl}/readyz`)).json()) as { checks: { mail: string } };
      assert.equal(body.checks.mail, "ok");
    } finally {
      await testApp.close();
      await relay.close();
    }
  });

  test("an unreachable relay: still 200, mail degraded (it waits in the outbox), said once in the log", async () => {
    const relay = await startRefusingPort();
    const testApp = await startTestApp({ env: { SMTP_PORTS: String(relay.port) } });
    try {
      for (let probe = 0; probe < 2; probe++) {
        const response = await fetch(`${testApp.baseUrl}/readyz`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {
          status: "degraded",
          failing: [],
          degraded: ["mail"],
          checks: {
            database: "ok",
            migrations: "ok",
            uploads: "ok",
            mail: "degraded: relay unreachable",
            scanner: SCANNING_OFF,
          },
        });
      }
      const warnings = testApp
        .logLines()
        .filter((line) => line.msg === "readiness: mail relay unreachable, mail waits in the outbox");
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]?.detail), new RegExp(`${relay.port}: ECONNREFUSED`));
    } finally {
      await testApp.close();
    }
  });
});
