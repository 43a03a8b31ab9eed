// The one advisory lock that makes a backup's copy of the uploads agree with its database snapshot.
//
//   an upload (addEvidenceFiles)  pg_advisory_xact_lock_shared: held from the moment its files are
//                                 renamed into place until its rows commit (many uploads at once)
//   the orphan sweep              pg_advisory_xact_lock: while it decides a stored file has no row and
//                                 removes it, no upload is between placing a file and committing its row
//   scripts/backup                pg_advisory_lock (session): while it hard-links the evidence folder
//                                 and exports its snapshot, no upload is half done
//
// scripts/backup is a bash script (its unit forbids writable-and-executable memory, so no node) and
// writes the key as a literal; src/operations/backup.test.ts checks that the two agree.

/** ASCII "vpevid" read as a number: outside the int4 range that the hashtext() keys elsewhere use. */
export const EVIDENCE_PLACEMENT_LOCK_KEY = 0x7670_6576_6964n;
