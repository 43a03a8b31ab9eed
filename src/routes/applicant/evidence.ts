// The applicant's evidence files, mounted under /application behind requireApplicant. As everywhere in
// the workspace, no address names a case: the session's case is the only one, and a file id of another
// case (or a staff upload, which may be a referee's confidential letter) is simply not found.
//   GET  /evidence                  the files they added, and the upload form while they may add
//   POST /evidence                  upload (multipart; see routes/evidence/acceptEvidenceUpload.ts)
//   GET  /evidence/:fileId          download (audited, hash verified; answered only to our own pages'
//                                   requests and the person's own navigation, middleware/sameOriginFetch.ts)
//   GET  /evidence/:fileId/delete   "delete this file?"
//   POST /evidence/:fileId/delete   delete it (row and file, audited)
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import { APPLICANT_EVIDENCE_CLOSED_MESSAGE } from "../../commands/evidence/addEvidenceFiles.js";
import {
  APPLICANT_EVIDENCE_LOCKED_MESSAGE,
  deleteEvidenceFile,
} from "../../commands/evidence/deleteEvidenceFile.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { CASE_STATE_LABELS } from "../../domain/caseStates.js";
import { HttpError, notFound } from "../../errors.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { sameOriginFetchOnly } from "../../middleware/sameOriginFetch.js";
import {
  canApplicantAddEvidence,
  canApplicantDeleteEvidence,
  canApplicantViewEvidence,
} from "../../policies/evidence.js";
import {
  presentEvidenceFiles,
  presentEvidenceUpload,
  presentEvidenceUsage,
} from "../../presenters/evidence.js";
import { findCaseForCommand } from "../../queries/cases.js";
import { findEvidenceFile, findEvidenceFiles, findEvidenceUsage } from "../../queries/evidence.js";
import { createEvidenceUploadLimits } from "../../security/evidenceUploadLimits.js";
import { evidenceStore } from "../../storage/evidenceStore.js";
import { uploadHolder } from "../../storage/uploadLeases.js";
import { urls } from "../../urls.js";
import {
  acceptEvidenceUpload,
  type EvidenceUploadRefusal,
  refuseEvidenceUpload,
} from "../evidence/acceptEvidenceUpload.js";
import { serveEvidenceFile } from "../evidence/serveEvidenceFile.js";

const ZFileParams = z.object({ fileId: z.uuid() });

const NOTICES: Record<string, string> = {
  added: "Your files were added. The vetting team can see them.",
  deleted: "The file was deleted.",
};

interface EvidencePageView {
  status?: number;
  notice?: string | null;
  /** A refusal: of the upload (shown with the form) or of what the case's state no longer allows. */
  refusal?: EvidenceUploadRefusal | null;
}

export function applicantEvidenceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const store = evidenceStore(deps.config.uploadsDir);
  const tools = { ...deps, store, limits: createEvidenceUploadLimits(deps.rateLimitPool, deps.config) };

  router.get("/evidence", async (ctx) => {
    const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
    await renderEvidencePage(ctx, deps, { notice: NOTICES[done] ?? null });
  });

  router.post("/evidence", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const vettingCase = await loadCase(deps, applicant.caseId);
    const renderPage = (refusal: EvidenceUploadRefusal) =>
      renderEvidencePage(ctx, deps, { status: refusal.status, refusal });
    if (!canApplicantAddEvidence(vettingCase)) {
      return refuseEvidenceUpload(
        ctx,
        { status: 409, message: APPLICANT_EVIDENCE_CLOSED_MESSAGE, fileProblems: [], note: "" },
        renderPage,
      );
    }
    await acceptEvidenceUpload(ctx, tools, {
      caseId: vettingCase.id,
      uploader: { kind: "APPLICANT" },
      personKey: `case:${vettingCase.id}`,
      holder: uploadHolder({ applicantSessionId: applicant.sessionId }),
      doneUrl: urls.applicantEvidenceWithNotice("added"),
      audit: applicantAuditActor(ctx),
      renderPage,
    });
  });

  const ownPagesOnly = sameOriginFetchOnly({
    publicUrl: deps.config.http.publicUrl,
    isProduction: deps.config.isProduction,
  });
  router.get("/evidence/:fileId", ownPagesOnly, async (ctx) => {
    const { file } = await loadVisibleFile(ctx, deps);
    await serveEvidenceFile(ctx, tools, {
      file,
      disposition: "attachment",
      audit: applicantAuditActor(ctx),
    });
  });

  router.get("/evidence/:fileId/delete", async (ctx) => {
    const { vettingCase, file } = await loadVisibleFile(ctx, deps);
    if (!canApplicantDeleteEvidence(vettingCase, file)) {
      return renderEvidencePage(ctx, deps, {
        status: 409,
        refusal: { status: 409, message: APPLICANT_EVIDENCE_LOCKED_MESSAGE, fileProblems: [], note: "" },
      });
    }
    const [fileView] = presentEvidenceFiles([file], { kind: "applicant" }, vettingCase);
    await ctx.render("applicant/evidence-delete.njk", {
      caseNumber: formatCaseNumber(vettingCase.number),
      file: fileView,
      links: { delete: urls.applicantEvidenceDelete(file.id), evidence: urls.applicantEvidence() },
    });
  });

  router.post("/evidence/:fileId/delete", async (ctx) => {
    const { vettingCase, file } = await loadVisibleFile(ctx, deps);
    try {
      await deleteEvidenceFile(tools, {
        caseId: vettingCase.id,
        fileId: file.id,
        deleter: { kind: "APPLICANT" },
        audit: applicantAuditActor(ctx),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderEvidencePage(ctx, deps, {
          status: 409,
          refusal: { status: 409, message: error.message, fileProblems: [], note: "" },
        });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(urls.applicantEvidenceWithNotice("deleted"));
  });

  return router;
}

/** The session's case; an erased one is no case (its sessions are refused when loaded anyway). */
async function loadCase(deps: AppDependencies, caseId: string) {
  const vettingCase = await findCaseForCommand(deps.db, caseId);
  if (!vettingCase || vettingCase.erasedAt) throw notFound();
  return vettingCase;
}

/** A file of the session's case that the applicant uploaded, or 404 (whatever the reason). */
async function loadVisibleFile(ctx: Context, deps: AppDependencies) {
  const applicant = signedInApplicant(ctx);
  const params = ZFileParams.safeParse(ctx.params);
  if (!params.success) throw notFound();
  const vettingCase = await loadCase(deps, applicant.caseId);
  const file = await findEvidenceFile(deps.db, { caseId: vettingCase.id, fileId: params.data.fileId });
  if (!file || !canApplicantViewEvidence(vettingCase, file)) throw notFound();
  return { vettingCase, file };
}

async function renderEvidencePage(
  ctx: Context,
  deps: AppDependencies,
  view: EvidencePageView,
): Promise<void> {
  const applicant = signedInApplicant(ctx);
  const vettingCase = await loadCase(deps, applicant.caseId);
  const [rows, usage] = await Promise.all([
    findEvidenceFiles(deps.db, vettingCase.id, { uploaderKind: "APPLICANT" }),
    findEvidenceUsage(deps.db, vettingCase.id),
  ]);
  const canAdd = canApplicantAddEvidence(vettingCase);
  const refusal = view.refusal ?? null;
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("applicant/evidence.njk", {
    caseNumber: formatCaseNumber(vettingCase.number),
    stateLabel: CASE_STATE_LABELS[vettingCase.state],
    files: presentEvidenceFiles(rows, { kind: "applicant" }, vettingCase),
    usage: presentEvidenceUsage(deps.config.evidence, usage),
    upload: canAdd
      ? presentEvidenceUpload({
          action: urls.applicantEvidence(),
          doneUrl: urls.applicantEvidenceWithNotice("added"),
          limits: deps.config.evidence,
          usage,
          note: refusal?.note ?? "",
          error: refusal?.message ?? null,
          fileProblems: refusal?.fileProblems ?? [],
        })
      : null,
    // Without the form (the case no longer takes files), the refusal is said at the top of the page.
    conflict: !canAdd && refusal ? refusal.message : null,
    notice: view.notice ?? null,
    can: { add: canAdd },
    links: { workspace: urls.applicantWorkspace() },
  });
  ctx.status = status;
}
