// Installs a Debian package a test needs when its program is missing (redis-server, systemd-analyze,
// and Chromium through scripts/chromium.ts): with apt-get when we are root on Debian, otherwise the
// command a person must run is in the error.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";

export function hasAptCandidate(packageName: string): boolean {
  const policy = spawnSync("apt-cache", ["policy", packageName], { encoding: "utf8" });
  const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? "")?.[1];
  return candidate !== undefined && candidate !== "(none)";
}

/** `program <flag>` exits 0 (nginx answers -v, not --version). */
export function runsVersion(program: string, flag = "--version"): boolean {
  return spawnSync(program, [flag], { stdio: "ignore" }).status === 0;
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
  /** How to tell the package is there, when `program --version` is not the way (default: it runs). */
  installed?: () => boolean;
}): Promise<void> {
  const runs = options.installed ?? (() => runsVersion(options.program));
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

const POLICY_RC_D = "/usr/sbin/policy-rc.d";

/**
 * apt-get install; an `apt-get update` first (slow, needs the network) only when the lists lack it.
 * Servers the tests start themselves (nginx, Postgres, Redis) must not also be started by the package's
 * install script: a system nginx on *:80 would take the port the tests bind on a loopback address. Debian's
 * own switch for that is a policy-rc.d that answers 101 ("action forbidden"); container images ship one,
 * and when the machine has none this one stands in for the install and is removed afterwards.
 */
export async function aptInstall(packageName: string, flags: string[] = []): Promise<void> {
  if (!hasAptCandidate(packageName)) await runStreamed("apt-get", ["update"]);
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy)
    writeFileSync(
      POLICY_RC_D,
      "#!/bin/sh\n# Written by the Vetting Portal's test installer; removed after the install.\nexit 101\n",
      { mode: 0o755 },
    );
  try {
    await runStreamed("apt-get", ["install", "-y", ...flags, packageName]);
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}
