// npm run mail:status and npm run mail:test, run as the operator would, against real servers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "../db.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { runScript } from "../test/scripts.js";
import { createTestCertificate, startTestSmtpServer, writeCertificateFile } from "../test/smtp.js";

let database: TestDatabase;
let db: Database;
let caFile: { path: string; remove(): Promise<void> };

before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 2, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});
after(async () => {
  await db.$disconnect();
  await database.drop();
  await caFile.remove();
});

const relayEnv = (port: number) => ({
  PATH: process.env.PATH,
  NODE_ENV: "test",
  DATABASE_URL: database.url,
  SMTP_HOST: "127.0.0.1",
  SMTP_PORTS: String(port),
  SMTP_USER: "portal",
  SMTP_RELAY_AUTHPW: "relay-pw",
  SMTP_CA_FILE: caFile.path,
  SMTP_CONNECTION_TIMEOUT_MS: "500",
  MAIL_FROM_ADDRESS: "vetting@example.org",
});

describe("npm run mail:test", () => {
  test("sends a test message through the relay and names the port that accepted it", async () => {
    const server = await startTestSmtpServer({
      tls: "starttls",
      auth: { user: "portal", password: "relay-pw" },
    });
    try {
      const result = await runScript("scripts/mail.ts", {
        args: ["test", "operator@example.org"],
        env: relayEnv(server.port),
      });
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      assert.match(
        result.stdout,
        new RegExp(`^Sent to operator@example\\.org: accepted by 127\\.0\\.0\\.1:${server.port} `),
      );
      assert.equal(server.messages.length, 1);
      assert.match(server.messages[0]?.subject ?? "", /^Test message/);
      const row = await db.outboxMessage.findFirstOrThrow({ where: { recipient: "operator@example.org" } });
      assert.equal(row.status, "SENT");
    } finally {
      await server.close();
    }
  });

  test("says so, and exits 1, when the relay cannot be reached", async () => {
    const result = await runScript("scripts/mail.ts", {
      args: ["test", "down@example.org"],
      env: relayEnv(await freePort()),
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /Not delivered to down@example\.org \(queued\): all_ports_failed/);
    assert.match(result.stdout, /It stays queued and will be retried by the worker\./);
  });

  test("refuses an address that is not a plain address", async () => {
    const result = await runScript("scripts/mail.ts", {
      args: ["test", "a@b.org,c@d.org"],
      env: relayEnv(2525),
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), 'Not a deliverable address: "a@b.org,c@d.org"');
  });
});

describe("npm run mail:status", () => {
  test("prints counts by status and the failed messages with their last error", async () => {
    await db.outboxMessage.create({
      data: {
        kind: "staff_invitation",
        recipient: "lost@example.org",
        status: "FAILED",
        attempts: 9,
        failedAt: new Date("2026-11-20T10:00:00Z"),
        lastError: "all_ports_failed: 2525 refused after 3 ms",
      },
    });
    const result = await runScript("scripts/mail.ts", { args: ["status"], env: relayEnv(2525) });
    assert.equal(result.code, 0);
    const counts = await db.outboxMessage.groupBy({ by: ["status"], _count: { _all: true } });
    for (const { status, _count } of counts) {
      assert.match(result.stdout, new RegExp(`^  ${status.toLowerCase()}\\s+${_count._all}$`, "m"));
    }
    assert.match(result.stdout, /^ {2}failed\s+1$/m);
    assert.match(
      result.stdout,
      /2026-11-20T10:00:00\.000Z {2}staff_invitation to lost@example\.org {2}\(9 attempt\(s\)/,
    );
    assert.match(result.stdout, /all_ports_failed: 2525 refused after 3 ms/);
  });
});
