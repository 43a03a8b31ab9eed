// npm run bench:mail — enqueue 10 000 messages and drain them through the real worker (graphile-worker,
// the outbox, the relay module with STARTTLS and authentication) into a local SMTP sink; print
// messages per second and check that every message arrived exactly once. Target: ≥ 500 messages/s.
// The sink runs in a process of its own, as a real relay is another machine.
// A benchmark, not a test: it reports, and exits non-zero only when a message was lost or duplicated.

import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../../src/config.js";
import { createDatabase } from "../../src/db.js";
import { startWorker } from "../../src/jobs/worker.js";
import { createLogger } from "../../src/logger.js";
import { enqueueEmail } from "../../src/mail/outbox.js";
import { createMailRelay } from "../../src/mail/relay.js";
import { relaySettings } from "../../src/mail/relaySettings.js";
import { createTestDatabase, startTestPostgresServer } from "../../src/test/postgres.js";
import { createTestCertificate } from "../../src/test/smtp.js";
import { testViews } from "../../src/test/views.js";
import type { FigureResult } from "./harness.js";

const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_MAIL_CONCURRENCY ?? 24);
const TARGET_PER_SECOND = 500;

/** Runs the figure; prints its own table and returns figure 4's row for npm run bench's report. */
export async function benchMail(): Promise<FigureResult[]> {
  // Under npm run bench the runner's Postgres server is already there.
  const postgres = process.env.TEST_POSTGRES_ADMIN_URL ? null : await startTestPostgresServer();
  if (postgres) process.env.TEST_POSTGRES_ADMIN_URL = postgres.adminUrl;
  const database = await createTestDatabase();
  const certificate = await createTestCertificate();
  const scratch = await mkdtemp(path.join(tmpdir(), "vp-bench-mail-"));
  const caFile = path.join(scratch, "ca.pem");
  await writeFile(caFile, certificate.cert);

  const keyFile = path.join(scratch, "key.pem");
  await writeFile(keyFile, certificate.key);
  const sink = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "smtpSink.ts"), keyFile, caFile],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const sinkLines = createInterface({ input: sink.stdout })[Symbol.asyncIterator]();
  const sinkPort = Number((await sinkLines.next()).value);

  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "https://vetting.example.org",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: String(sinkPort),
    SMTP_USER: "bench",
    SMTP_RELAY_AUTHPW: "bench",
    SMTP_CA_FILE: caFile,
    MAIL_FROM_ADDRESS: "vetting@example.org",
    DATABASE_POOL_MAX: String(CONCURRENCY + 4),
  });
  const logger = createLogger({ level: "warn", pretty: false });
  const db = createDatabase(database.url, config.database);

  process.stdout.write(`Enqueueing ${MESSAGES} messages…\n`);
  for (let start = 0; start < MESSAGES; start += 500) {
    await db.$transaction(async (tx) => {
      for (let index = start; index < Math.min(start + 500, MESSAGES); index += 1) {
        await enqueueEmail(tx, { kind: "test_message", recipient: `bench${index}@example.org`, payload: {} });
      }
    });
  }

  const relay = createMailRelay({ ...relaySettings(config, null), maxConnections: CONCURRENCY }, logger);
  const startedAt = process.hrtime.bigint();
  const worker = await startWorker({
    connectionString: database.url,
    concurrency: CONCURRENCY,
    deps: { config, db, logger, views: testViews(), relay },
  });
  while ((await db.outboxMessage.count({ where: { status: { in: ["QUEUED", "SENDING"] } } })) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  await worker.stop();
  relay.close();

  const sent = await db.outboxMessage.count({ where: { status: "SENT" } });
  sink.stdin.end();
  const received = new Map(
    Object.entries(JSON.parse(String((await sinkLines.next()).value)) as Record<string, number>),
  );
  const duplicates = [...received.values()].reduce((sum, count) => sum + (count - 1), 0);
  const perSecond = MESSAGES / seconds;
  process.stdout.write(
    [
      "",
      "| figure | value | target |",
      "|---|---|---|",
      `| messages drained | ${sent} of ${MESSAGES} | all |`,
      `| time | ${seconds.toFixed(2)} s | |`,
      `| throughput | ${perSecond.toFixed(0)} messages/s | ≥ ${TARGET_PER_SECOND} (${perSecond >= TARGET_PER_SECOND ? "pass" : "below target"}) |`,
      `| distinct messages at the sink | ${received.size} | ${MESSAGES} |`,
      `| duplicates | ${duplicates} | 0 |`,
      `| worker concurrency | ${CONCURRENCY} | |`,
      "",
    ].join("\n"),
  );

  await db.$disconnect();
  await database.drop();
  await postgres?.stop();
  await rm(scratch, { recursive: true, force: true });
  // A lost or doubled message is a broken run, not a slow one.
  if (sent !== MESSAGES || duplicates !== 0 || received.size !== MESSAGES) {
    throw new Error(
      `mail: ${sent} of ${MESSAGES} sent, ${received.size} distinct at the sink, ${duplicates} duplicates`,
    );
  }
  return [
    {
      id: "4",
      name: `Mail outbox drain, ${MESSAGES} messages into a local SMTP sink (STARTTLS, auth)`,
      portal: `${perSecond.toFixed(0)} messages/s (${seconds.toFixed(1)} s)`,
      baseline: "—",
      ratio: null,
      target: `≥ ${TARGET_PER_SECOND} messages/s, 0 duplicates`,
      passed: perSecond >= TARGET_PER_SECOND && duplicates === 0,
      notes: `${received.size} distinct messages at the sink, ${duplicates} duplicates, worker concurrency ${CONCURRENCY}`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  benchMail()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      process.stderr.write(
        `bench:mail failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
