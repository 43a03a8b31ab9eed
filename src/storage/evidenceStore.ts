// The uploads volume, laid out as:
//   uploads/evidence/<first two characters of the key>/<key>   stored evidence (dirs 0750, files 0640)
//   uploads/.incoming/<lease id>/<uuid>                          uploads in flight (see uploadLeases.ts)
// Modes are set explicitly with chmod, whatever the process umask: the files are people's personal
// data, readable by the portal's user and group (nginx's, behind X-Accel-Redirect) and nobody else.
// Every name below uploads/ is a UUID the portal made, never anything a person sent.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { isCanonicalUuid } from "../domain/ids.js";

export const DIRECTORY_MODE = 0o750;
export const FILE_MODE = 0o640;

/** Lower case only, as Postgres and randomUUID() write them: one spelling per key. */

export function isStorageKey(value: string): boolean {
  return isCanonicalUuid(value);
}

export interface EvidenceStore {
  /** The uploads folder (config.uploadsDir). */
  readonly root: string;
  /** uploads/evidence: one folder per first two characters of the keys. */
  readonly evidenceRoot: string;
  /** uploads/.incoming: one folder per upload lease. */
  readonly incomingRoot: string;
  /** Creates uploads/, uploads/evidence/ and uploads/.incoming/ (0750) when missing. */
  ensureLayout(): Promise<void>;
  /** uploads/.incoming/<leaseId> (not created here). */
  incomingDirectory(leaseId: string): string;
  /** Creates uploads/.incoming/<leaseId> (0750), and the layout when it is missing; returns its path. */
  createIncomingDirectory(leaseId: string): Promise<string>;
  /** uploads/evidence/<key[0..2]>/<key>. Throws on a key that is not a UUID. */
  pathOf(storageKey: string): string;
  /** The path below the evidence folder ("ab/<key>"), for nginx's X-Accel-Redirect. */
  relativePathOf(storageKey: string): string;
  /** Moves a received temporary file into place (rename on the same volume; folder 0750, file 0640). */
  place(tempPath: string, storageKey: string): Promise<void>;
  /** Deletes a stored file; a file already gone is not an error. */
  remove(storageKey: string): Promise<void>;
  /** SHA-256 (hex) and size of the stored file as it is now; null when it is missing. */
  digest(storageKey: string): Promise<{ sha256: string; sizeBytes: number } | null>;
}

export function evidenceStore(uploadsDir: string): EvidenceStore {
  const root = path.resolve(uploadsDir);
  const evidenceRoot = path.join(root, "evidence");
  const incomingRoot = path.join(root, ".incoming");

  const relativePathOf = (storageKey: string) => {
    if (!isStorageKey(storageKey)) throw new Error("an evidence storage key must be a lower-case UUID");
    return `${storageKey.slice(0, 2)}/${storageKey}`;
  };
  const pathOf = (storageKey: string) => path.join(evidenceRoot, relativePathOf(storageKey));
  const incomingDirectory = (leaseId: string) => {
    if (!isStorageKey(leaseId)) throw new Error("an upload lease id must be a lower-case UUID");
    return path.join(incomingRoot, leaseId);
  };

  async function ensureLayout() {
    const created = await mkdir(root, { recursive: true, mode: DIRECTORY_MODE });
    if (created !== undefined) await chmod(root, DIRECTORY_MODE);
    await makeDirectory(evidenceRoot);
    await makeDirectory(incomingRoot);
  }

  /** A folder inside the layout; the layout is made first if someone removed it (or it never was). */
  async function makeFolderInLayout(directory: string) {
    try {
      await makeDirectory(directory);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await ensureLayout();
      await makeDirectory(directory);
    }
  }

  return {
    root,
    evidenceRoot,
    incomingRoot,

    ensureLayout,
    incomingDirectory,

    async createIncomingDirectory(leaseId) {
      const directory = incomingDirectory(leaseId);
      await makeFolderInLayout(directory);
      return directory;
    },

    pathOf,
    relativePathOf,

    async place(tempPath, storageKey) {
      const target = pathOf(storageKey);
      await makeFolderInLayout(path.dirname(target));
      // Before the rename, so the file is never in place with looser permissions.
      await chmod(tempPath, FILE_MODE);
      await rename(tempPath, target);
    },

    async remove(storageKey) {
      try {
        await unlink(pathOf(storageKey));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    },

    async digest(storageKey) {
      return digestFile(pathOf(storageKey));
    },
  };
}

/** SHA-256 (hex) and size of a file, streamed; null when it is missing. */
export async function digestFile(filePath: string): Promise<{ sha256: string; sizeBytes: number } | null> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  try {
    await pipeline(createReadStream(filePath), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        hash.update(chunk);
        sizeBytes += chunk.length;
      }
    });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  return { sha256: hash.digest("hex"), sizeBytes };
}

/**
 * Creates one folder, 0750 whatever the umask. An existing folder is left as it is (another request
 * may have just created it); its parent must exist.
 */
export async function makeDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { mode: DIRECTORY_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw error;
  }
  await chmod(directory, DIRECTORY_MODE);
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
