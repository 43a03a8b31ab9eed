// The facts the policies get from the one-statement read (findCaseFacts, for commands on the pg pool) are
// the facts findCaseForCommand reads through Prisma, for a case with every kind of fact.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import type { CaseFacts } from "../../policies/cases.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { seedEvidenceFile } from "../../test/evidenceFiles.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember } from "../../test/staff.js";
import { findCaseForCommand } from "../cases.js";
import { findCaseFacts } from "./caseFacts.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "vetting_cases",
    "vetting_records",
    "evidence_files",
    "case_conflicts",
    "case_references",
    "staff_users",
  ]);
});

const byJson = <T>(items: readonly T[]) =>
  [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Lists in a stable order: neither read promises one. */
function sorted(facts: CaseFacts | null | undefined) {
  if (!facts) return facts;
  return {
    ...facts,
    vettingRecords: byJson(facts.vettingRecords),
    staffUploaderIds: byJson(facts.staffUploaderIds),
    conflictedStaffIds: byJson(facts.conflictedStaffIds),
    vouchingReferenceIds: byJson(facts.vouchingReferenceIds),
    applicantMatches: byJson(facts.applicantMatches),
  };
}

test("a case with records, staff uploads, conflicts and staff sharing the applicant's identifiers: the same facts both ways", async () => {
  const { db, config } = testApp;
  const [opener, vetter, uploader, conflicted, withdrawn, sharesPhone, sharesEmailAndMatrix] =
    await Promise.all(
      ["a", "b", "c", "d", "e", "f", "g"].map((letter) =>
        createStaffMember(db, config, { role: "VETTING_AGENT", email: `${letter}@staff.example.org` }),
      ),
    );
  assert.ok(opener && vetter && uploader && conflicted && withdrawn && sharesPhone && sharesEmailAndMatrix);
  await db.staffUser.update({ where: { id: sharesPhone.id }, data: { phone: "+442079460958" } });
  await db.staffUser.update({
    where: { id: sharesEmailAndMatrix.id },
    data: { email: "ada@example.org", matrixId: "@ada:example.org" },
  });
  const vettingCase = await db.vettingCase.create({
    data: {
      state: "IN_REVIEW",
      origin: "STAFF",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      phone: "+442079460958",
      matrixId: "@ada:example.org",
      statement: "I would like to join.",
      createdById: opener.id,
      submittedById: opener.id,
    },
  });
  for (const identityVerified of [true, false]) {
    await db.vettingRecord.create({
      data: {
        caseId: vettingCase.id,
        agentId: vetter.id,
        identityVerified,
        method: "IN_PERSON",
        verifiedOn: new Date("2026-03-14"),
        place: "The hall",
        notes: "Met in person.",
        score: 3,
        recommendation: "APPROVE",
      },
    });
  }
  for (const [uploaderKind, uploadedById] of [
    ["STAFF", uploader.id],
    ["STAFF", uploader.id],
    ["APPLICANT", null],
  ] as const) {
    await seedEvidenceFile(testApp, {
      caseId: vettingCase.id,
      bytes: Buffer.from(`%PDF-1.4 ${uploaderKind}`),
      displayName: "letter.pdf",
      mediaType: "application/pdf",
      uploaderKind,
      uploadedById,
    });
  }
  await db.caseConflict.create({
    data: {
      caseId: vettingCase.id,
      staffUserId: conflicted.id,
      reason: "A neighbour.",
      declaredById: conflicted.id,
    },
  });
  await db.caseConflict.create({
    data: {
      caseId: vettingCase.id,
      staffUserId: withdrawn.id,
      reason: "Thought so.",
      declaredById: withdrawn.id,
      withdrawnAt: new Date(),
    },
  });

  // References: only the answered ones that vouch count (an approval condition).
  const referee = { caseId: vettingCase.id, relationship: "A friend from the choir." };
  const vouched = await db.caseReference.create({
    data: { ...referee, refereeEmail: "vouches@example.org", status: "VOUCHED", answeredAt: new Date() },
  });
  await db.caseReference.create({ data: { ...referee, refereeEmail: "waiting@example.org" } });
  await db.caseReference.create({
    data: { ...referee, refereeEmail: "declines@example.org", status: "DECLINED", answeredAt: new Date() },
  });

  const fromSql = await findCaseFacts(testApp.sqlPool, vettingCase.id);
  const throughPrisma = (await findCaseForCommand(db, vettingCase.id))?.facts;
  assert.deepEqual(sorted(fromSql), sorted(throughPrisma));
  // And they are the facts the case has, not two reads agreeing on nothing.
  assert.deepEqual(sorted(fromSql), {
    state: "IN_REVIEW",
    createdById: opener.id,
    submittedById: opener.id,
    vettingRecords: [
      { agentId: vetter.id, identityVerified: false },
      { agentId: vetter.id, identityVerified: true },
    ],
    staffUploaderIds: [uploader.id],
    conflictedStaffIds: [conflicted.id],
    vouchingReferenceIds: [vouched.id],
    applicantMatches: byJson([
      { staffUserId: sharesPhone.id, matchedOn: ["phone"] },
      { staffUserId: sharesEmailAndMatrix.id, matchedOn: ["email", "matrixId"] },
    ]),
    erasedAt: null,
  });

  // Erased: nothing of the person is left to compare with staff.
  const erasedAt = new Date("2026-12-01T10:00:00.000Z");
  await db.vettingCase.update({ where: { id: vettingCase.id }, data: { erasedAt } });
  const erased = await findCaseFacts(testApp.sqlPool, vettingCase.id);
  assert.deepEqual(erased?.applicantMatches, []);
  assert.deepEqual(erased?.erasedAt, erasedAt);
  assert.deepEqual(sorted(erased), sorted((await findCaseForCommand(db, vettingCase.id))?.facts));
});

test("no such case: null", async () => {
  assert.equal(await findCaseFacts(testApp.sqlPool, "00000000-0000-4000-8000-000000000000"), null);
});
