// An admin decides a case in review: approve, reject, or ask the applicant for more information.
//
// One transaction: load the case with the staff who vetted it, check who may decide (four eyes: an
// admin not too close to the case, and for an approval, independent vetting; policies/cases.ts
// assessDecision), move the state (a conditional UPDATE, so when two
// admins decide at the same moment exactly one move happens and the other gets a conflict), write the
// decision row and the applicant's email. The audit row carries the decision's id only; the reason stays
// in case_decisions, where erasure and the timeline can find it.
//
// An approval with Matrix registration tokens on (config.matrix) also requests the person's token in
// the same transaction (a PENDING row and the job that creates it on the homeserver after the commit),
// and the approval email then carries the one-time link to the page that reveals it. With the feature
// off the approval and its email are as they always were.
import { randomUUID } from "node:crypto";
import type { AuditActor } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseMove } from "../../domain/caseStates.js";
import { forbidden } from "../../errors.js";
import type { DecisionKind } from "../../generated/prisma/client.js";
import { enqueueStaffRoomNotice } from "../../jobs/postStaffRoomNotice.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canDecideCases, decisionBlocker } from "../../policies/cases.js";
import type { Actor } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { requestRegistrationToken } from "../registrationTokens/requestRegistrationToken.js";
import { allowedTarget, moveCase } from "./moveCase.js";

export type TCaseDecision = "approve" | "reject" | "request_more_information";

const DECISIONS: Record<TCaseDecision, { move: CaseMove; kind: DecisionKind }> = {
  approve: { move: "approve", kind: "APPROVE" },
  reject: { move: "reject", kind: "REJECT" },
  request_more_information: { move: "requestMoreInformation", kind: "REQUEST_MORE_INFORMATION" },
};

export const ONLY_ADMINS_DECIDE_MESSAGE = "Only admins decide cases.";
export const CASE_ERASED_MESSAGE = "This case was erased, so it cannot be decided.";

export async function decideCase(
  db: Database,
  options: {
    caseId: string;
    decision: TCaseDecision;
    /** Required for reject and request_more_information (the route validates it); optional note otherwise. */
    reason: string | null;
    /** Rejections only: whether the applicant's email carries the reason. A request's reason always does. */
    isReasonShared: boolean;
    decider: Actor;
    audit: AuditActor;
    /**
     * The four-eyes rules (config.cases) and, for approvals, whether registration tokens are on
     * (config.matrix) and the key that seals them.
     */
    config: Pick<Config, "matrix"> &
      Partial<Pick<Config, "matrixStaffRoom">> & {
        staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious">;
        cases: Pick<Config["cases"], "approvalMinVettingRecords"> &
          Partial<Pick<Config["cases"], "approvalRequiresReference">>;
      };
    now?: Date;
  },
): Promise<{ decisionId: string; registrationTokenId: string | null }> {
  const now = options.now ?? new Date();
  const { move, kind } = DECISIONS[options.decision];
  if (!canDecideCases(options.decider)) throw forbidden(ONLY_ADMINS_DECIDE_MESSAGE);
  if (options.decision !== "approve" && !options.reason) {
    throw new Error(`decideCase: a ${options.decision} decision needs a reason`);
  }
  return db.$transaction(async (tx) => {
    // Four eyes reads who vetted the case, who uploaded to it and who is conflicted: lock it, so a record,
    // an upload or a conflict written meanwhile either comes first (and counts) or waits for this decision.
    const { vettingCase, facts } = await lockCaseForCommand(tx, options.caseId, CASE_ERASED_MESSAGE);
    // A case that is not in review says so first (409); only then does four eyes apply (403).
    allowedTarget(vettingCase.state, move);
    const blocker = decisionBlocker(options.decider, facts, options.decision, options.config.cases);
    if (blocker) throw forbidden(blocker);

    const decisionId = randomUUID();
    // The move first: when another admin decided a moment ago it throws, and nothing below is written.
    await moveCase(tx, {
      caseId: vettingCase.id,
      from: vettingCase.state,
      move,
      audit: options.audit,
      data: options.decision === "request_more_information" ? {} : { decidedAt: now },
      details: { decisionId },
    });
    const isReasonShared =
      options.decision === "request_more_information" ||
      (options.decision === "reject" && options.isReasonShared);
    await tx.caseDecision.create({
      data: {
        id: decisionId,
        caseId: vettingCase.id,
        kind,
        reason: options.reason,
        isReasonSharedWithApplicant: isReasonShared && options.reason !== null,
        decidedById: options.decider.id,
        decidedAt: now,
      },
    });

    const applicant = {
      applicantName: vettingCase.fullName,
      caseNumber: formatCaseNumber(vettingCase.number),
    };
    let registrationTokenId: string | null = null;
    if (options.decision === "approve") {
      const matrix = options.config.matrix;
      if (matrix) {
        ({ registrationTokenId } = await requestRegistrationToken(tx, options.config, {
          caseId: vettingCase.id,
          personName: vettingCase.fullName,
          personEmail: vettingCase.email,
          createdById: options.decider.id,
          audit: options.audit,
          now,
        }));
      }
      await enqueueEmail(tx, {
        kind: "decision_approved",
        recipient: vettingCase.email,
        payload:
          registrationTokenId && matrix
            ? {
                ...applicant,
                // The expiry requestRegistrationToken gave the token (same clock, same lifetime).
                registrationTokenExpiresAt: new Date(now.getTime() + matrix.tokenLifetimeMs).toISOString(),
              }
            : applicant,
        language: vettingCase.language,
        // The reveal link is minted at delivery, for this token; without a token the email has none.
        ...(registrationTokenId
          ? { linkSubject: { type: "registration_token", id: registrationTokenId } }
          : {}),
      });
    } else if (options.decision === "reject") {
      await enqueueEmail(tx, {
        kind: "decision_rejected",
        recipient: vettingCase.email,
        payload: { ...applicant, reason: isReasonShared ? options.reason : null },
        language: vettingCase.language,
      });
    } else {
      await enqueueEmail(tx, {
        kind: "more_information_requested",
        recipient: vettingCase.email,
        payload: { ...applicant, reason: options.reason },
        linkSubject: { type: "vetting_case", id: vettingCase.id },
        language: vettingCase.language,
      });
    }
    await enqueueStaffRoomNotice(tx, options.config, {
      event: "case_decided",
      caseId: vettingCase.id,
      eventId: decisionId,
    });
    return { decisionId, registrationTokenId };
  });
}
