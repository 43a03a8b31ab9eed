// Least privilege, as the README's production walk-through sets it up: the schema belongs to an owner role
// that only the migrate step uses (with DATABASE_APP_ROLE naming the portal's role), and the portal's web
// server and worker run as a role that may read and write rows and nothing else. The test runs the real
// portal processes as that role through an application and its email, then checks what the role may not do.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { TestBrowser } from "../test/browser.js";
import { type PortalCluster, startPortalCluster } from "../test/portalCluster.js";
import { createEmptyDatabase, type TestDatabase } from "../test/postgres.js";
import { runScript } from "../test/scripts.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { waitUntil } from "../test/waitFor.js";

const suffix = randomBytes(3).toString("hex");
const OWNER = `vp_owner_${suffix}`;
const APP = `vp_app_${suffix}`;

let database: TestDatabase;
let superuserUrl: string;
let ownerUrl: string;
let appUrl: string;

function urlAs(role: string, password: string): string {
  const url = new URL(superuserUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

async function asRole<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function migrate(env: Record<string, string>) {
  return runScript("scripts/db.ts", {
    args: ["migrate"],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
  });
}

before(async () => {
  database = await createEmptyDatabase();
  superuserUrl = database.url;
  const ownerPassword = randomBytes(12).toString("hex");
  const appPassword = randomBytes(12).toString("hex");
  await asRole(superuserUrl, async (client) => {
    // What the README has the sysadmin run as postgres (CREATE DATABASE … OWNER here is ALTER … OWNER).
    await client.query(`CREATE ROLE ${OWNER} LOGIN PASSWORD '${ownerPassword}'`);
    await client.query(`CREATE ROLE ${APP} LOGIN PASSWORD '${appPassword}'`);
    const name = new URL(superuserUrl).pathname.slice(1);
    await client.query(`ALTER DATABASE ${name} OWNER TO ${OWNER}`);
    await client.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
  });
  ownerUrl = urlAs(OWNER, ownerPassword);
  appUrl = urlAs(APP, appPassword);
});

after(async () => {
  await database.drop();
  await asRole(new URL("/postgres", superuserUrl).toString(), async (client) => {
    await client.query(`DROP ROLE IF EXISTS ${APP}`);
    await client.query(`DROP ROLE IF EXISTS ${OWNER}`);
  });
});

describe("least privilege: an owner role migrates, the portal runs as a row-only role", () => {
  test("the migrate step as owner grants the app role row access, and says so", async () => {
    const outcome = await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: APP });
    assert.equal(outcome.code, 0, outcome.output);
    assert.match(outcome.output, new RegExp(`Granted row access \\(no schema changes\\) to the role ${APP}`));

    const privileges = await asRole(ownerUrl, (client) =>
      client.query<{ privilege_type: string }>(
        `SELECT DISTINCT privilege_type FROM information_schema.role_table_grants
          WHERE grantee = $1 AND table_schema IN ('public', 'graphile_worker') ORDER BY 1`,
        [APP],
      ),
    );
    assert.deepEqual(
      privileges.rows.map((row) => row.privilege_type),
      ["DELETE", "INSERT", "SELECT", "UPDATE"],
    );
  });

  test("a missing app role is a clear error from the migrate step", async () => {
    const outcome = await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: "no_such_role" });
    assert.equal(outcome.code, 1);
    assert.match(outcome.output, /DATABASE_APP_ROLE: the role no_such_role does not exist/);
  });

  describe("the web server and worker running as the app role", () => {
    let relay: TestSmtpServer;
    let caFile: { path: string; remove(): Promise<void> };
    let cluster: PortalCluster;

    before(async () => {
      caFile = await writeCertificateFile((await createTestCertificate()).cert);
      relay = await startTestSmtpServer({ tls: "starttls" });
      cluster = await startPortalCluster({
        databaseUrl: appUrl,
        publicUrl: "https://vetting.example.org",
        webInstances: 1,
        env: { SMTP_HOST: "127.0.0.1", SMTP_PORTS: String(relay.port), SMTP_CA_FILE: caFile.path },
      });
    });
    after(async () => {
      await cluster?.close();
      await relay?.close();
      await caFile?.remove();
    });

    test("start, apply, count request limits, and deliver the confirmation email", async () => {
      const web = cluster.web[0];
      assert.ok(web);
      const ready = await fetch(`${web.url}/readyz`);
      assert.equal(ready.status, 200, await ready.text());

      const browser = new TestBrowser(web.url);
      const form = await browser.get("/apply");
      assert.equal(form.response.status, 200);
      const submitted = await browser.post("/apply", {
        fullName: "Least Privilege",
        email: "least@example.org",
        statement: "I run the allotment society.",
        consent: "yes",
      });
      assert.equal(submitted.response.status, 303, web.process.output().slice(-3000));

      await waitUntil("the confirmation email arrived", () =>
        relay.messages.some((message) => message.to.includes("least@example.org")),
      );
      const rows = await asRole(appUrl, async (client) => ({
        cases: (await client.query("SELECT count(*)::int AS n FROM vetting_cases")).rows[0]?.n,
        limits: (await client.query("SELECT count(*)::int AS n FROM rate_limits")).rows[0]?.n,
      }));
      assert.equal(rows.cases, 1);
      assert.ok(rows.limits > 0, "request limits were counted by the app role");
      assert.doesNotMatch(
        `${web.process.output()}${cluster.worker?.output()}`,
        /permission denied/i,
        "no statement of the portal was refused",
      );
    });

    test("the app role may not change the schema, empty tables wholesale, or create tables", async () => {
      for (const statement of [
        "CREATE TABLE intruder (id int)",
        "DROP TABLE audit_events",
        "ALTER TABLE vetting_cases ADD COLUMN intruder int",
        "TRUNCATE audit_events",
        "CREATE SCHEMA intruder",
      ]) {
        await assert.rejects(
          asRole(appUrl, (client) => client.query(statement)),
          (error: { code?: string }) => {
            // 42501 insufficient_privilege; 42501 also for "must be owner of table".
            assert.equal(error.code, "42501", statement);
            return true;
          },
        );
      }
    });
  });
});
