// A case's evidence files for staff. Mounted under /staff (requireStaff). The case page lists the files
// with their previews (routes/staff/cases.ts, renderCasePage); these are the addresses behind it.
//   GET  /cases/:caseId/evidence                        the upload page: the files and the upload form
//   POST /cases/:caseId/evidence                        upload (multipart; see routes/evidence/acceptEvidenceUpload.ts)
//   GET  /cases/:caseId/evidence/:fileId                download (attachment; audited, hash verified)
//   GET  /cases/:caseId/evidence/:fileId/preview        the same file inline, for <img> and the PDF frame
//        (both audited GETs: answered only to our own pages' requests, see middleware/sameOriginFetch.ts)
//   GET  /cases/:caseId/evidence/:fileId/delete         "delete this file?"
//   POST /cases/:caseId/evidence/:fileId/delete         delete it (row and file, audited)
// A file is found only within its own case: the wrong case id is a 404, as is anyone who may not see it.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { caseClosedForEvidenceMessage } from "../../commands/evidence/addEvidenceFiles.js";
import {
  deleteEvidenceFile,
  evidenceLockedMessage,
  NOT_UPLOADER_MESSAGE,
} from "../../commands/evidence/deleteEvidenceFile.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { CASE_STATE_LABELS } from "../../domain/caseStates.js";
import { HttpError, notFound } from "../../errors.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { sameOriginFetchOnly } from "../../middleware/sameOriginFetch.js";
import { canViewCases, hasConflictOn, isOpenCase } from "../../policies/cases.js";
import { canAddEvidence, canDeleteEvidence, canViewEvidence } from "../../policies/evidence.js";
import { authorize } from "../../policies/staff.js";
import {
  presentEvidenceFiles,
  presentEvidenceUpload,
  presentEvidenceUsage,
} from "../../presenters/evidence.js";
import { findCaseForCommand } from "../../queries/cases.js";
import { findEvidenceFile, findEvidenceFiles, findEvidenceUsage } from "../../queries/evidence.js";
import { createEvidenceUploadLimits } from "../../security/evidenceUploadLimits.js";
import type { SignedInStaff } from "../../sessions.js";
import { evidenceStore } from "../../storage/evidenceStore.js";
import { uploadHolder } from "../../storage/uploadLeases.js";
import { urls } from "../../urls.js";
import {
  acceptEvidenceUpload,
  type EvidenceUploadRefusal,
  refuseEvidenceUpload,
} from "../evidence/acceptEvidenceUpload.js";
import { type EvidenceDisposition, serveEvidenceFile } from "../evidence/serveEvidenceFile.js";
import { renderCasePage } from "./cases.js";

const ZCaseParams = z.object({ caseId: z.uuid() });
const ZFileParams = z.object({ caseId: z.uuid(), fileId: z.uuid() });

/** The case page's notices after these routes (keys of NOTICES in routes/staff/cases.ts). */
export const EVIDENCE_NOTICES = { added: "evidence_added", deleted: "evidence_deleted" } as const;

export function caseEvidenceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const store = evidenceStore(deps.config.uploadsDir);
  const tools = { ...deps, store, limits: createEvidenceUploadLimits(deps.rateLimitPool, deps.config) };

  router.get("/cases/:caseId/evidence", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const { caseId } = parseParams(ctx, ZCaseParams);
    await renderUploadPage(ctx, deps, staff, caseId, {});
  });

  router.post("/cases/:caseId/evidence", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const { caseId } = parseParams(ctx, ZCaseParams);
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
      return refuseEvidenceUpload(ctx, { status: 409, message, fileProblems: [], note: "" }, renderPage);
    }
    await acceptEvidenceUpload(ctx, tools, {
      caseId,
      uploader: { kind: "STAFF", actor: staff },
      personKey: `staff:${staff.id}`,
      holder: uploadHolder({ staffUserId: staff.id }),
      doneUrl: urls.staffCaseWithNotice(caseId, EVIDENCE_NOTICES.added),
      audit: auditActorFor(ctx, staff),
      renderPage,
    });
  });

  const serve = (disposition: EvidenceDisposition) => async (ctx: Context) => {
    const staff = signedInStaff(ctx);
    const { file } = await loadVisibleFile(ctx, deps, staff);
    await serveEvidenceFile(ctx, tools, { file, disposition, audit: auditActorFor(ctx, staff) });
  };
  const ownPagesOnly = sameOriginFetchOnly({
    publicUrl: deps.config.http.publicUrl,
    isProduction: deps.config.isProduction,
  });
  router.get("/cases/:caseId/evidence/:fileId", ownPagesOnly, serve("attachment"));
  router.get("/cases/:caseId/evidence/:fileId/preview", ownPagesOnly, serve("inline"));

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
    const [fileView] = presentEvidenceFiles([file], { kind: "staff", actor: staff }, facts);
    await ctx.render("staff/cases/evidence-delete.njk", {
      caseNumber: formatCaseNumber(vettingCase.number),
      file: fileView,
      links: {
        case: urls.staffCase(vettingCase.id),
        delete: urls.staffCaseEvidenceDelete(vettingCase.id, file.id),
      },
    });
  });

  router.post("/cases/:caseId/evidence/:fileId/delete", async (ctx) => {
    const staff = signedInStaff(ctx);
    const { vettingCase, file } = await loadVisibleFile(ctx, deps, staff);
    try {
      await deleteEvidenceFile(tools, {
        caseId: vettingCase.id,
        fileId: file.id,
        deleter: { kind: "STAFF", actor: staff },
        audit: auditActorFor(ctx, staff),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderCasePage(ctx, deps, staff, vettingCase.id, { error: error.message, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(urls.staffCaseWithNotice(vettingCase.id, EVIDENCE_NOTICES.deleted));
  });

  return router;
}

function parseParams<T>(ctx: Context, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(ctx.params);
  if (!parsed.success) throw notFound();
  return parsed.data;
}

/** The case and one of its files, when this person may see it; 404 otherwise, whatever the reason. */
async function loadVisibleFile(ctx: Context, deps: AppDependencies, staff: SignedInStaff) {
  const { caseId, fileId } = parseParams(ctx, ZFileParams);
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
  const canAdd = canAddEvidence(staff, facts);
  const refusal = view.refusal ?? null;
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/cases/evidence.njk", {
    caseView: {
      id: vettingCase.id,
      number: formatCaseNumber(vettingCase.number),
      fullName: vettingCase.erasedAt ? null : vettingCase.fullName,
      stateLabel: CASE_STATE_LABELS[vettingCase.state],
    },
    files: presentEvidenceFiles(rows, { kind: "staff", actor: staff }, facts),
    usage: presentEvidenceUsage(deps.config.evidence, usage),
    upload: canAdd
      ? presentEvidenceUpload({
          action: urls.staffCaseEvidence(caseId),
          doneUrl: urls.staffCaseWithNotice(caseId, EVIDENCE_NOTICES.added),
          limits: deps.config.evidence,
          usage,
          note: refusal?.note ?? "",
          error: refusal?.message ?? null,
          fileProblems: refusal?.fileProblems ?? [],
        })
      : null,
    closedMessage: canAdd
      ? null
      : facts.erasedAt
        ? ERASED_CASE_MESSAGE
        : caseClosedForEvidenceMessage(facts.state),
    conflict: !canAdd && refusal ? refusal.message : null,
    can: { add: canAdd },
    links: { case: urls.staffCase(caseId) },
  });
  ctx.status = status;
}
