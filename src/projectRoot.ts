// The folder that holds package.json, views/, static/ and prisma/. Found by walking up from this module
// to the first folder with a package.json, so it is the same whether the code runs from src/ (tsx in
// development and tests) or from dist/src/ (the production build, `npm run build`).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(start: string): string {
  for (let folder = start; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, "package.json"))) return folder;
    if (path.dirname(folder) === folder) {
      throw new Error(`no package.json above ${start}: the portal must run from inside its project folder`);
    }
  }
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
