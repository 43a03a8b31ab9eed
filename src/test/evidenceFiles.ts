// Evidence files in HTTP tests: a stored file seeded the way an upload leaves it (row committed, file
// placed by the real store), a multipart upload sent the way a browser or the upload script sends it,
// and what is on the uploads volume, to prove that nothing was kept.
import { createHash, randomUUID } from "node:crypto";
import { readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { EvidenceUploaderKind } from "../generated/prisma/client.js";
import { type EvidenceStore, evidenceStore } from "../storage/evidenceStore.js";
import type { TestApp } from "./app.js";

export function testStore(testApp: TestApp): EvidenceStore {
  return evidenceStore(testApp.config.uploadsDir, testApp.config.evidence.encryption);
}

export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface SeededEvidenceFile {
  id: string;
  storageKey: string;
  bytes: Buffer;
  sha256: string;
  displayName: string;
}

/** A stored evidence file: the row as addEvidenceFiles writes it, the file placed by the real store. */
export async function seedEvidenceFile(
  testApp: TestApp,
  options: {
    caseId: string;
    bytes: Buffer;
    displayName: string;
    mediaType: string;
    uploaderKind?: EvidenceUploaderKind;
    uploadedById?: string | null;
    note?: string | null;
    createdAt?: Date;
  },
): Promise<SeededEvidenceFile> {
  const store = testStore(testApp);
  await store.ensureLayout();
  const storageKey = randomUUID();
  // Written on the same volume, as formidable writes into a lease folder, then moved into place.
  const tempPath = path.join(store.root, `seed-${storageKey}`);
  await writeFile(tempPath, options.bytes);
  const sha256 = sha256Of(options.bytes);
  const prepared = await store.prepare(tempPath, storageKey);
  const row = await testApp.db.evidenceFile.create({
    data: {
      caseId: options.caseId,
      storageKey,
      displayName: options.displayName,
      mediaType: options.mediaType,
      sizeBytes: options.bytes.length,
      sha256,
      encryptionKeyId: prepared.encryption?.encryptionKeyId ?? null,
      wrappedDataKey: prepared.encryption?.wrappedDataKey ?? null,
      note: options.note ?? null,
      uploaderKind: options.uploaderKind ?? "APPLICANT",
      uploadedById: options.uploadedById ?? null,
      ...(options.createdAt ? { createdAt: options.createdAt } : {}),
    },
    select: { id: true },
  });
  await store.place(prepared);
  return { id: row.id, storageKey, bytes: options.bytes, sha256, displayName: options.displayName };
}

export interface UploadedFile {
  name: string;
  type: string;
  bytes: Buffer;
}

/**
 * POSTs a multipart upload: `_csrf` first (unless left out), then each file as `files`, then `note`.
 * `json` sends Accept: application/json, as the upload script does.
 */
export function postEvidence(
  url: string,
  options: {
    cookie: string;
    csrfToken?: string;
    files: UploadedFile[];
    note?: string;
    json?: boolean;
    headers?: Record<string, string>;
  },
): Promise<Response> {
  const form = new FormData();
  if (options.csrfToken !== undefined) form.append("_csrf", options.csrfToken);
  for (const file of options.files) {
    form.append("files", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  }
  if (options.note !== undefined) form.append("note", options.note);
  return fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: options.cookie,
      ...(options.json ? { accept: "application/json" } : { accept: "text/html" }),
      ...options.headers,
    },
    body: form,
  });
}

/** Every file under a folder, recursively (paths relative to it); nothing when the folder is missing. */
async function filesUnder(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** What the uploads volume holds: stored evidence ("ab/<key>") and anything left in .incoming. */
export async function uploadsOnDisk(testApp: TestApp): Promise<{ stored: string[]; incoming: string[] }> {
  const store = testStore(testApp);
  return {
    stored: await filesUnder(path.join(store.root, "evidence")),
    incoming: await filesUnder(path.join(store.root, ".incoming")),
  };
}

/** Empties the uploads folder between tests (tables are truncated; the files must go with their rows). */
export async function clearUploads(testApp: TestApp): Promise<void> {
  const store = testStore(testApp);
  await rm(path.join(store.root, "evidence"), { recursive: true, force: true });
  await rm(path.join(store.root, ".incoming"), { recursive: true, force: true });
}
