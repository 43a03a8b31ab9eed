// Duplicate flagging against real Postgres: which fields match, what is stored on the case, and when
// an audit row is written.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import type { AuditActor } from "../../audit.js";
import type { Database } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { flagPossibleDuplicates } from "./flagPossibleDuplicates.js";

let testApp: TestApp;
let db: Database;
before(async () => {
  testApp = await startTestApp();
  db = testApp.db;
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(db, [
    "vetting_cases",
    "applicant_sessions",
    "audit_events",
    "outbox_messages",
    "graphile_worker._private_jobs",
  ]);
});

const applicant: AuditActor = { label: "applicant" };

let counter = 0;
async function insertCase(fields: {
  email?: string;
  phone?: string | null;
  matrixId?: string | null;
  erasedAt?: Date;
}) {
  counter += 1;
  return db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: `Person ${counter}`,
      email: fields.email ?? `person${counter}@example.org`,
      phone: fields.phone ?? null,
      matrixId: fields.matrixId ?? null,
      statement: "I would like to join.",
      ...(fields.erasedAt ? { erasedAt: fields.erasedAt } : {}),
    },
    select: { id: true, number: true },
  });
}

const flag = (caseId: string) =>
  db.$transaction((tx) => flagPossibleDuplicates(tx, { caseId, audit: applicant }));

async function stored(caseId: string) {
  return db.vettingCase.findUniqueOrThrow({
    where: { id: caseId },
    select: { isPossibleDuplicate: true, duplicateMatches: true },
  });
}

const flaggedAudit = async (caseId: string) =>
  (
    await db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId, action: "case.duplicate_flagged" },
      orderBy: { id: "asc" },
    })
  ).map((row) => ({ actorLabel: row.actorLabel, details: row.details }));

describe("flagPossibleDuplicates", () => {
  test("a matching email flags the case, whatever the letter case", async () => {
    const earlier = await insertCase({ email: "ann@example.org" });
    // Stored emails are lower-cased by the commands; a mixed-case one still matches.
    const later = await insertCase({ email: "Ann@Example.ORG" });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), {
      isPossibleDuplicate: true,
      duplicateMatches: [{ caseId: earlier.id, number: earlier.number, matchedOn: ["email"] }],
    });
    assert.deepEqual(await flaggedAudit(later.id), [
      { actorLabel: "applicant", details: { matchedCaseIds: [earlier.id], matchedOn: ["email"] } },
    ]);
    assert.deepEqual(await stored(earlier.id), { isPossibleDuplicate: false, duplicateMatches: [] });
  });

  test("a matching phone number flags the case", async () => {
    const earlier = await insertCase({ phone: "+441234567890" });
    await insertCase({ phone: "+441234567891" });
    const later = await insertCase({ phone: "+441234567890" });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), {
      isPossibleDuplicate: true,
      duplicateMatches: [{ caseId: earlier.id, number: earlier.number, matchedOn: ["phone"] }],
    });
  });

  test("a matching Matrix ID flags the case; Matrix IDs are compared exactly", async () => {
    const earlier = await insertCase({ matrixId: "@ann:example.org" });
    await insertCase({ matrixId: "@Ann:example.org" });
    const later = await insertCase({ matrixId: "@ann:example.org" });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), {
      isPossibleDuplicate: true,
      duplicateMatches: [{ caseId: earlier.id, number: earlier.number, matchedOn: ["matrixId"] }],
    });
  });

  test("several matches are listed by case number, each with every field that matched", async () => {
    const first = await insertCase({ email: "bo@example.org", phone: "+15550000001" });
    const second = await insertCase({ matrixId: "@bo:example.org" });
    await insertCase({ email: "someone-else@example.org", phone: "+15550000002" });
    const latest = await insertCase({
      email: "bo@example.org",
      phone: "+15550000001",
      matrixId: "@bo:example.org",
    });
    await flag(latest.id);
    assert.deepEqual(await stored(latest.id), {
      isPossibleDuplicate: true,
      duplicateMatches: [
        { caseId: first.id, number: first.number, matchedOn: ["email", "phone"] },
        { caseId: second.id, number: second.number, matchedOn: ["matrixId"] },
      ],
    });
    assert.deepEqual(await flaggedAudit(latest.id), [
      {
        actorLabel: "applicant",
        details: { matchedCaseIds: [first.id, second.id], matchedOn: ["email", "phone", "matrixId"] },
      },
    ]);
  });

  test("a case never matches itself, and a case with no match stays unflagged without an audit row", async () => {
    const only = await insertCase({
      email: "solo@example.org",
      phone: "+15550000003",
      matrixId: "@solo:x.org",
    });
    await flag(only.id);
    assert.deepEqual(await stored(only.id), { isPossibleDuplicate: false, duplicateMatches: [] });
    assert.deepEqual(await flaggedAudit(only.id), []);
  });

  test("erased cases are ignored", async () => {
    await insertCase({ email: "gone@example.org", erasedAt: new Date() });
    const later = await insertCase({ email: "gone@example.org" });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), { isPossibleDuplicate: false, duplicateMatches: [] });
  });

  test("blank optional fields never match each other", async () => {
    await insertCase({ phone: null, matrixId: null });
    const later = await insertCase({ phone: null, matrixId: null });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), { isPossibleDuplicate: false, duplicateMatches: [] });
  });

  test("running again without a change writes nothing; a change is audited; no match any more clears the flag", async () => {
    const earlier = await insertCase({ email: "cy@example.org", phone: "+15550000004" });
    const later = await insertCase({ email: "cy@example.org" });
    await flag(later.id);
    await flag(later.id);
    assert.equal((await flaggedAudit(later.id)).length, 1, "the same matches again: no new audit row");

    // The phone now matches too: the set changed.
    await db.vettingCase.update({ where: { id: later.id }, data: { phone: "+15550000004" } });
    await flag(later.id);
    assert.deepEqual((await stored(later.id)).duplicateMatches, [
      { caseId: earlier.id, number: earlier.number, matchedOn: ["email", "phone"] },
    ]);

    // The applicant corrected both: nothing matches any more.
    await db.vettingCase.update({
      where: { id: later.id },
      data: { email: "cy.other@example.org", phone: "+15550000005" },
    });
    await flag(later.id);
    assert.deepEqual(await stored(later.id), { isPossibleDuplicate: false, duplicateMatches: [] });
    assert.deepEqual(
      (await flaggedAudit(later.id)).map((row) => row.details),
      [
        { matchedCaseIds: [earlier.id], matchedOn: ["email"] },
        { matchedCaseIds: [earlier.id], matchedOn: ["email", "phone"] },
        { matchedCaseIds: [], matchedOn: [] },
      ],
    );
    await flag(later.id);
    assert.equal((await flaggedAudit(later.id)).length, 3);
  });

  test("the audit row names case ids and field names only, never the values that matched", async () => {
    await insertCase({ email: "dee@example.org", phone: "+15550000006", matrixId: "@dee:example.org" });
    const later = await insertCase({
      email: "dee@example.org",
      phone: "+15550000006",
      matrixId: "@dee:example.org",
    });
    await flag(later.id);
    const text = JSON.stringify(await flaggedAudit(later.id));
    for (const value of ["dee@example.org", "+15550000006", "@dee:example.org"]) {
      assert.ok(!text.includes(value), value);
    }
  });

  test("the applicant is never told: their workspace shows nothing of the flag", async () => {
    const earlier = await insertCase({ email: "eve@example.org", phone: "+15550000007" });
    const later = await insertCase({ email: "eve@example.org", phone: "+15550000007" });
    await flag(later.id);
    assert.equal((await stored(later.id)).isPossibleDuplicate, true);
    const { token } = await db.$transaction((tx) =>
      startApplicantSession(tx, { config: testApp.config, caseId: later.id }),
    );
    const response = await fetch(`${testApp.baseUrl}/application`, {
      redirect: "manual",
      headers: { cookie: `${applicantCookieName(testApp.config)}=${token}` },
    });
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, new RegExp(formatCaseNumber(later.number)), "it is the applicant's own page");
    assert.doesNotMatch(html, /duplicate/i);
    assert.doesNotMatch(html, new RegExp(formatCaseNumber(earlier.number)));
    assert.ok(!html.includes(earlier.id));
  });
});
