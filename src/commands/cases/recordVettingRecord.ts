// An agent records their verification of the person. Several agents may each add one; each record
// also makes its author ineligible to decide the case (four eyes, see policies/cases.ts). Recording on
// a submitted case takes it into review in the same transaction: someone is now working on it.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATE_LABELS, type CaseState } from "../../domain/caseStates.js";
import { conflict } from "../../errors.js";
import type { Recommendation, VerificationMethod } from "../../generated/prisma/client.js";
import { canRecordVetting, isOpenCase } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { takeIntoReviewIfSubmitted } from "./startCaseReview.js";

export interface TVettingRecordInput {
  identityVerified: boolean;
  method: VerificationMethod;
  /** The day of the verification (a date; the time is ignored). */
  verifiedOn: Date;
  place: string;
  notes: string;
  /** 1 to 5. */
  score: number;
  recommendation: Recommendation;
  /** A trusted referral's answered reference of the same case, or null. */
  citedReferenceId?: string | null;
}

/** A case no longer open takes no more vetting records. */
export function vettingClosedMessage(state: CaseState): string {
  return `This case is ${CASE_STATE_LABELS[state].toLowerCase()}, so no more vetting records can be added.`;
}

export const NOT_CITABLE_MESSAGE =
  "A vetting record can cite only one of this case’s answered references, and only as a trusted referral.";

/** Writes the record and its audit row; the caller has checked the case is open. */
export async function writeVettingRecord(
  tx: Transaction,
  options: { caseId: string; agentId: string; record: TVettingRecordInput; audit: AuditActor },
): Promise<string> {
  const { id } = await tx.vettingRecord.create({
    data: { caseId: options.caseId, agentId: options.agentId, ...options.record },
    select: { id: true },
  });
  await recordAudit(
    tx,
    options.audit,
    "case.vetting_recorded",
    { type: "vetting_case", id: options.caseId },
    { vettingRecordId: id },
  );
  return id;
}

export async function recordVettingRecord(
  db: Database,
  options: { caseId: string; agent: Actor; record: TVettingRecordInput; audit: AuditActor },
): Promise<{ vettingRecordId: string; isReviewStarted: boolean }> {
  return db.$transaction(async (tx) => {
    const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    if (!isOpenCase(facts)) throw conflict(vettingClosedMessage(facts.state));
    authorize(
      canRecordVetting(options.agent, facts),
      "You have a conflict of interest on this case, so you cannot vet it.",
    );
    if (options.record.citedReferenceId) {
      const citable = await tx.caseReference.count({
        where: {
          id: options.record.citedReferenceId,
          caseId: options.caseId,
          status: { in: ["VOUCHED", "DECLINED"] },
        },
      });
      if (citable === 0 || options.record.method !== "TRUSTED_REFERRAL") throw conflict(NOT_CITABLE_MESSAGE);
    }
    const isReviewStarted = await takeIntoReviewIfSubmitted(tx, {
      caseId: options.caseId,
      state: facts.state,
      audit: options.audit,
    });
    const vettingRecordId = await writeVettingRecord(tx, {
      caseId: options.caseId,
      agentId: options.agent.id,
      record: options.record,
      audit: options.audit,
    });
    return { vettingRecordId, isReviewStarted };
  });
}
