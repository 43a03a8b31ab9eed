// The page where staff open a case on someone's behalf (views/staff/cases/new.njk): the person's
// details, an optional vetting record, and whether to email them the link to their application.
import { urls } from "../urls.js";
import { vettingRecordFormOptions } from "./cases.js";

export function newCasePageModel(form: { values: Record<string, string>; errors: Record<string, string> }) {
  return {
    values: form.values,
    errors: form.errors,
    ...vettingRecordFormOptions(),
    links: { queue: urls.staffCases(), form: urls.staffCaseNew() },
  };
}
