// The outbox end to end: real Postgres, real graphile-worker runners, real SMTP servers on loopback.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { startWorker, type Worker } from "../jobs/worker.js";
import { createLogger } from "../logger.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { testViews } from "../test/views.js";
import { consumeLinkToken, hashLinkToken, inspectLinkToken } from "../tokens.js";
import {
  DELIVERY_BATCH_SIZE,
  deliverDueEmails,
  deliverEmail,
  enqueueEmail,
  InvalidEmailError,
  recoverInterruptedEmails,
} from "./outbox.js";
import { createMailRelay, type MailRelay } from "./relay.js";
import { relaySettings } from "./relaySettings.js";

const RELAY_USER = "portal";
const RELAY_PASSWORD = "relay-secret-pw";

let database: TestDatabase;
let db: Database;
let caFile: { path: string; remove(): Promise<void> };
const logger = createLogger({ level: "silent", pretty: false });

before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 10, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});
after(async () => {
  await db.$disconnect();
  await database.drop();
  await caFile.remove();
});
beforeEach(async () => {
  await db.$executeRawUnsafe(
    "TRUNCATE outbox_messages, link_tokens, rate_limits, graphile_worker._private_jobs CASCADE",
  );
});

function configFor(relayPort: number, overrides: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "https://vetting.example.org",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: String(relayPort),
    SMTP_USER: RELAY_USER,
    SMTP_RELAY_AUTHPW: RELAY_PASSWORD,
    SMTP_CA_FILE: caFile.path,
    SMTP_CONNECTION_TIMEOUT_MS: "500",
    SMTP_GREETING_TIMEOUT_MS: "500",
    SMTP_SOCKET_TIMEOUT_MS: "2000",
    MAIL_FROM_ADDRESS: "vetting@example.org",
    MAIL_RETRY_BASE_MS: "100",
    ...overrides,
  });
}

function relayServer(port?: number) {
  return startTestSmtpServer({ tls: "starttls", auth: { user: RELAY_USER, password: RELAY_PASSWORD }, port });
}

function deliveryDeps(config: ReturnType<typeof configFor>, relay: MailRelay) {
  return { config, db, views: testViews(), relay, logger, throttle: null };
}

/** Independent workers (each with its own relay and database pool), as separate processes would be. */
async function startWorkers(count: number, config: ReturnType<typeof configFor>, concurrency: number) {
  const started: { worker: Worker; relay: MailRelay }[] = [];
  for (let index = 0; index < count; index += 1) {
    const relay = createMailRelay(relaySettings(config, null), logger);
    const worker = await startWorker({
      connectionString: database.url,
      concurrency,
      deps: { config, db, logger, views: testViews(), relay },
    });
    started.push({ worker, relay });
  }
  return {
    async stop() {
      for (const { worker, relay } of started) {
        await worker.stop();
        relay.close();
      }
    },
  };
}

async function enqueueTestMessages(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const { outboxMessageId } = await db.$transaction((tx) =>
      enqueueEmail(tx, { kind: "test_message", recipient: `person${index}@example.org`, payload: {} }),
    );
    ids.push(outboxMessageId);
  }
  return ids;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const countWhere = (status: "QUEUED" | "SENT" | "FAILED") => db.outboxMessage.count({ where: { status } });

describe("enqueueing", () => {
  test("a rolled-back transaction leaves no mail and no job; a committed one is delivered", async () => {
    const server = await relayServer();
    const config = configFor(server.port);
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      await assert.rejects(
        db.$transaction(async (tx) => {
          await enqueueEmail(tx, { kind: "test_message", recipient: "rolled@example.org", payload: {} });
          throw new Error("the state change failed");
        }),
        /the state change failed/,
      );
      assert.equal(await db.outboxMessage.count(), 0);
      const jobs = await db.$queryRawUnsafe<unknown[]>("SELECT 1 FROM graphile_worker._private_jobs");
      assert.equal(jobs.length, 0);

      const [id] = await enqueueTestMessages(1);
      assert.equal(await deliverEmail(deliveryDeps(config, relay), id ?? ""), "sent");
      const row = await db.outboxMessage.findUniqueOrThrow({ where: { id } });
      assert.equal(row.status, "SENT");
      assert.equal(row.acceptedBy, `127.0.0.1:${server.port}`);
      assert.equal(row.attempts, 1);
      assert.equal(row.messageId, `<${id}@example.org>`);
      assert.ok(row.sentAt);
      assert.equal(server.messages.length, 1);
      assert.equal(server.deliveriesOf(row.messageId ?? ""), 1);
      assert.deepEqual(server.messages[0]?.to, ["person0@example.org"]);
    } finally {
      relay.close();
      await server.close();
    }
  });

  test("refuses an address that could smuggle headers, and an unknown kind, rolling back the change", async () => {
    for (const recipient of ["a@b.org\r\nBcc: spy@evil.example", '"quoted"@example.org', "Name <a@b.org>"]) {
      await assert.rejects(
        db.$transaction((tx) => enqueueEmail(tx, { kind: "test_message", recipient, payload: {} })),
        InvalidEmailError,
      );
    }
    await assert.rejects(
      db.$transaction((tx) => enqueueEmail(tx, { kind: "no_such_kind", recipient: "a@example.org" })),
      /Unknown message kind/,
    );
    assert.equal(await db.outboxMessage.count(), 0);
  });
});

describe("delivery through workers", () => {
  test("while the relay is down mail stays queued; once it is up every message arrives exactly once, with two workers", async () => {
    const relayPort = await freePort(); // nothing listens here yet
    const config = configFor(relayPort);
    const ids = await enqueueTestMessages(12);
    const workers = await startWorkers(2, config, 3);
    let server: TestSmtpServer | undefined;
    try {
      await waitFor(
        async () => (await db.outboxMessage.count({ where: { attempts: { gte: 2 } } })) === ids.length,
      );
      assert.equal(await countWhere("SENT"), 0);
      // Waiting for its next try, or claimed for it in a worker's batch at this moment: either way unsent,
      // with the failure it met.
      const waiting = await db.outboxMessage.findFirstOrThrow({
        where: { status: { in: ["QUEUED", "SENDING"] } },
      });
      assert.match(waiting.lastError ?? "", /all_ports_failed/);

      server = await relayServer(relayPort);
      await waitFor(async () => (await countWhere("SENT")) === ids.length);
      const rows = await db.outboxMessage.findMany();
      for (const row of rows)
        assert.equal(server.deliveriesOf(row.messageId ?? ""), 1, `${row.id} arrived once`);
      assert.equal(server.messages.length, ids.length);
    } finally {
      await workers.stop();
      await server?.close();
    }
  });

  test("a rejected login fails the message at once with a clear error", async () => {
    const server = await relayServer();
    const config = configFor(server.port, { SMTP_RELAY_AUTHPW: "wrong-password" });
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const [id] = await enqueueTestMessages(1);
      assert.equal(await deliverEmail(deliveryDeps(config, relay), id ?? ""), "failed");
      const row = await db.outboxMessage.findUniqueOrThrow({ where: { id } });
      assert.equal(row.status, "FAILED");
      assert.equal(row.attempts, 1);
      assert.match(row.lastError ?? "", /auth_failed/);
      assert.ok(!(row.lastError ?? "").includes("wrong-password"), "no credentials in the error");
      assert.equal(server.messages.length, 0);
    } finally {
      relay.close();
      await server.close();
    }
  });

  test("retries back off, and a message is failed once the retry horizon has passed", async () => {
    const config = configFor(await freePort(), { MAIL_RETRY_BASE_MS: "60000" });
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const [id] = await enqueueTestMessages(1);
      const deps = deliveryDeps(config, relay);
      const startedAt = Date.now();
      assert.equal(await deliverEmail(deps, id ?? ""), "retry_scheduled");
      const first = await db.outboxMessage.findUniqueOrThrow({ where: { id } });
      const delay = first.nextAttemptAt.getTime() - startedAt;
      assert.ok(delay >= 48_000 && delay <= 73_000, `first retry about a minute later (${delay} ms)`);
      assert.equal(await deliverEmail(deps, id ?? ""), "not_claimable", "not before its time");

      // 24 h and more after it was written, the next failure is final.
      await db.outboxMessage.update({
        where: { id },
        data: { createdAt: new Date(Date.now() - 25 * 3600_000), nextAttemptAt: new Date() },
      });
      assert.equal(await deliverEmail(deps, id ?? ""), "failed");
      const failed = await db.outboxMessage.findUniqueOrThrow({ where: { id } });
      assert.equal(failed.status, "FAILED");
      assert.equal(failed.attempts, 2);
      assert.ok(failed.failedAt);
    } finally {
      relay.close();
    }
  });

  test("after a crash between the relay's acceptance and our write, only that message is sent again", async () => {
    const server = await relayServer();
    const config = configFor(server.port);
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const [crashed, other] = await enqueueTestMessages(2);
      const deps = deliveryDeps(config, relay);
      await deliverEmail(deps, crashed ?? "");
      await deliverEmail(deps, other ?? "");
      // The worker died right after the relay said yes: the row still says SENDING.
      await db.outboxMessage.update({
        where: { id: crashed },
        data: { status: "SENDING", sentAt: null, sendingStartedAt: new Date(Date.now() - 3600_000) },
      });
      assert.equal(await recoverInterruptedEmails(deps), 1);
      assert.equal(await deliverEmail(deps, crashed ?? ""), "sent");
      const rows = await db.outboxMessage.findMany({ orderBy: { createdAt: "asc" } });
      const [crashedRow, otherRow] = rows;
      assert.equal(
        server.deliveriesOf(crashedRow?.messageId ?? ""),
        2,
        "the interrupted one, twice, same Message-ID",
      );
      assert.equal(server.deliveriesOf(otherRow?.messageId ?? ""), 1, "every other message once");
      assert.equal(await recoverInterruptedEmails(deps), 0, "a row just being sent is not touched");
    } finally {
      relay.close();
      await server.close();
    }
  });

  test("a delivery job sends the due messages in batches: each arrives once, however many jobs race for them", async () => {
    const server = await relayServer();
    const config = configFor(server.port);
    const relays = [0, 1, 2].map(() => createMailRelay(relaySettings(config, null), logger));
    try {
      const ids = await enqueueTestMessages(DELIVERY_BATCH_SIZE + 5);
      // One job's run: its own row first, then others that are due, up to a batch; their jobs are removed.
      const first = await deliverDueEmails(deliveryDeps(config, relays[0] as MailRelay), ids[3] ?? "");
      assert.deepEqual(first, Array(DELIVERY_BATCH_SIZE).fill("sent"));
      const firstRow = await db.outboxMessage.findUniqueOrThrow({ where: { id: ids[3] } });
      assert.equal(firstRow.status, "SENT");
      assert.equal(firstRow.acceptedBy, `127.0.0.1:${server.port}`);
      assert.equal(firstRow.attempts, 1);
      const jobs = await db.$queryRaw<{ key: string }[]>`
        SELECT key FROM graphile_worker._private_jobs WHERE key IS NOT NULL ORDER BY key`;
      const stillQueued = await db.outboxMessage.findMany({
        where: { status: "QUEUED" },
        select: { id: true },
      });
      assert.equal(stillQueued.length, 5);
      // The job that ran keeps its own (the worker completes it); the batch's others are gone.
      assert.deepEqual(
        jobs.map((job) => job.key),
        [ids[3] ?? "", ...stillQueued.map((row) => row.id)].map((id) => `email:${id}`).sort(),
      );

      // Three jobs at once for the rest (and a late job for a row already sent): every row claimed once.
      const outcomes = (
        await Promise.all(
          [stillQueued[0]?.id, stillQueued[1]?.id, stillQueued[2]?.id, ids[3]].map((id, index) =>
            deliverDueEmails(deliveryDeps(config, relays[index % 3] as MailRelay), id ?? ""),
          ),
        )
      ).flat();
      assert.equal(outcomes.filter((outcome) => outcome === "sent").length, 5);
      assert.equal(await countWhere("SENT"), ids.length);
      const rows = await db.outboxMessage.findMany();
      for (const row of rows)
        assert.equal(server.deliveriesOf(row.messageId ?? ""), 1, `${row.id} arrived once`);
      assert.equal(server.messages.length, ids.length);
    } finally {
      for (const relay of relays) relay.close();
      await server.close();
    }
  });

  test("a batch whose relay fails keeps each message's own retry, and nothing is lost", async () => {
    const relayPort = await freePort(); // nothing listens here
    const config = configFor(relayPort);
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const ids = await enqueueTestMessages(3);
      assert.deepEqual(await deliverDueEmails(deliveryDeps(config, relay), ids[0] ?? ""), [
        "retry_scheduled",
        "retry_scheduled",
        "retry_scheduled",
      ]);
      const rows = await db.outboxMessage.findMany();
      for (const row of rows) {
        assert.equal(row.status, "QUEUED");
        assert.equal(row.attempts, 1);
        assert.match(row.lastError ?? "", /all_ports_failed/);
      }
      const jobs = await db.$queryRaw<{ key: string }[]>`
        SELECT key FROM graphile_worker._private_jobs WHERE key IS NOT NULL`;
      assert.deepEqual(
        jobs.map((job) => job.key).sort(),
        ids.map((id) => `email:${id}`).sort(),
        "a job each",
      );
    } finally {
      relay.close();
    }
  });

  test("a per-minute cap holds across workers", async () => {
    const server = await relayServer();
    const config = configFor(server.port, { MAIL_MAX_PER_MINUTE: "3" });
    await enqueueTestMessages(7);
    const workers = await startWorkers(2, config, 2);
    try {
      await waitFor(async () => (await countWhere("SENT")) === 3);
      await waitFor(
        async () => (await db.outboxMessage.count({ where: { status: "QUEUED", attempts: 0 } })) === 4,
      );
      const later = await db.outboxMessage.findMany({ where: { status: "QUEUED" } });
      for (const row of later) {
        const waitMs = row.nextAttemptAt.getTime() - Date.now();
        assert.ok(waitMs > 10_000 && waitMs <= 60_000, `held back for the rest of the minute (${waitMs} ms)`);
      }
      assert.equal(server.messages.length, 3);
    } finally {
      await workers.stop();
      await server.close();
    }
  });
});

describe("links in mail", () => {
  test("a link token is minted at delivery, hashed at rest, single-use, and not consumed by opening it", async () => {
    const server = await relayServer();
    const config = configFor(server.port);
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const { outboxMessageId } = await db.$transaction((tx) =>
        enqueueEmail(tx, {
          kind: "sign_in_link",
          recipient: "applicant@example.org",
          payload: { applicantName: "Ada" },
          linkSubject: { type: "vetting_case", id: "case-1" },
        }),
      );
      assert.equal(await db.linkToken.count(), 0, "nothing is minted before delivery");
      assert.equal(await deliverEmail(deliveryDeps(config, relay), outboxMessageId), "sent");

      const mail = server.messages[0];
      const token = /https:\/\/vetting\.example\.org\/apply\/sign-in\/([A-Za-z0-9_-]{43})/.exec(
        mail?.text ?? "",
      )?.[1];
      assert.ok(token, "the text part carries the absolute link");
      assert.ok(
        mail?.html.includes(`https://vetting.example.org/apply/sign-in/${token}`),
        "so does the HTML part",
      );

      const stored = await db.linkToken.findFirstOrThrow();
      assert.equal(stored.tokenHash, createHash("sha256").update(token).digest("hex"));
      assert.equal(stored.purpose, "sign_in");
      assert.deepEqual([stored.subjectType, stored.subjectId], ["vetting_case", "case-1"]);
      const everything = JSON.stringify(
        await db.$queryRawUnsafe(
          "SELECT row_to_json(t) FROM (SELECT * FROM link_tokens) t UNION ALL SELECT row_to_json(o) FROM (SELECT * FROM outbox_messages) o",
        ),
      );
      assert.ok(!everything.includes(token), "the token itself is stored nowhere");
      const expiresInMs = stored.expiresAt.getTime() - Date.now();
      assert.ok(expiresInMs > 14 * 60_000 && expiresInMs <= 15 * 60_000, "a sign-in link lives 15 minutes");

      assert.equal((await inspectLinkToken(db, "sign_in", token)).status, "valid");
      assert.equal(
        (await inspectLinkToken(db, "sign_in", token)).status,
        "valid",
        "looking twice consumes nothing",
      );
      assert.equal((await inspectLinkToken(db, "password_reset", token)).status, "unknown", "single-purpose");
      const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      assert.equal((await inspectLinkToken(db, "sign_in", tampered)).status, "unknown");
      assert.equal(hashLinkToken(token), stored.tokenHash);

      const outcomes = await Promise.all([
        db.$transaction((tx) => consumeLinkToken(tx, "sign_in", token)),
        db.$transaction((tx) => consumeLinkToken(tx, "sign_in", token)),
      ]);
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ["used", "valid"]);
      assert.equal((await inspectLinkToken(db, "sign_in", token)).status, "used");

      await db.linkToken.update({
        where: { id: stored.id },
        data: { usedAt: null, expiresAt: new Date(Date.now() - 1) },
      });
      assert.equal((await inspectLinkToken(db, "sign_in", token)).status, "expired");
    } finally {
      relay.close();
      await server.close();
    }
  });

  test("a failed attempt deletes the token it minted: it never reached anyone", async () => {
    const config = configFor(await freePort());
    const relay = createMailRelay(relaySettings(config, null), logger);
    try {
      const { outboxMessageId } = await db.$transaction((tx) =>
        enqueueEmail(tx, {
          kind: "sign_in_link",
          recipient: "applicant@example.org",
          payload: { applicantName: "Ada" },
        }),
      );
      assert.equal(await deliverEmail(deliveryDeps(config, relay), outboxMessageId), "retry_scheduled");
      assert.equal(await db.linkToken.count(), 0);
    } finally {
      relay.close();
    }
  });
});
