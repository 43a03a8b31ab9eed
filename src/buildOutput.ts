// What a production build needs beside tsc's output, in one place for `npm run build`
// (scripts/buildStatic.ts) and the tests that compile a build of their own: static/ under its
// content-hashed names in <build>/static (the folder nginx serves /static/ from), and the message
// catalogs beside the compiled translator (tsc copies no JSON it is not asked to import).
import path from "node:path";
import { type HashedAsset, writeHashedAssets } from "./assets.js";
import { copyCatalogs } from "./i18n/translator.js";

/** Completes tsc's output in `buildDir` (dist/, or a test's own folder); returns the static files written. */
export async function completeBuild(buildDir: string): Promise<HashedAsset[]> {
  const written = await writeHashedAssets(path.join(buildDir, "static"));
  copyCatalogs(buildDir);
  return written;
}
