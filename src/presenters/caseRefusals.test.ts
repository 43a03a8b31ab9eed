// The case pages say a command's refusal from the catalog. In English the catalog's sentence must be the
// command's own, word for word (else the English page would change); in the pseudo-language every one
// is translated; a sentence nobody listed is shown as it is, never hidden.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assignmentClosedMessage } from "../commands/cases/assignCase.js";
import { caseClosedForUploadMessage } from "../commands/evidence/addEvidenceFiles.js";
import { CaseTransitionError } from "../domain/caseStates.js";
import { englishTranslator, loadTranslators } from "../i18n/translator.js";
import { sayReasons } from "../policies/cases.js";
import { knownCaseRefusals, translateCaseRefusal, translateStaffUploadRefusal } from "./caseRefusals.js";
import { caseRefusal } from "./evidence.js";

test("in English every known refusal reads exactly as the command says it", () => {
  const english = englishTranslator();
  const sentences = knownCaseRefusals();
  assert.ok(sentences.length > 50);
  const changed = sentences.filter((sentence) => translateCaseRefusal(english, sentence) !== sentence);
  assert.deepEqual(changed, []);
});

test("in the pseudo-language each is translated, with the state and the move it names", async () => {
  const pseudo = (await loadTranslators(["en", "en-XA"])).for("en-XA");
  const untranslated = knownCaseRefusals().filter(
    (sentence) => translateCaseRefusal(pseudo, sentence) === sentence,
  );
  assert.deepEqual(untranslated, []);
  assert.notEqual(
    translateCaseRefusal(pseudo, new CaseTransitionError("approve", "WITHDRAWN").message),
    translateCaseRefusal(pseudo, new CaseTransitionError("approve", "REJECTED").message),
  );
  assert.match(translateCaseRefusal(pseudo, assignmentClosedMessage("APPROVED")), /ȧȧƥƥřǿǿṽḗḗḓ/);
});

test("a refused decision's reasons, one after the other, are said from the catalog", async () => {
  const pseudo = (await loadTranslators(["en", "en-XA"])).for("en-XA");
  const refusals = [
    sayReasons([
      { id: "staff.cases.decisionBarrier.opened" },
      { id: "staff.cases.decisionBarrier.sameMatrixId" },
      { id: "staff.cases.decisionBarrier.differentAdmin" },
    ]),
    sayReasons([
      { id: "staff.cases.approvalBlocker.records", values: { needed: 2, count: 1 } },
      { id: "staff.cases.approvalBlocker.notCounted", values: { excluded: 3 } },
      { id: "staff.cases.approvalBlocker.reference" },
    ]),
  ];
  assert.match(
    refusals[0] ?? "",
    /^You opened this case\. Your own Matrix ID is the applicant’s\. A different/,
  );
  for (const refusal of refusals) {
    assert.equal(translateCaseRefusal(englishTranslator(), refusal), refusal);
    const said = translateCaseRefusal(pseudo, refusal);
    assert.notEqual(said, refusal);
    assert.deepEqual(said.match(/\b[A-Za-z]{2,}\b/g), null, said);
  }
  assert.match(translateCaseRefusal(pseudo, refusals[1] ?? ""), /2.*1.*3/);
});

test("a sentence not listed is shown as it is", async () => {
  const pseudo = (await loadTranslators(["en", "en-XA"])).for("en-XA");
  assert.equal(translateCaseRefusal(pseudo, "A refusal added later."), "A refusal added later.");
});

test("an upload refusal on a case's evidence page: English as the check says it, else from the catalog where the words match", async () => {
  const pseudo = (await loadTranslators(["en", "en-XA"])).for("en-XA");
  const refusal = {
    ...caseRefusal(422, caseClosedForUploadMessage("APPROVED")),
    fileProblems: [
      { fileName: "empty.png", message: "The file is empty." },
      // Worded for applicants in the catalog: staff keep the check's own sentence.
      { fileName: "bad.pdf", message: "The virus scanner found malware in the file, so it was not kept." },
    ],
  };
  assert.deepEqual(translateStaffUploadRefusal(englishTranslator(), refusal), refusal);
  const said = translateStaffUploadRefusal(pseudo, refusal);
  assert.notEqual(said?.message, refusal.message);
  assert.deepEqual(said?.message.match(/\b[A-Za-z]{2,}\b/g), null);
  assert.notEqual(said?.fileProblems[0]?.message, "The file is empty.");
  assert.equal(said?.fileProblems[1]?.message, refusal.fileProblems[1]?.message);
});
