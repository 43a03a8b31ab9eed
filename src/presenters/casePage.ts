// The staff case page (views/staff/cases/detail.njk): the case, its vetting records, comments,
// decisions, conflicts of interest, evidence, registration tokens and timeline; its forms, filled again
// with what was typed when a POST re-renders the page; and what the viewer may do (the policies decide,
// the template only reads `can.*`). Also the page's two variants: the short page for a viewer with a
// conflict of interest on the case (conflicted.njk), and the confirmation of a comment the applicant
// will see (comment-confirm.njk).
import type { Config } from "../config.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { Translator } from "../i18n/translator.js";
import type { LiveStatus } from "../matrix/registrationTokenStatus.js";
import {
  assessDecision,
  canAskReferee,
  canAssignCase,
  canBeAssignedCase,
  canCloseCase,
  canComment,
  canCorrectCaseDetails,
  canDeclareConflict,
  canEraseCase,
  canExportCase,
  canInviteApplicant,
  canRecordConflictForOthers,
  canRecordVetting,
  canReopenCase,
  canStartReview,
  canSubmitOnBehalf,
  canWithdrawConflict,
  sayReasons,
} from "../policies/cases.js";
import { canAddEvidence, canViewEvidence } from "../policies/evidence.js";
import { canListRegistrationTokens } from "../policies/registrationTokens.js";
import type { CasePageRecords } from "../queries/casePage.js";
import type { CasePageRow } from "../queries/cases.js";
import type { SignedInStaff } from "../sessions.js";
import { urls } from "../urls.js";
import { correctionNotesOf, presentForPersonPanel } from "./caseForPerson.js";
import type { CaseNavigationModel } from "./caseNavigation.js";
import { translateCaseRefusal } from "./caseRefusals.js";
import { presentCaseRegistrationTokens } from "./caseRegistrationTokens.js";
import {
  presentCase,
  presentCaseHeading,
  presentComments,
  presentConflicts,
  presentDecisions,
  presentTimeline,
  presentVettingRecords,
  vettingRecordFormOptions,
} from "./cases.js";
import { presentConversation } from "./conversation.js";
import { presentEvidenceFiles, presentEvidenceUsage } from "./evidence.js";
import { citableReferenceOptions, presentReferencesPanel } from "./references.js";

/** One of the page's forms as typed, with its mistakes. */
export interface CasePageForm {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * What a request adds to the case page: the notice after an action, a refusal's message, the status
 * (default 200), and a form filled again with what was typed.
 */
export interface CasePageView {
  notice?: string;
  error?: string;
  status?: number;
  decisionForm?: CasePageForm;
  vettingForm?: CasePageForm;
  commentForm?: CasePageForm;
  conflictForm?: CasePageForm;
  onBehalfForm?: CasePageForm;
  closeForm?: CasePageForm;
  correctionForm?: CasePageForm;
  /** "Previous" and "next" in the queue view the case was opened from (presenters/caseNavigation.ts). */
  navigation?: CaseNavigationModel | null;
  referenceForm?: CasePageForm;
}

export function casePageModel(input: {
  staff: SignedInStaff;
  records: CasePageRecords;
  /** The names of the staff the timeline mentions (findStaffNames). */
  staffNames: Map<string, string>;
  /** What the homeserver says of each created registration token, by token id. */
  tokenLiveStatuses: Map<string, LiveStatus>;
  config: Pick<Config, "cases" | "matrix" | "matrixBot" | "evidence">;
  view: CasePageView;
  /** The page's language (staff pages: English, or the pseudo-language where tests ask for it). */
  translator: Translator;
  now?: Date;
}) {
  const { staff, records, config, view, translator } = input;
  const { row, facts, timelineRows, assignableStaff, evidenceRows, registrationTokenRows } = records;
  const decision = assessDecision(staff, facts, config.cases);
  const canRecordConflicts = canRecordConflictForOthers(staff, facts);
  return {
    navigation: view.navigation ?? null,
    caseView: presentCase(row, translator),
    vettingRecords: presentVettingRecords(row, translator),
    comments: presentComments(row),
    // The conversation with the applicant: what they see, plus their replies. Internal comments stay in
    // `comments` only, shown in their own section.
    conversation: presentConversation(
      {
        visibleComments: row.comments
          .filter((comment) => comment.isVisibleToApplicant)
          .map((comment) => ({ ...comment, authorName: comment.author.name })),
        decisions: row.decisions.map((decision) => ({
          ...decision,
          decidedByName: decision.decidedBy.name,
        })),
        replies: row.replies,
      },
      "staff",
    ).map((entry) => ({
      ...entry,
      author: entry.isFromApplicant
        ? translator.t("staff.cases.theApplicant")
        : translator.t("staff.cases.conversation.staffAuthor", {
            name: entry.staffName ?? translator.t("staff.cases.formerStaffMember"),
          }),
    })),
    forPerson: presentForPersonPanel(row, translator),
    decisions: presentDecisions(row, translator),
    conflicts: presentConflicts(row, staff).map((standing) => ({
      ...standing,
      canWithdraw: canWithdrawConflict(staff, standing),
      withdrawUrl: urls.staffCaseConflictWithdrawal(row.id, standing.id),
    })),
    registrationTokens: presentCaseRegistrationTokens(
      registrationTokenRows,
      input.now ?? new Date(),
      input.tokenLiveStatuses,
      translator,
    ),
    registrationTokenPanel: {
      isShown: row.state === "APPROVED" || registrationTokenRows.length > 0,
      isFeatureOn: config.matrix !== null,
    },
    evidence: {
      files: canViewEvidence(staff, facts)
        ? presentEvidenceFiles(evidenceRows, { kind: "staff", actor: staff, translator }, facts)
        : [],
      usage: presentEvidenceUsage(config.evidence, records.evidenceUsage),
    },
    timeline: presentTimeline(
      timelineRows,
      {
        staff: input.staffNames,
        commentIds: new Set(row.comments.map((comment) => comment.id)),
        recordIds: new Set(row.vettingRecords.map((record) => record.id)),
        decisionIds: new Set(row.decisions.map((decision) => decision.id)),
        evidenceFileIds: new Set(evidenceRows.map((file) => file.id)),
        correctionNotes: correctionNotesOf(row, translator),
      },
      translator,
    ),
    assigneeOptions: [
      // A disabled assignee stays visible as the current choice until someone changes it.
      ...(row.assignedToId && !assignableStaff.some((person) => person.id === row.assignedToId)
        ? [
            {
              id: row.assignedToId,
              name: translator.t("staff.cases.assignment.inactive", {
                name: row.assignedTo?.name ?? translator.t("staff.cases.assignment.unknown"),
              }),
            },
          ]
        : []),
      // Nobody with a conflict of interest on the case is offered.
      ...assignableStaff.filter((person) => canBeAssignedCase(person, facts)),
    ].map((person) => ({
      value: person.id,
      label:
        person.id === staff.id
          ? translator.t("staff.cases.queue.personYou", { name: person.name })
          : person.name,
      isSelected: person.id === row.assignedToId,
    })),
    // Admins may record a conflict for anyone active who has none on the case yet.
    conflictPersonOptions: canRecordConflicts
      ? assignableStaff
          .filter((person) => person.id !== staff.id && canBeAssignedCase(person, facts))
          .map((person) => ({ value: person.id, label: person.name }))
      : [],
    ...vettingRecordFormOptions(translator),
    referencesPanel: presentReferencesPanel(records.referenceRows, {
      caseId: row.id,
      canAsk: canAskReferee(staff, facts),
      isMatrixOn: config.matrixBot !== null,
      form: view.referenceForm,
      translator,
    }),
    referenceOptions: citableReferenceOptions(records.referenceRows, translator),
    can: {
      decide: decision.barriers.length === 0,
      decisionBarriers: decision.barriers.map((barrier) => sayReasons([barrier], translator)),
      approvalBlocker: decision.approvalBlocker ? sayReasons(decision.approvalBlocker, translator) : null,
      export: canExportCase(staff, facts),
      erase: canEraseCase(staff, facts),
      recordVetting: canRecordVetting(staff, facts),
      assign: canAssignCase(staff, facts),
      startReview: canStartReview(staff, facts),
      comment: canComment(staff, facts),
      invite: canInviteApplicant(staff, facts),
      addEvidence: canAddEvidence(staff, facts),
      seeTokenAlerts: canListRegistrationTokens(staff),
      declareConflict: canDeclareConflict(staff, facts),
      recordConflictForOthers: canRecordConflicts,
      submitOnBehalf: canSubmitOnBehalf(staff, facts),
      close: canCloseCase(staff, facts),
      reopen: canReopenCase(staff, facts),
      correctDetails: canCorrectCaseDetails(staff, facts),
    },
    decisionForm: view.decisionForm ?? { values: {}, errors: {} },
    vettingForm: view.vettingForm ?? { values: {}, errors: {} },
    commentForm: view.commentForm ?? { values: { visibility: "internal" }, errors: {} },
    conflictForm: view.conflictForm ?? { values: {}, errors: {} },
    onBehalfForm: view.onBehalfForm ?? { values: {}, errors: {} },
    closeForm: view.closeForm ?? { values: {}, errors: {} },
    correctionForm: view.correctionForm ?? {
      values: {
        correctFullName: row.erasedAt ? "" : row.fullName,
        correctEmail: row.erasedAt ? "" : (row.pendingEmail ?? row.email),
        correctMatrixId: row.matrixId ?? "",
        correctPhone: row.phone ?? "",
      },
      errors: {},
    },
    notice: view.notice ?? null,
    error: view.error ? translateCaseRefusal(translator, view.error) : null,
    links: {
      queue: urls.staffCases(),
      self: urls.staffCase(row.id),
      assign: urls.staffCaseAction(row.id, "assign"),
      startReview: urls.staffCaseAction(row.id, "start-review"),
      vettingRecords: urls.staffCaseAction(row.id, "vetting-records"),
      comments: urls.staffCaseAction(row.id, "comments"),
      invite: urls.staffCaseAction(row.id, "invite"),
      decision: urls.staffCaseAction(row.id, "decision"),
      export: urls.staffCaseAction(row.id, "export"),
      erase: urls.staffCaseAction(row.id, "erase"),
      addEvidence: urls.staffCaseEvidence(row.id),
      conflicts: urls.staffCaseAction(row.id, "conflicts"),
      submitOnBehalf: urls.staffCaseAction(row.id, "submit-on-behalf"),
      close: urls.staffCaseAction(row.id, "close"),
      reopen: urls.staffCaseAction(row.id, "reopen"),
      correctDetails: urls.staffCaseAction(row.id, "details"),
    },
  };
}

/**
 * The case page for someone with a conflict of interest on it: the number, the person's name, the
 * state and their conflict (with the button to withdraw it when it is theirs to withdraw). Nothing else.
 */
export function conflictedCasePageModel(
  staff: SignedInStaff,
  row: CasePageRow,
  view: CasePageView,
  translator: Translator,
) {
  const own = presentConflicts(row, staff).find((standing) => standing.isYours);
  return {
    caseView: presentCaseHeading(row, translator),
    conflict: own
      ? {
          ...own,
          canWithdraw: canWithdrawConflict(staff, own),
          withdrawUrl: urls.staffCaseConflictWithdrawal(row.id, own.id),
        }
      : null,
    notice: view.notice ?? null,
    error: view.error ? translateCaseRefusal(translator, view.error) : null,
    links: { queue: urls.staffCases() },
  };
}

/** "The applicant will see this": the comment as written, to be saved only once the author confirms. */
export function commentConfirmationModel(vettingCase: { id: string; number: number }, body: string) {
  return {
    caseNumber: formatCaseNumber(vettingCase.number),
    body,
    links: {
      case: urls.staffCase(vettingCase.id),
      comments: urls.staffCaseAction(vettingCase.id, "comments"),
    },
  };
}
