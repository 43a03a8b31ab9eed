// The second half of `npm run build`: what the build needs beside tsc's output (src/buildOutput.ts): the
// static files under their content-hashed names in dist/static/ and the message catalogs. The names come
// from the code the app itself links with (src/assets.ts), so a page and nginx always agree on them.
import path from "node:path";
import { completeBuild } from "../src/buildOutput.js";
import { projectRoot } from "../src/projectRoot.js";

const buildDir = path.join(projectRoot, "dist");
const written = await completeBuild(buildDir);
process.stdout.write(
  `Wrote ${written.length} hashed static file(s) to ${path.relative(projectRoot, path.join(buildDir, "static"))}/\n`,
);
