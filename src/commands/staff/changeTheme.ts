// A person chooses light, dark or their device's colour scheme for the staff pages.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { ThemePreference } from "../../generated/prisma/client.js";

export async function changeTheme(
  db: Database,
  options: { staffUserId: string; themePreference: ThemePreference; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const before = await tx.staffUser.findUniqueOrThrow({
      where: { id: options.staffUserId },
      select: { themePreference: true },
    });
    await tx.staffUser.update({
      where: { id: options.staffUserId },
      data: { themePreference: options.themePreference },
    });
    await recordAudit(
      tx,
      options.audit,
      "staff.theme_changed",
      { type: "staff_user", id: options.staffUserId },
      { from: before.themePreference, to: options.themePreference },
    );
  });
}
