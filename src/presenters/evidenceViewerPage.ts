// The evidence viewer (views/staff/cases/evidence-viewer.njk): one file of a case, large, beside the
// case's key details, so an agent can hold a passport scan against the application. The document
// itself comes from the preview address, a PDF's pages from the page address (each audited there as a
// view); a PDF kept with active content has no preview address and is offered as a download only. The case's other files are listed to move on.
import type { Translator } from "../i18n/translator.js";
import type { CaseFacts } from "../policies/cases.js";
import type { Actor } from "../policies/staff.js";
import type { EvidenceFileRow, findCaseDetailsForEvidenceViewer } from "../queries/evidence.js";
import { urls } from "../urls.js";
import { presentCaseHeading } from "./cases.js";
import { presentEvidenceFiles } from "./evidence.js";
import { formatDateTime } from "./staff.js";

/** The case as the viewer needs it (findCaseForCommand). */
interface ViewerCase {
  id: string;
  number: number;
  fullName: string;
  email: string;
  phone: string | null;
  matrixId: string | null;
  state: CaseFacts["state"];
  erasedAt: Date | null;
  facts: CaseFacts;
}

export function evidenceViewerPageModel(input: {
  viewer: Actor;
  vettingCase: ViewerCase;
  details: NonNullable<Awaited<ReturnType<typeof findCaseDetailsForEvidenceViewer>>>;
  /** Every file of the case (the one shown among them), oldest first. */
  files: readonly EvidenceFileRow[];
  fileId: string;
  /** A PDF's page shown and how many it has; null for an image, or a PDF poppler could not read. */
  pdf: { page: number; pageCount: number } | null;
  translator: Translator;
}) {
  const { vettingCase, details } = input;
  const fileViews = presentEvidenceFiles(
    input.files,
    { kind: "staff", actor: input.viewer, translator: input.translator },
    vettingCase.facts,
  );
  const file = fileViews.find((candidate) => candidate.id === input.fileId);
  if (!file) throw new Error("The file shown must be one of the case's files");
  return {
    caseView: {
      ...presentCaseHeading(vettingCase, input.translator),
      email: vettingCase.email,
      phone: vettingCase.phone,
      matrixId: vettingCase.matrixId,
      statement: details.statement,
      submittedAt: formatDateTime(details.submittedAt, input.translator.t("staff.cases.queue.notYet")),
      assignee: details.assignedTo?.name ?? null,
    },
    file,
    /** An image is shown in <img>, a PDF a drawn page at a time; anything else (or a flagged PDF) is a link. */
    shows: {
      image: file.isImage && file.urls.view !== null,
      pdf: file.isPdf && file.urls.view !== null,
    },
    pdfPages:
      input.pdf && file.isPdf && file.urls.view !== null
        ? {
            page: input.pdf.page,
            count: input.pdf.pageCount,
            image: urls.staffCaseEvidencePage(vettingCase.id, file.id, input.pdf.page),
            previous:
              input.pdf.page > 1
                ? urls.staffCaseEvidenceView(vettingCase.id, file.id, input.pdf.page - 1)
                : null,
            next:
              input.pdf.page < input.pdf.pageCount
                ? urls.staffCaseEvidenceView(vettingCase.id, file.id, input.pdf.page + 1)
                : null,
          }
        : null,
    otherFiles: fileViews
      .filter((other) => other.id !== file.id)
      .map((other) => ({
        displayName: other.displayName,
        typeLabel: other.typeLabel,
        url: other.urls.view ?? other.urls.download,
        isDownload: other.urls.view === null,
      })),
    links: {
      case: urls.staffCase(vettingCase.id),
      caseEvidence: `${urls.staffCase(vettingCase.id)}#${file.anchor}`,
    },
  };
}
