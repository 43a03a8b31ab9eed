// The lockfile step of `npm test` (scripts/lockfileCheck.ts), on real git repositories made for the test:
// an install that rewrote the lockfile fails, a dependency change in progress is not judged, and
// outside a git checkout the step says it could not compare. Nothing of the project is touched.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { checkLockfile } from "./lockfileCheck.js";

const execFileAsync = promisify(execFile);
const PACKAGE_JSON = '{ "name": "example", "devDependencies": { "@biomejs/biome": "^2.6.8" } }\n';
const LOCKFILE = '{ "lockfileVersion": 3, "packages": { "node_modules/@biomejs/cli-linux-x64": {} } }\n';

describe("the lockfile step", () => {
  let repository: string;
  const git = (...args: string[]) =>
    execFileAsync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.org", ...args], {
      cwd: repository,
    });

  before(async () => {
    repository = await mkdtemp(path.join(tmpdir(), "vp-lockfile-"));
    await git("init", "--quiet");
    await writeFile(path.join(repository, "package.json"), PACKAGE_JSON);
    await writeFile(path.join(repository, "package-lock.json"), LOCKFILE);
    await git("add", "package.json", "package-lock.json");
    await git("commit", "--quiet", "-m", "dependencies");
  });

  after(async () => {
    await rm(repository, { recursive: true, force: true });
  });

  test("passes when the lockfile is as committed", async () => {
    assert.deepEqual(await checkLockfile(repository), {
      kind: "passed",
      lines: ["package-lock.json is as committed"],
    });
  });

  test("fails when the install changed the lockfile and nothing changed package.json", async () => {
    const rewritten = LOCKFILE.replace("{}", '{}, "node_modules/@biomejs/cli-darwin-arm64": {}');
    await writeFile(path.join(repository, "package-lock.json"), rewritten);
    try {
      const outcome = await checkLockfile(repository);
      assert.equal(outcome.kind, "failed");
      assert.match(outcome.lines.join("\n"), /npm install rewrote it/);
    } finally {
      await writeFile(path.join(repository, "package-lock.json"), LOCKFILE);
    }
  });

  test("does not judge while package.json is being changed too", async () => {
    await writeFile(path.join(repository, "package.json"), PACKAGE_JSON.replace("^2.6.8", "^2.7.0"));
    await writeFile(
      path.join(repository, "package-lock.json"),
      LOCKFILE.replace("{}", '{ "version": "2.7.0" }'),
    );
    try {
      assert.equal((await checkLockfile(repository)).kind, "skipped");
    } finally {
      await writeFile(path.join(repository, "package.json"), PACKAGE_JSON);
      await writeFile(path.join(repository, "package-lock.json"), LOCKFILE);
    }
    assert.equal((await checkLockfile(repository)).kind, "passed");
  });

  test("outside a git checkout it says it could not compare, and does not pass", async () => {
    const unpacked = await mkdtemp(path.join(tmpdir(), "vp-unpacked-"));
    try {
      await writeFile(path.join(unpacked, "package.json"), PACKAGE_JSON);
      await writeFile(path.join(unpacked, "package-lock.json"), LOCKFILE);
      const outcome = await checkLockfile(unpacked);
      assert.equal(outcome.kind, "skipped");
      assert.match(
        outcome.lines.join("\n"),
        /^no committed package-lock\.json to compare with .*not a git repository/,
      );
    } finally {
      await rm(unpacked, { recursive: true, force: true });
    }
  });
});
