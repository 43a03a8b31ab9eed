// The sweep as the portal runs it: once at start, before the web server answers, on the uploads
// folder it is configured with. (Every 15 minutes after that, the worker's sweep_uploads job runs the
// same function.)
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase } from "../test/postgres.js";

test("starting the portal sweeps what a crash left in the uploads folder, before it answers", async () => {
  const database = await createTestDatabase();
  const dataRoot = await mkdtemp(path.join(tmpdir(), "vp-start-sweep-"));
  const uploadsDir = path.join(dataRoot, "uploads");
  const deadLease = path.join(uploadsDir, ".incoming", randomUUID());
  const orphanKey = randomUUID();
  const orphan = path.join(uploadsDir, "evidence", orphanKey.slice(0, 2), orphanKey);
  await mkdir(deadLease, { recursive: true });
  await writeFile(path.join(deadLease, randomUUID()), "half an upload from before the crash");
  await mkdir(path.dirname(orphan), { recursive: true });
  await writeFile(orphan, "a file whose row is gone");
  try {
    const portal = startPortal({
      DATABASE_URL: database.url,
      PORT: String(await freePort()),
      SMTP_HOST: "127.0.0.1",
      UPLOADS_DIR: uploadsDir,
      LOG_LEVEL: "info",
    });
    await portal.waitForOutput(/web server listening/);
    assert.deepEqual(await readdir(path.join(uploadsDir, ".incoming")), []);
    await assert.rejects(stat(orphan), { code: "ENOENT" });
    const sweepLine = portal
      .output()
      .split("\n")
      .find((line) => line.includes('"msg":"swept the uploads volume"'));
    assert.ok(sweepLine, portal.output());
    assert.match(
      sweepLine,
      /"removedIncomingFolders":1,"removedTemporaryFiles":1,"completedPlacements":0,"removedOrphanFiles":1/,
    );
    assert.ok(
      portal.output().indexOf(sweepLine) < portal.output().indexOf("web server listening"),
      "swept before the server answers",
    );
    portal.child.kill("SIGTERM");
    assert.equal(await portal.exited, 0);
  } finally {
    await database.drop();
    await rm(dataRoot, { recursive: true, force: true });
  }
});
