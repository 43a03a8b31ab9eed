// A case's evidence page for staff (views/staff/cases/evidence.njk): the case's heading, its files (for
// those who may see them), what it holds against its limits, and the upload form while it takes files
// (else why not). Also the "delete this file?" page (evidence-delete.njk).

import type { Config } from "../config.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { Translator } from "../i18n/translator.js";
import type { CaseFacts } from "../policies/cases.js";
import type { EvidenceFileRow, EvidenceUsage } from "../queries/evidence.js";
import type { SignedInStaff } from "../sessions.js";
import { urls } from "../urls.js";
import { translateStaffUploadRefusal } from "./caseRefusals.js";
import { presentCaseHeading } from "./cases.js";
import type { EvidenceUploadOutcome } from "./evidence.js";
import {
  type EvidenceUploadRefusal,
  presentEvidenceFiles,
  presentEvidenceUploadSection,
  presentEvidenceUsage,
} from "./evidence.js";
import type { CaseNotice } from "./notices/cases.js";

/** The case as these pages need it (findCaseForCommand). */
interface EvidenceCase {
  id: string;
  number: number;
  fullName: string;
  state: CaseFacts["state"];
  erasedAt: Date | null;
  facts: CaseFacts;
}

/** Where the upload form sends the person once their files are in: the case page, saying so. */
export function caseEvidenceDoneUrl(
  caseId: string,
  outcome: EvidenceUploadOutcome = { wasMetadataRemoved: false },
): string {
  const notice: CaseNotice = outcome.wasMetadataRemoved
    ? "evidence_added_metadata_removed"
    : "evidence_added";
  return urls.staffCaseWithNotice(caseId, notice);
}

export function caseEvidencePageModel(input: {
  staff: SignedInStaff;
  vettingCase: EvidenceCase;
  /** The files this person may see (none when they may not see the case's evidence). */
  rows: readonly EvidenceFileRow[];
  usage: EvidenceUsage;
  canAdd: boolean;
  limits: Config["evidence"];
  refusal: EvidenceUploadRefusal | null;
  translator: Translator;
}) {
  const { staff, vettingCase, canAdd, translator } = input;
  const facts = vettingCase.facts;
  const uploadSection = presentEvidenceUploadSection({
    canAdd,
    action: urls.staffCaseEvidence(vettingCase.id),
    doneUrl: caseEvidenceDoneUrl(vettingCase.id),
    limits: input.limits,
    usage: input.usage,
    refusal: translateStaffUploadRefusal(translator, input.refusal),
  });
  return {
    caseView: presentCaseHeading(vettingCase, translator),
    files: presentEvidenceFiles(input.rows, { kind: "staff", actor: staff, translator }, facts),
    usage: presentEvidenceUsage(input.limits, input.usage),
    ...uploadSection,
    closedMessage: canAdd
      ? null
      : facts.erasedAt
        ? translator.t("staff.cases.erasedCase")
        : translator.t("staff.cases.evidence.closed", { state: facts.state }),
    can: { add: canAdd },
    links: { case: urls.staffCase(vettingCase.id) },
  };
}

/** "Delete this file?": the file as the case page lists it, and the button. */
export function evidenceDeletionModel(
  staff: SignedInStaff,
  vettingCase: EvidenceCase,
  file: EvidenceFileRow,
  translator: Translator,
) {
  const [fileView] = presentEvidenceFiles(
    [file],
    { kind: "staff", actor: staff, translator },
    vettingCase.facts,
  );
  return {
    caseNumber: formatCaseNumber(vettingCase.number),
    file: fileView,
    links: {
      case: urls.staffCase(vettingCase.id),
      delete: urls.staffCaseEvidenceDelete(vettingCase.id, file.id),
    },
  };
}
