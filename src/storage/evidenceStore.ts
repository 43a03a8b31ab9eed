// CONTRACT STUB (lead) — helper A implements the bodies; the exported names and types are the contract.
//
// The uploads volume, laid out as:
//   uploads/evidence/<first two characters of the key>/<key>   stored evidence (dirs 0750, files 0640)
//   uploads/.incoming/<lease id>/<uuid>                          uploads in flight (see uploadLeases.ts)
// Modes are set explicitly with chmod, whatever the process umask.

export interface EvidenceStore {
  /** The uploads folder (config.uploadsDir). */
  readonly root: string;
  /** Creates uploads/, uploads/evidence/ and uploads/.incoming/ (0750) when missing. */
  ensureLayout(): Promise<void>;
  /** uploads/.incoming/<leaseId> (not created here). */
  incomingDirectory(leaseId: string): string;
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

export function evidenceStore(_uploadsDir: string): EvidenceStore {
  throw new Error("not implemented yet (helper A)");
}
