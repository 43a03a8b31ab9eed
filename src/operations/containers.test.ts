// The portal in containers, as compose.yaml describes it: the Containerfile built with podman (Debian's),
// then PostgreSQL, clamd, the migrations, the web server and the worker started from the roles, volumes and
// secrets of compose.yaml; /readyz answers 200, a person applies through the real form, the case is a row
// in the containers' Postgres and the confirmation email reaches this test's SMTP relay.
//
// No image registry is reachable from these machines, so the images the public defaults name
// (node:20-bookworm-slim, postgres:16-bookworm) are made here from Debian packages: mmdebstrap's bookworm,
// imported with `podman import`, plus this machine's own node and npm for the portal's BASE_IMAGE, and
// Debian's postgresql-15 behind a small entrypoint with the public postgres image's contract for Postgres.
// Both are tagged by a hash of what went into them and reused by later runs on the same machine.
//
// podman-compose 1.0.3 (Debian's) does not wait for `depends_on` conditions, and podman 4.3's CNI networks
// resolve no service names, so compose.yaml is run here by a small reading of it: every service becomes a
// `podman run` in one pod (its name resolving to the pod's loopback), with the file's image, command,
// environment (with ${VAR:-default} filled in), secrets (files at /run/secrets/<name>), volumes, tmpfs,
// read_only and ports; `service_healthy` waits for the service's healthcheck command (run with `podman
// exec`) and `service_completed_successfully` for its exit code 0. The one addition the file does not
// have: the test relay's CA certificate, mounted for SMTP_CA_FILE.
//
// Podman's settings for these machines and the base images are in src/test/podman.ts. When podman cannot
// run, the test fails and says why; it never skips.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { projectRoot } from "../config.js";
import { EICAR_TEST_FILE, PORTAL_TEST_MARKER, TEST_SIGNATURES } from "../test/clamd.js";
import { debianBaseImage, imageExists, nodeBaseImage, podman, preparePodman } from "../test/podman.js";
import { freePort } from "../test/ports.js";
import { productionNodeFlags } from "../test/productionNode.js";
import { generateSelfSignedCertificate, startTestSmtpServer, type TestSmtpServer } from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

const COMPOSE_FILE = path.join(projectRoot, "compose.yaml");
const PORTAL_IMAGE = "localhost/vetting-portal:container-test";
const RELAY_USER = "vetting@example.org";

/**
 * Stands in for the public postgres image: Debian's PostgreSQL 15 behind an entrypoint with the same
 * contract (POSTGRES_USER, POSTGRES_PASSWORD_FILE and POSTGRES_DB make the cluster on first start, then
 * /docker-entrypoint-initdb.d/*.sh run; data in /var/lib/postgresql/data; pg_isready on the PATH).
 */
async function postgresImage(debianImage: string, workDir: string): Promise<string> {
  const entrypoint = `#!/bin/sh
set -eu
export PGDATA=/var/lib/postgresql/data
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  exec runuser -u postgres -- "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username="$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" --auth-local=trust \\
    --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl --wait --options="-c listen_addresses=''" start >/dev/null
  psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\
    --command "CREATE DATABASE \\"$POSTGRES_DB\\""
  for script in /docker-entrypoint-initdb.d/*.sh; do [ -e "$script" ] && sh "$script"; done
  pg_ctl --wait stop >/dev/null
fi
exec postgres -c listen_addresses='*'
`;
  const recipe = `FROM ${debianImage}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
 && rm -rf /var/lib/apt/lists/* && install -d -o postgres -g postgres /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
`;
  const contentTag = createHash("sha256").update(recipe).update(entrypoint).digest("hex").slice(0, 16);
  const tag = `localhost/vetting-portal-test-postgres:${contentTag}`;
  if (await imageExists(tag)) return tag;
  const context = path.join(workDir, "postgres");
  await mkdir(context, { recursive: true });
  await writeFile(path.join(context, "entrypoint.sh"), entrypoint, { mode: 0o755 });
  await writeFile(path.join(context, "Containerfile"), recipe);
  // Debian's archive is reached from the host's network namespace, as mmdebstrap reached it.
  await podman(["build", "--quiet", "--network", "host", "--tag", tag, context]);
  return tag;
}

/**
 * Stands in for ClamAV's official image: Debian's clamd on port 3310 with a signature database of our
 * own (EICAR and the test marker, src/test/clamd.ts), since none can be downloaded here, and the image's
 * `clamdcheck.sh` healthcheck (a PING answered PONG).
 */
async function clamavImage(debianImage: string, workDir: string): Promise<string> {
  const signatures = [
    `${TEST_SIGNATURES.eicar}:0:*:${EICAR_TEST_FILE.toString("hex")}`,
    `${TEST_SIGNATURES.marker}:0:*:${PORTAL_TEST_MARKER.toString("hex")}`,
    "",
  ].join("\n");
  const configuration = [
    "Foreground yes",
    "TCPSocket 3310",
    // The set runs in one pod, so the portal reaches it on the pod's loopback, as clamdscan --ping does.
    "TCPAddr 127.0.0.1",
    "DatabaseDirectory /var/lib/clamav",
    "StreamMaxLength 64M",
    "Bytecode no",
    "",
  ].join("\n");
  const check = "#!/bin/sh\nexec clamdscan --ping 1 >/dev/null\n";
  const recipe = `FROM ${debianImage}
RUN apt-get update && apt-get install -y --no-install-recommends clamav-daemon clamdscan \\
 && rm -rf /var/lib/apt/lists/* /var/lib/clamav/*
COPY clamd.conf /etc/clamav/clamd.conf
COPY portal-test.ndb /var/lib/clamav/portal-test.ndb
COPY clamdcheck.sh /usr/local/bin/clamdcheck.sh
CMD ["clamd"]
`;
  const contentTag = createHash("sha256")
    .update(recipe)
    .update(signatures)
    .update(configuration)
    .update(check)
    .digest("hex")
    .slice(0, 16);
  const tag = `localhost/vetting-portal-test-clamav:${contentTag}`;
  if (await imageExists(tag)) return tag;
  const context = path.join(workDir, "clamav");
  await mkdir(context, { recursive: true });
  await writeFile(path.join(context, "portal-test.ndb"), signatures);
  await writeFile(path.join(context, "clamd.conf"), configuration);
  await writeFile(path.join(context, "clamdcheck.sh"), check, { mode: 0o755 });
  await writeFile(path.join(context, "Containerfile"), recipe);
  await podman(["build", "--quiet", "--network", "host", "--tag", tag, context]);
  return tag;
}

// ---------- compose.yaml, read ----------

interface ComposeService {
  image: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  volumes?: string[];
  tmpfs?: string[];
  read_only?: boolean;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const composeText = readFileSync(COMPOSE_FILE, "utf8");

/** compose.yaml with ${VAR}, ${VAR:-default} and ${VAR:?message} filled in from `variables`, as compose does. */
function readCompose(variables: Record<string, string>): ComposeFile {
  const filled = composeText.replace(
    /\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g,
    (_whole, name: string, operator: string | undefined, operand: string | undefined) => {
      const value = variables[name];
      if (value !== undefined && value !== "") return value;
      if (operator === ":?") throw new Error(`compose.yaml needs ${name}: ${operand}`);
      return operator === ":-" ? (operand ?? "") : "";
    },
  );
  return parse(filled, { merge: true }) as ComposeFile;
}

/** Services in an order that starts each one after what it depends on. */
function startOrder(compose: ComposeFile): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    for (const dependency of Object.keys(compose.services[name]?.depends_on ?? {})) visit(dependency);
    order.push(name);
  };
  for (const name of Object.keys(compose.services)) visit(name);
  return order;
}

// ---------- the set, started ----------

let workDir: string;
let relay: TestSmtpServer;
let relayForwarder: net.Server | undefined;
let webPort: number;
let runId: string;
let pod: string;
let compose: ComposeFile;
let postgresContainer: string;
const startedAt = Date.now();
const timings: string[] = [];

function timed(step: string, since: number): void {
  timings.push(`${step} ${((Date.now() - since) / 1000).toFixed(1)} s`);
}

const containerOf = (service: string) => `${pod}-${service}`;

/** A volume of compose.yaml, by the name podman gives it for this run. */
const volumeOf = (name: string) => `${pod}_${name}`;

function runArguments(
  name: string,
  service: ComposeService,
  secretsDir: string,
  extraMounts: string[],
): string[] {
  const args = ["run", "--detach", "--pod", pod, "--name", containerOf(name)];
  // podman's --read-only would add tmpfs mounts of its own; only what compose.yaml lists is writable.
  if (service.read_only) args.push("--read-only", "--read-only-tmpfs=false");
  for (const mount of service.tmpfs ?? []) args.push("--tmpfs", mount);
  for (const [key, value] of Object.entries(service.environment ?? {})) args.push("--env", `${key}=${value}`);
  for (const secret of service.secrets ?? []) {
    args.push("--volume", `${path.join(secretsDir, secret)}:/run/secrets/${secret}:ro`);
  }
  for (const volume of service.volumes ?? []) {
    const [source = "", target = "", mode] = volume.split(":");
    const hostPath = source.startsWith(".") ? path.resolve(projectRoot, source) : volumeOf(source);
    args.push("--volume", [hostPath, target, ...(mode ? [mode] : [])].join(":"));
  }
  for (const mount of extraMounts) args.push("--volume", mount);
  // Healthchecks are run below by the test itself (podman's own timers need systemd as PID 1).
  args.push("--health-cmd", "none", service.image, ...(service.command ?? []));
  return args;
}

/** The service's compose healthcheck, run once inside its container. */
async function isHealthy(service: string): Promise<boolean> {
  const [kind, ...command] = compose.services[service]?.healthcheck?.test ?? [];
  assert.equal(kind, "CMD", `${service}'s healthcheck is an exec-form CMD`);
  return (await podman(["exec", containerOf(service), ...command], { allowFailure: true })).code === 0;
}

async function startSet(variables: Record<string, string>, secretsDir: string, caDir: string): Promise<void> {
  compose = readCompose(variables);
  const [, hostIp = "", hostPort = ""] =
    /^(.*):(\d+):3000$/.exec(compose.services.web?.ports?.[0] ?? "") ?? [];
  const podStarted = Date.now();
  await podman([
    "pod",
    "create",
    "--name",
    pod,
    ...Object.keys(compose.services).flatMap((service) => ["--add-host", `${service}:127.0.0.1`]),
    "--publish",
    `${hostIp}:${hostPort}:3000`,
  ]);
  for (const volume of Object.keys(compose.volumes)) await podman(["volume", "create", volumeOf(volume)]);
  for (const name of startOrder(compose)) {
    const service = compose.services[name];
    assert.ok(service);
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      const waitStarted = Date.now();
      if (condition === "service_healthy") {
        await waitFor(`${dependency} healthy`, async () =>
          (await isHealthy(dependency)) ? true : undefined,
        );
      } else if (condition === "service_completed_successfully") {
        const exit = (await podman(["wait", containerOf(dependency)])).stdout.trim();
        if (exit !== "0") {
          const logs = await podman(["logs", containerOf(dependency)], { allowFailure: true });
          throw new Error(`${dependency} exited with ${exit}:\n${logs.stdout}${logs.stderr}`);
        }
      } else throw new Error(`${name}: depends_on condition ${condition} is not read by this test`);
      timed(`${name} waited for ${dependency}`, waitStarted);
    }
    const extraMounts = service.environment?.SMTP_CA_FILE ? [`${caDir}:/run/relay-ca:ro`] : [];
    await podman(runArguments(name, service, secretsDir, extraMounts));
    if (name === "postgres") {
      postgresContainer = containerOf(name);
      await startRelayForwarder();
    }
  }
  timed("set started", podStarted);
}

/**
 * The relay listens on loopback; the containers reach the host at their network's gateway, so a
 * forwarder there passes connections on (it exists once the pod's network is up).
 */
async function startRelayForwarder(): Promise<void> {
  relayForwarder = net.createServer((incoming) => {
    const outgoing = net.connect(relay.port, "127.0.0.1");
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on("error", () => outgoing.destroy());
    outgoing.on("error", () => incoming.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    relayForwarder?.once("error", reject);
    relayForwarder?.listen(relayPort, gateway, resolve);
  });
}

let gateway = "";
let relayPort = 0;

async function logsOfSet(): Promise<string> {
  let logs = "";
  for (const service of Object.keys(compose?.services ?? {})) {
    const result = await podman(["logs", "--tail", "40", containerOf(service)], { allowFailure: true });
    logs += `--- ${service}\n${result.stdout}${result.stderr}`;
  }
  return logs;
}

before(async () => {
  const since = Date.now();
  workDir = await mkdtemp(path.join(tmpdir(), "vp-containers-"));
  await preparePodman(workDir, "the container test (compose.yaml)");
  timed("programs", since);

  let step = Date.now();
  const debian = await debianBaseImage(workDir);
  const nodeBase = await nodeBaseImage(debian, workDir);
  const postgres = await postgresImage(debian, workDir);
  const clamav = await clamavImage(debian, workDir);
  timed("base images", step);

  step = Date.now();
  await podman([
    "build",
    "--format",
    "docker",
    "--network",
    "host",
    "--build-arg",
    `BASE_IMAGE=${nodeBase}`,
    "--file",
    "Containerfile",
    "--tag",
    PORTAL_IMAGE,
    ".",
  ]);
  timed("portal image", step);

  // The gateway of podman's default network, where the containers find the host.
  const network = JSON.parse((await podman(["network", "inspect", "podman"])).stdout) as {
    subnets: { gateway: string }[];
  }[];
  gateway = network[0]?.subnets[0]?.gateway ?? "";
  assert.ok(gateway, "podman's default network has a gateway");
  const certificate = await generateSelfSignedCertificate({
    commonName: gateway,
    subjectAltName: `IP:${gateway}`,
  });
  const relayPassword = randomBytes(18).toString("base64url");
  relay = await startTestSmtpServer({
    tls: "starttls",
    certificate,
    auth: { user: RELAY_USER, password: relayPassword },
  });
  relayPort = await freePort();
  webPort = await freePort();
  runId = randomBytes(4).toString("hex");
  pod = `vp-test-${runId}`;

  // The secrets, as an operator writes them: a folder only root can enter, files each container reads.
  const secretsDir = path.join(workDir, "secrets");
  await mkdir(secretsDir, { mode: 0o700 });
  const ownerPassword = randomBytes(18).toString("hex");
  const appPassword = randomBytes(18).toString("hex");
  const secrets: Record<string, string> = {
    postgres_owner_password: ownerPassword,
    postgres_app_password: appPassword,
    database_url: `postgresql://vetting_portal:${appPassword}@postgres:5432/vetting_portal`,
    database_owner_url: `postgresql://vetting_portal_owner:${ownerPassword}@postgres:5432/vetting_portal`,
    session_secret: randomBytes(48).toString("base64"),
    totp_encryption_key: randomBytes(32).toString("base64"),
    smtp_relay_authpw: relayPassword,
  };
  for (const [name, value] of Object.entries(secrets)) {
    await writeFile(path.join(secretsDir, name), `${value}\n`);
    await chmod(path.join(secretsDir, name), 0o444);
  }
  const caDir = path.join(workDir, "relay-ca");
  await mkdir(caDir);
  await writeFile(path.join(caDir, "ca.pem"), certificate.cert, { mode: 0o644 });

  await startSet(
    {
      PORTAL_IMAGE,
      POSTGRES_IMAGE: postgres,
      CLAMAV_IMAGE: clamav,
      PUBLIC_URL: "https://vetting.example.org",
      SMTP_HOST: gateway,
      SMTP_PORTS: String(relayPort),
      SMTP_USER: RELAY_USER,
      SMTP_CA_FILE: "/run/relay-ca/ca.pem",
      MAIL_FROM_ADDRESS: "vetting@example.org",
      WEB_PORT: `127.0.0.1:${webPort}`,
    },
    secretsDir,
    caDir,
  );
});

after(async () => {
  // Everything this run made goes, whatever failed; the images stay as the next run's cache.
  if (pod) {
    await podman(["pod", "rm", "--force", "--time", "5", pod], { allowFailure: true });
    for (const volume of Object.keys(compose?.volumes ?? {})) {
      await podman(["volume", "rm", "--force", volumeOf(volume)], { allowFailure: true });
    }
  }
  await new Promise<void>((resolve) => (relayForwarder ? relayForwarder.close(() => resolve()) : resolve()));
  await relay?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  process.stdout.write(
    `# containers: ${timings.join(", ")}; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all\n`,
  );
});

// ---------- what the set does ----------

const webUrl = (pathname: string) => `http://127.0.0.1:${webPort}${pathname}`;

/** A browser's request as nginx would pass it on (X-Forwarded-Proto), cookies kept by hand. */
class Visitor {
  readonly cookies = new Map<string, string>();
  csrfToken = "";

  async send(pathname: string, form?: Record<string, string>): Promise<{ response: Response; html: string }> {
    const response = await fetch(webUrl(pathname), {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        accept: "text/html",
        "x-forwarded-proto": "https",
        ...(this.cookies.size > 0
          ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ") }
          : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(form ? { body: new URLSearchParams({ _csrf: this.csrfToken, ...form }).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const separator = pair.indexOf("=");
      this.cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
    }
    const html = await response.text();
    this.csrfToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? this.csrfToken;
    return { response, html };
  }
}

/** A statement's rows, tab-separated, from psql inside the Postgres container. */
async function sql(statement: string): Promise<string> {
  const result = await podman([
    "exec",
    postgresContainer,
    "psql",
    "--username",
    "vetting_portal_owner",
    "--dbname",
    "vetting_portal",
    "--no-align",
    "--tuples-only",
    "--field-separator",
    "\t",
    "--command",
    statement,
  ]);
  return result.stdout.trim();
}

describe("compose.yaml as users run it", { timeout: 20 * 60_000 }, () => {
  test("has the roles, volumes, secrets as files, read-only portal containers and the /readyz healthcheck", () => {
    const file = readCompose({
      PUBLIC_URL: "https://vetting.example.org",
      SMTP_HOST: "smtp.example.org",
      MAIL_FROM_ADDRESS: "vetting@example.org",
    });
    assert.deepEqual(Object.keys(file.services).sort(), ["clamav", "migrate", "postgres", "web", "worker"]);
    assert.deepEqual(Object.keys(file.volumes).sort(), ["clamav", "database", "uploads"]);
    // The public images are the defaults; the test's own are only ever its overrides.
    assert.equal(file.services.postgres?.image, "docker.io/library/postgres:16-bookworm");
    assert.equal(file.services.clamav?.image, "docker.io/clamav/clamav-debian:stable");
    assert.equal(
      file.services.web?.environment?.CLAMAV_HOST,
      "clamav",
      "uploads are scanned by the set's clamd",
    );
    assert.equal(file.services.web?.environment?.EVIDENCE_SCAN, "required");
    assert.equal(file.services.web?.build?.args.BASE_IMAGE, "docker.io/library/node:20-bookworm-slim");
    assert.match(
      readFileSync(path.join(projectRoot, "Containerfile"), "utf8"),
      /^ARG BASE_IMAGE=docker\.io\/library\/node:20-bookworm-slim$/m,
    );
    assert.deepEqual(file.services.migrate?.command?.slice(-2), ["dist/scripts/db.js", "migrate"]);
    // node as npm run start:prod runs it, with its flags.
    const node = ["node", ...productionNodeFlags(), "dist/src/main.js"];
    assert.deepEqual(file.services.web?.command, [...node, "--web"]);
    assert.deepEqual(file.services.worker?.command, [...node, "--worker"]);
    const cmd = `CMD [${node.map((part) => JSON.stringify(part)).join(", ")}]`;
    assert.ok(
      readFileSync(path.join(projectRoot, "Containerfile"), "utf8").split("\n").includes(cmd),
      `the Containerfile's ${cmd}`,
    );
    assert.deepEqual(file.services.web?.depends_on, {
      migrate: { condition: "service_completed_successfully" },
      clamav: { condition: "service_healthy" },
    });
    assert.deepEqual(file.services.worker?.depends_on, {
      migrate: { condition: "service_completed_successfully" },
    });
    assert.deepEqual(file.services.migrate?.depends_on, { postgres: { condition: "service_healthy" } });
    assert.match(file.services.web?.healthcheck?.test.join(" ") ?? "", /\/readyz/);
    for (const role of ["migrate", "web", "worker"]) {
      const service = file.services[role];
      assert.equal(service?.read_only, true, `${role} runs on a read-only root filesystem`);
      assert.deepEqual(service?.volumes, ["uploads:/app/uploads"]);
      assert.equal(service?.environment?.NODE_ENV, "production");
      // Every secret is a file: the setting's _FILE names the mounted secret, never the value itself.
      for (const setting of ["DATABASE_URL", "SESSION_SECRET", "TOTP_ENCRYPTION_KEY", "SMTP_RELAY_AUTHPW"]) {
        assert.equal(service?.environment?.[setting], undefined, `${role} has no ${setting} variable`);
        const file_ = service?.environment?.[`${setting}_FILE`] ?? "";
        assert.match(file_, /^\/run\/secrets\/[a-z_]+$/);
        assert.ok(service?.secrets?.includes(path.basename(file_)), `${role} mounts ${file_}`);
      }
    }
    // Only the migrations run as the schema's owner.
    assert.equal(
      file.services.migrate?.environment?.DATABASE_OWNER_URL_FILE,
      "/run/secrets/database_owner_url",
    );
    for (const role of ["web", "worker"]) {
      assert.equal(file.services[role]?.secrets?.includes("database_owner_url"), false, role);
    }
    for (const secret of Object.values(file.secrets)) assert.match(secret.file, /^\.\/secrets\//);
  });

  test("starts: /readyz answers 200 through the published port, and the healthcheck passes", async () => {
    const since = Date.now();
    const readiness = await waitFor(
      "the web container's /readyz answers 200",
      async () => {
        const response = await fetch(webUrl("/readyz"), { signal: AbortSignal.timeout(5_000) }).catch(
          () => undefined,
        );
        return response?.status === 200 ? ((await response.json()) as { status: string }) : undefined;
      },
      120_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logsOfSet()}`);
    });
    timed("ready", since);
    assert.equal(readiness.status, "ready", JSON.stringify(readiness));
    assert.ok(await isHealthy("web"), "compose.yaml's healthcheck of the web container passes");
    assert.equal(
      (await sql("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")) !== "0",
      true,
      "the migrate role applied the migrations",
    );
  });

  test("the image runs as a non-root user with NODE_ENV=production and a HEALTHCHECK on /readyz", async () => {
    const [config] = JSON.parse((await podman(["image", "inspect", PORTAL_IMAGE])).stdout) as {
      Config: { User: string; Env: string[] };
      Healthcheck?: { Test: string[] };
    }[];
    assert.equal(config?.Config.User, "vetting-portal");
    assert.ok(config?.Config.Env.includes("NODE_ENV=production"));
    const [kind, ...command] = config?.Healthcheck?.Test ?? [];
    assert.equal(kind, "CMD");
    assert.match(command.join(" "), /\/readyz/);
    // The image's own healthcheck, run in the web container, passes (node's fetch: no curl in the image).
    const result = await podman(["exec", containerOf("web"), ...command], { allowFailure: true });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      (await podman(["exec", containerOf("web"), "id", "-u"])).stdout.trim(),
      "10001",
      "the portal's processes are not root",
    );
    const write = await podman(["exec", containerOf("web"), "sh", "-c", "echo x > /app/dist/x"], {
      allowFailure: true,
    });
    assert.notEqual(write.code, 0, "the root filesystem is read-only");
    assert.match(write.stderr, /Read-only file system/);
  });

  test("a person applies through the form: the case is in Postgres and the confirmation email arrives", async () => {
    const visitor = new Visitor();
    const form = await visitor.send("/apply");
    assert.equal(form.response.status, 200);
    assert.ok(visitor.csrfToken, "the form carries a CSRF token");
    const sent = await visitor.send("/apply", {
      fullName: "Ada Applicant",
      email: "ada@example.org",
      matrixId: "@ada:example.org",
      phone: "",
      statement: "I organise the reading group.",
      consent: "yes",
    });
    assert.equal(sent.response.status, 303, sent.html.slice(0, 2000));
    assert.equal(sent.response.headers.get("location"), "/apply/sent");

    assert.equal(
      await sql('SELECT state, origin, "fullName", email FROM vetting_cases'),
      "DRAFT\tAPPLICANT\tAda Applicant\tada@example.org",
    );
    const since = Date.now();
    const message = await waitFor(
      "the confirmation email at the relay",
      () => relay.messages.find((each) => each.to.includes("ada@example.org")),
      60_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logsOfSet()}`);
    });
    timed("email delivered by the worker", since);
    assert.match(message.text, /https:\/\/vetting\.example\.org\/\S+/);
    assert.match(message.from, /<vetting@example\.org>$/);
    assert.deepEqual(relay.authAttempts, [RELAY_USER], "the relay password came from its secret file");
    const uploadsOwner = await podman(["exec", containerOf("web"), "stat", "-c", "%u", "/app/uploads"]);
    assert.equal(uploadsOwner.stdout.trim(), "10001", "the uploads volume belongs to the portal's user");
  });
});
