// A case's evidence files for staff. Mounted under /staff (requireStaff). The case page lists the files
// with their previews (presenters/casePage.ts); these are the addresses behind it.
//   GET  /cases/:caseId/evidence                        the upload page: the files and the upload form
//   POST /cases/:caseId/evidence                        upload (multipart; see routes/evidence/acceptEvidenceUpload.ts)
//   GET  /cases/:caseId/evidence/:fileId                download (attachment; audited, hash verified)
//   GET  /cases/:caseId/evidence/:fileId/preview        the same file inline: an image's <img>, a PDF opened in a tab
//        (both audited GETs: answered only to our own pages' requests, see middleware/sameOriginFetch.ts)
//   GET  /cases/:caseId/evidence/:fileId/pages/:n       page n of a PDF drawn as a PNG (audited as a view), for the
//        viewer and the case page: browsers refuse to show PDFs in sandboxed frames
//   GET  /cases/:caseId/evidence/:fileId/view           the viewer: the file large, beside the case's key
//        details; a page, not the bytes (those come from the preview or pages address, audited there)
//   GET  /cases/:caseId/evidence/:fileId/delete         "delete this file?"
//   POST /cases/:caseId/evidence/:fileId/delete         delete it (row and file, audited)
// A file is found only within its own case: the wrong case id is a 404, as is anyone who may not see it.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { caseClosedForEvidenceMessage } from "../../commands/evidence/addEvidenceFiles.js";
import {
  deleteEvidenceFile,
  evidenceLockedMessage,
  NOT_UPLOADER_MESSAGE,
} from "../../commands/evidence/deleteEvidenceFile.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATE_LABELS } from "../../domain/caseStates.js";
import { notFound } from "../../errors.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { sameOriginFetchOnly } from "../../middleware/sameOriginFetch.js";
import { canViewCases, hasConflictOn, isOpenCase } from "../../policies/cases.js";
import {
  canAddEvidence,
  canDeleteEvidence,
  canPreviewEvidence,
  canViewEvidence,
} from "../../policies/evidence.js";
import { authorize } from "../../policies/staff.js";
import {
  caseEvidenceDoneUrl,
  caseEvidencePageModel,
  evidenceDeletionModel,
} from "../../presenters/caseEvidencePage.js";
import { caseRefusal, type EvidenceUploadRefusal } from "../../presenters/evidence.js";
import { evidenceViewerPageModel } from "../../presenters/evidenceViewerPage.js";
import { findCaseForCommand } from "../../queries/cases.js";
import {
  findCaseDetailsForEvidenceViewer,
  findEvidenceFile,
  findEvidenceFiles,
  findEvidenceUsage,
} from "../../queries/evidence.js";
import type { SignedInStaff } from "../../sessions.js";
import { uploadHolder } from "../../storage/uploadLeases.js";
import {
  acceptEvidenceUpload,
  evidenceUploadTools,
  refuseEvidenceUpload,
} from "../evidence/acceptEvidenceUpload.js";
import { type EvidenceDisposition, serveEvidenceFile } from "../evidence/serveEvidenceFile.js";
import { readPdfPageCount, renderIntegrityFailure, servePdfPage } from "../evidence/servePdfPage.js";
import { uuidParam } from "../toolkit/params.js";
import { actOnCase, renderCasePage } from "./casePageView.js";

export function caseEvidenceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const tools = evidenceUploadTools(deps);

  router.get("/cases/:caseId/evidence", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    await renderUploadPage(ctx, deps, staff, uuidParam(ctx, "caseId"), {});
  });

  router.post("/cases/:caseId/evidence", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx, "caseId");
    const vettingCase = await findCaseForCommand(deps.db, caseId);
    if (!vettingCase) throw notFound();
    const facts = vettingCase.facts;
    // Someone with a conflict of interest learns nothing of the case's evidence, not even the room left.
    if (hasConflictOn(staff, facts)) throw notFound();
    const renderPage = (refusal: EvidenceUploadRefusal) =>
      renderUploadPage(ctx, deps, staff, caseId, { status: refusal.status, refusal });
    if (!canAddEvidence(staff, facts)) {
      const message = facts.erasedAt
        ? ERASED_CASE_MESSAGE
        : `${caseClosedForEvidenceMessage(facts.state)} Nothing was kept.`;
      return refuseEvidenceUpload(ctx, caseRefusal(409, message), renderPage);
    }
    await acceptEvidenceUpload(ctx, tools, {
      caseId,
      uploader: { kind: "STAFF", actor: staff },
      personKey: `staff:${staff.id}`,
      holder: uploadHolder({ staffUserId: staff.id }),
      doneUrl: (outcome) => caseEvidenceDoneUrl(caseId, outcome),
      audit: auditActorFor(ctx, staff),
      renderPage,
    });
  });

  const serve = (disposition: EvidenceDisposition) => async (ctx: Context) => {
    const staff = signedInStaff(ctx);
    const { file } = await loadVisibleFile(ctx, deps, staff);
    if (disposition === "inline" && !canPreviewEvidence(file)) {
      throw notFound("This PDF contains active content, so it is not shown here. Download it instead.");
    }
    await serveEvidenceFile(ctx, tools, { file, disposition, audit: auditActorFor(ctx, staff) });
  };
  const ownPagesOnly = sameOriginFetchOnly({
    publicUrl: deps.config.http.publicUrl,
    isProduction: deps.config.isProduction,
  });
  router.get("/cases/:caseId/evidence/:fileId", ownPagesOnly, serve("attachment"));
  router.get("/cases/:caseId/evidence/:fileId/preview", ownPagesOnly, serve("inline"));
  router.get("/cases/:caseId/evidence/:fileId/pages/:page", ownPagesOnly, async (ctx) => {
    const staff = signedInStaff(ctx);
    const { file } = await loadVisibleFile(ctx, deps, staff);
    const page = ctx.params.page ?? "";
    if (file.mediaType !== "application/pdf" || !/^[1-9][0-9]{0,3}$/.test(page)) throw notFound();
    if (!canPreviewEvidence(file)) {
      throw notFound("This PDF contains active content, so it is not shown here. Download it instead.");
    }
    await servePdfPage(ctx, tools, { file, page: Number(page), audit: auditActorFor(ctx, staff) });
  });

  // Who may open the viewer is who may see the file (loadVisibleFile); the page reads nothing of the
  // image's content, so opening it is not audited: the image it shows is, by the preview or pages route.
  // (A PDF's page count is read here, which checks its hash like any other read of the file.)
  router.get("/cases/:caseId/evidence/:fileId/view", async (ctx) => {
    const staff = signedInStaff(ctx);
    const { vettingCase, file } = await loadVisibleFile(ctx, deps, staff);
    const [details, files] = await Promise.all([
      findCaseDetailsForEvidenceViewer(deps.db, vettingCase.id),
      findEvidenceFiles(deps.db, vettingCase.id),
    ]);
    // Deleted between the two reads: gone, as for any other request that comes a moment later.
    if (!details || !files.some((candidate) => candidate.id === file.id)) throw notFound();
    let pdf: { page: number; pageCount: number } | null = null;
    if (file.mediaType === "application/pdf" && canPreviewEvidence(file)) {
      const pageCount = await readPdfPageCount(tools, { file, audit: auditActorFor(ctx, staff) });
      if (pageCount === "integrity_failed") return renderIntegrityFailure(ctx);
      if (pageCount !== null) pdf = { page: Math.min(pageParam(ctx.query.page), pageCount), pageCount };
    }
    await ctx.render(
      "staff/cases/evidence-viewer.njk",
      evidenceViewerPageModel({
        viewer: staff,
        vettingCase,
        details,
        files,
        fileId: file.id,
        pdf,
        translator: ctx.state.translator,
      }),
    );
  });

  router.get("/cases/:caseId/evidence/:fileId/delete", async (ctx) => {
    const staff = signedInStaff(ctx);
    const { vettingCase, facts, file } = await loadVisibleFile(ctx, deps, staff);
    if (!isOpenCase(facts)) {
      return renderCasePage(ctx, deps, staff, vettingCase.id, {
        error: evidenceLockedMessage(CASE_STATE_LABELS[facts.state]),
        status: 409,
      });
    }
    authorize(canDeleteEvidence(staff, facts, file), NOT_UPLOADER_MESSAGE);
    await ctx.render(
      "staff/cases/evidence-delete.njk",
      evidenceDeletionModel(staff, vettingCase, file, ctx.state.translator),
    );
  });

  router.post("/cases/:caseId/evidence/:fileId/delete", async (ctx) => {
    const staff = signedInStaff(ctx);
    const { vettingCase, file } = await loadVisibleFile(ctx, deps, staff);
    await actOnCase(ctx, deps, staff, vettingCase.id, async () => {
      await deleteEvidenceFile(tools, {
        caseId: vettingCase.id,
        fileId: file.id,
        deleter: { kind: "STAFF", actor: staff },
        audit: auditActorFor(ctx, staff),
      });
      return "evidence_deleted";
    });
  });

  return router;
}

/** ?page=N of the viewer: a page number from 1, anything else the first page. */
function pageParam(value: unknown): number {
  return typeof value === "string" && /^[1-9][0-9]{0,3}$/.test(value) ? Number(value) : 1;
}

/** The case and one of its files, when this person may see it; 404 otherwise, whatever the reason. */
async function loadVisibleFile(ctx: Context, deps: AppDependencies, staff: SignedInStaff) {
  const caseId = uuidParam(ctx, "caseId");
  const fileId = uuidParam(ctx, "fileId");
  const [vettingCase, file] = await Promise.all([
    findCaseForCommand(deps.db, caseId),
    findEvidenceFile(deps.db, { caseId, fileId }),
  ]);
  if (!vettingCase || !file) throw notFound();
  const facts = vettingCase.facts;
  if (!canViewEvidence(staff, facts)) throw notFound();
  return { vettingCase, facts, file };
}

async function renderUploadPage(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  view: { status?: number; refusal?: EvidenceUploadRefusal },
): Promise<void> {
  const vettingCase = await findCaseForCommand(deps.db, caseId);
  if (!vettingCase) throw notFound();
  const facts = vettingCase.facts;
  if (hasConflictOn(staff, facts)) throw notFound();
  const [rows, usage] = await Promise.all([
    canViewEvidence(staff, facts) ? findEvidenceFiles(deps.db, caseId) : Promise.resolve([]),
    findEvidenceUsage(deps.db, caseId),
  ]);
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render(
    "staff/cases/evidence.njk",
    caseEvidencePageModel({
      staff,
      vettingCase,
      rows,
      usage,
      canAdd: canAddEvidence(staff, facts),
      limits: deps.config.evidence,
      refusal: view.refusal ?? null,
      translator: ctx.state.translator,
    }),
  );
  ctx.status = status;
}
