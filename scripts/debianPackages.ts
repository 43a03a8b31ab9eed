// Installs a Debian package a test needs when its program is missing (redis-server, systemd-analyze,
// and Chromium through scripts/chromium.ts): with apt-get when we are root on Debian, otherwise the
// command a person must run is in the error.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export function hasAptCandidate(packageName: string): boolean {
  const policy = spawnSync("apt-cache", ["policy", packageName], { encoding: "utf8" });
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? "")?.[1];
  return candidate !== undefined && candidate !== "(none)";
}

export function runStreamed(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** `program --version` runs afterwards, or this throws saying what to install and why. */
export async function ensureDebianProgram(options: {
  program: string;
  packageName: string;
  neededFor: string;
}): Promise<void> {
  const runs = () => spawnSync(options.program, ["--version"], { stdio: "ignore" }).status === 0;
  if (runs()) return;
  const install = `sudo apt-get install -y ${options.packageName}`;
  if (!existsSync("/etc/debian_version") || process.getuid?.() !== 0) {
    throw new Error(`${options.program} is needed by ${options.neededFor}. Run: ${install}`);
  }
  await aptInstall(options.packageName, ["--no-install-recommends"]);
  if (!runs())
    throw new Error(
      `apt-get installed ${options.packageName} but ${options.program} does not run. Run: ${install}`,
    );
}

/** apt-get install; an `apt-get update` first (slow, needs the network) only when the lists lack it. */
export async function aptInstall(packageName: string, flags: string[] = []): Promise<void> {
  if (!hasAptCandidate(packageName)) await runStreamed("apt-get", ["update"]);
  await runStreamed("apt-get", ["install", "-y", ...flags, packageName]);
}
