import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { catalogTranslator } from "../i18n/translator.js";
import {
  allowedMoves,
  CASE_MOVE_REFUSED_MESSAGE,
  CASE_MOVES,
  CASE_STATES,
  type CaseMove,
  type CaseState,
  CaseTransitionError,
  isDecided,
  isEditableByApplicant,
  isOpenState,
  transition,
} from "./caseStates.js";

// The whole table, written out independently of the module: every (state, move) not listed is refused.
const EXPECTED: Record<CaseState, Partial<Record<CaseMove, CaseState>>> = {
  DRAFT: { submit: "SUBMITTED", withdraw: "WITHDRAWN", close: "CLOSED" },
  SUBMITTED: { startReview: "IN_REVIEW", withdraw: "WITHDRAWN", close: "CLOSED" },
  IN_REVIEW: {
    requestMoreInformation: "MORE_INFORMATION_REQUESTED",
    approve: "APPROVED",
    reject: "REJECTED",
    withdraw: "WITHDRAWN",
    close: "CLOSED",
  },
  MORE_INFORMATION_REQUESTED: { resubmit: "IN_REVIEW", withdraw: "WITHDRAWN", close: "CLOSED" },
  APPROVED: {},
  REJECTED: {},
  WITHDRAWN: {},
  CLOSED: { reopen: "SUBMITTED", reopenAsDraft: "DRAFT" },
};

describe("case states", () => {
  for (const from of CASE_STATES) {
    for (const move of Object.keys(CASE_MOVES) as CaseMove[]) {
      const to = EXPECTED[from][move];
      if (to) {
        test(`${from} --${move}--> ${to}`, () => {
          assert.equal(transition(from, move), to);
        });
      } else {
        test(`${from} refuses ${move} with a message for the page`, () => {
          assert.throws(
            () => transition(from, move),
            (error: unknown) =>
              error instanceof CaseTransitionError &&
              error.from === from &&
              error.move === move &&
              /^This case is [a-z ]+, so it cannot be [a-z ]+ now\.$/.test(error.message),
          );
        });
      }
    }
  }

  test("allowedMoves lists exactly the moves the table allows", () => {
    for (const from of CASE_STATES) {
      assert.deepEqual(allowedMoves(from).sort(), Object.keys(EXPECTED[from]).sort(), from);
    }
  });

  test("a closed case is neither open nor decided, and only an admin's reopening leads out of it", () => {
    assert.equal(isOpenState("CLOSED"), false);
    assert.equal(isDecided("CLOSED"), false);
    assert.equal(isEditableByApplicant("CLOSED"), false);
    assert.deepEqual(allowedMoves("CLOSED").sort(), ["reopen", "reopenAsDraft"]);
  });

  test("decided cases are final; applicants edit only drafts and cases sent back to them", () => {
    assert.deepEqual(CASE_STATES.filter(isDecided), ["APPROVED", "REJECTED"]);
    assert.deepEqual(CASE_STATES.filter(isEditableByApplicant), ["DRAFT", "MORE_INFORMATION_REQUESTED"]);
    for (const state of ["APPROVED", "REJECTED", "WITHDRAWN"] as const)
      assert.deepEqual(allowedMoves(state), []);
  });

  test("the message reads as plain language", () => {
    const messageOf = (from: CaseState, move: CaseMove) => {
      try {
        transition(from, move);
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    };
    assert.equal(messageOf("APPROVED", "approve"), "This case is approved, so it cannot be approved now.");
    assert.equal(messageOf("APPROVED", "close"), "This case is approved, so it cannot be closed now.");
    assert.equal(messageOf("IN_REVIEW", "reopen"), "This case is in review, so it cannot be reopened now.");
    assert.equal(messageOf("CLOSED", "withdraw"), "This case is closed, so it cannot be withdrawn now.");
    assert.equal(
      messageOf("DRAFT", "requestMoreInformation"),
      "This case is a draft, so it cannot be sent back for more information now.",
    );
  });

  test("a refused move reads the same from the catalog in English, and is translated in every language", () => {
    const english = catalogTranslator("en");
    for (const from of CASE_STATES) {
      for (const move of Object.keys(CASE_MOVES) as CaseMove[]) {
        const message = english.t(CASE_MOVE_REFUSED_MESSAGE, { state: from, move });
        assert.equal(message, new CaseTransitionError(move, from).message, `${from} ${move}`);
        for (const language of ["de", "fr"]) {
          const translated = catalogTranslator(language).t(CASE_MOVE_REFUSED_MESSAGE, { state: from, move });
          assert.notEqual(translated, message, `${language} ${from} ${move}`);
        }
      }
    }
    assert.equal(
      catalogTranslator("de").t(CASE_MOVE_REFUSED_MESSAGE, { state: "SUBMITTED", move: "submit" }),
      "Dieser Antrag ist eingereicht und kann daher jetzt nicht eingereicht werden.",
    );
  });
});
