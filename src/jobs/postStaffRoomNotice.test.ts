// The staff room's notices against the fake homeserver's client-server endpoint: one message per event,
// however often the job is added or retried (a 500, an answer lost after the homeserver acted), nothing
// when the room is refused or not configured, and never the applicant's personal data.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { decideCase } from "../commands/cases/decideCase.js";
import { notifyAgentsOfNewCase } from "../commands/cases/notifyAgentsOfNewCase.js";
import { loadConfig } from "../config.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { runQueuedJobs } from "../test/jobs.js";
import { truncateTables } from "../test/reset.js";
import { createStaffMember } from "../test/staff.js";
import { enqueueStaffRoomNotice, postStaffRoomNoticeJob } from "./postStaffRoomNotice.js";

let synapse: FakeSynapse;
let testApp: TestApp;
before(async () => {
  synapse = await startFakeSynapse();
  testApp = await startTestApp({
    env: {
      ...synapse.environment(),
      MATRIX_STAFF_ROOM_ID: synapse.staffRoomId,
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
    "case_decisions",
    "vetting_cases",
    "audit_events",
    "link_tokens",
    "outbox_messages",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

async function createCase() {
  const row = await testApp.db.vettingCase.create({
    data: {
      state: "SUBMITTED",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      matrixId: "@ada:example.org",
      phone: "+442079460958",
      statement: "I would like to join.",
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

const submitted = (caseId: string) =>
  testApp.db.$transaction((tx) => notifyAgentsOfNewCase(tx, { config: testApp.config, caseId }));
const runJobs = () => runQueuedJobs(testApp, "post_staff_room_notice");

function assertNoPersonalData(body: string) {
  for (const personal of ["Ada", "ada@example.org", "@ada:example.org", "+442079460958", "join"]) {
    assert.ok(!body.includes(personal), `no ${personal} in a room message`);
  }
}

describe("new cases and decisions in the staff room", () => {
  test("a new case: one m.notice with its number, state and link, sent with the bot's token", async () => {
    const vettingCase = await createCase();
    await submitted(vettingCase.id);
    await submitted(vettingCase.id); // the same event added twice is one job
    assert.equal(await runJobs(), 1);
    const messages = synapse.roomMessages(synapse.staffRoomId);
    assert.equal(messages.length, 1);
    const [message] = messages;
    assert.equal(message?.sender, "bot");
    assert.equal(message?.txnId, `vetting-portal.case_submitted.${vettingCase.id}`);
    assert.deepEqual(message?.content, {
      msgtype: "m.notice",
      body: `Case ${vettingCase.number} was submitted and waits in the queue. Now: Submitted. http://127.0.0.1:3000/staff/cases/${vettingCase.id}`,
    });
    assertNoPersonalData(JSON.stringify(message?.content));
    const [request] = synapse.requestsTo("send");
    assert.equal(request?.method, "PUT");
    assert.equal(
      request?.path,
      `/_matrix/client/v3/rooms/${encodeURIComponent(synapse.staffRoomId)}/send/m.room.message/${encodeURIComponent(message?.txnId ?? "")}`,
    );
    assert.equal(request?.headers.authorization, `Bearer ${synapse.botToken}`);
  });

  test("after a 500 the job fails and its retry posts the message once", async () => {
    const vettingCase = await createCase();
    await submitted(vettingCase.id);
    synapse.fail("send", { status: 500, times: 1 });
    await assert.rejects(runJobs(), /The homeserver answered 500 M_UNKNOWN/);
    assert.equal(synapse.roomMessages().length, 0);
    assert.equal(await runJobs(), 1, "graphile-worker's retry");
    assert.equal(synapse.roomMessages().length, 1);
    assert.equal(synapse.requestsTo("send").length, 2);
  });

  test("an answer lost after the homeserver posted: the retry's same transaction ID makes no second message", async () => {
    const vettingCase = await createCase();
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const decision = await testApp.db.caseDecision.create({
      data: { caseId: vettingCase.id, kind: "APPROVE", decidedById: admin.id, decidedAt: new Date() },
      select: { id: true },
    });
    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { state: "APPROVED" } });
    await testApp.db.$transaction((tx) =>
      enqueueStaffRoomNotice(tx, testApp.config, {
        event: "case_decided",
        caseId: vettingCase.id,
        eventId: decision.id,
      }),
    );
    synapse.fail("send", { status: 502, times: 1, apply: true });
    await assert.rejects(runJobs());
    assert.equal(await runJobs(), 1);
    assert.deepEqual(
      synapse.roomMessages().map((message) => message.content),
      [
        {
          msgtype: "m.notice",
          body: `Case ${vettingCase.number} was approved. Now: Approved. http://127.0.0.1:3000/staff/cases/${vettingCase.id}`,
        },
      ],
    );
  });

  test("a decision through decideCase: one message saying what was decided", async () => {
    const vettingCase = await createCase();
    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { state: "IN_REVIEW" } });
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const { decisionId } = await decideCase(testApp.db, {
      caseId: vettingCase.id,
      decision: "request_more_information",
      reason: "Who referred you?",
      isReasonShared: true,
      decider: { id: admin.id, role: admin.role },
      audit: { staffUserId: admin.id, label: admin.name },
      config: testApp.config,
    });
    assert.equal(await runJobs(), 1);
    const messages = synapse.roomMessages();
    assert.deepEqual(
      messages.map((message) => [message.txnId, message.content]),
      [
        [
          `vetting-portal.case_decided.${decisionId}`,
          {
            msgtype: "m.notice",
            body: `Case ${vettingCase.number} was sent back for more information. Now: More information requested. http://127.0.0.1:3000/staff/cases/${vettingCase.id}`,
          },
        ],
      ],
    );
    assertNoPersonalData(JSON.stringify(messages));
    assert.ok(!JSON.stringify(messages).includes("referred"), "nor the reason");
  });

  test("a refusal (the bot is not in the room) ends the job without a message or a retry", async () => {
    const vettingCase = await createCase();
    const outcome = await postStaffRoomNoticeJob(
      {
        ...testApp,
        config: {
          ...testApp.config,
          matrixStaffRoom: {
            ...(testApp.config.matrixStaffRoom ?? assert.fail()),
            roomId: "!other:fake-synapse.example",
          },
        },
      },
      { event: "case_submitted", caseId: vettingCase.id, eventId: vettingCase.id },
    );
    assert.equal(outcome, "refused");
    assert.equal(synapse.roomMessages().length, 0);
    assert.ok(
      testApp
        .logLines()
        .some((line) => line.msg === "the staff room refused the notice" && line.status === 403),
    );
    assert.ok(!testApp.logText().includes(synapse.botToken), "the bot's token is never logged");
  });

  test("without MATRIX_STAFF_ROOM_ID nothing is queued", async () => {
    const vettingCase = await createCase();
    await testApp.db.$transaction((tx) =>
      notifyAgentsOfNewCase(tx, {
        config: { ...testApp.config, matrixStaffRoom: null },
        caseId: vettingCase.id,
      }),
    );
    assert.equal(await runJobs(), 0);
  });
});

describe("MATRIX_STAFF_ROOM_ID and MATRIX_BOT_ACCESS_TOKEN settings", () => {
  test("the bot token is a secret read from MATRIX_BOT_ACCESS_TOKEN_FILE; the room needs the homeserver and the token", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "bot-token-"));
    try {
      const file = path.join(folder, "bot-token");
      await writeFile(file, "syt_bot_from_file\n", { mode: 0o600 });
      const config = loadConfig({
        NODE_ENV: "test",
        SMTP_HOST: "127.0.0.1",
        MATRIX_HOMESERVER_URL: "http://127.0.0.1:8008",
        MATRIX_ADMIN_TOKEN: "syt_admin",
        MATRIX_STAFF_ROOM_ID: "!staff:example.org",
        MATRIX_BOT_ACCESS_TOKEN_FILE: file,
      });
      assert.equal(config.matrixStaffRoom?.botAccessToken, "syt_bot_from_file");
      assert.equal(config.matrixStaffRoom?.roomId, "!staff:example.org");
      assert.throws(
        () =>
          loadConfig({
            NODE_ENV: "test",
            SMTP_HOST: "127.0.0.1",
            MATRIX_STAFF_ROOM_ID: "!staff:example.org",
          }),
        /MATRIX_BOT_ACCESS_TOKEN: required with MATRIX_STAFF_ROOM_ID/,
      );
      assert.throws(
        () =>
          loadConfig({
            NODE_ENV: "test",
            SMTP_HOST: "127.0.0.1",
            MATRIX_STAFF_ROOM_ID: "#staff:example.org",
            MATRIX_BOT_ACCESS_TOKEN: "syt_bot",
          }),
        /MATRIX_STAFF_ROOM_ID: must be a room ID/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
