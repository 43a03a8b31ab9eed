// The Matrix ID proof end to end, against the fake homeserver's client-server API on loopback: the
// applicant asks from the workspace, the worker's job opens a direct room and sends the link (in the
// case's language), following it in the applicant's browser marks the case (row and audit), and every
// refusal (another applicant, signed out, used, expired, the Matrix ID changed, the homeserver saying
// no, the hourly limits) is a clear page with no mark. Staff see the mark on the case page, in the
// queue's filter and next to the duplicate check.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { eraseCase } from "../../commands/cases/eraseCase.js";
import { MATRIX_ID_PROOF_ATTEMPTS } from "../../commands/matrixIdentity/requestMatrixIdProof.js";
import { loadConfig } from "../../config.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { sendMatrixIdProof } from "../../jobs/sendMatrixIdProof.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import { type FakeSynapse, startFakeSynapse } from "../../test/fakeSynapse.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { truncateTables } from "../../test/reset.js";
import { signedInStaffBrowser } from "../../test/staff.js";

let synapse: FakeSynapse;
let testApp: TestApp;
before(async () => {
  synapse = await startFakeSynapse();
  testApp = await startTestApp({
    env: {
      ...synapse.environment(),
      MATRIX_BOT_ACCESS_TOKEN: synapse.botToken,
      MATRIX_REQUEST_TIMEOUT_MS: "2000",
      NEW_CASE_NOTIFICATIONS: "off",
    },
  });
});
after(async () => {
  await testApp.close();
  await synapse.close();
});
beforeEach(async () => {
  synapse.reset();
  await truncateTables(testApp.db, [
    "vetting_cases",
    "matrix_id_proof_requests",
    "applicant_sessions",
    "link_tokens",
    "audit_events",
    "outbox_messages",
    "rate_limits",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const MATRIX_ID = "@wren:example.org";

async function createCase(
  options: { matrixId?: string; language?: string; state?: "DRAFT" | "SUBMITTED" } = {},
) {
  const row = await testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "DRAFT",
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email: `wren${Math.random().toString(36).slice(2)}@example.org`,
      matrixId: options.matrixId ?? MATRIX_ID,
      statement: "I know Mara from birdwatching.",
      language: options.language ?? "en",
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
      ...(options.state === "SUBMITTED" ? { submittedAt: new Date(), lastSubmittedAt: new Date() } : {}),
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

/** A browser signed in to the case's workspace, as after following an emailed link. */
async function applicantBrowser(caseId: string): Promise<TestBrowser> {
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  assert.equal((await browser.get("/application")).response.status, 200);
  return browser;
}

const runJobs = () => runQueuedJobs(testApp, "send_matrix_id_proof");

/** The path of the link in the bot's last direct message to the Matrix ID. */
function linkPathSentTo(matrixId: string): string {
  const messages = synapse.directMessagesTo(matrixId);
  const body = String((messages.at(-1)?.content as { body?: unknown } | undefined)?.body ?? "");
  const match = /http:\/\/127\.0\.0\.1:3000(\/apply\/matrix-id\/[A-Za-z0-9_-]{43})/.exec(body);
  if (!match?.[1]) throw new Error(`no proof link in "${body}"`);
  return match[1];
}

/** Asks from the workspace and runs the job: the link the bot sent. */
async function askAndSend(browser: TestBrowser, matrixId = MATRIX_ID): Promise<string> {
  await browser.get("/application");
  const asked = await browser.post("/application/matrix-id/prove", {});
  assert.equal(asked.response.status, 303);
  assert.equal(asked.response.headers.get("location"), "/application#matrix-id");
  assert.equal(await runJobs(), 1);
  return linkPathSentTo(matrixId);
}

async function caseRow(id: string) {
  return testApp.db.vettingCase.findUniqueOrThrow({
    where: { id },
    select: { matrixId: true, matrixIdVerifiedAt: true, matrixIdVerifiedId: true },
  });
}

async function auditActions(caseId: string) {
  const rows = await testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    orderBy: { occurredAt: "asc" },
    select: { action: true, details: true, actorLabel: true },
  });
  // The Matrix ID is personal data: never in the append-only log.
  assert.ok(!JSON.stringify(rows).includes("wren"), "no Matrix ID in the audit details");
  return rows;
}

function text(html: string): string {
  return html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

describe("proving the Matrix ID from the workspace", () => {
  test("the bot's direct message arrives in the case's language with a working link; following it marks the case", async () => {
    const vettingCase = await createCase({ language: "de" });
    const browser = await applicantBrowser(vettingCase.id);
    // Signed in, the workspace speaks the case's language…
    const workspace = await browser.get("/application");
    assert.match(text(workspace.html), /Ihre Matrix-ID @wren:example\.org ist noch nicht bestätigt/);
    assert.match(workspace.html, /action="\/application\/matrix-id\/prove"/);
    // …unless this browser chose another (say, on the home page before signing in); the bot's message
    // still follows the case.
    browser.cookies.set("language", "en");
    assert.match(
      text((await browser.get("/application")).html),
      /Your Matrix ID @wren:example\.org is not proved yet/,
    );

    await browser.get("/application");
    const asked = await browser.post("/application/matrix-id/prove", {});
    assert.equal(asked.response.status, 303);
    const request = await testApp.db.matrixIdProofRequest.findFirstOrThrow({
      where: { caseId: vettingCase.id },
    });
    assert.equal(request.status, "QUEUED");
    assert.equal(request.matrixId, MATRIX_ID);
    assert.match(
      text((await browser.get("/application")).html),
      /A message to @wren:example\.org is on its way/,
    );
    // A second press while the first waits adds nothing.
    await browser.post("/application/matrix-id/prove", {});
    assert.equal(await testApp.db.matrixIdProofRequest.count(), 1);

    assert.equal(await runJobs(), 1);
    const [room, ...otherRooms] = synapse.directRoomsWith(MATRIX_ID);
    assert.equal(otherRooms.length, 0);
    assert.equal(room?.members.get(MATRIX_ID), "invite");
    assert.deepEqual(synapse.requestsTo("createRoom")[0]?.body, {
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [MATRIX_ID],
    });
    const [message, ...more] = synapse.directMessagesTo(MATRIX_ID);
    assert.equal(more.length, 0);
    assert.equal(message?.sender, "bot");
    assert.equal(message?.roomId, room?.roomId);
    assert.equal(message?.txnId, `vetting-portal.matrix-id-proof.${request.id}`);
    const content = message?.content as { msgtype: string; body: string };
    assert.equal(content.msgtype, "m.text");
    assert.match(content.body, /^Sie haben .* gebeten zu bestätigen, dass diese Matrix-ID Ihnen gehört/);
    assert.match(content.body, /innerhalb von 30 Minuten/);
    // Nothing from the application beyond the community's name.
    for (const personal of ["Wren", vettingCase.number, "birdwatching"])
      assert.ok(!content.body.includes(personal), `no ${personal} in the message`);
    const sent = await testApp.db.matrixIdProofRequest.findUniqueOrThrow({ where: { id: request.id } });
    assert.equal(sent.status, "SENT");
    assert.equal(sent.roomId, room?.roomId);
    const token = await testApp.db.linkToken.findUniqueOrThrow({ where: { id: sent.linkTokenId ?? "" } });
    assert.equal(token.purpose, "matrix_id_proof");
    assert.equal(token.subjectId, vettingCase.id);
    const lifetime = token.expiresAt.getTime() - token.createdAt.getTime();
    assert.ok(Math.abs(lifetime - 30 * 60 * 1000) < 1000, "the link works for 30 minutes");
    assert.match(
      text((await browser.get("/application")).html),
      /We sent a direct message to @wren:example\.org/,
    );

    // GET shows the button and changes nothing.
    const path = linkPathSentTo(MATRIX_ID);
    const page = await browser.get(path);
    assert.equal(page.response.status, 200);
    assert.equal(page.response.headers.get("cache-control"), "no-store");
    assert.match(text(page.html), /Confirm your Matrix ID/);
    assert.equal((await caseRow(vettingCase.id)).matrixIdVerifiedAt, null);
    assert.equal((await testApp.db.linkToken.findUniqueOrThrow({ where: { id: token.id } })).usedAt, null);

    const confirmed = await browser.post(path, {});
    assert.equal(confirmed.response.status, 303);
    assert.equal(confirmed.response.headers.get("location"), "/application#matrix-id");
    const marked = await caseRow(vettingCase.id);
    assert.ok(marked.matrixIdVerifiedAt, "the case is marked");
    assert.equal(marked.matrixIdVerifiedId, MATRIX_ID);
    assert.ok((await testApp.db.linkToken.findUniqueOrThrow({ where: { id: token.id } })).usedAt);
    assert.match(
      text((await browser.get("/application")).html),
      /Your Matrix ID @wren:example\.org is verified/,
    );
    assert.deepEqual(
      (await auditActions(vettingCase.id)).map((row) => [row.action, row.actorLabel]),
      [
        ["case.matrix_id_proof_requested", "applicant"],
        ["case.matrix_id_proof_sent", "system"],
        ["case.matrix_id_verified", "applicant"],
      ],
    );

    // Used twice: refused, audited, and the mark stays as it was.
    await browser.get(path);
    const again = await browser.post(path, {});
    assert.equal(again.response.status, 410);
    assert.match(text(again.html), /This link has been used already/);
    const actions = await auditActions(vettingCase.id);
    assert.equal(actions.at(-1)?.action, "case.matrix_id_proof_refused");
    assert.deepEqual((actions.at(-1)?.details as { reason?: string } | undefined)?.reason, "used");
    assert.deepEqual(await caseRow(vettingCase.id), marked);
    // Verified: nothing more to ask for.
    assert.doesNotMatch((await browser.get("/application")).html, /matrix-id\/prove/);
  });

  test("a retried job (the answer lost after the homeserver sent) makes one room and one message, and its link works", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    await browser.get("/application");
    await browser.post("/application/matrix-id/prove", {});
    const request = await testApp.db.matrixIdProofRequest.findFirstOrThrow({
      where: { caseId: vettingCase.id },
    });
    synapse.fail("send", { status: 500, times: 1, apply: true });
    await assert.rejects(
      sendMatrixIdProof(testApp, { proofRequestId: request.id }),
      /The homeserver answered 500/,
    );
    assert.equal(synapse.directMessagesTo(MATRIX_ID).length, 1, "the homeserver did send it");
    assert.equal(await runJobs(), 1);
    assert.equal(synapse.requestsTo("createRoom").length, 1);
    assert.equal(synapse.requestsTo("send").length, 2);
    assert.equal(synapse.directMessagesTo(MATRIX_ID).length, 1, "the same transaction: no second message");
    const path = linkPathSentTo(MATRIX_ID);
    await browser.get(path);
    assert.equal((await browser.post(path, {})).response.status, 303);
    assert.equal((await caseRow(vettingCase.id)).matrixIdVerifiedId, MATRIX_ID);
  });

  test("a second request reuses the direct room while the person is in it, and makes a new one after they left", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    await askAndSend(browser);
    const [room] = synapse.directRoomsWith(MATRIX_ID);
    synapse.setMembership(room?.roomId ?? "", MATRIX_ID, "join");
    await askAndSend(browser);
    assert.equal(synapse.directRoomsWith(MATRIX_ID).length, 1);
    assert.equal(synapse.roomMessages(room?.roomId).length, 2);
    synapse.setMembership(room?.roomId ?? "", MATRIX_ID, "leave");
    await askAndSend(browser);
    assert.equal(synapse.directRoomsWith(MATRIX_ID).length, 2);
  });
});

describe("links that prove nothing", () => {
  test("another applicant's browser is refused and the link keeps working for its owner; signed out, it says to sign in", async () => {
    const owner = await createCase();
    const ownerBrowser = await applicantBrowser(owner.id);
    const path = await askAndSend(ownerBrowser);

    const other = await createCase({ matrixId: "@other:example.org" });
    const otherBrowser = await applicantBrowser(other.id);
    const shown = await otherBrowser.get(path);
    assert.equal(shown.response.status, 403);
    assert.match(text(shown.html), /This link belongs to another application/);
    assert.doesNotMatch(shown.html, /Confirm my Matrix ID/);
    await otherBrowser.get("/application");
    const posted = await otherBrowser.post(path, {});
    assert.equal(posted.response.status, 403);
    assert.equal((await caseRow(owner.id)).matrixIdVerifiedAt, null);
    assert.equal((await caseRow(other.id)).matrixIdVerifiedAt, null);
    const refusal = (await auditActions(owner.id)).at(-1);
    assert.equal(refusal?.action, "case.matrix_id_proof_refused");
    assert.equal((refusal?.details as { reason?: string } | undefined)?.reason, "other_applicant");

    const signedOut = new TestBrowser(testApp.baseUrl);
    const signedOutPage = await signedOut.get(path);
    assert.equal(signedOutPage.response.status, 403);
    assert.match(text(signedOutPage.html), /Sign in to your application first/);
    assert.match(signedOutPage.html, /href="\/apply\/sign-in"/);

    await ownerBrowser.get(path);
    assert.equal((await ownerBrowser.post(path, {})).response.status, 303);
    assert.equal((await caseRow(owner.id)).matrixIdVerifiedId, MATRIX_ID);
  });

  test("an expired link is refused and audited; an unknown one is a 404", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    const path = await askAndSend(browser);
    await testApp.db.linkToken.updateMany({
      where: { purpose: "matrix_id_proof" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const shown = await browser.get(path);
    assert.equal(shown.response.status, 410);
    assert.match(text(shown.html), /This link has expired: it works for 30 minutes/);
    const posted = await browser.post(path, {});
    assert.equal(posted.response.status, 410);
    assert.equal((await caseRow(vettingCase.id)).matrixIdVerifiedAt, null);
    const refusal = (await auditActions(vettingCase.id)).at(-1);
    assert.equal((refusal?.details as { reason?: string } | undefined)?.reason, "expired");
    assert.match(text((await browser.get("/application")).html), /can no longer be used/);

    const unknown = await browser.get(`/apply/matrix-id/${"A".repeat(43)}`);
    assert.equal(unknown.response.status, 404);
  });
});

describe("changing the Matrix ID", () => {
  test("the applicant's edit clears the mark (audited), and a link sent for the old Matrix ID stops working", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    const path = await askAndSend(browser);
    await browser.get(path);
    await browser.post(path, {});
    assert.ok((await caseRow(vettingCase.id)).matrixIdVerifiedAt);

    // Verified, so no button; the applicant edits the Matrix ID, which clears the mark.
    await browser.get("/application");
    const saved = await browser.post("/application/details", {
      fullName: "Wren Applicant",
      matrixId: "@wren.new:example.org",
      phone: "",
      statement: "I know Mara from birdwatching.",
    });
    assert.equal(saved.response.status, 303);
    assert.deepEqual(await caseRow(vettingCase.id), {
      matrixId: "@wren.new:example.org",
      matrixIdVerifiedAt: null,
      matrixIdVerifiedId: null,
    });
    const actions = (await auditActions(vettingCase.id)).map((row) => row.action);
    assert.ok(actions.includes("case.matrix_id_verification_cleared"));

    // A link sent for the new Matrix ID, then the Matrix ID changes again before it is followed.
    const newLinkPath = await askAndSend(browser, "@wren.new:example.org");

    await browser.get("/application");
    await browser.post("/application/details", {
      fullName: "Wren Applicant",
      matrixId: "@wren.third:example.org",
      phone: "",
      statement: "I know Mara from birdwatching.",
    });
    const stale = await browser.get(newLinkPath);
    assert.equal(stale.response.status, 404, "the link for the earlier Matrix ID was withdrawn");
    assert.equal((await caseRow(vettingCase.id)).matrixIdVerifiedAt, null);
  });

  test("a staff correction of the Matrix ID clears the mark", async () => {
    const vettingCase = await createCase({ state: "SUBMITTED" });
    const browser = await applicantBrowser(vettingCase.id);
    const path = await askAndSend(browser);
    await browser.get(path);
    await browser.post(path, {});
    assert.ok((await caseRow(vettingCase.id)).matrixIdVerifiedAt);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const corrected = await agent.post(`/staff/cases/${vettingCase.id}/details`, {
      correctFullName: "Wren Applicant",
      correctEmail: (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).email,
      correctMatrixId: "@wren.corrected:example.org",
      correctPhone: "",
      correctionReason: "The person gave their new Matrix ID on the phone",
    });
    assert.equal(corrected.status, 303);
    assert.deepEqual(await caseRow(vettingCase.id), {
      matrixId: "@wren.corrected:example.org",
      matrixIdVerifiedAt: null,
      matrixIdVerifiedId: null,
    });
    const cleared = (await auditActions(vettingCase.id)).find(
      (row) => row.action === "case.matrix_id_verification_cleared",
    );
    assert.equal(cleared?.actorLabel, agent.email);
  });
});

describe("the homeserver says no", () => {
  test("an unknown user, a refused invite, a homeserver that never answers: recorded, shown, no mark, no link", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    synapse.addUnknownUser(MATRIX_ID);
    await browser.get("/application");
    await browser.post("/application/matrix-id/prove", {});
    assert.equal(await runJobs(), 1);
    const failed = await testApp.db.matrixIdProofRequest.findFirstOrThrow({
      where: { caseId: vettingCase.id },
    });
    assert.equal(failed.status, "FAILED");
    assert.equal(failed.failure, "unknown_user");
    assert.equal(synapse.directRoomsWith(MATRIX_ID).length, 0);
    assert.equal(await testApp.db.linkToken.count({ where: { purpose: "matrix_id_proof" } }), 0);
    const page = await browser.get("/application");
    assert.match(text(page.html), /the homeserver says there is no such account/);
    assert.match(page.html, /matrix-id\/prove/, "they may try again");
    const failure = (await auditActions(vettingCase.id)).at(-1);
    assert.equal(failure?.action, "case.matrix_id_proof_failed");
    assert.deepEqual(failure?.details, { proofRequestId: failed.id, failure: "unknown_user" });

    synapse.reset();
    synapse.addRefusingUser(MATRIX_ID);
    await browser.post("/application/matrix-id/prove", {});
    await runJobs();
    assert.match(text((await browser.get("/application")).html), /its homeserver refused our invitation/);

    // A federation failure: the homeserver answers 502 each time; the last of the tries records it.
    synapse.reset();
    synapse.fail("createRoom", { status: 502 });
    await browser.post("/application/matrix-id/prove", {});
    const request = await testApp.db.matrixIdProofRequest.findFirstOrThrow({
      where: { caseId: vettingCase.id, status: "QUEUED" },
    });
    for (let attempt = 1; attempt < MATRIX_ID_PROOF_ATTEMPTS; attempt += 1) {
      await assert.rejects(sendMatrixIdProof(testApp, { proofRequestId: request.id }), /answered 502/);
    }
    assert.equal(await sendMatrixIdProof(testApp, { proofRequestId: request.id }), "failed");
    const unreachable = await testApp.db.matrixIdProofRequest.findUniqueOrThrow({
      where: { id: request.id },
    });
    assert.equal(unreachable.failure, "unreachable");
    assert.equal(unreachable.attempts, MATRIX_ID_PROOF_ATTEMPTS);
    assert.match(text((await browser.get("/application")).html), /its homeserver did not answer/);
    assert.equal((await caseRow(vettingCase.id)).matrixIdVerifiedAt, null);
  });
});

describe("limits", () => {
  test("three messages an hour per case: the fourth request is refused with 429 and a clear message", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    for (let request = 0; request < 3; request += 1) await askAndSend(browser);
    await browser.get("/application");
    const refused = await browser.post("/application/matrix-id/prove", {});
    assert.equal(refused.response.status, 429);
    assert.ok(Number(refused.response.headers.get("retry-after")) > 0);
    assert.match(text(refused.html), /No message was sent/);
    assert.match(
      text(refused.html),
      /You have asked for several messages in the last hour\. Try again in \d+ minutes?\./,
    );
    assert.equal(await testApp.db.matrixIdProofRequest.count(), 3);
  });

  test("three an hour per Matrix ID, whichever case names it", async () => {
    for (let request = 0; request < 3; request += 1) {
      const vettingCase = await createCase();
      await askAndSend(await applicantBrowser(vettingCase.id));
    }
    const fourth = await createCase();
    const browser = await applicantBrowser(fourth.id);
    await browser.get("/application");
    assert.equal((await browser.post("/application/matrix-id/prove", {})).response.status, 429);
  });
});

describe("what staff see", () => {
  test("the case page says verified with its date, the queue filters by it, the other case names where it was verified", async () => {
    const verified = await createCase({ state: "SUBMITTED" });
    const browser = await applicantBrowser(verified.id);
    const path = await askAndSend(browser);
    await browser.get(path);
    await browser.post(path, {});
    const duplicate = await createCase({ state: "SUBMITTED" });
    const unrelated = await createCase({ state: "SUBMITTED", matrixId: "@someone:example.org" });

    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const verifiedPage = text(await (await agent.get(`/staff/cases/${verified.id}`)).text());
    assert.match(verifiedPage, /Matrix ID verified \(\d{1,2} \w+ 20\d\d(,| at) \d\d:\d\d UTC\)/);
    const duplicatePage = await (await agent.get(`/staff/cases/${duplicate.id}`)).text();
    assert.match(text(duplicatePage), /Matrix ID not verified/);
    assert.match(text(duplicatePage), /The same Matrix ID was verified on another case: .*\(verified /);
    assert.match(duplicatePage, new RegExp(`href="/staff/cases/${verified.id}">${verified.number}</a>`));
    const unrelatedPage = text(await (await agent.get(`/staff/cases/${unrelated.id}`)).text());
    assert.doesNotMatch(unrelatedPage, /verified on another case/);

    const filtered = await (await agent.get("/staff/cases?matrixVerified=yes")).text();
    assert.match(filtered, new RegExp(verified.number));
    assert.doesNotMatch(filtered, new RegExp(duplicate.number));
    assert.match(filtered, /id="matrixVerified" name="matrixVerified" value="yes" checked/);
    const everything = await (await agent.get("/staff/cases")).text();
    assert.match(everything, new RegExp(duplicate.number));
    assert.equal((await agent.get("/staff/cases?matrixVerified=maybe")).status, 400);
  });
});

describe("erasure and settings", () => {
  test("erasing the case removes the mark, the requests and their links", async () => {
    const vettingCase = await createCase({ state: "SUBMITTED" });
    const browser = await applicantBrowser(vettingCase.id);
    const path = await askAndSend(browser);
    await browser.get(path);
    await browser.post(path, {});
    assert.equal(await testApp.db.matrixIdProofRequest.count({ where: { caseId: vettingCase.id } }), 1);
    await testApp.db.$transaction((tx) =>
      eraseCase(tx, { caseId: vettingCase.id, audit: { label: "system" }, reason: "applicant_request" }),
    );
    assert.deepEqual(await caseRow(vettingCase.id), {
      matrixId: null,
      matrixIdVerifiedAt: null,
      matrixIdVerifiedId: null,
    });
    assert.equal(await testApp.db.matrixIdProofRequest.count(), 0);
    assert.equal(await testApp.db.linkToken.count({ where: { purpose: "matrix_id_proof" } }), 0);
  });

  test("the bot's token alone turns the proof on without a staff room; without a homeserver it is refused", () => {
    const base = { NODE_ENV: "test", SMTP_HOST: "127.0.0.1" };
    const config = loadConfig({
      ...base,
      MATRIX_HOMESERVER_URL: "http://127.0.0.1:8008",
      MATRIX_ADMIN_TOKEN: "syt_admin",
      MATRIX_BOT_ACCESS_TOKEN: "syt_bot",
    });
    assert.equal(config.matrixStaffRoom, null);
    assert.equal(config.matrixBot?.botAccessToken, "syt_bot");
    assert.equal(config.matrixBot?.homeserverUrl.href, "http://127.0.0.1:8008/");
    assert.equal(loadConfig(base).matrixBot, null);
    assert.throws(
      () => loadConfig({ ...base, MATRIX_BOT_ACCESS_TOKEN: "syt_bot" }),
      /MATRIX_BOT_ACCESS_TOKEN: needs MATRIX_HOMESERVER_URL/,
    );
  });
});
