// Reliability drill: the mail relay is unreachable (nothing listens on any of its ports) from the start.
// A web process and a worker process run as in production; emails are made by real actions (applications
// submitted through the web process) and by enqueueEmail in a transaction. Meanwhile every message stays
// queued with its attempts, last error and next attempt recorded, none is given up on within the retry
// horizon, and /readyz says mail is "degraded" (still 200). Then a relay starts on one of the ports: every
// message arrives exactly once (by Message-ID), and every row is SENT.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "../db.js";
import { enqueueEmail } from "../mail/outbox.js";
import { TestBrowser } from "../test/browser.js";
import { type PortalProcess, startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

const APPLICANTS = ["ada@example.org", "grace@example.org", "edsger@example.org"];
/** Delivery attempts each message must have made, and had recorded, before the relay comes back. */
const ATTEMPTS_WHILE_DOWN = 3;

let database: TestDatabase;
let db: Database;
let dataRoot: string;
let caFile: { path: string; remove(): Promise<void> };
let relay: TestSmtpServer | undefined;
const portals: PortalProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 2, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
  dataRoot = await mkdtemp(path.join(tmpdir(), "vp-drill-relay-"));
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});

after(async () => {
  await Promise.all(portals.map((portal) => portal.stop()));
  await relay?.close();
  await db?.$disconnect();
  await database?.drop();
  await caFile?.remove();
  await rm(dataRoot, { recursive: true, force: true });
});

const outboxRows = () =>
  db.outboxMessage.findMany({
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      recipient: true,
      status: true,
      attempts: true,
      nextAttemptAt: true,
      lastError: true,
      messageId: true,
      linkTokenId: true,
    },
  });

async function readiness(baseUrl: string) {
  const response = await fetch(`${baseUrl}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { status: string; degraded: string[]; checks: Record<string, string> },
  };
}

describe("the mail relay unreachable", () => {
  test("nothing is lost: mail waits in the outbox, retried and recorded, then arrives exactly once", async (t) => {
    // Two relay ports (as the seed's 2525, 8025, …), nothing listening on either.
    const [webPort, firstRelayPort, secondRelayPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      DATABASE_URL: database.url,
      PORT: String(webPort),
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
      SMTP_HOST: "127.0.0.1",
      SMTP_PORTS: `${firstRelayPort},${secondRelayPort}`,
      SMTP_CA_FILE: caFile.path,
      MAIL_FROM_ADDRESS: "vetting@example.org",
      UPLOADS_DIR: path.join(dataRoot, "uploads"),
      LOG_LEVEL: "info",
      // Retries come quickly, so several are made while the relay is away; the horizon (its smallest
      // setting, an hour) is far beyond this test, so no message may be given up on.
      MAIL_RETRY_BASE_MS: "100",
      MAIL_RETRY_HORIZON_HOURS: "1",
      NEW_CASE_NOTIFICATIONS: "off",
    };
    const web = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--web"]);
    portals.push(web);
    await web.waitForOutput(/web server listening/);
    const worker = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--worker"]);
    portals.push(worker);
    await worker.waitForOutput(/"msg":"Worker connected/);
    const baseUrl = `http://127.0.0.1:${webPort}`;

    // Mail made by real actions: applications submitted through the web process…
    for (const [index, email] of APPLICANTS.entries()) {
      const browser = new TestBrowser(baseUrl);
      await browser.get("/apply");
      const applied = await browser.post("/apply", {
        fullName: `Applicant ${index + 1}`,
        email,
        statement: "I organise the reading group.",
        consent: "yes",
      });
      assert.equal(applied.response.status, 303, applied.html.slice(0, 500));
    }
    // …and by a command's transaction, as every other kind is.
    await db.$transaction((tx) =>
      enqueueEmail(tx, { kind: "test_message", recipient: "operator@example.org", payload: {} }),
    );
    const recipients = [...APPLICANTS, "operator@example.org"];

    // While the relay is away: every message stays queued, its attempts, last error and next attempt
    // recorded; none is marked failed.
    const whileDown = await waitFor("retries recorded while the relay is away", async () => {
      const rows = await outboxRows();
      assert.equal(
        rows.filter((row) => row.status === "FAILED").length,
        0,
        "nothing is given up on within the retry horizon",
      );
      const isRetrying = (row: (typeof rows)[number]) =>
        row.status === "QUEUED" && row.attempts >= ATTEMPTS_WHILE_DOWN;
      return rows.length === recipients.length && rows.every(isRetrying) ? rows : undefined;
    });
    for (const row of whileDown) {
      assert.match(row.lastError ?? "", /^all_ports_failed: /, row.lastError ?? "");
      assert.ok(
        row.lastError?.includes(String(firstRelayPort)) && row.lastError.includes(String(secondRelayPort)),
      );
      assert.ok(row.nextAttemptAt, "the next attempt is scheduled");
      assert.ok(row.messageId, "the Message-ID was fixed at the first attempt");
      // A link minted for a failed attempt is deleted with it: nothing lives that nobody received.
      assert.equal(row.linkTokenId, null);
    }
    assert.equal(await db.linkToken.count({ where: { purpose: "email_confirmation" } }), 0);
    assert.deepEqual(whileDown.map((row) => row.recipient).sort(), [...recipients].sort());

    const down = await readiness(baseUrl);
    assert.equal(down.status, 200, "an unreachable relay does not take the instance out of service");
    assert.equal(down.body.status, "degraded");
    assert.deepEqual(down.body.degraded, ["mail"]);
    assert.equal(down.body.checks.mail, "degraded: relay unreachable");

    // The relay comes back, on the second port only.
    relay = await startTestSmtpServer({ tls: "starttls", port: secondRelayPort });
    const relayBackAt = performance.now();
    const sent = await waitFor("every message sent", async () => {
      const rows = await outboxRows();
      return rows.every((row) => row.status === "SENT") ? rows : undefined;
    });
    // Measured, not asserted: how long the backlog took once the relay was back.
    t.diagnostic(
      `attempts per message: ${sent.map((row) => row.attempts).join(", ")}; all sent ${Math.round(
        performance.now() - relayBackAt,
      )} ms after the relay came back`,
    );
    // Nothing left for the worker to do, so nothing more can arrive…
    await waitFor("the delivery jobs done", async () => {
      const [jobs] = await db.$queryRaw<{ pending: number }[]>`
        SELECT count(*)::int AS pending FROM graphile_worker.jobs WHERE task_identifier = 'deliver_email'`;
      return jobs?.pending === 0 ? true : undefined;
    });
    // …and every message arrived exactly once, to its recipient.
    assert.equal(relay.messages.length, recipients.length);
    const arrivals = relay.messages;
    for (const row of sent) {
      assert.ok(row.messageId);
      assert.equal(relay.deliveriesOf(row.messageId), 1, `${row.recipient}: delivered once`);
      const arrived = arrivals.find((message) => message.messageId === row.messageId);
      assert.deepEqual(arrived?.to, [row.recipient]);
    }
    // The links in the confirmation emails were minted by the attempt that succeeded, one each.
    assert.equal(await db.linkToken.count({ where: { purpose: "email_confirmation" } }), APPLICANTS.length);

    // Once the relay greets again, readiness says so (its probe's answer is cached for 10 s).
    await waitFor("/readyz ready again", async () => {
      const answer = await readiness(baseUrl);
      return answer.body.status === "ready" ? answer : undefined;
    });
    assert.equal(web.child.exitCode, null);
    assert.equal(worker.child.exitCode, null);
  });
});
