// Case refusals in the page's language. The commands say why they refused in one English sentence (their
// callers' logs and tests use it as it is); the staff case pages recognise each of those sentences here
// and say it from the catalog ("staff.cases.refusal.*"). A sentence not listed stays English, so a new
// refusal is never hidden, only untranslated until it is added here and to the catalogs.
import {
  ASSIGNEE_CONFLICTED_MESSAGE,
  ASSIGNEE_NOT_ACTIVE_MESSAGE,
  assignmentClosedMessage,
} from "../commands/cases/assignCase.js";
import {
  NO_SUCH_ORIGINAL_MESSAGE,
  NOT_ITS_OWN_DUPLICATE_MESSAGE,
  ONLY_ADMINS_CLOSE_MESSAGE,
} from "../commands/cases/closeCase.js";
import { NOTHING_TO_CORRECT_MESSAGE } from "../commands/cases/correctCaseDetails.js";
import { CASE_ERASED_MESSAGE, ONLY_ADMINS_DECIDE_MESSAGE } from "../commands/cases/decideCase.js";
import { ALREADY_CONFLICTED_MESSAGE } from "../commands/cases/declareConflictOfInterest.js";
import { ALREADY_ERASED_MESSAGE } from "../commands/cases/eraseCase.js";
import { NOT_WAITING_FOR_PERSON_MESSAGE } from "../commands/cases/inviteApplicantToCase.js";
import { CASE_CHANGED_MESSAGE } from "../commands/cases/moveCase.js";
import { NOT_CITABLE_MESSAGE, vettingClosedMessage } from "../commands/cases/recordVettingRecord.js";
import { ALREADY_WITHDRAWN_MESSAGE } from "../commands/cases/withdrawConflictOfInterest.js";
import { caseClosedForUploadMessage } from "../commands/evidence/addEvidenceFiles.js";
import { evidenceLockedMessage, NOT_UPLOADER_MESSAGE } from "../commands/evidence/deleteEvidenceFile.js";
import { ERASED_CASE_MESSAGE } from "../domain/caseMessages.js";
import {
  CASE_MOVES,
  CASE_STATE_LABELS,
  CASE_STATES,
  type CaseMove,
  CaseTransitionError,
} from "../domain/caseStates.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
import type { EvidenceUploadRefusal } from "./evidence.js";
import { translateUploadRefusal } from "./evidenceRefusals.js";

const FIXED: ReadonlyMap<string, string> = new Map([
  [ERASED_CASE_MESSAGE, "staff.cases.erasedCase"],
  [CASE_CHANGED_MESSAGE, "staff.cases.refusal.caseChanged"],
  [ALREADY_ERASED_MESSAGE, "staff.cases.erase.alreadyErased"],
  [ASSIGNEE_CONFLICTED_MESSAGE, "staff.cases.refusal.assigneeConflicted"],
  [ASSIGNEE_NOT_ACTIVE_MESSAGE, "staff.cases.bulk.problem.assigneeNotActive"],
  [ONLY_ADMINS_CLOSE_MESSAGE, "staff.cases.refusal.onlyAdminsClose"],
  [NO_SUCH_ORIGINAL_MESSAGE, "staff.cases.refusal.noSuchOriginal"],
  [NOT_ITS_OWN_DUPLICATE_MESSAGE, "staff.cases.refusal.notItsOwnDuplicate"],
  [NOTHING_TO_CORRECT_MESSAGE, "staff.cases.refusal.nothingToCorrect"],
  [ONLY_ADMINS_DECIDE_MESSAGE, "staff.cases.decisionBarrier.onlyAdmins"],
  [CASE_ERASED_MESSAGE, "staff.cases.refusal.erasedNotDecided"],
  [ALREADY_CONFLICTED_MESSAGE, "staff.cases.refusal.alreadyConflicted"],
  [NOT_WAITING_FOR_PERSON_MESSAGE, "staff.cases.refusal.notWaitingForPerson"],
  [NOT_CITABLE_MESSAGE, "staff.cases.refusal.notCitable"],
  [ALREADY_WITHDRAWN_MESSAGE, "staff.cases.refusal.alreadyWithdrawn"],
  [NOT_UPLOADER_MESSAGE, "staff.cases.refusal.notUploader"],
]);

/** The sentences that name the case's state (or a move it refuses), each in every state, once. */
let byStateCache: Map<string, { id: string; values: Record<string, string> }> | undefined;
function sentencesByState() {
  if (byStateCache) return byStateCache;
  const sentences = new Map<string, { id: string; values: Record<string, string> }>();
  for (const state of CASE_STATES) {
    sentences.set(assignmentClosedMessage(state), {
      id: "staff.cases.refusal.assignmentClosed",
      values: { state },
    });
    sentences.set(vettingClosedMessage(state), {
      id: "staff.cases.refusal.vettingClosed",
      values: { state },
    });
    sentences.set(caseClosedForUploadMessage(state), {
      id: "staff.cases.refusal.uploadClosed",
      values: { state },
    });
    sentences.set(evidenceLockedMessage(CASE_STATE_LABELS[state]), {
      id: "staff.cases.refusal.evidenceLocked",
      values: { state },
    });
    for (const move of Object.keys(CASE_MOVES) as CaseMove[]) {
      sentences.set(new CaseTransitionError(move, state).message, {
        id: "staff.cases.refusal.transition",
        values: { state, move },
      });
    }
  }
  byStateCache = sentences;
  return sentences;
}

/**
 * The decision rules' reasons (policies/cases.ts), which a refused decision says one after the other in
 * English: each as a pattern over its English text, its values as named groups.
 */
const DECISION_REASON_IDS = [
  "onlyAdmins",
  "erased",
  "notInReview",
  "differentAdmin",
  "conflict",
  "opened",
  "submittedOnBehalf",
  "vetted",
  "uploaded",
  "sameEmail",
  "samePhone",
  "sameMatrixId",
].map((name) => `staff.cases.decisionBarrier.${name}`);
const APPROVAL_REASON_IDS = ["reference", "oneRecord", "records", "notCounted"].map(
  (name) => `staff.cases.approvalBlocker.${name}`,
);

let reasonPatternsCache: { id: string; pattern: RegExp }[] | undefined;
function reasonPatterns() {
  if (reasonPatternsCache) return reasonPatternsCache;
  const english = englishTranslator();
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  reasonPatternsCache = [...DECISION_REASON_IDS, ...APPROVAL_REASON_IDS].map((id) => {
    // The English with its numbers as placeholders, each placeholder a named group.
    const marked = english.t(id, { needed: 1_000_001, count: 1_000_002, excluded: 1_000_003 });
    const source = escapeRegExp(marked)
      .replace("1000001", "(?<needed>\\d+)")
      .replace("1000002", "(?<count>\\d+)")
      .replace("1000003", "(?<excluded>\\d+)");
    return { id, pattern: new RegExp(`^${source}(?: |$)`) };
  });
  return reasonPatternsCache;
}

/** A refused decision's reasons, each said from the catalog, or null when `message` is not only those. */
function translateDecisionReasons(translator: Translator, message: string): string | null {
  const said: string[] = [];
  let rest = message;
  while (rest !== "") {
    const known = reasonPatterns()
      .map(({ id, pattern }) => ({ id, match: pattern.exec(rest) }))
      .find((candidate) => candidate.match !== null);
    if (!known?.match) return null;
    const values = Object.fromEntries(
      Object.entries(known.match.groups ?? {}).map(([name, value]) => [name, Number(value)]),
    );
    said.push(translator.t(known.id, values));
    rest = rest.slice(known.match[0].length);
  }
  return said.length > 0 ? said.join(" ") : null;
}

/** Every sentence recognised here (for the test that English says each exactly as its command does). */
export function knownCaseRefusals(): string[] {
  return [...FIXED.keys(), ...sentencesByState().keys()];
}

/** `message` in the translator's language when it is one of the known refusals or a catalog id; otherwise as it is. */
export function translateCaseRefusal(translator: Translator, message: string): string {
  const fixed = FIXED.get(message);
  if (fixed) return translator.t(fixed);
  const byState = sentencesByState().get(message);
  if (byState) return translator.t(byState.id, byState.values);
  return translateDecisionReasons(translator, message) ?? translator.message(message);
}

/**
 * An upload refusal on a case's evidence page: a case refusal as on the case page, and a check's
 * sentence from the applicant's catalog messages where their English is the staff's sentence word for
 * word (some are worded for applicants, and stay as the check says them).
 */
export function translateStaffUploadRefusal(
  translator: Translator,
  refusal: EvidenceUploadRefusal | null,
): EvidenceUploadRefusal | null {
  if (!refusal) return null;
  const say = (message: string) => {
    const asCaseRefusal = translateCaseRefusal(translator, message);
    if (asCaseRefusal !== message) return asCaseRefusal;
    return translateUploadRefusal(englishTranslator(), message) === message
      ? translateUploadRefusal(translator, message)
      : message;
  };
  return {
    ...refusal,
    message: say(refusal.message),
    fileProblems: refusal.fileProblems.map((problem) => ({ ...problem, message: say(problem.message) })),
  };
}
