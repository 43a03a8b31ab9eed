// A real redis-server for tests, on a free loopback port, in memory only (no RDB, no AOF). The test
// orchestrator (scripts/test.ts) installs Debian's redis-server when it is missing.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";

export interface TestRedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, waits for exit). Safe to call more than once. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Calls per command since the last resetStatistics(), from the server's INFO commandstats. */
  commandCalls(): Promise<Record<string, number>>;
  resetStatistics(): Promise<void>;
}

/** What the helper's own short-lived connections send; a test's clients were connected before. */
const ADMIN_COMMANDS = ["hello", "info", "config|resetstat", "client|setname", "client|setinfo"];

export async function startTestRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const admin = () => new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  const withAdmin = async <T>(use: (client: Redis) => Promise<T>): Promise<T> => {
    const client = admin();
    try {
      await client.connect();
      return await use(client);
    } finally {
      client.disconnect();
    }
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGTERM");
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      child = await launch(port);
    },
    commandCalls: () =>
      withAdmin(async (client) => {
        const info = await client.info("commandstats");
        const calls: Record<string, number> = {};
        for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
          calls[match[1] ?? ""] = Number(match[2]);
        }
        // This helper's own connections (the reset, this INFO) are counted too: left out.
        for (const own of ADMIN_COMMANDS) delete calls[own];
        return calls;
      }),
    resetStatistics: () => withAdmin(async (client) => void (await client.config("RESETSTAT"))),
  };
}

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(
              "redis-server is not installed: npm test installs it (Debian: apt-get install redis-server)",
            )
          : error,
      ),
    );
    child.once("exit", (code) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)),
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(child);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
  });
}
