// Runs one of our terminal commands (scripts/*.ts) as a real child process, as npm would.
import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../config.js";

export interface ScriptOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(
  script: string,
  options: { args?: string[]; env: Record<string, string | undefined>; input?: string },
): Promise<ScriptOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, script), ...(options.args ?? [])],
      {
        cwd: projectRoot,
        env: options.env,
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
