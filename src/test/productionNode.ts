// The node flags production runs the portal with. npm run start:prod is where they are written; the
// deploy/systemd units, the Containerfile and compose.yaml repeat them (node refuses V8 flags in
// NODE_OPTIONS, so each start command names them), and the tests check that they agree. The benchmarks
// run the portal with them too.
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../config.js";

/** The flags between `node` and `dist/src/main.js` in package.json's start:prod, in order. */
export function productionNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const flags = /^node (.*) dist\/src\/main\.js$/.exec(scripts["start:prod"] ?? "")?.[1];
  if (!flags) throw new Error(`package.json's start:prod is not "node <flags> dist/src/main.js"`);
  return flags.split(" ");
}
