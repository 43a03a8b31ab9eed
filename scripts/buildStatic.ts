// The second half of `npm run build`: static/ copied under its content-hashed names to dist/static/, the
// folder nginx serves /static/ from (deploy/nginx), and the message catalogs beside the compiled
// translator (tsc copies no JSON it is not asked to import). The names come from the code the app itself
// links with (src/assets.ts), so a page and nginx always agree on them.
import path from "node:path";
import { writeHashedAssets } from "../src/assets.js";
import { copyCatalogs } from "../src/i18n/translator.js";
import { projectRoot } from "../src/projectRoot.js";

const outputDir = path.join(projectRoot, "dist", "static");
const written = await writeHashedAssets(outputDir);
copyCatalogs(path.join(projectRoot, "dist"));
process.stdout.write(
  `Wrote ${written.length} hashed static file(s) to ${path.relative(projectRoot, outputDir)}/\n`,
);
