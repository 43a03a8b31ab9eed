// Everything the staff case page shows, read in one go (routes/staff/casePageView.ts loads it, then
// presenters/casePage.ts builds the page from it): the case, its timeline, its evidence and registration
// tokens, the staff it may be assigned to, and its facts for the policies.
import type { Database } from "../db.js";
import { findCaseRegistrationTokens } from "./caseRegistrationTokens.js";
import {
  caseFactsOf,
  findAssignableStaff,
  findCaseForPage,
  findCaseTimeline,
  findStaffMatchingApplicant,
} from "./cases.js";
import { findEvidenceFiles, findEvidenceUsage } from "./evidence.js";
import { findCaseReferences } from "./references.js";

/** The case page's records, or null when there is no such case. */
export async function findCasePage(db: Database, caseId: string) {
  const [
    row,
    timelineRows,
    assignableStaff,
    evidenceRows,
    evidenceUsage,
    registrationTokenRows,
    referenceRows,
  ] = await Promise.all([
    findCaseForPage(db, caseId),
    findCaseTimeline(db, caseId),
    findAssignableStaff(db),
    findEvidenceFiles(db, caseId),
    findEvidenceUsage(db, caseId),
    findCaseRegistrationTokens(db, caseId),
    findCaseReferences(db, caseId),
  ]);
  if (!row) return null;
  const facts = caseFactsOf(row, await findStaffMatchingApplicant(db, row));
  return {
    row,
    facts,
    timelineRows,
    assignableStaff,
    evidenceRows,
    evidenceUsage,
    registrationTokenRows,
    referenceRows,
  };
}

export type CasePageRecords = NonNullable<Awaited<ReturnType<typeof findCasePage>>>;
