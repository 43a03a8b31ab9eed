import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { startTestPostgresServer } from "./postgres.js";

const isRoot = process.getuid?.() === 0;
const scratchDirectories: string[] = [];
after(() => {
  for (const directory of scratchDirectories) rmSync(directory, { recursive: true, force: true });
});

// Every test run starts one of these: a cluster left behind is 400 MB of disk, run after run.
test("a test server's stop() deletes its cluster", async () => {
  const server = await startTestPostgresServer();
  scratchDirectories.push(server.dataDir);
  assert.ok(
    server.dataDir.startsWith(os.tmpdir()),
    `the cluster is in the temporary folder: ${server.dataDir}`,
  );
  assert.equal(existsSync(path.join(server.dataDir, "PG_VERSION")), true);

  await server.stop();
  assert.equal(existsSync(server.dataDir), false);
});

test("as root, a cluster moved to the system folder is deleted by stop() too", {
  skip: !isRoot,
}, async () => {
  // A temporary folder the postgres user cannot enter (a private TMPDIR): the cluster goes elsewhere.
  const privateTmp = await mkdtemp(path.join(os.tmpdir(), "vetting-portal-private-tmp-"));
  scratchDirectories.push(privateTmp);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
  let server: Awaited<ReturnType<typeof startTestPostgresServer>>;
  try {
    server = await startTestPostgresServer();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  scratchDirectories.push(server.dataDir);
  assert.match(server.dataDir, /^\/var\/lib\/vetting-portal\/embedded-[0-9a-f]{16}$/);
  assert.equal(existsSync(path.join(server.dataDir, "PG_VERSION")), true);

  await server.stop();
  assert.equal(existsSync(server.dataDir), false, "the moved cluster is gone");
});
