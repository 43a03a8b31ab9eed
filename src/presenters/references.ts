// References as pages show them: the applicant's referees page (answered or not, nothing more) and the
// staff case page's panel (every answer), with the record form's choice of answered references.
import type { ReferenceRefusal } from "../commands/references/requestReference.js";
import type { Translator } from "../i18n/translator.js";
import type { ApplicantReferenceRow, CaseReferenceRow } from "../queries/references.js";
import { urls } from "../urls.js";

export interface RefereeFormView {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * The catalog id of a refusal, for the applicant's page ("references.refused") or the staff panel
 * ("references.staff.refused"): a Matrix ID's own and same-person refusals name the Matrix ID.
 */
export function refusalMessageId(
  area: "references.refused" | "references.staff.refused",
  reason: ReferenceRefusal,
  isMatrixId: boolean,
): string {
  const namesMatrixId = isMatrixId && (reason === "own_address" || reason === "same_person");
  return `${area}.${reason}${namesMatrixId ? "_matrix" : ""}`;
}

/** The applicant's referees page (views/applicant/_referees-page.njk). */
export function applicantRefereesPageModel(input: {
  rows: readonly ApplicantReferenceRow[];
  refereesMax: number;
  linkDays: number;
  canName: boolean;
  /** Whether a referee can be named by Matrix ID (the portal's bot is configured). */
  isMatrixOn: boolean;
  form: RefereeFormView;
  notice: string | null;
  refusal: string | null;
}) {
  return {
    referees: input.rows.map((row) => ({
      contact: row.refereeEmail ?? row.refereeMatrixId ?? "",
      relationship: row.relationship,
      // Whether, never what: the answer itself is for the vetting team.
      isAnswered: row.answeredAt !== null,
      // The bot could not reach the Matrix ID (no such user, invite refused, no answer): worth knowing
      // so the applicant can name someone else.
      isUndelivered: row.matrixFailure !== null,
    })),
    refereesMax: input.refereesMax,
    linkDays: input.linkDays,
    // As the command counts: a Matrix ID the bot could not reach leaves its place free.
    isFull: input.rows.filter((row) => row.matrixFailure === null).length >= input.refereesMax,
    canName: input.canName,
    isMatrixOn: input.isMatrixOn,
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
  input: {
    caseId: string;
    canAsk: boolean;
    isMatrixOn: boolean;
    form: RefereeFormView | undefined;
    translator: Translator;
  },
) {
  const { translator } = input;
  return {
    references: rows.map((row) => ({
      id: row.id,
      contact: row.refereeEmail ?? row.refereeMatrixId,
      relationship: row.relationship,
      delivery: matrixDelivery(row, translator),
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
    isMatrixOn: input.isMatrixOn,
    askForm: input.form ?? { values: {}, errors: {} },
    askUrl: urls.staffCaseReferences(input.caseId),
  };
}

/** How a referee named by Matrix ID was reached: the bot's message waiting, sent, or refused; null for email. */
function matrixDelivery(row: CaseReferenceRow, translator: Translator): string | null {
  if (row.refereeMatrixId === null) return null;
  if (row.matrixFailure !== null) return translator.t(`references.staff.matrix.failed.${row.matrixFailure}`);
  if (row.matrixSentAt !== null)
    return translator.t("references.staff.matrix.sent", { sentAt: translator.dateTime(row.matrixSentAt) });
  return translator.t("references.staff.matrix.waiting");
}

/** The answered references a "trusted referral" record may cite, for the record form's select. */
export function citableReferenceOptions(rows: readonly CaseReferenceRow[], translator: Translator) {
  return rows
    .filter((row) => row.status !== "REQUESTED" && (row.refereeEmail ?? row.refereeMatrixId) !== null)
    .map((row) => ({
      value: row.id,
      label: `${row.refereeEmail ?? row.refereeMatrixId} — ${translator.t(
        `references.staff.status.${row.status}`,
        {
          answeredAt: row.answeredAt ? translator.dateTime(row.answeredAt) : "",
        },
      )}`,
    }));
}
