// One evidence upload, the same for the applicant (routes/applicant/evidence.ts) and for staff
// (routes/staff/caseEvidence.ts), once the route has loaded the case and asked the policy:
//   the case's room (none left: refused before a byte is read) → the hourly limits (per person, per
//   address) → a lease (at most N uploads in flight per person; its folder holds the temporary files)
//   → the body read to disk with every limit, each file encrypted and streamed to clamd as it arrives
//   (routes/evidence/receiveEvidenceUpload.ts, which also checks the CSRF token, then each file: content,
//   clamd's verdict, a PDF's active content, a photo's metadata) → the note validated → addEvidenceFiles
//   (rows committed, then files placed)
//   → 303 to the page with a notice, or 201 JSON for the upload script.
// A refusal shows the page again with its status, its message and the files at fault (or the JSON
// error with `files`), and nothing is kept: the lease removes its folder whatever happened. A refusal
// sent before the whole body was read closes the connection, so the rest is not read for nothing.
// Malware found is also audited on the case and emailed to the server admins (recordMalwareRefusal);
// clamd without a verdict is 503 with Retry-After, logged for the operator.
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import type { AuditActor } from "../../audit.js";
import {
  addEvidenceFiles,
  evidenceBudgetProblem,
  type TEvidenceUploader,
} from "../../commands/evidence/addEvidenceFiles.js";
import { recordMalwareRefusal } from "../../commands/evidence/recordMalwareRefusal.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { HttpError } from "../../errors.js";
import { englishTranslator, type Translator } from "../../i18n/translator.js";
import type { Logger } from "../../logger.js";
import { countEvidenceUploadAccepted, countEvidenceUploadRefused } from "../../metrics.js";
import {
  caseRefusal,
  EVIDENCE_NOTE_MAX_LENGTH,
  type EvidenceUploadOutcome,
  type EvidenceUploadRefusal,
} from "../../presenters/evidence.js";
import { translatedRefusal } from "../../presenters/evidenceRefusals.js";
import { evidenceBudgetOf, findEvidenceUsage } from "../../queries/evidence.js";
import {
  createEvidenceUploadLimits,
  type EvidenceUploadLimits,
} from "../../security/evidenceUploadLimits.js";
import { type EvidenceFileChecks, evidenceFileChecks } from "../../storage/checkEvidenceFile.js";
import { type EvidenceStore, evidenceStore } from "../../storage/evidenceStore.js";
import { withUploadLease } from "../../storage/uploadLeases.js";
import {
  EvidenceUploadRefused,
  isUploadsVolumeFull,
  MalwareFoundRefusal,
  receiveEvidenceUpload,
  uploadsVolumeFull,
} from "./receiveEvidenceUpload.js";

export const ZEvidenceNote = z.object({
  note: z
    .string()
    .trim()
    .max(
      EVIDENCE_NOTE_MAX_LENGTH,
      `Note: use at most ${EVIDENCE_NOTE_MAX_LENGTH} characters. Nothing was kept.`,
    )
    .optional()
    .transform((note) => (note ? note : null)),
});

export interface EvidenceUploadTools {
  db: Database;
  logger: Logger;
  config: Config;
  store: EvidenceStore;
  limits: EvidenceUploadLimits;
  /** What every received file goes through before it is kept (storage/checkEvidenceFile.ts). */
  checks: EvidenceFileChecks;
}

/** What an evidence route needs to receive, serve and delete files, made once when its routes are built. */
export function evidenceUploadTools(deps: AppDependencies): EvidenceUploadTools {
  return {
    ...deps,
    store: evidenceStore(deps.config.uploadsDir, deps.config.evidence.encryption),
    limits: createEvidenceUploadLimits(deps.rateLimitPool, deps.config),
    checks: evidenceFileChecks(deps.config.evidence),
  };
}

/** The upload script asks for JSON; a plain form post gets pages. */
export function wantsJsonAnswer(ctx: Context): boolean {
  return ctx.accepts("html", "json") === "json";
}

/**
 * Refuses an upload: the page or JSON with the status. Unless the whole body was read, the connection
 * is closed, so that Node does not read (and throw away) the rest of a large upload to keep it alive.
 * With `translator` (the applicant's page language), the JSON the upload script shows says the refusal
 * in that language, as the page does; without, it stays as the checks wrote it (staff pages: English).
 */
export async function refuseEvidenceUpload(
  ctx: Context,
  refusal: EvidenceUploadRefusal,
  renderPage: (refusal: EvidenceUploadRefusal) => Promise<void>,
  options: { isBodyRead?: boolean; translator?: Translator } = {},
): Promise<void> {
  if (!options.isBodyRead || !ctx.req.complete) ctx.set("Connection", "close");
  if (wantsJsonAnswer(ctx)) {
    const said = options.translator ? (translatedRefusal(options.translator, refusal) ?? refusal) : refusal;
    ctx.status = refusal.status;
    ctx.body = {
      error: {
        status: refusal.status,
        id: refusalId(refusal.status),
        message: said.message,
        requestId: ctx.state.requestId,
        files: said.fileProblems,
      },
    };
    return;
  }
  await renderPage(refusal);
  ctx.status = refusal.status;
}

function refusalId(status: number): string {
  switch (status) {
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 503:
      return "service_unavailable";
    case 507:
      return "insufficient_storage";
    default:
      return "bad_request";
  }
}

export async function acceptEvidenceUpload(
  ctx: Context,
  tools: EvidenceUploadTools,
  request: {
    caseId: string;
    uploader: TEvidenceUploader;
    /** The hourly limit's key: "case:<id>" for the applicant (a new session does not reset it), "staff:<id>". */
    personKey: string;
    /** The lease holder (uploadHolder()): at most N uploads in flight per holder. */
    holder: string;
    /** The page to go to once the files are in (the script navigates there too), saying what was done. */
    doneUrl: (outcome: EvidenceUploadOutcome) => string;
    audit: AuditActor;
    renderPage: (refusal: EvidenceUploadRefusal) => Promise<void>;
    /** The applicant's page language, for the upload script's JSON refusals (see refuseEvidenceUpload). */
    translator?: Translator;
  },
): Promise<void> {
  const usage = await findEvidenceUsage(tools.db, request.caseId);
  const fullProblem = evidenceBudgetProblem(tools.config.evidence, usage);
  if (fullProblem) {
    countEvidenceUploadRefused("case_full");
    return refuseEvidenceUpload(ctx, caseRefusal(413, fullProblem), request.renderPage, {
      translator: request.translator,
    });
  }
  let typedNote = "";
  const outcome: EvidenceUploadOutcome = { wasMetadataRemoved: false };
  // Until the receiver has started, nothing of the body was read; after that, the request says.
  let isReceiving = false;
  try {
    await tools.limits.consume({ personKey: request.personKey, ipAddress: ctx.ip });
    const added = await withUploadLease(
      tools,
      { caseId: request.caseId, holder: request.holder },
      async (lease) => {
        isReceiving = true;
        const received = await receiveEvidenceUpload(ctx, {
          directory: lease.directory,
          limits: tools.config.evidence,
          budget: evidenceBudgetOf(tools.config.evidence, usage),
          checks: tools.checks,
          store: tools.store,
        });
        typedNote = received.fields.note ?? "";
        outcome.wasMetadataRemoved = received.files.some((file) => file.wasMetadataRemoved);
        const fields = ZEvidenceNote.safeParse(received.fields);
        if (!fields.success) {
          throw new EvidenceUploadRefused(400, fields.error.issues[0]?.message ?? "Check the note.");
        }
        return addEvidenceFiles(tools, {
          caseId: request.caseId,
          uploader: request.uploader,
          files: received.files,
          note: fields.data.note,
          limits: tools.config.evidence,
          audit: request.audit,
        });
      },
    );
    countEvidenceUploadAccepted();
    if (wantsJsonAnswer(ctx)) {
      ctx.status = 201;
      ctx.body = { files: added, redirect: request.doneUrl(outcome) };
      return;
    }
    ctx.status = 303;
    ctx.redirect(request.doneUrl(outcome));
  } catch (thrown) {
    // The volume full, wherever it struck (streaming, the lease folder, placing the files): the person
    // gets the upload page or JSON saying so (nothing was kept: the lease and addEvidenceFiles undo
    // their part), the operator an error line, since only they can make room.
    const error =
      isUploadsVolumeFull(thrown) && !(thrown instanceof EvidenceUploadRefused)
        ? uploadsVolumeFull(thrown)
        : thrown;
    if (error instanceof EvidenceUploadRefused && error.status === 507) {
      tools.logger.error(
        { category: "evidence", err: error.cause, caseId: request.caseId, requestId: ctx.state.requestId },
        "evidence upload: the uploads volume is full",
      );
    }
    // clamd gave no verdict: nothing was kept (fail closed); only the operator can bring it back.
    if (error instanceof EvidenceUploadRefused && error.status === 503) {
      tools.logger.error(
        { category: "evidence", err: error.cause, caseId: request.caseId, requestId: ctx.state.requestId },
        "evidence upload: the virus scanner cannot be reached, uploads are refused",
      );
    }
    if (error instanceof MalwareFoundRefusal) {
      tools.logger.warn(
        {
          category: "evidence",
          caseId: request.caseId,
          signatures: error.signatures,
          requestId: ctx.state.requestId,
        },
        "evidence upload: malware found, the upload was refused",
      );
      await recordMalwareRefusal(tools.db, {
        caseId: request.caseId,
        uploader: request.uploader,
        signatures: error.signatures,
        audit: request.audit,
      });
    }
    if (error instanceof HttpError) countEvidenceUploadRefused(error.id);
    // A refused upload, or a case that changed under it (decided, erased) while it was being read.
    if (error instanceof EvidenceUploadRefused || (error instanceof HttpError && error.status === 409)) {
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      return refuseEvidenceUpload(
        ctx,
        {
          status: error.status,
          // A catalog id with values (a case that changed) is said now; the refusal carries text only.
          message: Object.keys(error.messageValues).length
            ? (request.translator ?? englishTranslator()).message(error.message, error.messageValues)
            : error.message,
          fileProblems: error instanceof EvidenceUploadRefused ? error.fileProblems : [],
          note: typedNote,
        },
        request.renderPage,
        { isBodyRead: isReceiving, translator: request.translator },
      );
    }
    // Other refusals (the CSRF token, the hourly limits, too many uploads in flight) are error pages.
    if (!isReceiving || !ctx.req.complete) ctx.set("Connection", "close");
    throw error;
  }
}
