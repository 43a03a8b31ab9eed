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
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import { APPLICANT_EVIDENCE_CLOSED_MESSAGE } from "../../commands/evidence/addEvidenceFiles.js";
import {
  APPLICANT_EVIDENCE_LOCKED_MESSAGE,
  deleteEvidenceFile,
} from "../../commands/evidence/deleteEvidenceFile.js";
import { notFound } from "../../errors.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { sameOriginFetchOnly } from "../../middleware/sameOriginFetch.js";
import {
  canApplicantAddEvidence,
  canApplicantDeleteEvidence,
  canApplicantViewEvidence,
} from "../../policies/evidence.js";
import { evidenceAddedNotice } from "../../presenters/applicantCase.js";
import {
  applicantEvidenceDeletionModel,
  applicantEvidenceDoneUrl,
  applicantEvidencePageModel,
} from "../../presenters/applicantEvidencePage.js";
import { caseRefusal, type EvidenceUploadRefusal } from "../../presenters/evidence.js";
import { translatedRefusal } from "../../presenters/evidenceRefusals.js";
import {
  APPLICANT_EVIDENCE_NOTICES,
  type ApplicantEvidenceNotice,
} from "../../presenters/notices/applicant.js";
import { findCaseForCommand } from "../../queries/cases.js";
import { findEvidenceFile, findEvidenceFiles, findEvidenceUsage } from "../../queries/evidence.js";
import { uploadHolder } from "../../storage/uploadLeases.js";
import { urls } from "../../urls.js";
import {
  acceptEvidenceUpload,
  evidenceUploadTools,
  refuseEvidenceUpload,
} from "../evidence/acceptEvidenceUpload.js";
import { serveEvidenceFile } from "../evidence/serveEvidenceFile.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { noticeFrom } from "../toolkit/notices.js";
import { uuidParam } from "../toolkit/params.js";

interface EvidencePageView {
  status?: number;
  notice?: string | null;
  /** A refusal: of the upload (shown with the form) or of what the case's state no longer allows. */
  refusal?: EvidenceUploadRefusal | null;
}

export function applicantEvidenceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const tools = evidenceUploadTools(deps);

  router.get("/evidence", async (ctx) => {
    await renderEvidencePage(ctx, deps, { notice: noticeFrom(ctx, APPLICANT_EVIDENCE_NOTICES) ?? null });
  });

  router.post("/evidence", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const vettingCase = await loadCase(deps, applicant.caseId);
    const renderPage = (refusal: EvidenceUploadRefusal) =>
      renderEvidencePage(ctx, deps, { status: refusal.status, refusal });
    if (!canApplicantAddEvidence(vettingCase)) {
      return refuseEvidenceUpload(ctx, caseRefusal(409, APPLICANT_EVIDENCE_CLOSED_MESSAGE), renderPage, {
        translator: ctx.state.translator,
      });
    }
    await acceptEvidenceUpload(ctx, tools, {
      caseId: vettingCase.id,
      uploader: { kind: "APPLICANT" },
      personKey: `case:${vettingCase.id}`,
      holder: uploadHolder({ applicantSessionId: applicant.sessionId }),
      doneUrl: (outcome) => applicantEvidenceDoneUrl(outcome),
      audit: applicantAuditActor(ctx),
      renderPage,
      translator: ctx.state.translator,
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
      const refusal = caseRefusal(409, APPLICANT_EVIDENCE_LOCKED_MESSAGE);
      return renderEvidencePage(ctx, deps, { status: refusal.status, refusal });
    }
    await ctx.render("applicant/evidence-delete.njk", applicantEvidenceDeletionModel(vettingCase, file));
  });

  router.post("/evidence/:fileId/delete", async (ctx) => {
    const { vettingCase, file } = await loadVisibleFile(ctx, deps);
    const outcome = await orShowRefusal(
      () =>
        deleteEvidenceFile(tools, {
          caseId: vettingCase.id,
          fileId: file.id,
          deleter: { kind: "APPLICANT" },
          audit: applicantAuditActor(ctx),
        }),
      (message, status) => renderEvidencePage(ctx, deps, { status, refusal: caseRefusal(status, message) }),
      [409],
      ctx.state.translator,
    );
    if (!outcome.isDone) return;
    ctx.status = 303;
    ctx.redirect(urls.applicantEvidenceWithNotice("deleted" satisfies ApplicantEvidenceNotice));
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
  const fileId = uuidParam(ctx, "fileId");
  const vettingCase = await loadCase(deps, applicant.caseId);
  const file = await findEvidenceFile(deps.db, { caseId: vettingCase.id, fileId });
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
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render(
    "applicant/evidence.njk",
    applicantEvidencePageModel({
      vettingCase,
      rows,
      usage,
      canAdd: canApplicantAddEvidence(vettingCase),
      limits: deps.config.evidence,
      // "Files added" says what the team does with them in this state (a draft's wait for the submission).
      notice:
        view.notice === APPLICANT_EVIDENCE_NOTICES.added
          ? evidenceAddedNotice(vettingCase.state)
          : (view.notice ?? null),
      // The checks say why in English; the applicant reads it in their page's language.
      refusal: translatedRefusal(ctx.state.translator, view.refusal ?? null),
    }),
  );
  ctx.status = status;
}
