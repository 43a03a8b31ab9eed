// Podman for the tests that run the portal in containers (src/operations/containers.test.ts, the
// systemd test): the settings podman needs on these machines, and the base images no registry can give
// us, made from Debian packages and this machine's own node, tagged by what went into them and reused by
// later runs on the same machine.
//
// Podman needs two settings here (containers.conf, written by preparePodman): no default ulimits (the
// kernel sandbox withholds CAP_SYS_RESOURCE) and the runc runtime (crun refuses hybrid cgroups). When
// podman cannot run, preparePodman throws and says why: the tests fail, they never skip.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ensureDebianProgram } from "../../scripts/debianPackages.js";
import { projectRoot } from "../config.js";

/** Bumped when the recipes of the images made here change, so cached ones are not reused. */
const RECIPE_VERSION = "2";
const MACHINE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Node's headers, for compiling argon2 (the public Node image has them at /usr/local/include/node). */
const NODE_HEADERS = path.join(path.dirname(path.dirname(process.execPath)), "include", "node");

let containersConf = "";

/** Installs what podman needs (Debian's packages) and writes its settings for this machine into workDir. */
export async function preparePodman(workDir: string, neededFor: string): Promise<void> {
  for (const [program, packageName] of [
    ["podman", "podman"],
    ["runc", "runc"],
    ["mmdebstrap", "mmdebstrap"],
    // A pod's infra container runs it (podman recommends it; --no-install-recommends leaves it out).
    ["catatonit", "catatonit"],
  ] as const) {
    await ensureDebianProgram({ program, packageName, neededFor });
  }
  containersConf = path.join(workDir, "containers.conf");
  await writeFile(containersConf, '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n');
  const info = await podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"], { allowFailure: true });
  if (info.code !== 0) throw new Error(`podman cannot run on this machine:\n${info.stderr}`);
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; the output is kept (and echoed when `echo` is set, for long builds). */
export function runCommand(
  command: string,
  args: string[],
  options: { echo?: boolean; allowFailure?: boolean; cwd?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, {
      cwd: options.cwd ?? projectRoot,
      env: { ...process.env, CONTAINERS_CONF: containersConf },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(`# ${chunk.toString().replace(/\n(?=.)/g, "\n# ")}`);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0 && !options.allowFailure) {
        reject(
          new Error(
            `${command} ${args.join(" ")} failed (exit code ${code}):\n${stderr.slice(-4000)}${stdout.slice(-2000)}`,
          ),
        );
      } else resolve({ code, stdout, stderr });
    });
  });
}

export const podman = (args: string[], options: { echo?: boolean; allowFailure?: boolean } = {}) =>
  runCommand("podman", args, options);

export async function imageExists(image: string): Promise<boolean> {
  return (await podman(["image", "exists", image], { allowFailure: true })).code === 0;
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Debian bookworm (minbase, with CA certificates), imported from mmdebstrap's tarball. */
export async function debianBaseImage(workDir: string): Promise<string> {
  const tag = "localhost/vetting-portal-test-debian:bookworm-minbase-1";
  if (await imageExists(tag)) return tag;
  const tarball = path.join(workDir, "bookworm.tar");
  await runCommand("mmdebstrap", [
    "--quiet",
    "--variant=minbase",
    "--include=ca-certificates",
    "bookworm",
    tarball,
  ]);
  await podman(["import", tarball, tag]);
  await rm(tarball, { force: true });
  return tag;
}

/**
 * The Containerfile's BASE_IMAGE: Debian with this machine's node and npm where the Node image has them,
 * and this machine's CA bundle (the way out to the npm registry may pass a proxy with a CA of its own).
 */
export async function nodeBaseImage(debianImage: string, workDir: string): Promise<string> {
  const npmDir = path.join(path.dirname(path.dirname(process.execPath)), "lib", "node_modules", "npm");
  const npmVersion = JSON.parse(readFileSync(path.join(npmDir, "package.json"), "utf8")).version as string;
  const contentTag = createHash("sha256")
    .update(`${RECIPE_VERSION}\n${debianImage}\n${await sha256OfFile(process.execPath)}\nnpm ${npmVersion}`)
    .update(await sha256OfFile(MACHINE_CA_BUNDLE))
    .digest("hex")
    .slice(0, 16);
  const tag = `localhost/vetting-portal-test-node:${contentTag}`;
  if (await imageExists(tag)) return tag;
  const context = path.join(workDir, "node-base");
  await mkdir(context, { recursive: true });
  await cp(process.execPath, path.join(context, "node"));
  await cp(npmDir, path.join(context, "npm"), { recursive: true });
  await cp(MACHINE_CA_BUNDLE, path.join(context, "machine-ca.crt"));
  await cp(NODE_HEADERS, path.join(context, "node-headers"), { recursive: true });
  await writeFile(
    path.join(context, "Containerfile"),
    [
      `FROM ${debianImage}`,
      "COPY node /usr/local/bin/node",
      "COPY npm /usr/local/lib/node_modules/npm",
      "COPY machine-ca.crt /usr/local/share/machine-ca.crt",
      "COPY node-headers /usr/local/include/node",
      "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/machine-ca.crt",
      "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
      " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version",
      "",
    ].join("\n"),
  );
  await podman(["build", "--quiet", "--tag", tag, context]);
  return tag;
}
