// .env.example is the operator's list of every setting: each variable the portal reads (config.ts, the
// only reader of the environment) and each one scripts/backup and scripts/restore read must be there,
// with a comment above it or its group, and nothing there may be a setting nobody reads.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { projectRoot, ZEnvironment } from "./config.js";

const example = readFileSync(path.join(projectRoot, ".env.example"), "utf8");
const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);

/** Settings the shell scripts read: `: "${NAME:=…}"`, `${NAME:-…}`, `${NAME:?…}` or `${NAME}` uses. */
function scriptSettings(file: string): string[] {
  const text = readFileSync(path.join(projectRoot, "scripts", file), "utf8");
  const names = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::?[-=?+][^}]*)?\}/g)].map(
    (match) => match[1] as string,
  );
  // Variables the scripts set for the programs they run, or take from the system, not from the operator.
  const notSettings = new Set([
    "PGPASSWORD",
    "PGCONNECT_TIMEOUT",
    "HOME",
    "PATH",
    "BASH_SOURCE",
    "GNUPGHOME",
    "PWD",
    // Set by systemd for the unit (LoadCredential=, CacheDirectory=).
    "CREDENTIALS_DIRECTORY",
    "CACHE_DIRECTORY",
  ]);
  return [...new Set(names)].filter((name) => !notSettings.has(name));
}

const portalSettings = Object.keys(ZEnvironment.shape);
// resticRepository.sh is sourced by both and reads the off-site copy's password settings.
const backupSettings = [
  ...new Set([
    ...scriptSettings("backup"),
    ...scriptSettings("restore"),
    ...scriptSettings("resticRepository.sh"),
  ]),
];

test("every setting the portal reads is in .env.example", () => {
  const missing = portalSettings.filter((name) => !documented.includes(name));
  assert.deepEqual(missing, [], `add these to .env.example with a comment: ${missing.join(", ")}`);
});

test("every setting scripts/backup and scripts/restore read is in .env.example", () => {
  assert.ok(backupSettings.includes("BACKUP_DIR"), "the scan finds the scripts' settings");
  const missing = backupSettings.filter((name) => !documented.includes(name));
  assert.deepEqual(missing, [], `add these to .env.example with a comment: ${missing.join(", ")}`);
});

test(".env.example lists nothing that nobody reads, and each name once", () => {
  const known = new Set([...portalSettings, ...backupSettings]);
  assert.deepEqual(
    documented.filter((name) => !known.has(name)),
    [],
  );
  assert.deepEqual(
    documented.filter((name, index) => documented.indexOf(name) !== index),
    [],
  );
});

test("each documented setting has a comment above it or above its group", () => {
  const lines = example.split("\n");
  const bare = documented.filter((name) => {
    let index = lines.findIndex((line) => line.startsWith(`${name}=`)) - 1;
    // Walk up over the settings of the same group to the comment that explains it.
    while (index >= 0 && /^[A-Z][A-Z0-9_]*=/.test(lines[index] ?? "")) index -= 1;
    return index < 0 || !(lines[index] ?? "").startsWith("#");
  });
  assert.deepEqual(bare, []);
});
