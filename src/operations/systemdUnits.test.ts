// deploy/systemd checked by systemd itself: `systemd-analyze verify` finds no problem in any unit (it
// reports unknown keys and bad values as warnings with exit code 0, so any output fails), and
// `systemd-analyze security --offline=true` rates every service's exposure at 2.5 or lower.
// npm test installs systemd-analyze (Debian's systemd package) when missing; no running systemd is needed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { projectRoot, SECRET_SETTINGS } from "../config.js";
import { productionNodeFlags } from "../test/productionNode.js";

const UNITS_DIR = path.join(projectRoot, "deploy", "systemd");
/** Where the units expect the application (the README's layout). */
const APP_DIR = "/srv/vetting-portal/app";
const MAX_EXPOSURE = 2.5;
/** The web template is checked as one instance of it, as systemd would load it. */
const WEB_INSTANCE = "vetting-portal-web@3001.service";

const unitFiles = readdirSync(UNITS_DIR).filter((name) => /\.(service|timer|target)$/.test(name));
const checkedUnits = unitFiles.map((name) => (name.endsWith("@.service") ? WEB_INSTANCE : name));

let workDir: string;

/**
 * verify also checks that each ExecStart= program exists and is executable. The units are copied with
 * /srv/vetting-portal/app pointing at a scratch folder holding an executable at every path they start
 * (the programs themselves have their own tests), and /usr/bin/node at this node when it lives elsewhere.
 */
before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "vp-systemd-"));
  const appDir = path.join(workDir, "app");
  const unitsDir = path.join(workDir, "units");
  await mkdir(unitsDir);
  for (const name of unitFiles) {
    let text = (await readFile(path.join(UNITS_DIR, name), "utf8")).replaceAll(APP_DIR, appDir);
    if (!existsSync("/usr/bin/node")) text = text.replaceAll("/usr/bin/node", process.execPath);
    for (const [, program] of text.matchAll(/^ExecStart=[-@:+!]*(\S+)/gm)) {
      if (program?.startsWith(appDir)) {
        await mkdir(path.dirname(program), { recursive: true });
        await writeFile(program, "#!/bin/sh\n");
        await chmod(program, 0o755);
      }
    }
    await writeFile(path.join(unitsDir, name), text);
    if (name.endsWith("@.service")) await symlink(name, path.join(unitsDir, WEB_INSTANCE));
  }
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function systemdAnalyze(args: string[]) {
  const outcome = spawnSync("systemd-analyze", args, { encoding: "utf8" });
  if (outcome.error) throw outcome.error;
  return outcome;
}

describe("deploy/systemd", () => {
  test("holds the web template, the worker, migrations, the backup service and its timer, and a target", () => {
    assert.deepEqual(unitFiles.sort(), [
      "vetting-portal-backup.service",
      "vetting-portal-backup.timer",
      "vetting-portal-migrate.service",
      "vetting-portal-web@.service",
      "vetting-portal-worker.service",
      "vetting-portal.target",
    ]);
  });

  test("every service gets the secrets as credentials from /etc/vetting-portal/credentials, none from an env file", async () => {
    for (const name of unitFiles.filter((file) => file.endsWith(".service"))) {
      const text = await readFile(path.join(UNITS_DIR, name), "utf8");
      assert.match(text, /^LoadCredential=vetting-portal:\/etc\/vetting-portal\/credentials$/m, name);
    }
    // The example settings file the README installs as /etc/vetting-portal/env sets no secret.
    const example = await readFile(path.join(projectRoot, ".env.example"), "utf8");
    for (const secret of SECRET_SETTINGS) assert.match(example, new RegExp(`^${secret}=$`, "m"), secret);
  });

  test("the web and worker units run node with the flags npm run start:prod runs it with", async () => {
    const flags = productionNodeFlags();
    assert.ok(flags.includes("--no-allocation-site-pretenuring"), "the flags figure 7 relies on");
    for (const [unit, role] of [
      ["vetting-portal-web@.service", "--web"],
      ["vetting-portal-worker.service", "--worker"],
    ] as const) {
      const text = await readFile(path.join(UNITS_DIR, unit), "utf8");
      const execStart =
        /^ExecStart=\/usr\/bin\/node (.*) \/srv\/vetting-portal\/app\/dist\/src\/main\.js (\S+)$/m.exec(text);
      assert.deepEqual([execStart?.[1], execStart?.[2]], [flags.join(" "), role], unit);
    }
  });

  for (const unit of checkedUnits) {
    test(`systemd-analyze verify ${unit}: no warnings`, () => {
      const outcome = systemdAnalyze(["verify", path.join(workDir, "units", unit)]);
      assert.equal(outcome.stderr + outcome.stdout, "");
      assert.equal(outcome.status, 0);
    });
  }

  for (const unit of checkedUnits.filter((name) => name.endsWith(".service"))) {
    test(`systemd-analyze security ${unit}: exposure at most ${MAX_EXPOSURE}`, () => {
      const outcome = systemdAnalyze(["security", "--offline=true", path.join(workDir, "units", unit)]);
      const level = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(outcome.stdout)?.[1];
      assert.ok(level !== undefined, outcome.stdout + outcome.stderr);
      assert.ok(Number(level) <= MAX_EXPOSURE, `exposure ${level}:\n${outcome.stdout}`);
    });
  }
});
