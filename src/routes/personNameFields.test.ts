// Every form that asks for a person's name refuses control characters, line breaks and direction
// overrides the same way (domain/applicationFields.ts zPersonName): the form comes back with the
// field's message, and nothing is written. (A staff invitation with a line break in the name used to
// get as far as its email, whose payload check refused it: a 500.)

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../applicantSessions.js";
import { issueSetupLinkIfNeeded } from "../commands/staff/issueSetupLink.js";
import { NOT_ONE_LINE_MESSAGE } from "../domain/applicationFields.js";
import { englishTranslator } from "../i18n/translator.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { truncateTables } from "../test/reset.js";
import { signedInStaffBrowser } from "../test/staff.js";
import { urls } from "../urls.js";

/** Each kind of character a name must not hold, put in the middle of one (the ends are trimmed). */
const FORBIDDEN_CHARACTERS: [kind: string, character: string][] = [
  ["carriage return", "\r"],
  ["line feed", "\n"],
  ["CR LF", "\r\n"],
  ["NUL", "\u0000"],
  ["tab", "\t"],
  ["vertical tab", "\u000b"],
  ["escape", "\u001b"],
  ["DEL", "\u007f"],
  ["C1 next line", "\u0085"],
  ["C1 control sequence introducer", "\u009b"],
  ["line separator", "\u2028"],
  ["paragraph separator", "\u2029"],
  ["left-to-right embedding", "\u202a"],
  ["right-to-left embedding", "\u202b"],
  ["pop directional formatting", "\u202c"],
  ["left-to-right override", "\u202d"],
  ["right-to-left override", "\u202e"],
  ["left-to-right isolate", "\u2066"],
  ["right-to-left isolate", "\u2067"],
  ["first strong isolate", "\u2068"],
  ["pop directional isolate", "\u2069"],
];

interface Answer {
  status: number;
  html: string;
}

/** The status and page of a response. */
async function answerOf(response: Response | Promise<Response>): Promise<Answer> {
  const settled = await response;
  return { status: settled.status, html: await settled.text() };
}

interface NameForm {
  form: string;
  path: string;
  nameField: string;
  otherFields: Record<string, string>;
  send(path: string, fields: Record<string, string>): Promise<Answer>;
  /** Rows the form would write when it is accepted: none may appear. */
  rowsWritten(): Promise<number>;
}

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({
    env: {
      NEW_CASE_NOTIFICATIONS: "off",
      // The token form answers only when a homeserver is configured; nothing is sent to it here.
      MATRIX_HOMESERVER_URL: "http://127.0.0.1:9",
      MATRIX_ADMIN_TOKEN: "syt_not_used_in_this_test",
    },
  });
});
after(() => testApp.close());
beforeEach(() =>
  truncateTables(testApp.db, [
    "staff_users",
    "staff_sessions",
    "vetting_cases",
    "applicant_sessions",
    "link_tokens",
    "audit_events",
    "outbox_messages",
    "registration_token_requests",
    "graphile_worker._private_jobs",
  ]),
);

/** Rows any accepted form writes: every command writes its audit row, most an email too. */
async function auditAndMailRows(): Promise<number> {
  const [audit, mail] = await Promise.all([testApp.db.auditEvent.count(), testApp.db.outboxMessage.count()]);
  return audit + mail;
}

async function publicForm(path: string): Promise<NameForm["send"]> {
  const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}${path}`);
  assert.ok(csrfToken, `${path} carries a CSRF token`);
  return (target, fields) =>
    answerOf(postForm(`${testApp.baseUrl}${target}`, { _csrf: csrfToken, ...fields }, { cookie }));
}

async function applicantForm(): Promise<{ send: NameForm["send"]; caseId: string }> {
  const vettingCase = await testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email: "wren@example.org",
      statement: "I know Mara from birdwatching.",
      emailConfirmedAt: new Date(),
    },
    select: { id: true },
  });
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId: vettingCase.id }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  assert.equal((await browser.get(urls.applicantWorkspace())).response.status, 200);
  return {
    caseId: vettingCase.id,
    send: async (target, fields) => {
      const { response, html } = await browser.post(target, fields);
      return { status: response.status, html };
    },
  };
}

async function everyNameForm(): Promise<NameForm[]> {
  // The setup link works only while there is no superadmin, so it is opened before any staff exist.
  const setup = await issueSetupLinkIfNeeded(testApp.db);
  assert.equal(setup.kind, "issued");
  const setupPath = urls.setup(setup.kind === "issued" ? setup.token : "");
  const setupSend = await publicForm(setupPath);
  const applySend = await publicForm(urls.apply());
  const applicant = await applicantForm();
  // A server admin invites and asks for tokens (a superadmin would close the setup link).
  const admin = await signedInStaffBrowser(testApp, "SERVER_ADMIN");
  const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
  const staffCount = () => testApp.db.staffUser.count();
  const caseCount = () => testApp.db.vettingCase.count();

  return [
    {
      form: "the setup link's form",
      path: setupPath,
      nameField: "name",
      otherFields: { email: "first@example.org" },
      send: setupSend,
      rowsWritten: async () => (await staffCount()) + (await auditAndMailRows()),
    },
    {
      form: "the application form",
      path: urls.apply(),
      nameField: "fullName",
      otherFields: {
        email: "ada@example.org",
        matrixId: "",
        phone: "",
        statement: "I met Mara at the conference.",
        consent: "yes",
      },
      send: applySend,
      rowsWritten: async () => (await caseCount()) + (await auditAndMailRows()),
    },
    {
      form: "the applicant's details form",
      path: urls.applicantDetails(),
      nameField: "fullName",
      otherFields: { matrixId: "", phone: "", statement: "I know Mara from birdwatching." },
      send: applicant.send,
      rowsWritten: async () => {
        const row = await testApp.db.vettingCase.findUniqueOrThrow({
          where: { id: applicant.caseId },
          select: { fullName: true },
        });
        return (row.fullName === "Wren Applicant" ? 0 : 1) + (await auditAndMailRows());
      },
    },
    {
      form: "the form opening a case on someone's behalf",
      path: urls.staffCaseNew(),
      nameField: "fullName",
      otherFields: {
        email: "grace@example.org",
        matrixId: "",
        phone: "",
        statement: "",
        isInvitationSent: "yes",
      },
      send: (target, fields) => answerOf(agent.post(target, fields)),
      rowsWritten: async () => (await caseCount()) + (await auditAndMailRows()),
    },
    {
      form: "the staff invitation form",
      path: urls.staffInvitations(),
      nameField: "name",
      otherFields: { email: "new.staff@example.org", role: "VETTING_AGENT" },
      send: (target, fields) => answerOf(admin.post(target, fields)),
      rowsWritten: async () => (await staffCount()) + (await auditAndMailRows()),
    },
    {
      form: "the standalone registration token form",
      path: urls.staffRegistrationTokenNew(),
      nameField: "name",
      otherFields: { email: "token.person@example.org", note: "" },
      send: (target, fields) => answerOf(admin.post(target, fields)),
      rowsWritten: auditAndMailRows,
    },
  ];
}

describe("a person's name on every form", () => {
  test("with a control character, line break or direction override: the field's message, nothing written, never a 500", async () => {
    const forms = await everyNameForm();
    for (const form of forms) {
      const rowsBefore = await form.rowsWritten();
      for (const [kind, character] of FORBIDDEN_CHARACTERS) {
        const { status, html } = await form.send(form.path, {
          ...form.otherFields,
          [form.nameField]: `Ada${character}Lovelace`,
        });
        assert.ok(status === 400 || status === 422, `${form.form}, ${kind}: answered ${status}`);
        assert.ok(
          html.includes(
            `id="${form.nameField}-error"><span class="visually-hidden">Error: </span>${englishTranslator().t(NOT_ONE_LINE_MESSAGE)}</p>`,
          ),
          `${form.form}, ${kind}: the name field says what is wrong`,
        );
      }
      assert.equal(await form.rowsWritten(), rowsBefore, `${form.form}: nothing was written`);
    }
  });

  test("the same names without those characters are accepted by every form", async () => {
    // The control: each form does accept the name once the character is gone, so the refusals above
    // are the name's, not some other field's.
    for (const form of await everyNameForm()) {
      const { status, html } = await form.send(form.path, {
        ...form.otherFields,
        [form.nameField]: "Ada Lovelace",
      });
      assert.equal(status, 303, `${form.form}: ${html}`);
    }
  });
});
