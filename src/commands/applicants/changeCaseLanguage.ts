// A signed-in applicant chose another language with the switcher: their case keeps it, so every email
// to them from now on (sent by the worker, which reads the case) and their pages speak it. Only the
// language tags go into the audit row. An erased case keeps nothing about the person, not even this.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { Language } from "../../i18n/languages.js";

export async function changeCaseLanguage(
  db: Database,
  options: { caseId: string; language: Language; audit: AuditActor },
): Promise<{ isChanged: boolean }> {
  return db.$transaction(async (tx) => {
    const current = await tx.vettingCase.findUnique({
      where: { id: options.caseId },
      select: { language: true, erasedAt: true },
    });
    if (!current || current.erasedAt || current.language === options.language) return { isChanged: false };
    // Conditional on the language read: two switches at once leave one audit row per real change.
    const { count } = await tx.vettingCase.updateMany({
      where: { id: options.caseId, language: current.language, erasedAt: null },
      data: { language: options.language },
    });
    if (count !== 1) return { isChanged: false };
    await recordAudit(
      tx,
      options.audit,
      "case.language_changed",
      { type: "vetting_case", id: options.caseId },
      { from: current.language, to: options.language },
    );
    return { isChanged: true };
  });
}
