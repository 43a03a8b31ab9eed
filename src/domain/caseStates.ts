// The states of a vetting case and the only moves between them, in one place, with the sets of states
// the rest of the code speaks of (open, decided, editable by the applicant): policies, SQL and views
// derive from these, never list states of their own. Every command that changes a case's state asks transition() first; a move that is
// not listed here is refused with a message for the page, never a 500.
//
//   DRAFT ─submit→ SUBMITTED ─startReview→ IN_REVIEW ─approve→ APPROVED
//                                             │   ↑       └─reject→ REJECTED
//                      requestMoreInformation ↓   │ resubmit
//                                     MORE_INFORMATION_REQUESTED
//   withdraw: from any state before a decision → WITHDRAWN
//   close:    an admin closes an open case without a decision (spam, duplicate, …) → CLOSED
//   reopen:   CLOSED → SUBMITTED (it had been submitted) · reopenAsDraft: CLOSED → DRAFT (it never was)
//
// Submitting on the person's behalf is the same `submit` move, made by an agent.
//
// Who may make a move (applicant, agent, admin, four eyes) is not decided here but in policies/.

export const CASE_STATES = [
  "DRAFT",
  "SUBMITTED",
  "IN_REVIEW",
  "MORE_INFORMATION_REQUESTED",
  "APPROVED",
  "REJECTED",
  "WITHDRAWN",
  "CLOSED",
] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** Open: before a decision, and not withdrawn. Staff work on these; the applicant may still withdraw. */
export const OPEN_STATES = [
  "DRAFT",
  "SUBMITTED",
  "IN_REVIEW",
  "MORE_INFORMATION_REQUESTED",
] as const satisfies readonly CaseState[];

/** Decided: approved or rejected (a withdrawal is the applicant's, not a decision). */
export const DECIDED_STATES = ["APPROVED", "REJECTED"] as const satisfies readonly CaseState[];

/** Waiting for the applicant: they may edit their details and evidence only in these. */
export const APPLICANT_EDITABLE_STATES = [
  "DRAFT",
  "MORE_INFORMATION_REQUESTED",
] as const satisfies readonly CaseState[];

const isOneOf = (states: readonly CaseState[], state: CaseState) => states.includes(state);

export const CASE_MOVES = {
  submit: { from: ["DRAFT"], to: "SUBMITTED" },
  startReview: { from: ["SUBMITTED"], to: "IN_REVIEW" },
  requestMoreInformation: { from: ["IN_REVIEW"], to: "MORE_INFORMATION_REQUESTED" },
  resubmit: { from: ["MORE_INFORMATION_REQUESTED"], to: "IN_REVIEW" },
  approve: { from: ["IN_REVIEW"], to: "APPROVED" },
  reject: { from: ["IN_REVIEW"], to: "REJECTED" },
  withdraw: { from: OPEN_STATES, to: "WITHDRAWN" },
  close: { from: OPEN_STATES, to: "CLOSED" },
  // Two moves rather than one with a computed target: the table stays the whole truth, and the command
  // picks by whether the case had ever been submitted.
  reopen: { from: ["CLOSED"], to: "SUBMITTED" },
  reopenAsDraft: { from: ["CLOSED"], to: "DRAFT" },
} as const satisfies Record<string, { from: readonly CaseState[]; to: CaseState }>;
export type CaseMove = keyof typeof CASE_MOVES;

/** Plain-language names, for pages and emails. */
export const CASE_STATE_LABELS: Record<CaseState, string> = {
  DRAFT: "Draft",
  SUBMITTED: "Submitted",
  IN_REVIEW: "In review",
  MORE_INFORMATION_REQUESTED: "More information requested",
  APPROVED: "Approved",
  REJECTED: "Rejected",
  WITHDRAWN: "Withdrawn",
  CLOSED: "Closed without a decision",
};

/** How a sentence says what the case is: "This case is <phrase>". */
const STATE_PHRASES: Record<CaseState, string> = {
  DRAFT: "a draft",
  SUBMITTED: "submitted",
  IN_REVIEW: "in review",
  MORE_INFORMATION_REQUESTED: "waiting for more information",
  APPROVED: "approved",
  REJECTED: "rejected",
  WITHDRAWN: "withdrawn",
  CLOSED: "closed",
};

const MOVE_LABELS: Record<CaseMove, string> = {
  submit: "submitted",
  startReview: "taken into review",
  requestMoreInformation: "sent back for more information",
  resubmit: "resubmitted",
  approve: "approved",
  reject: "rejected",
  withdraw: "withdrawn",
  close: "closed",
  reopen: "reopened",
  reopenAsDraft: "reopened",
};

/**
 * The catalog id that says a CaseTransitionError on a page, in the page's language, with the values
 * `state` and `move`; in English it reads exactly as the error's own message.
 */
export const CASE_MOVE_REFUSED_MESSAGE = "errors.caseMove";

/** A move the case's state does not allow: shown to the person as a message, with status 409. */
export class CaseTransitionError extends Error {
  override readonly name = "CaseTransitionError";
  constructor(
    readonly move: CaseMove,
    readonly from: CaseState,
  ) {
    super(`This case is ${STATE_PHRASES[from]}, so it cannot be ${MOVE_LABELS[move]} now.`);
  }
}

/** The state after the move, or a CaseTransitionError. */
export function transition(from: CaseState, move: CaseMove): CaseState {
  const allowed: readonly CaseState[] = CASE_MOVES[move].from;
  if (!allowed.includes(from)) throw new CaseTransitionError(move, from);
  return CASE_MOVES[move].to;
}

export function allowedMoves(from: CaseState): CaseMove[] {
  return (Object.keys(CASE_MOVES) as CaseMove[]).filter((move) =>
    (CASE_MOVES[move].from as readonly CaseState[]).includes(from),
  );
}

/** Whether the state machine allows this move from this state (policies ask it; commands call transition). */
export function canMakeMove(from: CaseState, move: CaseMove): boolean {
  return (CASE_MOVES[move].from as readonly CaseState[]).includes(from);
}

export function isOpenState(state: CaseState): boolean {
  return isOneOf(OPEN_STATES, state);
}

export function isDecided(state: CaseState): boolean {
  return isOneOf(DECIDED_STATES, state);
}

export function isEditableByApplicant(state: CaseState): boolean {
  return isOneOf(APPLICANT_EDITABLE_STATES, state);
}
