// The confirmation before a case's personal data is erased (views/staff/cases/erase-confirm.njk): the
// case's heading, the field for its number, and the refusal when it was erased already (or meanwhile).
import type { CaseState } from "../domain/caseStates.js";
import type { Translator } from "../i18n/translator.js";
import { urls } from "../urls.js";
import { translateCaseRefusal } from "./caseRefusals.js";
import { presentCaseHeading } from "./cases.js";
import { formatDateTime } from "./staff.js";

/** What a request adds to the page: the number as typed and its mistake, or a refusal. */
export interface CaseErasureView {
  values?: { caseNumber?: string };
  error?: string | null;
  conflict?: string | null;
  status?: number;
}

export function caseErasurePageModel(
  vettingCase: { id: string; number: number; state: CaseState; fullName: string; erasedAt: Date | null },
  view: CaseErasureView,
  translator: Translator,
) {
  const isErased = Boolean(vettingCase.erasedAt);
  return {
    caseView: {
      ...presentCaseHeading(vettingCase, translator),
      isErased,
      erasedAt: formatDateTime(vettingCase.erasedAt, ""),
    },
    values: view.values ?? {},
    errors: view.error ? { caseNumber: view.error } : {},
    conflict: view.conflict
      ? translateCaseRefusal(translator, view.conflict)
      : isErased
        ? translator.t("staff.cases.erase.alreadyErased")
        : null,
    links: {
      case: urls.staffCase(vettingCase.id),
      erase: urls.staffCaseAction(vettingCase.id, "erase"),
    },
  };
}
