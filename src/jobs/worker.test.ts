// The job queue's installation. Its quiet first step (no ERROR in the Postgres log on a first start,
// checked end to end in main.test.ts) repeats graphile-worker's own bootstrap statement: when an upgrade
// of graphile-worker changes that statement, this test says so, and ours must follow.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { JOB_QUEUE_BOOTSTRAP } from "./worker.js";

test("the job queue's bootstrap is graphile-worker's own, statement for statement", async () => {
  const graphileWorkerMain = createRequire(import.meta.url).resolve("graphile-worker");
  const migrateSource = await readFile(path.join(path.dirname(graphileWorkerMain), "migrate.js"), "utf8");
  // Their statement is a template with the (escaped) schema name in place of graphile_worker.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of their template, not one of ours.
  const asTheirs = JOB_QUEUE_BOOTSTRAP.trim().replaceAll("graphile_worker", "${escapedWorkerSchema}");
  assert.ok(
    migrateSource.includes(asTheirs),
    `graphile-worker's installSchema() no longer runs this statement; update JOB_QUEUE_BOOTSTRAP:\n${asTheirs}`,
  );
});
