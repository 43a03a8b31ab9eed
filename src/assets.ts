// Content-hashed names for everything in static/, computed once at start: `css/app.css` is served as
// `/static/css/app.<hash>.css` with a year-long immutable cache, so a deploy changes the URL instead of
// waiting for caches to expire. Written by hand because the few files do not warrant a bundler.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "./config.js";

export const staticDir = path.join(projectRoot, "static");
const URL_PREFIX = "/static/";

export interface AssetManifest {
  /** The hashed URL of a file under static/; throws for a file that does not exist (a template bug). */
  urlFor(logicalPath: string): string;
  /** The logical path (relative to static/) that a hashed URL path serves, or undefined. */
  resolve(urlPath: string): string | undefined;
}

export function buildAssetManifest(directory = staticDir): AssetManifest {
  const urlByLogical = new Map<string, string>();
  const logicalByUrl = new Map<string, string>();
  for (const logicalPath of listFiles(directory)) {
    const hash = createHash("sha256")
      .update(readFileSync(path.join(directory, logicalPath)))
      .digest("hex")
      .slice(0, 12);
    const extension = path.posix.extname(logicalPath);
    const hashedName = `${logicalPath.slice(0, logicalPath.length - extension.length)}.${hash}${extension}`;
    const url = `${URL_PREFIX}${hashedName}`;
    urlByLogical.set(logicalPath, url);
    logicalByUrl.set(url, logicalPath);
  }
  return {
    urlFor(logicalPath) {
      const url = urlByLogical.get(logicalPath);
      if (!url) throw new Error(`No static asset named ${logicalPath}`);
      return url;
    },
    resolve: (urlPath) => logicalByUrl.get(urlPath),
  };
}

function listFiles(directory: string, prefix = ""): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".")) return [];
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(path.join(directory, entry.name), relative);
    return entry.isFile() ? [relative] : [];
  });
}
