// Placeholder (H4 owns this file): compares the case's email, phone and Matrix ID with every other
// case (erased ones excepted) and records the matches on the case (isPossibleDuplicate,
// duplicateMatches), with an audit row when it newly becomes flagged. In the caller's transaction.
// Staff see the flag; the applicant never does.
import type { AuditActor } from "../audit.js";
import type { Transaction } from "../db.js";

export async function flagPossibleDuplicates(
  _tx: Transaction,
  _options: { caseId: string; audit: AuditActor },
): Promise<void> {}
