import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { recordAudit } from "./audit.js";
import { createDatabase, type Database } from "./db.js";
import { createTestDatabase, type TestDatabase } from "./test/postgres.js";

let database: TestDatabase;
let db: Database;
before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 2, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});

test("the audit log is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
  await db.$transaction((tx) =>
    recordAudit(tx, { label: "system", userAgent: "test agent" }, "setup.link_issued", {
      type: "link_token",
      id: "x",
    }),
  );
  const [event] = await db.auditEvent.findMany();
  assert.ok(event);
  assert.equal(event.userAgent, "test agent");
  await assert.rejects(
    db.auditEvent.update({ where: { id: event.id }, data: { action: "forged" } }),
    /append-only: UPDATE refused/,
  );
  await assert.rejects(db.auditEvent.delete({ where: { id: event.id } }), /append-only: DELETE refused/);
  await assert.rejects(db.$executeRawUnsafe("TRUNCATE audit_events"), /append-only: TRUNCATE refused/);
  assert.equal(
    (await db.auditEvent.findUniqueOrThrow({ where: { id: event.id } })).action,
    "setup.link_issued",
  );
});
