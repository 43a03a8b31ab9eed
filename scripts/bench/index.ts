// npm run bench — every benchmark figure of the portal, each against its baseline from the same run,
// written to bench-results/report.md (a Markdown table) and bench-results/report.json (git-ignored).
//   1   public pages vs the bare Koa render of the same template (pages.ts, bareRender.ts)
//   2   the staff queue vs the bare render of the same rows; its p99 with 100 000 cases vs 100;
//       SQL statements per request (pages.ts)
//   3   evidence upload, 200 MB and 20 MB, vs a bare node:http pipe+hash handler (upload.ts)
//   4   mail outbox drain, 10 000 messages into a local SMTP sink (mail.ts)
//   5   cold start to /readyz 200 with an initialised embedded Postgres (coldStart.ts)
//   6   RSS after 100 000 mixed requests vs after 1 000 (pages.ts)
//   7   the write path: POST /apply and a staff state change, 20 and 50 concurrent, vs a bare Koa + pg
//       handler writing the same rows; lock waits sampled from pg_stat_activity (writes.ts,
//       bareWriteServer.ts)
//   8   RSS of the production build idle and after the write runs (writes.ts)
// Pairs are measured interleaved (A B A B …) over several rounds; the report gives the median ratio
// with its min and max, so whatever else the machine does falls on both sides alike.
// A missed target is a FAIL in the report, not a failed command: the exit code is non-zero only when
// a run crashed (a figure that could not be measured).
//   BENCH_QUICK=1      a short run (fewer rounds, shorter loads, 20 000 cases and requests)
//   BENCH_ONLY=1,3     only these figures (numbers as above)
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../../src/config.js";
import { startTestPostgresServer } from "../../src/test/postgres.js";
import { benchColdStart } from "./coldStart.js";
import { type FigureResult, formatRatio, isQuick, verdict } from "./harness.js";
import { benchMail } from "./mail.js";
import { benchPages } from "./pages.js";
import { benchUpload } from "./upload.js";
import { benchWrites } from "./writes.js";

const resultsDir = path.join(projectRoot, "bench-results");
const only = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5,6,7,8").split(",").map((item) => item.trim()));

interface Environment {
  startedAt: string;
  quick: boolean;
  loadGenerator: string;
  node: string;
  postgres: string;
  cores: number;
  cpu: string;
  memory: string;
  loadAverageAtStart: number[];
}

async function describeEnvironment(adminUrl: string): Promise<Environment> {
  const require = createRequire(import.meta.url);
  const autocannonVersion = (require("autocannon/package.json") as { version: string }).version;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const postgres = String((await client.query("SHOW server_version")).rows[0].server_version);
  await client.end();
  return {
    startedAt: new Date().toISOString(),
    quick: isQuick,
    loadGenerator: `autocannon ${autocannonVersion} (in the runner's process)`,
    node: process.version,
    postgres: `${postgres} (embedded, fsync off)`,
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    loadAverageAtStart: os.loadavg().map((value) => Number(value.toFixed(2))),
  };
}

function markdown(environment: Environment, results: FigureResult[], crashed: string[]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const lines = [
    `# Benchmarks (${environment.startedAt}${environment.quick ? ", quick run" : ""})`,
    "",
    `Load generator: ${environment.loadGenerator}. Node ${environment.node}, PostgreSQL ${environment.postgres}, ` +
      `${environment.cores} cores (${environment.cpu}), ${environment.memory}; load average at start ` +
      `${environment.loadAverageAtStart.join(" / ")}.`,
    "",
    "| # | figure | portal | baseline | ratio median (min–max) | target | result |",
    "|---|---|---|---|---|---|---|",
    ...results.map(
      (result) =>
        `| ${result.id} | ${cell(result.name)} | ${cell(result.portal)} | ${cell(result.baseline)} | ${result.ratio ? formatRatio(result.ratio) : "—"} | ${cell(result.target)} | ${verdict(result.passed)} |`,
    ),
    "",
  ];
  if (results.some((result) => result.passed === false)) {
    lines.push(
      "A FAIL is a target missed, not a lowered one: docs/performance.md says what the profiles " +
        "(`npm run bench:profile -- <page>`) found behind each miss, what was fixed and what is left.",
      "",
    );
  }
  const notes = results.filter((result) => result.notes);
  if (notes.length > 0) {
    lines.push("Notes:", "", ...notes.map((result) => `- ${result.id} ${result.name}: ${result.notes}`), "");
  }
  if (crashed.length > 0)
    lines.push("Crashed (not measured):", "", ...crashed.map((line) => `- ${line}`), "");
  return lines.join("\n");
}

async function main(): Promise<number> {
  await mkdir(resultsDir, { recursive: true });
  const postgres = await startTestPostgresServer();
  process.env.TEST_POSTGRES_ADMIN_URL = postgres.adminUrl;
  const results: FigureResult[] = [];
  const crashed: string[] = [];
  let environment: Environment | undefined;
  try {
    environment = await describeEnvironment(postgres.adminUrl);
    const figures: [string, string, () => Promise<FigureResult[]>][] = [
      ["1", "pages (figures 1, 2 and 6)", benchPages],
      ["3", "upload", () => benchUpload({ quiet: false })],
      ["4", "mail", () => benchMail()],
      ["5", "cold start", () => benchColdStart()],
      ["7", "writes and memory (figures 7 and 8)", () => benchWrites()],
    ];
    for (const [key, name, run] of figures) {
      // The pages module measures 1, 2 and 6 together (they share the seeded databases).
      const wanted =
        key === "1"
          ? ["1", "2", "6"].some((id) => only.has(id))
          : key === "7"
            ? ["7", "8"].some((id) => only.has(id))
            : only.has(key);
      if (!wanted) continue;
      process.stdout.write(`\n== ${name} ==\n`);
      try {
        results.push(...(await run()));
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        process.stderr.write(`${name} crashed: ${message}\n`);
        crashed.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      }
    }
  } finally {
    await postgres.stop();
  }
  if (!environment) return 1;
  const report = markdown(environment, results, crashed);
  await writeFile(path.join(resultsDir, "report.md"), report);
  await writeFile(
    path.join(resultsDir, "report.json"),
    `${JSON.stringify({ environment, results, crashed, gitCommit: gitCommit() }, null, 2)}\n`,
  );
  process.stdout.write(
    `\n${report}\nWritten to ${path.relative(process.cwd(), resultsDir)}/report.{md,json}\n`,
  );
  return crashed.length > 0 ? 1 : 0;
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
