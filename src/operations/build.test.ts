// The production build as production runs it: `npm run build` compiles to dist/, then `npm run start:prod`
// (plain node, no tsx) runs the web server and the worker as separate processes, refuses a database
// with pending migrations until the build's own migrate command has run, and stops cleanly on SIGTERM.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildAssetManifest, hashedAssets } from "../assets.js";
import { projectRoot } from "../config.js";
import { localMigrationNames } from "../database/migrations.js";
import { createDatabase } from "../db.js";
import { enqueueEmail } from "../mail/outbox.js";
import { startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import { createEmptyDatabase, createTestDatabase } from "../test/postgres.js";
import { runCommand } from "../test/scripts.js";
import { createTestCertificate, startTestSmtpServer, writeCertificateFile } from "../test/smtp.js";
import { waitUntil } from "../test/waitFor.js";

/**
 * `npm run start:prod`'s command line, run without npm in between (as the systemd units do): npm does
 * not pass SIGTERM on to node, so under npm a stop would orphan the portal.
 */
function startProd(...args: string[]): [string, ...string[]] {
  const scripts = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")).scripts;
  const [program, ...rest] = String(scripts["start:prod"]).split(" ");
  assert.equal(program, "node");
  return [process.execPath, ...rest, ...args];
}

/** A command in the checkout with PATH and HOME and the given settings only. */
function run(command: string, args: string[], env: Record<string, string> = {}) {
  return runCommand(command, args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
  });
}

let dataRoot: string;
let caFile: { path: string; remove(): Promise<void> };

/** What production requires (config.ts), plus a relay on loopback and a private uploads folder. */
function productionEnv(databaseUrl: string, smtpPort: number, port: number): Record<string, string> {
  return {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: "https://vetting.example.org",
    SESSION_SECRET: "x".repeat(40),
    TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: String(smtpPort),
    SMTP_CA_FILE: caFile.path,
    MAIL_FROM_ADDRESS: "vetting@example.org",
    UPLOADS_DIR: path.join(dataRoot, "uploads"),
    PORT: String(port),
    LOG_LEVEL: "info",
  };
}

before(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), "vp-build-"));
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
  const build = await run("npm", ["run", "build"]);
  assert.equal(build.code, 0, build.output);
});
after(async () => {
  await caFile.remove();
  await rm(dataRoot, { recursive: true, force: true });
});

describe("npm run build", () => {
  test("compiles the server and the operator commands into dist/, without the tests", () => {
    for (const file of [
      "src/main.js",
      "src/generated/prisma/client.js",
      "scripts/db.js",
      "scripts/mail.js",
    ]) {
      assert.ok(existsSync(path.join(projectRoot, "dist", file)), `dist/${file}`);
    }
    assert.equal(existsSync(path.join(projectRoot, "dist", "src", "operations", "build.test.js")), false);
    assert.equal(existsSync(path.join(projectRoot, "dist", "src", "test")), false);
  });

  test("writes every static file under the hashed name pages link to, with the bytes that name was hashed from (nginx serves dist/static)", () => {
    const assets = hashedAssets();
    assert.ok(assets.some((asset) => asset.logicalPath === "css/app.css"));
    for (const asset of assets) {
      const copy = readFileSync(path.join(projectRoot, "dist", "static", asset.hashedPath));
      assert.deepEqual(
        copy,
        readFileSync(path.join(projectRoot, "static", asset.logicalPath)),
        asset.hashedPath,
      );
      const hashInName = /\.([0-9a-f]{12})\.[^.]+$/.exec(asset.hashedPath)?.[1];
      assert.equal(createHash("sha256").update(copy).digest("hex").slice(0, 12), hashInName);
      assert.equal(buildAssetManifest().urlFor(asset.logicalPath), `/static/${asset.hashedPath}`);
    }
    // Nothing half-written is left behind.
    const written = readdirSync(path.join(projectRoot, "dist", "static"), { recursive: true });
    assert.deepEqual(
      written.filter((name) => String(name).endsWith(".partial")),
      [],
    );
  });
});

describe("npm run start:prod", () => {
  test("refuses pending migrations; the build's migrate applies them; --web then serves and stops on SIGTERM", async () => {
    const database = await createEmptyDatabase();
    const relay = await startTestSmtpServer({ tls: "starttls" });
    try {
      const env = productionEnv(database.url, relay.port, await freePort());
      const refused = startPortal(env, startProd("--web"));
      assert.notEqual(await refused.exited, 0);
      const names = localMigrationNames();
      assert.ok(
        refused
          .output()
          .includes(
            `The database is missing ${names.length} migration(s) (${names.join(", ")}): run npm run db:migrate, then start again.`,
          ),
        refused.output(),
      );
      assert.doesNotMatch(refused.output(), /web server listening/);

      const migrate = await run(process.execPath, ["dist/scripts/db.js", "migrate"], env);
      assert.equal(migrate.code, 0, migrate.output);
      assert.match(migrate.output, new RegExp(`Applied ${names.length} migration\\(s\\)`));

      const web = startPortal(env, startProd("--web"));
      await web.waitForOutput(/web server listening/);
      const ready = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      web.child.kill("SIGTERM");
      assert.equal(await web.exited, 0, web.output());
      assert.match(web.output(), /"msg":"stopped"/);
    } finally {
      await relay.close();
      await database.drop();
    }
  });

  test("--worker delivers a queued email through the relay, serves no HTTP, and stops on SIGTERM", async () => {
    const database = await createTestDatabase();
    const relay = await startTestSmtpServer({ tls: "starttls" });
    const db = createDatabase(database.url, {
      poolMax: 2,
      statementTimeoutMs: 10_000,
      connectionTimeoutMs: 5_000,
    });
    try {
      const env = productionEnv(database.url, relay.port, await freePort());
      const worker = startPortal(env, startProd("--worker"));
      await db.$transaction((tx) =>
        enqueueEmail(tx, { kind: "test_message", recipient: "operator@example.org", payload: {} }),
      );
      await waitUntil("the relay received the email", () => relay.messages.length > 0);
      assert.deepEqual(relay.messages[0]?.to, ["operator@example.org"]);
      await waitUntil(
        "the outbox row is SENT",
        async () => (await db.outboxMessage.findFirstOrThrow({ select: { status: true } })).status === "SENT",
      );
      assert.doesNotMatch(worker.output(), /web server listening/);
      const refused = await fetch(`http://127.0.0.1:${env.PORT}/healthz`).catch(() => null);
      assert.equal(refused, null, "no web server in a worker process");

      worker.child.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.output());
      assert.match(worker.output(), /"msg":"stopped"/);
    } finally {
      await db.$disconnect();
      await relay.close();
      await database.drop();
    }
  });
});
