// Makes sure Debian's redis-server is installed for the tests of the Redis rate-limit store (the tests
// start their own server on a free port; see src/test/redis.ts). Like scripts/chromium.ts: installed
// with apt-get when we are root on Debian, otherwise the command a person must run is printed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const INSTALL_COMMAND = "sudo apt-get install -y redis-server";

function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

function hasAptCandidate(packageName: string): boolean {
  const policy = spawnSync("apt-cache", ["policy", packageName], { encoding: "utf8" });
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? "")?.[1];
  return candidate !== undefined && candidate !== "(none)";
}

function runStreamed(command: string, args: string[]): Promise<void> {
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

/** Installs redis-server when missing and possible; throws with the command to run otherwise. */
export async function ensureRedisServer(): Promise<void> {
  if (hasRedisServer()) return;
  if (!existsSync("/etc/debian_version") || process.getuid?.() !== 0) {
    throw new Error(`redis-server is needed by the rate-limit tests. Run: ${INSTALL_COMMAND}`);
  }
  // An `apt-get update` takes a while and needs the network: only when the package lists lack it.
  if (!hasAptCandidate("redis-server")) await runStreamed("apt-get", ["update"]);
  await runStreamed("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"]);
  if (!hasRedisServer())
    throw new Error(`apt-get installed redis-server but it does not run. Run: ${INSTALL_COMMAND}`);
}
