// Runs one of the programs the evidence checks rely on (qpdf, exiftool) on a received file, as a
// separate process: hostile bytes never reach a parser in the portal's own memory, and a file built to
// make the parser spin or print without end is stopped by a deadline and an output cap.
import { spawn } from "node:child_process";

export type CheckerOutcome =
  | { kind: "ok"; stdout: string }
  | { kind: "failed"; stderr: string }
  | { kind: "too_large" }
  | { kind: "timed_out" };

/** The first 4 KB of stderr are kept: enough to tell a password from a damaged file. */
const MAX_STDERR_CHARACTERS = 4096;

export function runChecker(
  program: string,
  args: string[],
  options: {
    timeoutMs: number;
    /** Output beyond this stops the program (its output is not wanted: 0). */
    maxStdoutBytes: number;
    /** Said when the program is missing: which Debian package provides it, and what cannot be done. */
    missingMessage: string;
  },
): Promise<CheckerOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = "";
    let stoppedFor: CheckerOutcome | null = null;
    const stop = (reason: CheckerOutcome) => {
      stoppedFor ??= reason;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop({ kind: "timed_out" }), options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) stop({ kind: "too_large" });
      else chunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARACTERS) stderr += chunk.toString();
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === "ENOENT" ? new Error(options.missingMessage, { cause: error }) : error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      if (stoppedFor) return resolve(stoppedFor);
      if (code === 0) resolve({ kind: "ok", stdout: Buffer.concat(chunks).toString("utf8") });
      else resolve({ kind: "failed", stderr });
    });
  });
}
