// A step of `npm test` (scripts/test.ts): `npm install` must leave package-lock.json as committed. CI
// runs `npm install && npm test` on a fresh clone (.ci/run), so a lockfile that differs from git's HEAD
// while package.json does not was rewritten by that install: the committed lockfile is incomplete (say,
// without the optional platform packages of a dependency, which npm adds for every platform) and every
// fresh clone would get a change nobody made. The fix is to commit the lockfile npm wrote.
//
// While package.json itself differs from HEAD (a dependency being added or upgraded), the lockfile is
// expected to differ too, and the step is skipped, saying so. Outside a git checkout (an unpacked
// archive) there is nothing to compare with: skipped as well, never counted as passed. The step only
// reads: the working tree's two files and git's committed ones (`git show`, which writes nothing).
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../src/projectRoot.js";

const execFileAsync = promisify(execFile);

export type LockfileOutcome = { kind: "passed" | "failed" | "skipped"; lines: string[] };

/** The two manifests as committed (HEAD) and as in the working tree. */
interface ManifestVersions {
  packageJson: { committed: string; workingTree: string };
  lockfile: { committed: string; workingTree: string };
}

function judgeLockfile(versions: ManifestVersions): LockfileOutcome {
  const { packageJson, lockfile } = versions;
  if (lockfile.committed === lockfile.workingTree) {
    return { kind: "passed", lines: ["package-lock.json is as committed"] };
  }
  if (packageJson.committed !== packageJson.workingTree) {
    return {
      kind: "skipped",
      lines: ["package.json differs from the committed one, so package-lock.json may too: not compared"],
    };
  }
  return {
    kind: "failed",
    lines: [
      "package-lock.json differs from the committed one although package.json does not: npm install rewrote it.",
      "A fresh clone would get the same change. Look at `git diff package-lock.json` and commit it.",
    ],
  };
}

/** Reads both files from the working tree and from git's HEAD in `root`. */
export async function checkLockfile(root = projectRoot): Promise<LockfileOutcome> {
  const committed = async (file: string) =>
    (
      await execFileAsync("git", ["show", `HEAD:./${file}`], {
        cwd: root,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
  const workingTree = (file: string) => readFile(path.join(root, file), "utf8");
  let versions: ManifestVersions;
  try {
    versions = {
      packageJson: {
        committed: await committed("package.json"),
        workingTree: await workingTree("package.json"),
      },
      lockfile: {
        committed: await committed("package-lock.json"),
        workingTree: await workingTree("package-lock.json"),
      },
    };
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    return {
      kind: "skipped",
      lines: [
        `no committed package-lock.json to compare with (not a git checkout?): ${reason.split("\n")[0]}`,
      ],
    };
  }
  return judgeLockfile(versions);
}
