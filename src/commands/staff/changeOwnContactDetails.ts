// A staff member sets their own Matrix ID and phone (both optional, already normalised by the form:
// E.164 phones, Matrix IDs per the spec, empty as null). Four eyes compares them with applicants', so
// that nobody decides the case of someone who shares them. The audit row names the fields that
// changed, never their values.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";

export async function changeOwnContactDetails(
  db: Database,
  options: {
    staffUserId: string;
    details: { matrixId: string | null; phone: string | null };
    audit: AuditActor;
  },
): Promise<{ changedFields: ("matrixId" | "phone")[] }> {
  return db.$transaction(async (tx) => {
    const before = await tx.staffUser.findUniqueOrThrow({
      where: { id: options.staffUserId },
      select: { matrixId: true, phone: true },
    });
    const changedFields = (["matrixId", "phone"] as const).filter(
      (field) => before[field] !== options.details[field],
    );
    if (changedFields.length === 0) return { changedFields };
    await tx.staffUser.update({ where: { id: options.staffUserId }, data: options.details });
    await recordAudit(
      tx,
      options.audit,
      "staff.contact_details_changed",
      { type: "staff_user", id: options.staffUserId },
      { fields: changedFields },
    );
    return { changedFields };
  });
}
