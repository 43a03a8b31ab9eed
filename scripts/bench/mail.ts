// npm run bench:mail — enqueue 10 000 messages and drain them through the real worker (graphile-worker,
// the outbox, the relay module with STARTTLS and authentication) into a local SMTP sink; check that
// every message arrived exactly once. Its baseline, in the same run and to the same sink: the same number
// of messages sent by a bare script through one pooled Nodemailer transport (same STARTTLS, login and
// number of connections), with nothing else around it, in interleaved rounds (BENCH_MAIL_ROUNDS, 3).
// Target: portal ≥ 0.50 × the baseline's rate (the median of the rounds' ratios), 0 duplicates; an
// absolute rate swings with whatever else the machine does, a ratio much less.
// The sink runs in a process of its own, as a real relay is another machine.
// A benchmark, not a test: it reports, and exits non-zero only when a message was lost or duplicated.

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import nodemailer from "nodemailer";
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
import { type FigureResult, formatRatio, isQuick, median, ratioSummary } from "./harness.js";

const MESSAGES = Number(process.env.BENCH_MAIL_MESSAGES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_MAIL_CONCURRENCY ?? 24);
const TARGET_RATIO = 0.5;
/** Interleaved rounds of both sides; the ratio is their median. */
const ROUNDS = Number(process.env.BENCH_MAIL_ROUNDS ?? (isQuick ? 1 : 3));

/**
 * The baseline: MESSAGES messages through one pooled Nodemailer transport, CONCURRENCY at a time (the
 * worker's concurrency), each with a text and an HTML part like the portal's. Returns the seconds taken.
 */
async function sendBare(options: { port: number; caFile: string }): Promise<number> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: options.port,
    pool: true,
    maxConnections: CONCURRENCY,
    maxMessages: Number.POSITIVE_INFINITY,
    requireTLS: true,
    tls: { ca: await readFile(options.caFile), servername: "localhost" },
    auth: { user: "bench", pass: "bench" },
  });
  const startedAt = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        next += 1;
        await transport.sendMail({
          from: '"Vetting Portal" <vetting@example.org>',
          to: `bare${next}@example.org`,
          subject: "A test message from the Vetting Portal",
          text: "This is a test message. If you can read it, mail from the portal reaches you.\n",
          html: "<p>This is a test message. If you can read it, mail from the portal reaches you.</p>",
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  transport.close();
  return seconds;
}

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
  /** What arrived at the sink since the last report: Message-ID → deliveries. */
  const sinkReport = async () => {
    sink.stdin.write("report\n");
    return new Map(
      Object.entries(JSON.parse(String((await sinkLines.next()).value)) as Record<string, number>),
    );
  };
  const duplicatesIn = (received: Map<string, number>) =>
    [...received.values()].reduce((sum, count) => sum + (count - 1), 0);

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

  /** One round of the portal: MESSAGES enqueued (not timed), then drained by a worker started for it. */
  const drainThroughPortal = async (round: number): Promise<number> => {
    await db.$executeRawUnsafe("TRUNCATE outbox_messages, graphile_worker._private_jobs");
    // A generous transaction timeout: on a busy shared machine 500 inserts can take longer than the 5 s default.
    for (let start = 0; start < MESSAGES; start += 500) {
      await db.$transaction(
        async (tx) => {
          for (let index = start; index < Math.min(start + 500, MESSAGES); index += 1) {
            await enqueueEmail(tx, {
              kind: "test_message",
              recipient: `bench${round}-${index}@example.org`,
              payload: {},
            });
          }
        },
        { timeout: 120_000 },
      );
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
    if (sent !== MESSAGES) throw new Error(`mail round ${round + 1}: ${sent} of ${MESSAGES} sent`);
    return seconds;
  };

  /** What arrived since the last look must be every message of the round, each once. */
  const checkArrivals = async (side: string): Promise<{ distinct: number; duplicates: number }> => {
    const received = await sinkReport();
    const result = { distinct: received.size, duplicates: duplicatesIn(received) };
    if (result.distinct !== MESSAGES || result.duplicates !== 0) {
      throw new Error(
        `mail ${side}: ${result.distinct} distinct of ${MESSAGES} at the sink, ${result.duplicates} duplicates`,
      );
    }
    return result;
  };

  // Interleaved rounds (bare, portal, portal, bare, …): on shared cores one pair alone says little.
  const runs: { bare: number[]; portal: number[] } = { bare: [], portal: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (["bare", "portal"] as const) : (["portal", "bare"] as const);
    for (const side of order) {
      if (side === "bare") {
        const seconds = await sendBare({ port: sinkPort, caFile });
        await checkArrivals("baseline");
        runs.bare.push(MESSAGES / seconds);
      } else {
        const seconds = await drainThroughPortal(round);
        await checkArrivals("portal");
        runs.portal.push(MESSAGES / seconds);
      }
    }
    process.stdout.write(
      `  round ${round + 1}: portal ${runs.portal.at(-1)?.toFixed(0)} messages/s, bare ${runs.bare.at(-1)?.toFixed(0)} messages/s\n`,
    );
  }
  sink.stdin.end();
  await db.$disconnect();
  await database.drop();
  await postgres?.stop();
  await rm(scratch, { recursive: true, force: true });

  const ratio = ratioSummary(runs.portal.map((perSecond, index) => perSecond / (runs.bare[index] ?? 1)));
  const perSecond = median(runs.portal);
  const barePerSecond = median(runs.bare);
  process.stdout.write(
    [
      "",
      "| figure | value | target |",
      "|---|---|---|",
      `| rounds, each ${MESSAGES} messages, every one arrived exactly once | ${ROUNDS} | |`,
      `| throughput, median | ${perSecond.toFixed(0)} messages/s | |`,
      `| baseline: bare pooled Nodemailer, same sink, median | ${barePerSecond.toFixed(0)} messages/s | |`,
      `| ratio portal / baseline, median (min–max) | ${formatRatio(ratio)} | ≥ ${TARGET_RATIO} (${ratio.median >= TARGET_RATIO ? "pass" : "below target"}) |`,
      "| duplicates | 0 | 0 |",
      `| worker concurrency | ${CONCURRENCY} | |`,
      "",
    ].join("\n"),
  );
  return [
    {
      id: "4",
      name: `Mail outbox drain, ${MESSAGES} messages into a local SMTP sink (STARTTLS, auth)`,
      portal: `${perSecond.toFixed(0)} messages/s`,
      baseline: `${barePerSecond.toFixed(0)} messages/s, bare pooled Nodemailer to the same sink`,
      ratio,
      target: `≥ ${TARGET_RATIO} × the baseline, 0 duplicates`,
      passed: ratio.median >= TARGET_RATIO,
      notes: `${ROUNDS} interleaved rounds; every message arrived exactly once in each; worker concurrency ${CONCURRENCY}`,
      rounds: runs,
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
