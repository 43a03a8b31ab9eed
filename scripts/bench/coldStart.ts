// Figure 5 of npm run bench: cold start to /readyz 200 with an initialised embedded Postgres — the time
// from spawning the process to the first 200 from /readyz, the portal starting its embedded Postgres
// (data folder already initialised and migrated by a first start that is not counted), checking the
// migrations, sweeping the uploads volume, starting the dev mailbox, the job worker and the web server.
//   target: the production build (`node dist/src/main.js`, compiled here into bench-results/build so the
//           project's dist/ is left alone) ≤ 3 s
//   also:   `tsx src/main.ts` (npm start), reported, as tsx compiles every module on load
// Rounds alternate build and tsx; /readyz is polled every 20 ms.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startPortal } from "../../src/test/portalProcess.js";
import { freePort } from "../../src/test/ports.js";
import {
  compileProductionBuild,
  type FigureResult,
  isQuick,
  median,
  PRODUCTION_NODE_FLAGS,
  waitFor200,
} from "./harness.js";

const ROUNDS = Number(process.env.BENCH_COLD_START_ROUNDS ?? (isQuick ? 3 : 7));
const TARGET_MS = 3000;

export async function benchColdStart(): Promise<FigureResult[]> {
  process.stdout.write("Cold start: compiling the production build into bench-results/build…\n");
  const buildDir = compileProductionBuild();
  const scratch = await mkdtemp(path.join(tmpdir(), "vp-bench-cold-"));
  try {
    const env = {
      NODE_ENV: "development",
      EMBEDDED_POSTGRES_DIR: path.join(scratch, "postgres"),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      DEV_MAILBOX_DIR: path.join(scratch, "mailbox"),
      DEV_MAILBOX_SMTP_PORT: String(await freePort()),
      UPLOADS_DIR: path.join(scratch, "uploads"),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    };
    const commands: Record<"build" | "tsx", [string, ...string[]]> = {
      build: [
        process.execPath,
        "--enable-source-maps",
        ...PRODUCTION_NODE_FLAGS,
        path.join(buildDir, "src/main.js"),
      ],
      tsx: [process.execPath, "--import", "tsx", "src/main.ts"],
    };
    const startOnce = async (command: [string, ...string[]]) => {
      const port = await freePort();
      const startedAt = performance.now();
      const portal = startPortal({ ...env, PORT: String(port) }, command);
      try {
        await waitFor200(`http://127.0.0.1:${port}/readyz`, {
          child: portal.child,
          output: portal.output,
          timeoutMs: 120_000,
        });
        return performance.now() - startedAt;
      } finally {
        portal.child.kill("SIGTERM");
        await portal.exited;
      }
    };
    // The first start initialises the data folder and migrates: that is a first run, not a cold start.
    await startOnce(commands.build);
    const timings = { build: [] as number[], tsx: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const kind of round % 2 === 0 ? (["build", "tsx"] as const) : (["tsx", "build"] as const)) {
        timings[kind].push(await startOnce(commands[kind]));
      }
      process.stdout.write(
        `  round ${round + 1}: build ${timings.build.at(-1)?.toFixed(0)} ms, tsx ${timings.tsx.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    const build = median(timings.build);
    const range = (values: number[]) =>
      `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms`;
    return [
      {
        id: "5",
        name: "Cold start to /readyz 200, initialised embedded Postgres, web + worker (`node dist/src/main.js`)",
        portal: `${build.toFixed(0)} ms median (${range(timings.build)})`,
        baseline: `tsx src/main.ts: ${median(timings.tsx).toFixed(0)} ms median (${range(timings.tsx)})`,
        ratio: null,
        target: `≤ ${TARGET_MS} ms (the build)`,
        passed: build <= TARGET_MS,
        notes: `${ROUNDS} starts each, alternating; the embedded Postgres starts with the portal and stops with it`,
        rounds: timings,
      },
    ];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
