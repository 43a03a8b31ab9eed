// What every figure of npm run bench shares: the shape of a result row, medians and ratios over
// interleaved rounds, an HTTP load run (autocannon), a process's memory, and waiting for a server.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import path from "node:path";
import autocannon from "autocannon";
import { projectRoot } from "../../src/config.js";
import { copyCatalogs } from "../../src/i18n/translator.js";
import { productionNodeFlags } from "../../src/test/productionNode.js";

/** One line of the report. */
export interface FigureResult {
  /** "1", "2a", … as the issue numbers them. */
  id: string;
  name: string;
  portal: string;
  baseline: string;
  /** Median (min–max) of the per-round ratios, or null when the figure is an absolute number. */
  ratio: { median: number; min: number; max: number } | null;
  target: string;
  /** null: reported only, no target. */
  passed: boolean | null;
  notes?: string;
  /** Raw per-round numbers, for the JSON report. */
  rounds?: unknown;
}

export const isQuick = process.env.BENCH_QUICK === "1";

/**
 * The node flags production runs the portal with (npm run start:prod, src/test/productionNode.ts), so the
 * figures measure the same process.
 * --heap-growing-percent=50 keeps V8's uncollected garbage under half the live heap instead of up to
 * about four times it (figure 6); --no-allocation-site-pretenuring keeps the objects of requests in
 * flight out of old space (figure 7, docs/performance.md). Source maps are each caller's to ask for:
 * the production build's runs do, tsx maps its own.
 */
export const PRODUCTION_NODE_FLAGS = productionNodeFlags().filter((flag) => flag !== "--enable-source-maps");

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function ratioSummary(ratios: number[]): { median: number; min: number; max: number } {
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export function formatRatio(ratio: { median: number; min: number; max: number }): string {
  return `${ratio.median.toFixed(2)} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  requests: number;
}

/**
 * One autocannon run. `manyClients` spreads the requests over 1000 client addresses through
 * X-Forwarded-For (the servers trust loopback as their proxy), as nginx in front of the portal would:
 * counters of different clients never wait for each other's row locks.
 */
export async function loadHttp(options: {
  url: string;
  seconds?: number;
  amount?: number;
  connections?: number;
  headers?: Record<string, string>;
  paths?: string[];
  manyClients?: boolean;
}): Promise<LoadResult> {
  let next = 0;
  const paths = options.paths ?? [new URL(options.url).pathname];
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 10,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 3 }),
    headers: options.headers ?? {},
    requests: [
      {
        setupRequest: (request) => {
          next += 1;
          const address = `10.${Math.floor((next % 1000) / 256)}.${next % 256}.1`;
          return {
            ...request,
            path: paths[next % paths.length] ?? "/",
            headers: { ...request.headers, ...(options.manyClients ? { "x-forwarded-for": address } : {}) },
          };
        },
      },
    ],
  });
  const seconds = options.seconds ?? result.duration;
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

/** A server in a child process that prints "listening <port>" when ready. */
export interface ChildServer {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startChildServer(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}):\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Polls url until it answers 200, or fails after timeoutMs; resolves with the milliseconds it took. */
export async function waitFor200(
  url: string,
  options: { timeoutMs?: number; intervalMs?: number; child?: ChildProcess; output?: () => string } = {},
): Promise<number> {
  const startedAt = performance.now();
  const deadline = startedAt + (options.timeoutMs ?? 60_000);
  while (performance.now() < deadline) {
    if (options.child && options.child.exitCode !== null) {
      throw new Error(`the process exited (${options.child.exitCode}):\n${options.output?.() ?? ""}`);
    }
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - startedAt;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
  throw new Error(`${url} did not answer 200 in time:\n${options.output?.() ?? ""}`);
}

/** VmRSS of a process, in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) * 1024;
}

/**
 * CPU time (user + system) a process has used, in milliseconds. Read before and after a load run, it
 * gives the server's own cost per request, whatever the load generator and the neighbours took.
 * /proc counts in clock ticks (USER_HZ, 100 on Linux).
 */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Compiles the production build (what npm run build makes in dist/) into bench-results/build, leaving the
 * project's dist/ alone; returns that folder. Once per bench process.
 */
let compiledBuildDir: string | null = null;
export function compileProductionBuild(): string {
  if (compiledBuildDir) return compiledBuildDir;
  const buildDir = path.join(projectRoot, "bench-results", "build");
  execFileSync(
    process.execPath,
    [
      path.join(projectRoot, "node_modules/typescript/bin/tsc"),
      "-p",
      "tsconfig.build.json",
      "--outDir",
      buildDir,
    ],
    { cwd: projectRoot, stdio: "inherit" },
  );
  copyCatalogs(buildDir);
  compiledBuildDir = buildDir;
  return buildDir;
}

export const verdict = (passed: boolean | null) => (passed === null ? "reported" : passed ? "PASS" : "FAIL");
