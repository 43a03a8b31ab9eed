// A vetting case with a full history, written the way the commands write it, for the export, erasure
// and retention tests: every piece of personal data is a distinct string (tagged per case), so a test
// can search the whole database for it afterwards.
import { startApplicantSession } from "../applicantSessions.js";
import { recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { CaseState } from "../domain/caseStates.js";
import { enqueueEmail } from "../mail/outbox.js";
import {
  generateRegistrationToken,
  registrationTokenLookup,
  sealRegistrationToken,
} from "../matrix/tokenSecrets.js";
import { issueLinkToken } from "../tokens.js";
import { createStaffMember, type TestStaffMember } from "./staff.js";

export interface SeededCase {
  id: string;
  number: number;
  caseNumber: string;
  person: { fullName: string; email: string; phone: string; matrixId: string; statement: string };
  vettingRecord: { id: string; place: string; notes: string };
  comment: { id: string; body: string };
  decision: { id: string; reason: string };
  /** Every personal value above, and the referees' (address, Matrix ID, what they wrote): none may remain anywhere once the case is erased. */
  personalValues: string[];
  agent: TestStaffMember;
  admin: TestStaffMember;
  emails: {
    /** A sign-in link not yet sent (QUEUED, linked to the case). */
    queuedSignIn: string;
    /** The decision's email with its reason, not yet sent (QUEUED, addressed to the person). */
    queuedDecision: string;
    /** The "application received" mail, already sent (SENT). */
    sentReceived: string;
    /** To the agent about the case: not the person's mail. */
    toAgent: string;
    /** A new link to the case's registration token, not yet sent (QUEUED, linked to the token). */
    queuedRevealLink: string;
  };
  linkTokenId: string;
  /** The case's Matrix registration token (CREATED) with a note, and an unused reveal link to it. */
  registrationToken: { id: string; note: string; revealLinkTokenId: string };
  applicantSessionToken: string;
}

let counter = 0;

/**
 * A case in `state` (REJECTED by default: submitted, vetted, commented on, decided; in any other state
 * the decision is a request for more information), with emails, a link token and an applicant
 * session. decidedAt / withdrawnAt as given.
 */
export async function seedCaseWithHistory(
  db: Database,
  config: Config,
  options: { state?: CaseState; decidedAt?: Date | null; withdrawnAt?: Date | null; tag?: string } = {},
): Promise<SeededCase> {
  counter += 1;
  const tag = options.tag ?? `${process.pid}x${counter}q`;
  const state = options.state ?? "REJECTED";
  const person = {
    fullName: `Xanthe Quillfeather ${tag}`,
    email: `xanthe.${tag}@example.org`,
    phone: `+4420${String(70_000_000 + counter * 7919).slice(0, 8)}`,
    matrixId: `@xanthe-${tag}:example.org`,
    statement: `I host the Thursday reading circle ${tag} and would like to join.`,
  };
  const agent = await createStaffMember(db, config, { role: "VETTING_AGENT", name: `Agent ${tag}` });
  const admin = await createStaffMember(db, config, { role: "INVITING_ADMIN", name: `Admin ${tag}` });
  const submittedAt = new Date(Date.now() - 400 * 24 * 3_600_000);
  const place = `Café Lumière ${tag}`;
  const notes = `Passport seen; lives on Juniper Lane ${tag}.`;
  const body = `Knows our treasurer from the allotment ${tag}.`;
  const reason = `The referee ${tag} could not vouch for the applicant.`;
  const tokenNote = `Invited to the reading circle room ${tag}.`;
  // What staff acting for the person and the conversation add: the agent's consent note, a closing's
  // reason (the case was closed once and reopened), and the applicant's reply.
  const consentNote = `Paper form kept in the Juniper Lane file ${tag}.`;
  const closureReason = `Thought abandoned after the allotment move ${tag}.`;
  const replyBody = `My neighbour on Juniper Lane can vouch for me ${tag}.`;
  const misspeltName = `Xanthe Quilfeather ${tag}`;
  const correctionReason = `Surname misspelt at the Juniper desk ${tag}.`;
  const pendingEmail = `xanthe.moved.${tag}@example.org`;
  // Two referees: one asked by email who vouched (with the email sent and its link unused since), one
  // asked by Matrix ID whose direct room the bot made.
  const referee = {
    email: `yves.referee.${tag}@example.org`,
    relationship: `Her neighbour on Juniper Lane ${tag}`,
    knownHow: `We share the Juniper Lane allotment ${tag}`,
    knownFor: `Eleven years ${tag}`,
    statement: `Xanthe is who she says she is ${tag}.`,
    matrixId: `@zora-referee-${tag}:example.org`,
    matrixRelationship: `Her reading circle co-host ${tag}`,
    matrixRoomId: `!referee-room-${tag}:example.org`,
  };

  const seeded = await db.$transaction(async (tx) => {
    const vettingCase = await tx.vettingCase.create({
      data: {
        origin: "APPLICANT",
        state,
        ...person,
        privacyNoticeVersion: config.privacy.noticeVersion,
        privacyNoticeLanguage: "de",
        privacyConsentAt: submittedAt,
        privacyConsentKind: "SIGNED_PAPER_FORM",
        privacyConsentNote: consentNote,
        pendingEmail,
        emailConfirmedAt: submittedAt,
        assignedToId: agent.id,
        submittedAt,
        lastSubmittedAt: submittedAt,
        decidedAt: options.decidedAt ?? null,
        withdrawnAt: options.withdrawnAt ?? null,
      },
      select: { id: true, number: true },
    });
    const subject = { type: "vetting_case", id: vettingCase.id };
    const caseNumber = formatCaseNumber(vettingCase.number);
    await tx.caseClosure.create({
      data: {
        caseId: vettingCase.id,
        kind: "ABANDONED",
        reason: closureReason,
        closedById: admin.id,
        closedAt: submittedAt,
        reopenedById: admin.id,
        reopenedAt: submittedAt,
      },
    });
    await tx.caseReply.create({ data: { caseId: vettingCase.id, body: replyBody, createdAt: submittedAt } });
    await tx.caseDetailCorrection.create({
      data: {
        caseId: vettingCase.id,
        changedById: agent.id,
        reason: correctionReason,
        changes: {
          fullName: { before: misspeltName, after: person.fullName },
          email: { before: person.email, after: pendingEmail },
        },
      },
    });
    const applicant = { label: "applicant", ipAddress: "192.0.2.10", userAgent: "Test browser" };
    await recordAudit(tx, applicant, "case.created", subject, {});
    await recordAudit(tx, applicant, "case.submitted", subject, { from: "DRAFT", to: "SUBMITTED" });

    const vettingRecord = await tx.vettingRecord.create({
      data: {
        caseId: vettingCase.id,
        agentId: agent.id,
        identityVerified: true,
        method: "IN_PERSON",
        verifiedOn: new Date("2025-10-01"),
        place,
        notes,
        score: 2,
        recommendation: "REJECT",
      },
      select: { id: true },
    });
    await recordAudit(tx, { staffUserId: agent.id, label: agent.email }, "case.vetting_recorded", subject, {
      vettingRecordId: vettingRecord.id,
      recommendation: "REJECT",
      score: 2,
    });
    const comment = await tx.caseComment.create({
      data: { caseId: vettingCase.id, authorId: agent.id, body, isVisibleToApplicant: true },
      select: { id: true },
    });
    await recordAudit(tx, { staffUserId: agent.id, label: agent.email }, "case.comment_added", subject, {
      commentId: comment.id,
      isVisibleToApplicant: true,
    });
    // A rejection for a rejected case; otherwise a request for more information (also with a reason).
    const isRejected = state === "REJECTED";
    const decision = await tx.caseDecision.create({
      data: {
        caseId: vettingCase.id,
        kind: isRejected ? "REJECT" : "REQUEST_MORE_INFORMATION",
        decidedById: admin.id,
        reason,
        isReasonSharedWithApplicant: true,
        decidedAt: options.decidedAt ?? submittedAt,
      },
      select: { id: true },
    });
    await recordAudit(
      tx,
      { staffUserId: admin.id, label: admin.email },
      isRejected ? "case.rejected" : "case.more_information_requested",
      subject,
      {
        from: "IN_REVIEW",
        to: isRejected ? "REJECTED" : "MORE_INFORMATION_REQUESTED",
        decisionId: decision.id,
        isReasonShared: true,
      },
    );

    const vouched = await tx.caseReference.create({
      data: {
        caseId: vettingCase.id,
        refereeEmail: referee.email,
        relationship: referee.relationship,
        requestedAt: submittedAt,
        status: "VOUCHED",
        answeredAt: submittedAt,
        knownHow: referee.knownHow,
        knownFor: referee.knownFor,
        statement: referee.statement,
      },
      select: { id: true },
    });
    const refereeEmail = await enqueueEmail(tx, {
      kind: "reference_request",
      recipient: referee.email,
      payload: { applicantName: person.fullName },
      linkSubject: { type: "case_reference", id: vouched.id },
    });
    await tx.outboxMessage.update({
      where: { id: refereeEmail.outboxMessageId },
      data: { status: "SENT", sentAt: submittedAt, attempts: 1, acceptedBy: "127.0.0.1:2525" },
    });
    const askedOnMatrix = await tx.caseReference.create({
      data: {
        caseId: vettingCase.id,
        refereeMatrixId: referee.matrixId,
        relationship: referee.matrixRelationship,
        requestedById: agent.id,
        matrixRoomId: referee.matrixRoomId,
        matrixAttempts: 1,
        matrixSentAt: submittedAt,
      },
      select: { id: true },
    });
    await issueLinkToken(tx, {
      purpose: "reference_request",
      subject: { type: "case_reference", id: askedOnMatrix.id },
      lifetimeMs: 14 * 24 * 3_600_000,
    });

    const queuedSignIn = await enqueueEmail(tx, {
      kind: "sign_in_link",
      recipient: person.email,
      payload: { applicantName: person.fullName },
      linkSubject: subject,
    });
    const queuedDecision = await enqueueEmail(
      tx,
      isRejected
        ? {
            kind: "decision_rejected",
            recipient: person.email,
            payload: { applicantName: person.fullName, caseNumber, reason },
          }
        : {
            kind: "more_information_requested",
            recipient: person.email,
            payload: { applicantName: person.fullName, caseNumber, reason },
            linkSubject: subject,
          },
    );
    const sentReceived = await enqueueEmail(tx, {
      kind: "application_received",
      recipient: person.email,
      payload: { applicantName: person.fullName, caseNumber },
    });
    await tx.outboxMessage.update({
      where: { id: sentReceived.outboxMessageId },
      data: { status: "SENT", sentAt: submittedAt, attempts: 1, acceptedBy: "127.0.0.1:2525" },
    });
    const toAgent = await enqueueEmail(tx, {
      kind: "new_case_waiting",
      recipient: agent.email,
      payload: { agentName: agent.name, caseNumber, caseId: vettingCase.id },
    });
    const linkToken = await issueLinkToken(tx, { purpose: "sign_in", subject, lifetimeMs: 15 * 60_000 });
    const registrationTokenString = generateRegistrationToken();
    const registrationToken = await tx.registrationToken.create({
      data: {
        caseId: vettingCase.id,
        personName: person.fullName,
        personEmail: person.email,
        note: tokenNote,
        tokenSealed: sealRegistrationToken(config.staff.totpKey, registrationTokenString),
        tokenLookup: registrationTokenLookup(config.staff.totpKey, registrationTokenString),
        state: "CREATED",
        expiresAt: new Date(Date.now() + 30 * 24 * 3_600_000),
        createdById: admin.id,
        createdOnHomeserverAt: submittedAt,
      },
      select: { id: true },
    });
    const tokenSubject = { type: "registration_token", id: registrationToken.id };
    const queuedRevealLink = await enqueueEmail(tx, {
      kind: "registration_token_ready",
      recipient: person.email,
      payload: { personName: person.fullName, registrationTokenExpiresAt: new Date().toISOString() },
      linkSubject: tokenSubject,
    });
    const revealLinkToken = await issueLinkToken(tx, {
      purpose: "registration_token_reveal",
      subject: tokenSubject,
      lifetimeMs: 7 * 24 * 3_600_000,
    });
    const session = await startApplicantSession(tx, { config, caseId: vettingCase.id });
    return {
      vettingCase,
      caseNumber,
      vettingRecordId: vettingRecord.id,
      commentId: comment.id,
      decisionId: decision.id,
      emails: {
        queuedSignIn: queuedSignIn.outboxMessageId,
        queuedDecision: queuedDecision.outboxMessageId,
        sentReceived: sentReceived.outboxMessageId,
        toAgent: toAgent.outboxMessageId,
        queuedRevealLink: queuedRevealLink.outboxMessageId,
      },
      linkTokenId: linkToken.id,
      registrationToken: { id: registrationToken.id, revealLinkTokenId: revealLinkToken.id },
      applicantSessionToken: session.token,
    };
  });

  return {
    id: seeded.vettingCase.id,
    number: seeded.vettingCase.number,
    caseNumber: seeded.caseNumber,
    person,
    vettingRecord: { id: seeded.vettingRecordId, place, notes },
    comment: { id: seeded.commentId, body },
    decision: { id: seeded.decisionId, reason },
    personalValues: [
      ...Object.values(person),
      place,
      notes,
      body,
      reason,
      tokenNote,
      consentNote,
      closureReason,
      replyBody,
      misspeltName,
      correctionReason,
      pendingEmail,
      ...Object.values(referee),
    ],
    agent,
    admin,
    emails: seeded.emails,
    linkTokenId: seeded.linkTokenId,
    registrationToken: { ...seeded.registrationToken, note: tokenNote },
    applicantSessionToken: seeded.applicantSessionToken,
  };
}

/**
 * Every row of every table (ours and the job queue's) as JSON text, lower-cased, one entry per row
 * with its table's name: what a full-database search for a value sees.
 */
export async function everyRowAsText(db: Database): Promise<{ table: string; text: string }[]> {
  const tables = await db.$queryRaw<{ schema: string; name: string }[]>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema IN ('public', 'graphile_worker')
     ORDER BY 1, 2`;
  const rows: { table: string; text: string }[] = [];
  for (const table of tables) {
    const qualified = `"${table.schema}"."${table.name}"`;
    const texts = await db.$queryRawUnsafe<{ text: string }[]>(
      `SELECT lower(row_to_json(t)::text) AS text FROM ${qualified} t`,
    );
    for (const { text } of texts) rows.push({ table: qualified, text });
  }
  return rows;
}

/** The tables where a value (searched case-insensitively) still appears. */
export async function tablesContaining(db: Database, value: string): Promise<string[]> {
  const needle = value.toLowerCase();
  const rows = await everyRowAsText(db);
  return [...new Set(rows.filter((row) => row.text.includes(needle)).map((row) => row.table))];
}
