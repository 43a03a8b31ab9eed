// The applicant submits their draft. Needs complete details (a case an agent opened on someone's
// behalf may still lack a statement) and consent to the privacy notice as it reads now (a case opened
// by staff has none; one made under an older notice needs it again). In one transaction: DRAFT →
// SUBMITTED through moveCase (with its audit row), the submission times, the consent when given (the
// notice's version and the language of the text the person was shown), the
// "application received" email, and the agents' notification of a new case in the queue.
import type { AuditActor } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { fieldErrors, ZApplicationDetails } from "../../domain/applicationFields.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { consentToNotice } from "../../domain/privacyNotice.js";
import { conflict, notFound } from "../../errors.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { allowedTarget, moveCase } from "../cases/moveCase.js";
import { notifyAgentsOfNewCase } from "../cases/notifyAgentsOfNewCase.js";

// Catalog ids: the applicant's page says them in its language.
export const INCOMPLETE_MESSAGE = "workspace.refused.incomplete";
export const CONSENT_NEEDED_MESSAGE = "validation.consent.missing";

export interface SubmittableCase {
  fullName: string;
  email: string;
  matrixId: string | null;
  phone: string | null;
  statement: string;
  privacyNoticeVersion: string | null;
}

/**
 * What stands between the stored case and a submission: each incomplete or invalid field with the
 * message its form would show, and whether consent to the current notice is still needed.
 */
export function submissionProblems(
  vettingCase: SubmittableCase,
  currentNoticeVersion: string,
): { missingDetails: Record<string, string>; needsConsent: boolean } {
  const parsed = ZApplicationDetails.safeParse({
    fullName: vettingCase.fullName,
    email: vettingCase.email,
    matrixId: vettingCase.matrixId ?? "",
    phone: vettingCase.phone ?? "",
    statement: vettingCase.statement,
  });
  return {
    missingDetails: parsed.success ? {} : fieldErrors(parsed.error),
    needsConsent: vettingCase.privacyNoticeVersion !== currentNoticeVersion,
  };
}

const CASE_FOR_SUBMISSION = {
  state: true,
  number: true,
  erasedAt: true,
  fullName: true,
  email: true,
  language: true,
  matrixId: true,
  phone: true,
  statement: true,
  privacyNoticeVersion: true,
  assignedToId: true,
} as const;

/** Reads the case for a (re)submission and refuses it when details or consent are missing. */
export async function caseReadyForSubmission(
  tx: Transaction,
  options: { caseId: string; config: Config; move: "submit" | "resubmit"; isConsentGiven: boolean },
) {
  const vettingCase = await tx.vettingCase.findUnique({
    where: { id: options.caseId },
    select: CASE_FOR_SUBMISSION,
  });
  if (!vettingCase || vettingCase.erasedAt) throw notFound();
  // The state first: "already submitted" says more than "missing details" to someone who clicked twice.
  allowedTarget(vettingCase.state, options.move);
  const problems = submissionProblems(vettingCase, options.config.privacy.noticeVersion);
  if (Object.keys(problems.missingDetails).length > 0) throw conflict(INCOMPLETE_MESSAGE);
  if (problems.needsConsent && !options.isConsentGiven) throw conflict(CONSENT_NEEDED_MESSAGE);
  return vettingCase;
}

/** What a submission's options say about consent: whether the box was ticked, and on a page in which language. */
export interface ConsentOptions {
  config: Config;
  isConsentGiven: boolean;
  /** The language of the page the box was ticked on: the notice linked there was in it. */
  pageLanguage: string;
}

/** The consent columns to write with the move, when the applicant ticked the box. */
export function consentData(options: ConsentOptions, now: Date) {
  return options.isConsentGiven
    ? { ...consentToNotice(options.config.privacy, options.pageLanguage), privacyConsentAt: now }
    : {};
}

/** The consent as the move's audit row names it: the notice's version and the language of its text. */
export function consentDetails(options: ConsentOptions) {
  return options.isConsentGiven ? consentToNotice(options.config.privacy, options.pageLanguage) : {};
}

export async function submitApplication(
  db: Database,
  options: ConsentOptions & { caseId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const vettingCase = await caseReadyForSubmission(tx, { ...options, move: "submit" });
    await moveCase(tx, {
      caseId: options.caseId,
      from: vettingCase.state,
      move: "submit",
      audit: options.audit,
      data: {
        submittedAt: now,
        lastSubmittedAt: now,
        ...consentData(options, now),
      },
      details: consentDetails(options),
    });
    await enqueueEmail(tx, {
      kind: "application_received",
      recipient: vettingCase.email,
      payload: { applicantName: vettingCase.fullName, caseNumber: formatCaseNumber(vettingCase.number) },
      language: vettingCase.language,
    });
    await notifyAgentsOfNewCase(tx, { config: options.config, caseId: options.caseId });
  });
}
