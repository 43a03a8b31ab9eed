// Referees named by Matrix ID, against the fake homeserver's client-server API on loopback (and a real
// SMTP server, which must receive nothing for them): the applicant names a Matrix ID, the worker's job
// opens a direct room and sends the same single-use link an emailed referee gets, in the case's
// language; the referee answers through it; staff see how it was delivered. Then a retried job, the
// homeserver refusing, each refusal, staff asking by Matrix ID, erasure and the export. And the
// duplicate check's list on the case page, which says which matching case proved its Matrix ID.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { sendReferenceRequestMessage } from "../../jobs/sendReferenceRequestMessage.js";
import { REFERENCE_LIMITS } from "../../security/referenceLimits.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import { type FakeSynapse, startFakeSynapse } from "../../test/fakeSynapse.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { signedInStaffBrowser } from "../../test/staff.js";
import { eraseCase } from "../cases/eraseCase.js";
import { exportCase } from "../cases/exportCase.js";
import { flagPossibleDuplicates } from "../cases/flagPossibleDuplicates.js";
import { REFERENCE_MESSAGE_ATTEMPTS, requestReference } from "./requestReference.js";

let synapse: FakeSynapse;
let smtp: TestSmtpServer;
let testApp: TestApp;
before(async () => {
  synapse = await startFakeSynapse();
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({
    env: {
      ...synapse.environment(),
      MATRIX_BOT_ACCESS_TOKEN: synapse.botToken,
      MATRIX_REQUEST_TIMEOUT_MS: "2000",
      SMTP_PORTS: String(smtp.port),
      NEW_CASE_NOTIFICATIONS: "off",
      REFEREES_MAX: "3",
      REFERENCE_LINK_DAYS: "7",
    },
  });
});
after(async () => {
  await testApp.close();
  await synapse.close();
  await smtp.close();
});
beforeEach(async () => {
  synapse.reset();
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "case_references",
    "vetting_records",
    "applicant_sessions",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

const APPLICANT_MATRIX_ID = "@wren:example.org";
const REFEREE_MATRIX_ID = "@mara:example.org";
const VOUCH = {
  answer: "vouch",
  knownHow: "We run the bird count together",
  knownFor: "Four years",
  statement: "Wren is who she says.",
};

async function createCase(
  options: { email?: string; matrixId?: string | null; language?: string; matrixIdVerifiedAt?: Date } = {},
) {
  const matrixId = options.matrixId === undefined ? APPLICANT_MATRIX_ID : options.matrixId;
  const row = await testApp.db.vettingCase.create({
    data: {
      state: "SUBMITTED",
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email: options.email ?? "wren@example.org",
      matrixId,
      statement: "A private statement about my reasons.",
      language: options.language ?? "en",
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
      ...(options.matrixIdVerifiedAt
        ? { matrixIdVerifiedAt: options.matrixIdVerifiedAt, matrixIdVerifiedId: matrixId }
        : {}),
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

async function applicantBrowser(caseId: string): Promise<TestBrowser> {
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  assert.equal((await browser.get("/application/referees")).response.status, 200);
  return browser;
}

async function nameReferee(browser: TestBrowser, fields: Record<string, string>) {
  await browser.get("/application/referees");
  return browser.post("/application/referees", {
    refereeEmail: "",
    relationship: "A birding friend",
    ...fields,
  });
}

const runJobs = () => runQueuedJobs(testApp, "send_reference_request_message");

/** The path of the link in the bot's last direct message to the Matrix ID. */
function linkPathSentTo(matrixId: string): string {
  const body = messageBodyTo(matrixId);
  const match = /http:\/\/127\.0\.0\.1:3000(\/reference\/[A-Za-z0-9_-]{43})/.exec(body);
  if (!match?.[1]) throw new Error(`no reference link in "${body}"`);
  return match[1];
}

function messageBodyTo(matrixId: string): string {
  const messages = synapse.directMessagesTo(matrixId);
  return String((messages.at(-1)?.content as { body?: unknown } | undefined)?.body ?? "");
}

function text(html: string): string {
  return html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

function referencesPanel(html: string): string {
  const start = html.indexOf('id="references"');
  const end = html.indexOf('id="decision-heading"');
  assert.ok(start > 0 && end > start, "the page has the references panel before the decision panel");
  return text(html.slice(start, end));
}

async function caseAudit(caseId: string) {
  const rows = await testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId, action: { startsWith: "case.reference_" } },
    orderBy: { id: "asc" },
    select: { action: true, actorLabel: true, details: true },
  });
  // The referee's Matrix ID is personal data: never in the append-only log.
  assert.ok(!JSON.stringify(rows).includes("mara"), "no Matrix ID in the audit details");
  return rows;
}

describe("a referee named by Matrix ID", () => {
  test("the bot's direct message carries the single-use link in the case's language; the referee vouches; staff see it, the applicant only 'answered'", async () => {
    const vettingCase = await createCase({ language: "de" });
    const applicant = await applicantBrowser(vettingCase.id);
    // With the bot configured, the form offers the Matrix ID beside the address.
    const form = await applicant.get("/application/referees");
    assert.match(form.html, /name="refereeMatrixId"/);
    assert.match(
      text(form.html),
      /Wenn die Person Matrix nutzt, können Sie stattdessen ihre Matrix-ID angeben/,
    );

    const named = await nameReferee(applicant, { refereeMatrixId: ` ${REFEREE_MATRIX_ID} ` });
    assert.equal(named.response.status, 303);
    assert.equal(named.response.headers.get("location"), "/application/referees?done=requested_matrix");
    const reference = await testApp.db.caseReference.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.deepEqual(
      [reference.refereeEmail, reference.refereeMatrixId, reference.matrixSentAt, reference.status],
      [null, REFEREE_MATRIX_ID, null, "REQUESTED"],
    );
    assert.equal(await testApp.db.outboxMessage.count(), 0, "no email for a Matrix referee");
    assert.match(
      text((await applicant.get("/application/referees?done=requested_matrix")).html),
      /Unser Matrix-Bot schickt Ihrer Referenz eine Direktnachricht mit dem Link\./,
    );

    assert.equal(await runJobs(), 1);
    const rooms = synapse.directRoomsWith(REFEREE_MATRIX_ID);
    assert.equal(rooms.length, 1);
    assert.equal(rooms[0]?.isDirect, true);
    const messages = synapse.directMessagesTo(REFEREE_MATRIX_ID);
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.txnId, `vetting-portal.reference-request.${reference.id}`);
    assert.equal((messages[0]?.content as { msgtype?: string } | undefined)?.msgtype, "m.text");
    const body = messageBodyTo(REFEREE_MATRIX_ID);
    assert.match(body, /^Wren Applicant möchte the community beitreten und hat Sie als jemanden genannt/);
    // Nothing about the application beyond the two names.
    for (const secret of [
      "wren@example.org",
      APPLICANT_MATRIX_ID,
      "private statement",
      "A birding friend",
      vettingCase.number,
    ]) {
      assert.ok(!body.includes(secret), `the message never says ${secret}`);
    }
    const linkPath = linkPathSentTo(REFEREE_MATRIX_ID);
    const token = await testApp.db.linkToken.findFirstOrThrow({ where: { purpose: "reference_request" } });
    assert.deepEqual(
      [token.subjectType, token.subjectId, token.usedAt],
      ["case_reference", reference.id, null],
    );
    const lifetimeDays = (token.expiresAt.getTime() - token.createdAt.getTime()) / 86_400_000;
    assert.ok(Math.abs(lifetimeDays - 7) < 0.01, "REFERENCE_LINK_DAYS sets the link's lifetime");
    assert.ok(
      (await testApp.db.caseReference.findUniqueOrThrow({ where: { id: reference.id } })).matrixSentAt,
    );

    const referee = new TestBrowser(testApp.baseUrl);
    const question = await referee.get(linkPath);
    assert.equal(question.response.status, 200);
    assert.match(question.html, /Kennen Sie Wren Applicant\?/);
    for (const secret of [APPLICANT_MATRIX_ID, "private statement", "A birding friend", vettingCase.number]) {
      assert.ok(!question.html.includes(secret), `the referee's page never says ${secret}`);
    }
    assert.equal((await referee.post(linkPath, VOUCH)).response.status, 200);
    assert.equal((await referee.post(linkPath, VOUCH)).response.status, 410, "the link works once");
    const answered = await testApp.db.caseReference.findUniqueOrThrow({ where: { id: reference.id } });
    assert.deepEqual(
      [answered.status, answered.knownHow, answered.knownFor, answered.statement],
      ["VOUCHED", VOUCH.knownHow, VOUCH.knownFor, VOUCH.statement],
    );
    assert.deepEqual(
      (await caseAudit(vettingCase.id)).map((row) => [row.action, row.actorLabel, row.details]),
      [
        [
          "case.reference_requested",
          "applicant",
          { referenceId: reference.id, requestedBy: "applicant", channel: "matrix", outboxMessageId: null },
        ],
        ["case.reference_request_sent", "system", { referenceId: reference.id, channel: "matrix" }],
        ["case.reference_answered", "referee", { referenceId: reference.id, answer: "vouched" }],
      ],
    );

    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.match(panel, /@mara:example\.org: Vouched on/);
    assert.match(panel, /Sent by the bot’s direct message on/);
    assert.ok(panel.includes(VOUCH.knownHow) && panel.includes(VOUCH.statement));

    const own = text((await applicant.get("/application/referees")).html);
    assert.match(own, /@mara:example\.org — A birding friend: Beantwortet/);
    for (const written of [VOUCH.knownHow, VOUCH.knownFor, VOUCH.statement]) {
      assert.ok(!own.includes(written), `the applicant never sees "${written}"`);
    }
    assert.equal(smtp.messages.length, 0, "nothing went by email");
  });

  test("a retried job (the answer lost after the homeserver sent) makes one room and one message, and its link works", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID });
    const reference = await testApp.db.caseReference.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    synapse.fail("send", { status: 500, times: 1, apply: true });
    await assert.rejects(
      sendReferenceRequestMessage(testApp, { referenceId: reference.id }),
      /The homeserver answered 500/,
    );
    assert.equal(synapse.directMessagesTo(REFEREE_MATRIX_ID).length, 1, "the homeserver did send it");
    assert.equal(await runJobs(), 1);
    assert.equal(synapse.requestsTo("createRoom").length, 1);
    assert.equal(synapse.requestsTo("send").length, 2);
    assert.equal(synapse.directMessagesTo(REFEREE_MATRIX_ID).length, 1, "the same transaction: one message");
    assert.equal(await testApp.db.linkToken.count(), 1);
    // Run once more (a duplicate job): the reference was sent, nothing happens.
    assert.equal(
      await sendReferenceRequestMessage(testApp, { referenceId: reference.id }),
      "nothing_to_send",
    );
    assert.equal(synapse.requestsTo("send").length, 2);

    const linkPath = linkPathSentTo(REFEREE_MATRIX_ID);
    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(linkPath);
    assert.equal((await referee.post(linkPath, { answer: "decline", statement: "" })).response.status, 200);
    assert.equal(
      (await testApp.db.caseReference.findUniqueOrThrow({ where: { id: reference.id } })).status,
      "DECLINED",
    );
  });

  test("an unknown user, a refused invite, a homeserver that never answers: recorded on the reference, shown to staff and the applicant, no link left", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    synapse.addUnknownUser("@nobody:example.org");
    synapse.addRefusingUser("@private:example.org");
    await nameReferee(applicant, { refereeMatrixId: "@nobody:example.org" });
    await nameReferee(applicant, { refereeMatrixId: "@private:example.org" });
    assert.equal(await runJobs(), 2);
    const rows = await testApp.db.caseReference.findMany({
      where: { caseId: vettingCase.id },
      orderBy: { requestedAt: "asc" },
    });
    assert.deepEqual(
      rows.map((row) => [row.refereeMatrixId, row.matrixFailure, row.matrixSentAt, row.status]),
      [
        ["@nobody:example.org", "unknown_user", null, "REQUESTED"],
        ["@private:example.org", "invite_refused", null, "REQUESTED"],
      ],
    );
    assert.equal(await testApp.db.linkToken.count(), 0, "an undelivered link is deleted");
    assert.equal(synapse.roomMessages().length, 0);
    const failures = (await caseAudit(vettingCase.id)).filter(
      (row) => row.action === "case.reference_request_failed",
    );
    assert.deepEqual(
      failures.map((row) => row.details),
      [
        { referenceId: rows[0]?.id, channel: "matrix", failure: "unknown_user" },
        { referenceId: rows[1]?.id, channel: "matrix", failure: "invite_refused" },
      ],
    );
    assert.match(
      text((await applicant.get("/application/referees")).html),
      /@nobody:example\.org — A birding friend: Could not be reached on Matrix/,
    );
    // Neither uses up a place: with REFEREES_MAX at 3, three more can be named.
    for (const matrixId of ["@one:example.org", "@two:example.org"]) {
      assert.equal((await nameReferee(applicant, { refereeMatrixId: matrixId })).response.status, 303);
    }
    await runJobs();
    assert.match((await applicant.get("/application/referees")).html, /name="refereeMatrixId"/);

    // A federation failure: 502 every time; the last of the tries records "unreachable".
    synapse.reset();
    synapse.fail("createRoom", { status: 502 });
    await nameReferee(applicant, { refereeMatrixId: "@far:example.net" });
    const far = await testApp.db.caseReference.findFirstOrThrow({
      where: { refereeMatrixId: "@far:example.net" },
    });
    for (let attempt = 1; attempt < REFERENCE_MESSAGE_ATTEMPTS; attempt += 1) {
      await assert.rejects(sendReferenceRequestMessage(testApp, { referenceId: far.id }), /answered 502/);
    }
    assert.equal(await sendReferenceRequestMessage(testApp, { referenceId: far.id }), "failed");
    const unreachable = await testApp.db.caseReference.findUniqueOrThrow({ where: { id: far.id } });
    assert.deepEqual(
      [unreachable.matrixFailure, unreachable.matrixAttempts],
      ["unreachable", REFERENCE_MESSAGE_ATTEMPTS],
    );

    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.match(panel, /the homeserver knows no such user/);
    assert.match(panel, /the invitation was refused/);
    assert.match(panel, /the homeserver did not answer/);
  });
});

describe("refusals", () => {
  test("the applicant's own Matrix ID, another case's Matrix ID of the same person, one named twice, and a form with both or neither are refused; nothing sent", async () => {
    const vettingCase = await createCase();
    // Another application by the same person (same email), under another Matrix ID.
    await createCase({ matrixId: "@wren.alt:example.org" });
    const applicant = await applicantBrowser(vettingCase.id);

    const own = await nameReferee(applicant, { refereeMatrixId: APPLICANT_MATRIX_ID });
    assert.equal(own.response.status, 409);
    assert.match(text(own.html), /This is your own Matrix ID\./);
    const samePerson = await nameReferee(applicant, { refereeMatrixId: "@wren.alt:example.org" });
    assert.equal(samePerson.response.status, 409);
    assert.match(text(samePerson.html), /This Matrix ID belongs to another application of yours\./);

    const both = await nameReferee(applicant, {
      refereeEmail: "mara@example.org",
      refereeMatrixId: REFEREE_MATRIX_ID,
    });
    assert.equal(both.response.status, 422);
    assert.match(text(both.html), /Give an email address or a Matrix ID, not both\./);
    const neither = await nameReferee(applicant, {});
    assert.equal(neither.response.status, 422);
    assert.match(text(neither.html), /Enter the referee’s email address or their Matrix ID\./);
    const malformed = await nameReferee(applicant, { refereeMatrixId: "mara at example" });
    assert.equal(malformed.response.status, 422);
    assert.equal(await testApp.db.caseReference.count(), 0);

    assert.equal((await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID })).response.status, 303);
    const twice = await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID });
    assert.equal(twice.response.status, 409);
    assert.match(text(twice.html), /You have already named this person\./);
    assert.equal(await testApp.db.caseReference.count(), 1);
    assert.equal(await runJobs(), 1);
    assert.equal(synapse.roomMessages().length, 1);
  });

  test("applicants may name one Matrix ID three times a day, whichever cases name it; staff are not counted", async () => {
    for (let caseIndex = 0; caseIndex < REFERENCE_LIMITS.applicantRequestsPerMatrixIdPerDay; caseIndex += 1) {
      const vettingCase = await createCase({ email: `wren${caseIndex}@example.org`, matrixId: null });
      const applicant = await applicantBrowser(vettingCase.id);
      assert.equal(
        (await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID })).response.status,
        303,
      );
    }
    const another = await createCase({ email: "wren.last@example.org", matrixId: null });
    const applicant = await applicantBrowser(another.id);
    const limited = await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID });
    assert.equal(limited.response.status, 429);
    assert.ok(Number(limited.response.headers.get("retry-after")) > 0);
    assert.match(text(limited.html), /This Matrix ID has been named as a referee too often today\./);
    assert.equal(await testApp.db.caseReference.count({ where: { caseId: another.id } }), 0);
    // The key is a hash: the shared store holds no Matrix ID.
    const keys = await testApp.db.rateLimit.findMany({ where: { key: { startsWith: "reference_mxid" } } });
    assert.equal(keys.length, 1);
    assert.ok(!keys[0]?.key.includes("mara"));
    // Another Matrix ID is still fine for this applicant.
    assert.equal(
      (await nameReferee(applicant, { refereeMatrixId: "@otto:example.org" })).response.status,
      303,
    );
    // Staff asking the same Matrix ID are limited per staff member instead.
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const asked = await agent.post(`/staff/cases/${another.id}/references`, {
      refereeEmail: "",
      refereeMatrixId: REFEREE_MATRIX_ID,
      relationship: "Her landlord",
    });
    assert.equal(asked.status, 303);
  });

  test("without the bot, a Matrix ID is refused by the command (the form does not offer it)", async () => {
    const vettingCase = await createCase();
    const outcome = await requestReference(testApp.db, {
      caseId: vettingCase.id,
      referee: { refereeEmail: null, refereeMatrixId: REFEREE_MATRIX_ID, relationship: "Friend" },
      staff: null,
      config: { ...testApp.config, matrixBot: null },
      audit: { label: "test" },
    });
    assert.deepEqual(outcome, { status: "refused", reason: "matrix_off" });
    assert.equal(await testApp.db.caseReference.count(), 0);
  });
});

describe("staff", () => {
  test("staff ask a referee by Matrix ID from the case page; refused for the applicant's own Matrix ID", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Agnes Agent");
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(page, /name="refereeMatrixId"/);
    const own = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "",
      refereeMatrixId: APPLICANT_MATRIX_ID,
      relationship: "Self",
    });
    assert.equal(own.status, 409);
    assert.match(await own.text(), /This is the applicant’s own Matrix ID\./);

    const asked = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "",
      refereeMatrixId: "@quinn:example.org",
      relationship: "Her landlord",
    });
    assert.equal(asked.status, 303);
    assert.equal(
      asked.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=reference_requested_matrix`,
    );
    const reference = await testApp.db.caseReference.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(reference.requestedById, agent.id);
    const waiting = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.match(waiting, /The bot’s direct message is waiting to be sent/);
    assert.equal(await runJobs(), 1);
    const linkPath = linkPathSentTo("@quinn:example.org");
    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(linkPath);
    assert.equal((await referee.post(linkPath, VOUCH)).response.status, 200);
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.match(panel, /@quinn:example\.org: Vouched on/);
    assert.match(panel, /Asked by Agnes Agent/);
  });
});

describe("privacy", () => {
  test("the export names the Matrix ID; erasure blanks it with the room, deletes the link, and a queued message is never sent", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, { refereeMatrixId: REFEREE_MATRIX_ID });
    await runJobs();
    await nameReferee(applicant, { refereeMatrixId: "@tia:example.org" });

    const exported = await exportCase(testApp.db, {
      caseId: vettingCase.id,
      exportedBy: { id: "00000000-0000-4000-8000-000000000000", name: "Ina Admin" },
      audit: { label: "test" },
    });
    assert.ok(exported);
    assert.deepEqual(
      exported.document.references.map((row) => [row.refereeEmail, row.refereeMatrixId, row.status]),
      [
        [null, REFEREE_MATRIX_ID, "REQUESTED"],
        [null, "@tia:example.org", "REQUESTED"],
      ],
    );

    await testApp.db.$transaction((tx) =>
      eraseCase(tx, { caseId: vettingCase.id, audit: { label: "test" }, reason: "applicant_request" }),
    );
    const rows = await testApp.db.caseReference.findMany({ where: { caseId: vettingCase.id } });
    assert.deepEqual(
      rows.map((row) => [row.refereeEmail, row.refereeMatrixId, row.matrixRoomId, row.relationship]),
      [
        [null, null, null, ""],
        [null, null, null, ""],
      ],
    );
    assert.equal(await testApp.db.linkToken.count(), 0);
    // The second referee's job still runs: it finds nothing to send to.
    assert.equal(await runJobs(), 1);
    assert.equal(synapse.directMessagesTo("@tia:example.org").length, 0);
    assert.equal(synapse.roomMessages().length, 1);
  });
});

describe("the duplicate check on the case page", () => {
  test("says which matching case proved its Matrix ID, and when", async () => {
    const verified = await createCase({ email: "wren@example.org", matrixIdVerifiedAt: new Date() });
    const unverified = await createCase({ email: "wren@example.org", matrixId: "@other:example.org" });
    const current = await createCase({ email: "wren@example.org", matrixId: null });
    await testApp.db.$transaction((tx) =>
      flagPossibleDuplicates(tx, { caseId: current.id, audit: { label: "test" } }),
    );

    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const html = await (await agent.get(`/staff/cases/${current.id}`)).text();
    const start = html.indexOf('id="duplicates"');
    assert.ok(start > 0, "the case is flagged");
    const duplicates = text(html.slice(start, html.indexOf("</div>", start)));
    assert.match(
      duplicates,
      new RegExp(
        `${verified.number} ?: same email address \\(Matrix ID verified \\(\\d{1,2} \\w+ 20\\d\\d(,| at) \\d\\d:\\d\\d UTC\\)\\)`,
      ),
    );
    assert.match(
      duplicates,
      new RegExp(`${unverified.number} ?: same email address(?! \\(Matrix ID verified)`),
    );
  });
});
