// Runs programs as real child processes for tests: any command (runCommand), or one of our terminal
// commands (scripts/*.ts) as npm would (runScript).
import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../config.js";

export interface ScriptOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export function runCommand(
  program: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<ScriptOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd ?? projectRoot,
      // A minimal environment unless the test gives one: what the command sees is what the test says.
      env: options.env ?? { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr, output }));
  });
}

export function runScript(
  script: string,
  options: { args?: string[]; env: Record<string, string | undefined>; input?: string },
): Promise<ScriptOutcome> {
  return runCommand(
    process.execPath,
    ["--import", "tsx", path.join(projectRoot, script), ...(options.args ?? [])],
    options,
  );
}
