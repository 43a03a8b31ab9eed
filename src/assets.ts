// Content-hashed names for everything in static/, computed once at start: `css/app.css` is served as
// `/static/css/app.<hash>.css` with a year-long immutable cache, so a deploy changes the URL instead of
// waiting for caches to expire. Written by hand because the few files do not warrant a bundler.
//
// The same names are written to disk by `npm run build` (writeHashedAssets, scripts/buildStatic.ts), so
// that nginx can serve the files itself (deploy/nginx). A hashed copy is only ever written with the
// bytes its name was computed from, so a name on disk never holds other content than its hash says.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
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

export interface HashedAsset {
  /** Relative to static/, e.g. `css/app.css`. */
  logicalPath: string;
  /** The same with the content hash before the extension, e.g. `css/app.3f2a9c01be47.css`. */
  hashedPath: string;
  /** What pages link to: `/static/` + hashedPath. */
  url: string;
}

/** Every file under the folder (dot files excepted) with its content-hashed name. */
export function hashedAssets(directory = staticDir): HashedAsset[] {
  return listFiles(directory).map((logicalPath) => readHashedAsset(directory, logicalPath).asset);
}

/** One file's bytes and the name they hash to, from a single read (so the two always agree). */
function readHashedAsset(directory: string, logicalPath: string): { asset: HashedAsset; bytes: Buffer } {
  const bytes = readFileSync(path.join(directory, logicalPath));
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
  const extension = path.posix.extname(logicalPath);
  const hashedPath = `${logicalPath.slice(0, logicalPath.length - extension.length)}.${hash}${extension}`;
  return { asset: { logicalPath, hashedPath, url: `${URL_PREFIX}${hashedPath}` }, bytes };
}

export function buildAssetManifest(directory = staticDir): AssetManifest {
  const urlByLogical = new Map<string, string>();
  const logicalByUrl = new Map<string, string>();
  for (const { logicalPath, url } of hashedAssets(directory)) {
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

/**
 * Writes every static file as `<outputDir>/<hashedPath>` (e.g. dist/static/css/app.3f2a9c01be47.css), for
 * a web server to serve as the app would. The bytes written are the bytes that were hashed (one read),
 * written beside the final name and renamed into place: a server reading the folder meanwhile never
 * sends a half-written file under a name that promises complete content. Returns what was written.
 */
export async function writeHashedAssets(outputDir: string, directory = staticDir): Promise<HashedAsset[]> {
  const written: HashedAsset[] = [];
  for (const logicalPath of listFiles(directory)) {
    const { asset, bytes } = readHashedAsset(directory, logicalPath);
    const target = path.join(outputDir, asset.hashedPath);
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    await writeFile(partial, bytes, { mode: 0o644 });
    await rename(partial, target);
    written.push(asset);
  }
  return written;
}

function listFiles(directory: string, prefix = ""): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".")) return [];
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(path.join(directory, entry.name), relative);
    return entry.isFile() ? [relative] : [];
  });
}
