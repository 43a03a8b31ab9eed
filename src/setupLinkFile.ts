// Where the first-run setup link goes when nobody is watching a terminal. The link makes whoever opens
// it the first superadmin, so it must not land in a log: under systemd standard output is the journal,
// which every member of the adm group (and any log shipper) reads. Then main.ts writes it to this file
// instead (mode 0600, for the portal's own user) and logs only the file's path. The file goes once the
// link has been used, or once a superadmin exists by other means (npm run create-admin).
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export const SETUP_LINK_FILE_MODE = 0o600;

/** Writes the text to a new file readable by this user only, replacing any earlier one. */
export async function writeSetupLinkFile(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
  // Removed first, then created exclusively (O_EXCL): never written through a link someone left in its
  // place, and never with the mode of an older file.
  await rm(file, { force: true });
  await writeFile(file, text, { mode: SETUP_LINK_FILE_MODE, flag: "wx" });
}

/** Removes the file; one that is already gone is fine. */
export async function removeSetupLinkFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
