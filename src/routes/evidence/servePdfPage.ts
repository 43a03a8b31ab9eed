// A stored PDF's pages for staff: how many there are (for the viewer's page links) and one page drawn
// as a PNG (storage/renderPdfPage.ts). The same guarantees as serving the file itself
// (serveEvidenceFile.ts): the content poppler read is hashed and compared with the row's before any
// pixel is sent, a mismatch or a file that does not decrypt is an audited integrity failure, and each
// page shown is audited as a view of the file.
import type { Context } from "koa";
import type { AuditActor } from "../../audit.js";
import {
  recordEvidenceAccess,
  recordEvidenceIntegrityFailure,
} from "../../commands/evidence/recordEvidenceAccess.js";
import type { Database } from "../../db.js";
import { notFound } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { EvidenceDecryptionError } from "../../storage/evidenceEncryption.js";
import type { EvidenceStore } from "../../storage/evidenceStore.js";
import { countPdfPages, type FedContent, renderPdfPage } from "../../storage/renderPdfPage.js";
import { INTEGRITY_FAILED_MESSAGE, type ServedEvidenceFile } from "./serveEvidenceFile.js";

interface PdfPageDeps {
  db: Database;
  logger: Logger;
  store: EvidenceStore;
}

export const PDF_PAGE_NOT_SHOWN_MESSAGE =
  "This page of the PDF cannot be shown here (the file may be damaged). Download it instead.";

/** The PDF's page count, or null when poppler cannot read it (the viewer then offers the download). */
export async function readPdfPageCount(
  deps: PdfPageDeps,
  options: { file: ServedEvidenceFile; audit: AuditActor },
): Promise<number | "integrity_failed" | null> {
  const outcome = await withIntegrityCheck(deps, options, (content) => countPdfPages(content));
  if (outcome === "integrity_failed") return outcome;
  return outcome.kind === "ok" ? outcome.pageCount : null;
}

export async function servePdfPage(
  ctx: Context,
  deps: PdfPageDeps,
  options: { file: ServedEvidenceFile; page: number; audit: AuditActor },
): Promise<void> {
  const { file } = options;
  const outcome = await withIntegrityCheck(deps, options, (content) => renderPdfPage(content, options.page));
  if (outcome === "integrity_failed") return renderIntegrityFailure(ctx);
  if (outcome.kind !== "ok") throw notFound(PDF_PAGE_NOT_SHOWN_MESSAGE);
  if (ctx.method !== "HEAD") {
    await recordEvidenceAccess(deps.db, { file, access: "viewed", audit: options.audit });
  }
  ctx.type = "image/png";
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cross-Origin-Resource-Policy", "same-origin");
  ctx.set("Cache-Control", "private, no-store");
  ctx.set("Content-Security-Policy", "default-src 'none'; sandbox");
  ctx.status = 200;
  ctx.body = outcome.png;
}

async function withIntegrityCheck<Outcome extends { fed: FedContent | null }>(
  deps: PdfPageDeps,
  options: { file: ServedEvidenceFile; audit: AuditActor },
  read: (content: Awaited<ReturnType<EvidenceStore["open"]>>) => Promise<Outcome>,
): Promise<Outcome | "integrity_failed"> {
  const { file } = options;
  let outcome: Outcome;
  try {
    outcome = await read(await deps.store.open(file));
  } catch (error) {
    const isMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
    if (!(error instanceof EvidenceDecryptionError) && !isMissing) throw error;
    await recordEvidenceIntegrityFailure(deps, {
      file,
      found: null,
      decryptionProblem: isMissing ? undefined : (error as Error).message,
      audit: options.audit,
    });
    return "integrity_failed";
  }
  // Poppler stopped early (a damaged file) before reading it all: nothing to compare, nothing shown.
  if (!outcome.fed) return outcome;
  if (outcome.fed.sha256 !== file.sha256 || outcome.fed.sizeBytes !== file.sizeBytes) {
    await recordEvidenceIntegrityFailure(deps, { file, found: outcome.fed, audit: options.audit });
    return "integrity_failed";
  }
  return outcome;
}

/** The page the serving routes show when a stored file fails its check (the failure already recorded). */
export async function renderIntegrityFailure(ctx: Context): Promise<void> {
  ctx.set("Cache-Control", "no-store");
  ctx.status = 500;
  await ctx.render("errors/evidence-integrity.njk", { status: 500, message: INTEGRITY_FAILED_MESSAGE });
  ctx.status = 500;
}
