// The audit log must hold nothing about the person (it is append-only and outlives erasure), and
// erasure must leave nothing about them anywhere. A case goes through its whole life with the real
// commands (apply, confirm by the emailed link, edit, submit, review, assign, vet, comment, ask for more
// information, sign in by the emailed link, edit, resubmit, reject; a second application that is
// flagged as a duplicate and withdrawn), with the emails delivered through a real SMTP server. Then:
// no audit row contains any of the person's values, and after erasing both cases a search of every
// row of every table finds none of them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { AuditActor } from "../../audit.js";
import { ZApplicationDetails, ZApplicationForm } from "../../domain/applicationFields.js";
import type { Actor } from "../../policies/staff.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn } from "../../test/browser.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { everyRowAsText } from "../../test/privacyFixtures.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember } from "../../test/staff.js";
import { openApplicantWorkspace } from "../applicants/openApplicantWorkspace.js";
import { requestApplicantSignInLink } from "../applicants/requestApplicantSignInLink.js";
import { resubmitApplication } from "../applicants/resubmitApplication.js";
import { startApplication } from "../applicants/startApplication.js";
import { submitApplication } from "../applicants/submitApplication.js";
import { updateApplicationDetails } from "../applicants/updateApplicationDetails.js";
import { withdrawApplication } from "../applicants/withdrawApplication.js";
import { addCaseComment } from "./addCaseComment.js";
import { assignCase } from "./assignCase.js";
import { decideCase } from "./decideCase.js";
import { eraseCase } from "./eraseCase.js";
import { exportCase } from "./exportCase.js";
import { recordVettingRecord } from "./recordVettingRecord.js";
import { startCaseReview } from "./startCaseReview.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port) } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});

const applicant: AuditActor = { label: "applicant", ipAddress: "192.0.2.7", userAgent: "Applicant browser" };
const staffAudit = (member: { id: string; email: string }): AuditActor => ({
  staffUserId: member.id,
  label: member.email,
  ipAddress: "192.0.2.50",
  userAgent: "Staff browser",
});

/** Details as the workspace's form validates them (the address is not editable). */
function editedDetails(fields: { fullName: string; matrixId: string; phone: string; statement: string }) {
  const { email: _email, ...details } = ZApplicationDetails.parse({ ...fields, email: "unused@example.org" });
  return details;
}

/** Delivers what is queued and opens the workspace by the link in the newest mail to the person. */
async function followLinkTo(email: string, purpose: "email_confirmation" | "sign_in"): Promise<void> {
  const delivered = await deliverQueuedEmails(testApp, smtp);
  const mail = delivered.filter((message) => message.to.includes(email)).at(-1);
  assert.ok(mail, `a mail to ${email}`);
  const token = linkPathIn(mail, testApp.config.http.publicUrl).split("/").at(-1) ?? "";
  await openApplicantWorkspace(testApp.db, {
    config: testApp.config,
    purpose,
    token,
    replacingSessionId: null,
    audit: applicant,
  });
}

test("the audit log holds nothing about the person, and after erasure no table does", async () => {
  const { db, config } = testApp;
  const agent = await createStaffMember(db, config, { role: "VETTING_AGENT", name: "Vera Vetting" });
  const admin = await createStaffMember(db, config, { role: "INVITING_ADMIN", name: "Adam Admin" });
  const agentActor: Actor & { name: string } = { id: agent.id, role: agent.role, name: agent.name };
  const adminActor: Actor = { id: admin.id, role: admin.role };

  const typed = {
    fullName: "Philippa Wintergreen-Okonkwo",
    email: "Philippa.Wintergreen@Example.org",
    matrixId: "@pwintergreen:matrix.example.org",
    phone: "+44 20 7946 0958",
    statement: "I organise the Saturday repair café on Mulberry Street.",
  };
  const later = {
    fullName: "Philippa W. Okonkwo",
    phone: "+44 20 7946 0959",
    statement: "I also help at the Mulberry Street food bank on Tuesdays.",
  };
  const texts = {
    place: "The Blue Heron community hall",
    notes: "Saw her driving licence; her neighbour Mrs Abernathy vouched for her.",
    internalComment: "Her referee is Tobias Fennimore from the allotment society.",
    visibleComment: "Please tell us which repair café sessions you attended in March.",
    moreInformationReason: "Please add a second referee who has known you for a year.",
    rejectionReason: "Neither referee could confirm knowing Philippa personally.",
  };

  // The applicant applies, confirms the address by the emailed link, edits and submits.
  const application = ZApplicationForm.parse({ ...typed, consent: "yes" });
  const { caseId } = await startApplication(testApp.sqlPool, { config, application, audit: applicant });
  await followLinkTo(application.email, "email_confirmation");
  await updateApplicationDetails(db, {
    caseId,
    details: editedDetails({ ...typed, statement: later.statement }),
    audit: applicant,
  });
  await submitApplication(db, { config, caseId, isConsentGiven: true, pageLanguage: "de", audit: applicant });

  // Staff work the case: review, assign, vet, comment, ask for more information.
  await startCaseReview(testApp.sqlPool, { caseId, actor: agentActor, audit: staffAudit(agent) });
  await assignCase(db, { caseId, assigneeId: agent.id, actor: agentActor, audit: staffAudit(agent) });
  await recordVettingRecord(db, {
    caseId,
    agent: agentActor,
    record: {
      identityVerified: true,
      method: "IN_PERSON",
      verifiedOn: new Date("2026-03-14"),
      place: texts.place,
      notes: texts.notes,
      score: 3,
      recommendation: "FURTHER_VERIFICATION",
    },
    audit: staffAudit(agent),
  });
  await addCaseComment(db, {
    caseId,
    author: agentActor,
    body: texts.internalComment,
    isVisibleToApplicant: false,
    audit: staffAudit(agent),
  });
  await addCaseComment(db, {
    caseId,
    author: agentActor,
    body: texts.visibleComment,
    isVisibleToApplicant: true,
    audit: staffAudit(agent),
  });
  await decideCase(db, {
    caseId,
    decision: "request_more_information",
    reason: texts.moreInformationReason,
    isReasonShared: true,
    decider: adminActor,
    audit: staffAudit(admin),
    config,
  });

  // The applicant comes back by the emailed link, edits, resubmits; later asks for a link again.
  await followLinkTo(application.email, "sign_in");
  await updateApplicationDetails(db, {
    caseId,
    details: editedDetails({
      fullName: later.fullName,
      matrixId: typed.matrixId,
      phone: later.phone,
      statement: later.statement,
    }),
    audit: applicant,
  });
  await resubmitApplication(db, {
    config,
    caseId,
    isConsentGiven: true,
    pageLanguage: "de",
    audit: applicant,
  });
  await requestApplicantSignInLink(db, { email: typed.email });
  await runQueuedJobs(testApp, "send_requested_link");
  await decideCase(db, {
    caseId,
    decision: "reject",
    reason: texts.rejectionReason,
    isReasonShared: true,
    decider: adminActor,
    audit: staffAudit(admin),
    config,
  });

  // A second application from the same person: flagged as a duplicate, then withdrawn.
  const second = await startApplication(testApp.sqlPool, {
    config,
    application: ZApplicationForm.parse({ ...typed, statement: "Applying once more.", consent: "yes" }),
    audit: applicant,
  });
  await withdrawApplication(db, { caseId: second.caseId, audit: applicant });
  await deliverQueuedEmails(testApp, smtp);
  await exportCase(db, { caseId, exportedBy: { id: admin.id, name: admin.name }, audit: staffAudit(admin) });

  const stored = await db.vettingCase.findUniqueOrThrow({ where: { id: caseId } });
  assert.equal(stored.state, "REJECTED");
  assert.equal(
    (await db.vettingCase.findUniqueOrThrow({ where: { id: second.caseId } })).isPossibleDuplicate,
    true,
  );
  const personalValues = [
    typed.fullName,
    typed.email,
    typed.matrixId,
    application.phone ?? "",
    typed.statement,
    later.fullName,
    later.statement,
    later.phone.replaceAll(" ", ""),
    "Applying once more.",
    ...Object.values(texts),
  ];
  assert.equal(stored.phone, later.phone.replaceAll(" ", ""), "stored as E.164");
  assert.equal(application.phone, typed.phone.replaceAll(" ", ""));

  // The audit trail: every step is there, and no row holds any of the person's values.
  const actions = (
    await db.auditEvent.findMany({
      where: { subjectId: caseId },
      orderBy: { id: "asc" },
      select: { action: true },
    })
  ).map((row) => row.action);
  for (const action of [
    "case.created",
    "case.email_confirmed",
    "case.details_updated",
    "case.submitted",
    "case.review_started",
    "case.vetting_recorded",
    "case.comment_added",
    "case.more_information_requested",
    "case.resubmitted",
    "case.rejected",
    "case.exported",
  ]) {
    assert.ok(actions.includes(action), `${action} in ${actions.join(", ")}`);
  }
  const auditRows = (await everyRowAsText(db)).filter((row) => row.table === '"public"."audit_events"');
  assert.ok(auditRows.length >= 15);
  for (const value of personalValues) {
    const needle = value.toLowerCase();
    const leaks = auditRows.filter((row) => row.text.includes(needle)).map((row) => row.text);
    assert.deepEqual(leaks, [], `the audit log holds "${value}"`);
  }
  // Before erasure the values are of course in the database (the search itself works).
  assert.ok((await everyRowAsText(db)).some((row) => row.text.includes(texts.rejectionReason.toLowerCase())));

  // Erase both cases: nothing about the person is left anywhere, audit rows included.
  for (const id of [caseId, second.caseId]) {
    await db.$transaction((tx) =>
      eraseCase(tx, { caseId: id, audit: staffAudit(admin), reason: "applicant_request" }),
    );
  }
  const everything = await everyRowAsText(db);
  for (const value of personalValues) {
    const needle = value.toLowerCase();
    const tables = [
      ...new Set(everything.filter((row) => row.text.includes(needle)).map((row) => row.table)),
    ];
    assert.deepEqual(tables, [], `"${value}" is still in ${tables.join(", ")}`);
  }
  // The audit trail itself is kept in full.
  const actionsAfter = (
    await db.auditEvent.findMany({
      where: { subjectId: caseId },
      orderBy: { id: "asc" },
      select: { action: true },
    })
  ).map((row) => row.action);
  assert.deepEqual(actionsAfter, [...actions, "case.erased"]);
});
