// The applicant's evidence page (views/applicant/evidence.njk): the files they added, what the case
// holds against its limits, and the upload form while they may add (else a refusal at the top). Also
// the "delete this file?" page (evidence-delete.njk).

import type { Config } from "../config.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATE_LABELS, type CaseState } from "../domain/caseStates.js";
import type { EvidenceFileRow, EvidenceUsage } from "../queries/evidence.js";
import { urls } from "../urls.js";
import { whoLooksAtYourApplication } from "./applicantCase.js";
import type { EvidenceUploadOutcome } from "./evidence.js";
import {
  type EvidenceUploadRefusal,
  presentEvidenceFiles,
  presentEvidenceUploadSection,
  presentEvidenceUsage,
} from "./evidence.js";
import type { ApplicantEvidenceNotice } from "./notices/applicant.js";

/** The session's case as these pages need it (findCaseForCommand). */
interface ApplicantEvidenceCase {
  number: number;
  state: CaseState;
  erasedAt: Date | null;
}

/**
 * Where the upload form sends the applicant once their files are in: this page, saying so, and saying
 * when location and camera data were taken out of their photos.
 */
export function applicantEvidenceDoneUrl(
  outcome: EvidenceUploadOutcome = { wasMetadataRemoved: false },
): string {
  const notice: ApplicantEvidenceNotice = outcome.wasMetadataRemoved ? "added_metadata_removed" : "added";
  return urls.applicantEvidenceWithNotice(notice);
}

export function applicantEvidencePageModel(input: {
  vettingCase: ApplicantEvidenceCase;
  /** The applicant's own uploads (never staff uploads). */
  rows: readonly EvidenceFileRow[];
  usage: EvidenceUsage;
  canAdd: boolean;
  limits: Config["evidence"];
  notice: string | null;
  /** A refusal: of the upload (shown with the form) or of what the case's state no longer allows. */
  refusal: EvidenceUploadRefusal | null;
}) {
  const { vettingCase, canAdd } = input;
  return {
    caseNumber: formatCaseNumber(vettingCase.number),
    state: vettingCase.state,
    stateLabel: CASE_STATE_LABELS[vettingCase.state],
    whoLooks: whoLooksAtYourApplication(vettingCase.state),
    files: presentEvidenceFiles(input.rows, { kind: "applicant" }, vettingCase),
    usage: presentEvidenceUsage(input.limits, input.usage),
    ...presentEvidenceUploadSection({
      canAdd,
      action: urls.applicantEvidence(),
      doneUrl: applicantEvidenceDoneUrl(),
      limits: input.limits,
      usage: input.usage,
      refusal: input.refusal,
    }),
    notice: input.notice,
    can: { add: canAdd },
    links: { workspace: urls.applicantWorkspace() },
  };
}

/** "Delete this file?": the file as the list shows it, and the button. */
export function applicantEvidenceDeletionModel(vettingCase: ApplicantEvidenceCase, file: EvidenceFileRow) {
  const [fileView] = presentEvidenceFiles([file], { kind: "applicant" }, vettingCase);
  return {
    caseNumber: formatCaseNumber(vettingCase.number),
    file: fileView,
    links: { delete: urls.applicantEvidenceDelete(file.id), evidence: urls.applicantEvidence() },
  };
}
