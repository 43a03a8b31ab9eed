// The applicant edits their details in the workspace, while the case waits for them (a draft, or more
// information requested). The email address is not among them: it is what the links go to, and a new
// address means a new application. The audit row names the fields that changed, never their values;
// a changed phone number or Matrix ID is compared with other cases again (duplicates are flagged to
// staff only).
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { TApplicationDetails } from "../../domain/applicationFields.js";
import { conflict, notFound } from "../../errors.js";
import { canApplicantEdit } from "../../policies/cases.js";
import { flagPossibleDuplicates } from "../cases/flagPossibleDuplicates.js";
import { clearMatrixIdVerification } from "../matrixIdentity/clearMatrixIdVerification.js";

/** A catalog id: the applicant's page says it in its language. */
export const NOT_EDITABLE_MESSAGE = "workspace.refused.notEditable";

export type TEditableDetails = Omit<TApplicationDetails, "email">;
const EDITABLE_FIELDS = ["fullName", "matrixId", "phone", "statement"] as const;

export async function updateApplicationDetails(
  db: Database,
  options: { caseId: string; details: TEditableDetails; audit: AuditActor },
): Promise<{ changedFields: string[] }> {
  return db.$transaction(async (tx) => {
    const current = await tx.vettingCase.findUnique({
      where: { id: options.caseId },
      select: {
        state: true,
        erasedAt: true,
        fullName: true,
        matrixId: true,
        phone: true,
        statement: true,
      },
    });
    if (!current) throw notFound();
    if (!canApplicantEdit(current)) throw conflict(NOT_EDITABLE_MESSAGE);
    const changedFields = EDITABLE_FIELDS.filter((field) => current[field] !== options.details[field]);
    if (changedFields.length === 0) return { changedFields };
    // Conditional on the state read: a case an admin moved on a moment ago is not changed under them.
    const { count } = await tx.vettingCase.updateMany({
      where: { id: options.caseId, state: current.state, erasedAt: null },
      data: Object.fromEntries(changedFields.map((field) => [field, options.details[field]])),
    });
    if (count !== 1) throw conflict(NOT_EDITABLE_MESSAGE);
    await recordAudit(
      tx,
      options.audit,
      "case.details_updated",
      { type: "vetting_case", id: options.caseId },
      { changedFields },
    );
    if (changedFields.includes("matrixId")) {
      await clearMatrixIdVerification(tx, { caseId: options.caseId, audit: options.audit });
    }
    if (changedFields.includes("phone") || changedFields.includes("matrixId")) {
      await flagPossibleDuplicates(tx, { caseId: options.caseId, audit: options.audit });
    }
    return { changedFields };
  });
}
