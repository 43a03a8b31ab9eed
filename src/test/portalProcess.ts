// Runs the portal as a real child process: by default `tsx src/main.ts`, as `npm start` does; any other
// command line (the production build's `npm run start:prod`) through `command`.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { projectRoot } from "../config.js";
import { GENEROUS_RATE_LIMITS } from "./rateLimits.js";

export interface PortalProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output matches, rejects when the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /**
   * SIGTERM (a graceful stop), then SIGKILL if it is still running after killAfterMs (default 20 s);
   * resolves with the exit code. Safe to call on a process that has already exited.
   */
  stop(killAfterMs?: number): Promise<number | null>;
}

export function startPortal(
  env: Record<string, string>,
  command: [string, ...string[]] = [process.execPath, "--import", "tsx", "src/main.ts"],
): PortalProcess {
  const [program, ...args] = command;
  const child = spawn(program, args, {
    cwd: projectRoot,
    // Generous request limits unless the test sets its own (see rateLimits.ts). JSON log lines, which
    // tests match, even in development (whose default is readable lines), unless the test asks otherwise.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      LOG_FORMAT: "json",
      ...GENEROUS_RATE_LIMITS,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test process that dies abruptly (an uncaught error, a timeout of the runner) must not leave its
  // portals behind: with nobody reading their output, their logger's writes fail and they linger.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  return {
    child,
    output: () => output,
    exited,
    async stop(killAfterMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`portal exited (${code}) before ${pattern}; output:\n${output}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.on("exit", onExit);
        check();
      });
    },
  };
}

/** The log line of a portal whose standard output is not a terminal: where it wrote the setup link. */
const SETUP_LINK_FILE_LOGGED =
  /"file":"([^"]+)"[^\n]*"msg":"no superadmin yet: the single-use setup link is in this file/;
const SETUP_TOKEN = /\/setup\/([A-Za-z0-9_-]{43})/;

/**
 * The first-run setup link's token, as an operator finds it: the portal logs where the 0600 file is,
 * and the file holds the link.
 */
export async function setupTokenOf(portal: PortalProcess): Promise<{ token: string; file: string }> {
  const [, file = ""] = await portal.waitForOutput(SETUP_LINK_FILE_LOGGED);
  const [, token] = (await readFile(file, "utf8")).match(SETUP_TOKEN) ?? [];
  if (!token) throw new Error(`the setup link file ${file} holds no setup link`);
  return { token, file };
}
