// The units of deploy/systemd under a real systemd: Debian's systemd 252 as PID 1 in a podman container
// (no systemd runs on these machines, and a container is the lightest real one), with the units exactly
// as shipped, the production build, and a database on the host. It proves what Type=notify is for:
// `systemctl start` and `restart` return only once the portal answers on its port, a start waits while
// the database does not answer, and stops end cleanly.
//
// The build is compiled into this test's own folder (npm run build would race the build test over
// dist/); node_modules, views, static and prisma are the checkout's, mounted read-only where the units
// expect the application. The database is reached through a gate in this test that holds connections
// until it is opened, which is how "the database does not answer yet" looks to the portal.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { completeBuild } from "../buildOutput.js";
import { projectRoot } from "../config.js";
import { debianBaseImage, imageExists, nodeBaseImage, podman, preparePodman } from "../test/podman.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { waitFor, waitUntil } from "../test/waitFor.js";

const APP_DIR = "/srv/vetting-portal/app";
/** What the units read from the checkout at run time, besides the build. */
const MOUNTED_FROM_CHECKOUT = ["node_modules", "views", "static", "prisma", "package.json"];

/** Debian's systemd on the node base image, the portal's user and folders as the README sets them up. */
async function systemdImage(nodeBase: string, workDir: string): Promise<string> {
  const recipe = `FROM ${nodeBase}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd \\
 && rm -rf /var/lib/apt/lists/* \\
 && ln -s /usr/local/bin/node /usr/bin/node \\
 && useradd --system --home-dir /srv/vetting-portal --shell /usr/sbin/nologin vetting-portal \\
 && install -d -o vetting-portal -g vetting-portal -m 0750 /srv/vetting-portal/uploads \\
 && install -d -m 0700 /etc/vetting-portal/credentials
`;
  const tag = `localhost/vetting-portal-test-systemd:${createHash("sha256").update(recipe).digest("hex").slice(0, 16)}`;
  if (await imageExists(tag)) return tag;
  const context = path.join(workDir, "systemd-image");
  await mkdir(context, { recursive: true });
  await writeFile(path.join(context, "Containerfile"), recipe);
  // Debian's archive is reached from the host's network namespace.
  await podman(["build", "--quiet", "--network", "host", "--tag", tag, context]);
  return tag;
}

/** tsc's output for the production build, in its own folder, with the hashed static files beside it. */
async function buildInto(appDir: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(projectRoot, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        path.join(appDir, "dist"),
      ],
      { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`tsc failed:\n${output}`))));
  });
  await completeBuild(path.join(appDir, "dist"));
}

/**
 * A TCP forwarder to the database that, while closed, accepts connections and holds them unanswered:
 * to the portal a database host that has not come up yet. Opening it forwards the held ones and all
 * later ones.
 */
function databaseGate(target: { host: string; port: number }) {
  let open = false;
  const held: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  const forward = (client: net.Socket) => {
    const upstream = net.connect(target);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    if (open) forward(client);
    else held.push(client);
  });
  return {
    server,
    open() {
      open = true;
      for (const client of held.splice(0)) if (!client.destroyed) forward(client);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let workDir: string;
let database: TestDatabase;
let gate: ReturnType<typeof databaseGate>;
let gatePort: number;
let webPort: number;
let container = "";

const webUnit = () => `vetting-portal-web@${webPort}.service`;
const systemctl = (...args: string[]) => podman(["exec", container, "systemctl", ...args]);

/** `systemctl show`'s properties as a record. */
async function unitProperties(unit: string, ...names: string[]): Promise<Record<string, string>> {
  const { stdout } = await systemctl("show", unit, ...names.map((name) => `--property=${name}`));
  return Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** /healthz's status right now, or null when nothing answers on the port. */
async function healthStatus(): Promise<number | null> {
  try {
    return (await fetch(`http://127.0.0.1:${webPort}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return null;
  }
}

async function journalOf(unit: string): Promise<string> {
  const result = await podman(["exec", container, "journalctl", "--no-pager", "-n", "40", "-u", unit], {
    allowFailure: true,
  });
  return result.stdout;
}

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "vp-systemd-notify-"));
  await preparePodman(workDir, "the systemd readiness test (deploy/systemd)");
  const image = await systemdImage(await nodeBaseImage(await debianBaseImage(workDir), workDir), workDir);

  const appDir = path.join(workDir, "app");
  await buildInto(appDir);
  for (const name of MOUNTED_FROM_CHECKOUT) {
    if (name.includes(".")) await writeFile(path.join(appDir, name), "");
    else await mkdir(path.join(appDir, name), { recursive: true });
  }

  database = await createTestDatabase();
  const databaseUrl = new URL(database.url);
  gate = databaseGate({ host: databaseUrl.hostname, port: Number(databaseUrl.port) });
  gatePort = await freePort();
  await new Promise<void>((resolve) => gate.server.listen(gatePort, "127.0.0.1", resolve));
  databaseUrl.hostname = "127.0.0.1";
  databaseUrl.port = String(gatePort);
  webPort = await freePort();

  // What the README's production steps write: settings in the env file, secrets as credentials.
  const etc = path.join(workDir, "etc");
  await mkdir(path.join(etc, "credentials"), { recursive: true });
  await writeFile(
    path.join(etc, "env"),
    [
      "NODE_ENV=production",
      "PUBLIC_URL=https://vetting.example.org",
      "HOST=127.0.0.1",
      // Nothing is mailed here; production only insists that a relay is named.
      "SMTP_HOST=127.0.0.1",
      "MAIL_FROM_ADDRESS=vetting@example.org",
      "UPLOADS_DIR=/srv/vetting-portal/uploads",
      "",
    ].join("\n"),
  );
  const credentials = {
    DATABASE_URL: databaseUrl.toString(),
    SESSION_SECRET: "s".repeat(48),
    TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  };
  for (const [name, value] of Object.entries(credentials)) {
    await writeFile(path.join(etc, "credentials", name), `${value}\n`, { mode: 0o600 });
  }

  container = `vp-systemd-${path.basename(workDir).slice(-6).toLowerCase()}`;
  const mounts = [
    ...["--volume", `${appDir}:${APP_DIR}:ro`],
    ...MOUNTED_FROM_CHECKOUT.flatMap((name) => [
      "--volume",
      `${path.join(projectRoot, name)}:${APP_DIR}/${name}:ro`,
    ]),
  ];
  await podman([
    "run",
    "--detach",
    "--name",
    container,
    "--systemd=always",
    "--network",
    "host",
    ...mounts,
    image,
    "/lib/systemd/systemd",
  ]);
  await waitUntil(
    "systemd in the container is up",
    async () =>
      /^(running|degraded)$/m.test(
        (await podman(["exec", container, "systemctl", "is-system-running"], { allowFailure: true })).stdout,
      ),
    60_000,
  );
  for (const name of ["vetting-portal-web@.service", "vetting-portal-worker.service"]) {
    await podman([
      "cp",
      path.join(projectRoot, "deploy", "systemd", name),
      `${container}:/etc/systemd/system/`,
    ]);
  }
  await podman(["cp", path.join(etc, "env"), `${container}:/etc/vetting-portal/env`]);
  for (const name of Object.keys(credentials)) {
    await podman([
      "cp",
      path.join(etc, "credentials", name),
      `${container}:/etc/vetting-portal/credentials/`,
    ]);
  }
  await systemctl("daemon-reload");
});

after(async () => {
  if (container) await podman(["rm", "--force", "--time", "5", container], { allowFailure: true });
  await gate?.close();
  await database?.drop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("the web unit (Type=notify)", () => {
  test("a start waits while the database does not answer, and returns once the portal answers", async () => {
    await systemctl("start", "--no-block", webUnit());
    // Long enough for node to have started and listened, were it not waiting for its database.
    await delay(4000);
    const waiting = await unitProperties(webUnit(), "ActiveState", "SubState");
    assert.deepEqual(
      waiting,
      { ActiveState: "activating", SubState: "start" },
      `still starting while the database is held\n${await journalOf(webUnit())}`,
    );
    assert.equal(await healthStatus(), null, "nothing answers on the port yet");

    gate.open();
    // A blocking start of a unit that is starting returns when the start job ends.
    await systemctl("start", webUnit());
    assert.equal(await healthStatus(), 200, "the portal answers as soon as systemctl returns");
    const started = await unitProperties(webUnit(), "ActiveState", "Type", "StatusText", "NotifyAccess");
    assert.deepEqual(started, {
      ActiveState: "active",
      Type: "notify",
      NotifyAccess: "all",
      StatusText: `web server on port ${webPort}`,
    });
  });

  test("a restart returns only once the new process answers", async () => {
    const before = (await unitProperties(webUnit(), "MainPID")).MainPID;
    await systemctl("restart", webUnit());
    assert.equal(await healthStatus(), 200, "the restarted portal answers as soon as systemctl returns");
    const after = await unitProperties(webUnit(), "MainPID", "ActiveState", "NRestarts");
    assert.notEqual(after.MainPID, before, "a new process");
    assert.equal(after.ActiveState, "active");
    assert.equal(after.NRestarts, "0", "no crash and automatic restart on the way");
  });

  test("a stop ends cleanly: inactive, not failed, the port closed", async () => {
    await systemctl("stop", webUnit());
    const stopped = await unitProperties(webUnit(), "ActiveState", "Result", "ExecMainStatus");
    assert.deepEqual(stopped, { ActiveState: "inactive", Result: "success", ExecMainStatus: "0" });
    assert.match(await journalOf(webUnit()), /"msg":"stopped"/);
    assert.equal(await healthStatus(), null);
  });
});

describe("the worker unit (Type=notify)", () => {
  test("is active once its job runner has started, and says so", async () => {
    gate.open();
    await systemctl("start", "vetting-portal-worker.service");
    const started = await unitProperties(
      "vetting-portal-worker.service",
      "ActiveState",
      "Type",
      "StatusText",
    );
    assert.deepEqual(started, { ActiveState: "active", Type: "notify", StatusText: "job worker" });
    const journal = await journalOf("vetting-portal-worker.service");
    assert.match(journal, /job worker started/);
    await systemctl("stop", "vetting-portal-worker.service");
    await waitFor("the worker has stopped", async () => {
      const { ActiveState } = await unitProperties("vetting-portal-worker.service", "ActiveState");
      return ActiveState === "inactive" ? true : undefined;
    });
  });
});
