// References as pages show them: the applicant's referees page (answered or not, nothing more) and the
// staff case page's panel (every answer), with the record form's choice of answered references.
import type { Translator } from "../i18n/translator.js";
import type { ApplicantReferenceRow, CaseReferenceRow } from "../queries/references.js";
import { urls } from "../urls.js";

export interface RefereeFormView {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** The applicant's referees page (views/applicant/_referees-page.njk). */
export function applicantRefereesPageModel(input: {
  rows: readonly ApplicantReferenceRow[];
  refereesMax: number;
  linkDays: number;
  canName: boolean;
  form: RefereeFormView;
  notice: string | null;
  refusal: string | null;
}) {
  return {
    referees: input.rows.map((row) => ({
      email: row.refereeEmail,
      relationship: row.relationship,
      // Whether, never what: the answer itself is for the vetting team.
      isAnswered: row.answeredAt !== null,
    })),
    refereesMax: input.refereesMax,
    linkDays: input.linkDays,
    isFull: input.rows.length >= input.refereesMax,
    canName: input.canName,
    // Not "form": the templates import the form macros under that name.
    form_: input.form,
    notice: input.notice,
    refusal: input.refusal,
    links: { self: urls.applicantReferees(), workspace: urls.applicantWorkspace() },
  };
}

/** The staff case page's references panel (views/staff/cases/_references-panel.njk). */
export function presentReferencesPanel(
  rows: readonly CaseReferenceRow[],
  input: { caseId: string; canAsk: boolean; form: RefereeFormView | undefined; translator: Translator },
) {
  const { translator } = input;
  return {
    references: rows.map((row) => ({
      id: row.id,
      refereeEmail: row.refereeEmail,
      relationship: row.relationship,
      askedBy: row.requestedBy
        ? translator.t("references.staff.askedBy", { name: row.requestedBy.name })
        : translator.t("references.staff.askedByApplicant"),
      requestedAt: translator.dateTime(row.requestedAt),
      status: row.status,
      statusLabel: translator.t(`references.staff.status.${row.status}`, {
        answeredAt: row.answeredAt ? translator.dateTime(row.answeredAt) : "",
      }),
      knownHow: row.knownHow,
      knownFor: row.knownFor,
      statement: row.statement,
      citedBy: row.citingRecords.map((record) =>
        translator.t("references.staff.citedBy", { name: record.agent.name }),
      ),
    })),
    canAsk: input.canAsk,
    askForm: input.form ?? { values: {}, errors: {} },
    askUrl: urls.staffCaseReferences(input.caseId),
  };
}

/** The answered references a "trusted referral" record may cite, for the record form's select. */
export function citableReferenceOptions(rows: readonly CaseReferenceRow[], translator: Translator) {
  return rows
    .filter((row) => row.status !== "REQUESTED" && row.refereeEmail !== "")
    .map((row) => ({
      value: row.id,
      label: `${row.refereeEmail} — ${translator.t(`references.staff.status.${row.status}`, {
        answeredAt: row.answeredAt ? translator.dateTime(row.answeredAt) : "",
      })}`,
    }));
}
