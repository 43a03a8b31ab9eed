// Sends one stored evidence file to someone the route has already authorised. In order:
//   1. the stored file is hashed and compared with the row's SHA-256 and size. A mismatch or a missing
//      file is refused with nothing sent: an integrity failure, audited and logged for the operator.
//   2. the view or download is audited (before any byte leaves; a HEAD is not a view).
//   3. headers: Content-Disposition per RFC 6266 (the `content-disposition` package, through Koa's
//      ctx.attachment: a quoted ASCII `filename=` fallback and `filename*=UTF-8''…` for any other name;
//      display names never hold CR, LF or other controls, see displayName.ts), the sniffed type (never
//      one guessed from the name), nosniff, a CSP that lets nothing run (`sandbox`: even a file opened
//      directly gets an opaque origin), same-origin CORP, and no caching anywhere.
//      "inline" is the staff preview, framed by the case page: framing by our own origin is allowed.
//   4. the body: streamed from disk, or, behind nginx (config.evidence.accelRedirectLocation), an empty
//      body with X-Accel-Redirect so that nginx streams the file itself from its internal location.
//      nginx drops these headers on the internal redirect; deploy/nginx sets the same ones there.
import { createReadStream } from "node:fs";
import type { Context } from "koa";
import type { AuditActor } from "../../audit.js";
import {
  recordEvidenceAccess,
  recordEvidenceIntegrityFailure,
} from "../../commands/evidence/recordEvidenceAccess.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import type { Logger } from "../../logger.js";
import type { EvidenceStore } from "../../storage/evidenceStore.js";

export type EvidenceDisposition = "attachment" | "inline";

export const INTEGRITY_FAILED_MESSAGE =
  "This file failed its integrity check and was not sent; staff have been alerted.";

export const EVIDENCE_FILE_CSP = "default-src 'none'; sandbox";
export const EVIDENCE_PREVIEW_CSP = `${EVIDENCE_FILE_CSP}; frame-ancestors 'self'`;

export interface ServedEvidenceFile {
  id: string;
  caseId: string;
  storageKey: string;
  displayName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}

export async function serveEvidenceFile(
  ctx: Context,
  deps: { db: Database; logger: Logger; config: Pick<Config, "evidence">; store: EvidenceStore },
  options: { file: ServedEvidenceFile; disposition: EvidenceDisposition; audit: AuditActor },
): Promise<void> {
  const { file } = options;
  const found = await deps.store.digest(file.storageKey);
  if (!found || found.sha256 !== file.sha256 || found.sizeBytes !== file.sizeBytes) {
    await recordEvidenceIntegrityFailure(deps, { file, found, audit: options.audit });
    ctx.set("Cache-Control", "no-store");
    ctx.status = 500;
    await ctx.render("errors/evidence-integrity.njk", { status: 500, message: INTEGRITY_FAILED_MESSAGE });
    ctx.status = 500;
    return;
  }

  // A HEAD (the router answers it with the GET route) sends no bytes: nothing was viewed.
  if (ctx.method !== "HEAD") {
    await recordEvidenceAccess(deps.db, {
      file,
      access: options.disposition === "inline" ? "viewed" : "downloaded",
      audit: options.audit,
    });
  }

  ctx.attachment(file.displayName, { type: options.disposition });
  // After attachment(), which would otherwise have guessed a type from the name's extension.
  ctx.type = file.mediaType;
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cross-Origin-Resource-Policy", "same-origin");
  ctx.set("Cache-Control", "private, no-store");
  if (options.disposition === "inline") {
    ctx.set("Content-Security-Policy", EVIDENCE_PREVIEW_CSP);
    ctx.set("X-Frame-Options", "SAMEORIGIN");
  } else {
    ctx.set("Content-Security-Policy", EVIDENCE_FILE_CSP);
  }

  const accelLocation = deps.config.evidence.accelRedirectLocation;
  ctx.status = 200;
  if (accelLocation) {
    ctx.set("X-Accel-Redirect", `${accelLocation}${deps.store.relativePathOf(file.storageKey)}`);
    ctx.body = "";
    return;
  }
  ctx.body = createReadStream(deps.store.pathOf(file.storageKey));
  ctx.length = found.sizeBytes;
}
