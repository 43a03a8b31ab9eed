// An agent submits the application for the person: many people being vetted never use the web form,
// and consent to the privacy notice reached the agent another way (a signed paper form, said on a video
// call, written in an email). The agent records which, with a note (where the form is kept, the call's
// date), and the notice is the one in force now, in the case's language. The agent becomes too close to
// decide the case (four eyes), as its opener is.
//
// In one transaction, under the case's lock: DRAFT → SUBMITTED through moveCase (its audit row names the
// consent kind and notice version, never the note), the submission times and the consent, the email to
// the person with a link to their workspace (when the case has an address), and the agents' notice of a
// new case in the queue. A case whose details are incomplete is refused with what is missing; the
// statement, which an agent may have left for the person to write, can be given here.

import type { AuditActor } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { consentToNotice } from "../../domain/privacyNotice.js";
import { conflict } from "../../errors.js";
import type { ConsentKind } from "../../generated/prisma/client.js";
import { englishTranslator } from "../../i18n/translator.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canSubmitOnBehalf, hasConflictOn } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { submissionProblems } from "../applicants/submitApplication.js";
import { allowedTarget, moveCase } from "./moveCase.js";
import { notifyAgentsOfNewCase } from "./notifyAgentsOfNewCase.js";

/** How the email tells the person the way they consented ("You agreed to the privacy notice by …"). */
export const INCOMPLETE_FOR_AGENT_MESSAGE =
  "The application is missing some details, so it cannot be submitted yet:";

export async function submitOnBehalf(
  db: Database,
  options: {
    config: Config;
    caseId: string;
    agent: Actor & { name: string };
    consentKind: ConsentKind;
    /** The agent's note on the consent: where the form is kept, when the call was. */
    consentNote: string;
    /** The person's statement as the agent took it down; used only when the case has none yet. */
    statement: string | null;
    audit: AuditActor;
    now?: Date;
  },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const { vettingCase, facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    // A conflicted staff member is refused outright; any other gets the state machine's message first.
    authorize(!hasConflictOn(options.agent, facts), "You have a conflict of interest on this case.");
    allowedTarget(facts.state, "submit");
    authorize(canSubmitOnBehalf(options.agent, facts));
    const stored = await tx.vettingCase.findUniqueOrThrow({
      where: { id: options.caseId },
      select: { statement: true },
    });
    const statement = stored.statement.trim() ? stored.statement : (options.statement ?? "");
    const problems = submissionProblems(
      { ...vettingCase, statement, privacyNoticeVersion: null },
      options.config.privacy.noticeVersion,
    );
    // The agent reads the field messages in English, like every staff page.
    const missing = Object.values(problems.missingDetails).map((id) => englishTranslator().message(id));
    if (missing.length > 0) throw conflict(`${INCOMPLETE_FOR_AGENT_MESSAGE} ${missing.join(" ")}`);
    // The notice in the person's language (the case's, as their emails are): the text the agent is to
    // have put before them, and the one their workspace shows.
    const consent = consentToNotice(options.config.privacy, vettingCase.language);
    await moveCase(tx, {
      caseId: options.caseId,
      from: facts.state,
      move: "submit",
      audit: options.audit,
      data: {
        submittedAt: now,
        lastSubmittedAt: now,
        statement,
        ...consent,
        privacyConsentAt: now,
        privacyConsentKind: options.consentKind,
        privacyConsentNote: options.consentNote,
      },
      details: {
        onBehalf: true,
        consentKind: options.consentKind,
        ...consent,
        isStatementGiven: statement !== stored.statement,
      },
    });
    // A foreign key is not among the columns a conditional move writes; the case is locked and moved.
    await tx.vettingCase.update({
      where: { id: options.caseId },
      data: { submittedById: options.agent.id },
      select: { id: true },
    });
    if (vettingCase.email) {
      await enqueueEmail(tx, {
        kind: "submitted_on_behalf",
        recipient: vettingCase.email,
        payload: {
          applicantName: vettingCase.fullName,
          agentName: options.agent.name,
          caseNumber: formatCaseNumber(vettingCase.number),
          consentKind: options.consentKind,
        },
        linkSubject: { type: "vetting_case", id: vettingCase.id },
        language: vettingCase.language,
      });
    }
    await notifyAgentsOfNewCase(tx, { config: options.config, caseId: options.caseId });
  });
}
