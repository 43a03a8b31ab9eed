// The page where staff open a case on someone's behalf (views/staff/cases/new.njk): the person's
// details, an optional vetting record, and whether to email them the link to their application.
import type { Translator } from "../i18n/translator.js";
import { urls } from "../urls.js";
import { vettingRecordFormOptions } from "./cases.js";

export function newCasePageModel(
  form: { values: Record<string, string>; errors: Record<string, string> },
  translator: Translator,
) {
  return {
    values: form.values,
    errors: form.errors,
    ...vettingRecordFormOptions(translator),
    links: { queue: urls.staffCases(), form: urls.staffCaseNew() },
  };
}
