// The portal as a process: zero-configuration start on embedded Postgres with no ERROR in its output,
// reuse of its data, the setup link issued once (into a 0600 file, as standard output here is not a
// terminal), readable log lines in development, clean shutdown on SIGINT/SIGTERM with a request in flight.
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { localMigrationNames } from "./database/migrations.js";
import { startPortal } from "./test/portalProcess.js";
import { freePort } from "./test/ports.js";
import { createEmptyDatabase, createTestDatabase } from "./test/postgres.js";

const SETUP_LINK = /http:\/\/localhost:\d+\/setup\/([A-Za-z0-9_-]{43})/;
const SETUP_LINK_FILE_LOGGED =
  /"file":"([^"]+)"[^\n]*"msg":"no superadmin yet: the single-use setup link is in this file/;

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start", () => {
  test("starts with no configuration on embedded Postgres, and a second start reuses the data", async () => {
    const dataRoot = await mkdtemp(path.join(tmpdir(), "vp-start-"));
    await chmod(dataRoot, 0o755); // the postgres OS user must reach its data folder inside
    const [port, postgresPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = {
      PORT: String(port),
      EMBEDDED_POSTGRES_DIR: path.join(dataRoot, "postgres"),
      EMBEDDED_POSTGRES_PORT: String(postgresPort),
      DEV_MAILBOX_DIR: path.join(dataRoot, "mailbox"),
      DEV_MAILBOX_SMTP_PORT: String(smtpPort),
      UPLOADS_DIR: path.join(dataRoot, "uploads"),
    };
    try {
      const first = startPortal(env);
      // Standard output is a pipe, not a terminal: the link goes to a file only this user can read, and
      // the log says where, never what.
      const [, setupLinkFile] = await first.waitForOutput(SETUP_LINK_FILE_LOGGED);
      assert.equal(setupLinkFile, path.join(dataRoot, "uploads", "setup-link.txt"));
      assert.equal((await stat(setupLinkFile)).mode & 0o777, 0o600);
      const [, token] = (await readFile(setupLinkFile, "utf8")).match(SETUP_LINK) ?? [];
      assert.ok(token, "the file holds the link");
      assert.doesNotMatch(first.output(), /\/setup\//, "the link is in no log line");
      // Nothing alarming on a first start: Postgres's own log (relayed) has no ERROR, not even from the
      // job queue finding out that its schema is not there yet.
      assert.doesNotMatch(first.output(), /\bERROR\b/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      assert.ok(await isListening(smtpPort), "the development mail catcher listens");
      const mailbox = await fetch(`http://127.0.0.1:${port}/dev/mailbox`);
      assert.equal(mailbox.status, 200);
      first.child.kill("SIGINT");
      assert.equal(await first.exited, 0);
      assert.equal(await isListening(postgresPort), false, "embedded Postgres stopped with the portal");

      // As `npm start` runs with no LOG_FORMAT: readable lines, even into a pipe (without colours).
      const second = startPortal({ ...env, LOG_FORMAT: "" });
      await second.waitForOutput(/web server listening/);
      assert.match(
        second.output(),
        /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(vetting-portal\): web server listening$/m,
      );
      assert.ok(!second.output().includes("\u001b["), "no colour codes off a terminal");
      await second.waitForOutput(/setup link was issued earlier/);
      assert.doesNotMatch(second.output(), /\/setup\//, "no second link while the first is valid");
      assert.match(await readFile(setupLinkFile, "utf8"), new RegExp(`/setup/${token}`), "the file is kept");
      const setupPage = await fetch(`http://127.0.0.1:${port}/setup/${token}`);
      assert.equal(setupPage.status, 200, "the first run's link still works: its data was kept");
      // Once used, the link's file is gone.
      const cookie = (setupPage.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
      const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await setupPage.text())?.[1] ?? "";
      const created = await fetch(`http://127.0.0.1:${port}/setup/${token}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          _csrf: csrfToken,
          name: "Ada First",
          email: "ada@example.org",
        }).toString(),
      });
      assert.equal(created.status, 303);
      await assert.rejects(stat(setupLinkFile), { code: "ENOENT" });
      second.child.kill("SIGTERM");
      assert.equal(await second.exited, 0);
    } finally {
      await rm(dataRoot, { recursive: true, force: true });
    }
  });

  test("SIGTERM stops accepting, finishes the request in flight, and exits 0", async () => {
    const database = await createTestDatabase();
    const dataRoot = await mkdtemp(path.join(tmpdir(), "vp-shutdown-"));
    const port = await freePort();
    try {
      const portal = startPortal({
        DATABASE_URL: database.url,
        PORT: String(port),
        SMTP_HOST: "127.0.0.1",
        UPLOADS_DIR: path.join(dataRoot, "uploads"),
        LOG_LEVEL: "info",
      });
      await portal.waitForOutput(/web server listening/);

      // A POST whose body is only half sent: the request is in flight when the signal arrives.
      const socket = net.connect(port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      let response = "";
      socket.on("data", (chunk) => {
        response += chunk.toString();
      });
      const socketClosed = new Promise((resolve) => socket.on("close", resolve));
      const body = "name=Ada&email=ada%40example.org";
      socket.write(
        `POST /setup/${"A".repeat(43)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );

      portal.child.kill("SIGTERM");
      await portal.waitForOutput(/shutting down/);
      await waitUntil(async () => !(await isListening(port)));
      assert.equal(response, "", "no answer before the body is complete");

      socket.write(body.slice(10));
      await socketClosed;
      assert.match(response, /^HTTP\/1\.1 403 /, "the request in flight got its complete answer");
      assert.match(response, /Connection: close/i);
      assert.equal(await portal.exited, 0);
      assert.match(portal.output(), /"msg":"stopped"/);
    } finally {
      await database.drop();
      await rm(dataRoot, { recursive: true, force: true });
    }
  });
});

describe("npm run start in production", () => {
  test("refuses to start on a database that lacks migrations, saying which command to run", async () => {
    const database = await createEmptyDatabase();
    try {
      const portal = startPortal({
        NODE_ENV: "production",
        DATABASE_URL: database.url,
        PUBLIC_URL: "https://vetting.example.org",
        SESSION_SECRET: "x".repeat(40),
        SMTP_HOST: "127.0.0.1",
        MAIL_FROM_ADDRESS: "vetting@example.org",
        TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        PORT: String(await freePort()),
      });
      assert.equal(await portal.exited, 1);
      assert.ok(
        portal
          .output()
          .includes(
            `The database is missing ${localMigrationNames().length} migration(s) (${localMigrationNames().join(", ")}): run npm run db:migrate, then start again.`,
          ),
        portal.output(),
      );
      assert.doesNotMatch(portal.output(), /web server listening/);
    } finally {
      await database.drop();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
