// Sends one stored evidence file to someone the route has already authorised. In order:
//   1. the stored file's content is hashed (decrypted first when it is stored encrypted) and compared
//      with the row's SHA-256 and size. A mismatch, a missing file or an encrypted file that does not
//      open (a chunk altered, moved or cut, or a data key that does not unwrap) is refused with nothing
//      sent: an integrity failure, audited and logged for the operator.
//   2. the view or download is audited (before any byte leaves; a HEAD is not a view).
//   3. headers: Content-Disposition per RFC 6266 (the `content-disposition` package, through Koa's
//      ctx.attachment: a quoted ASCII `filename=` fallback and `filename*=UTF-8''…` for any other name;
//      display names never hold CR, LF or other controls, see displayName.ts), the sniffed type (never
//      one guessed from the name), nosniff, a CSP that lets nothing run (`sandbox`: even a file opened
//      directly gets an opaque origin), same-origin CORP, and no caching anywhere.
//      "inline" is the staff preview, framed by the case page: framing by our own origin is allowed.
//   4. the body: streamed by the store (an encrypted file decrypted a chunk at a time, each chunk sent
//      only once its tag is checked), or, for a file stored in the clear behind nginx
//      (config.evidence.accelRedirectLocation), an empty body with X-Accel-Redirect so that nginx streams
//      the file itself from its internal location; nginx cannot decrypt, so encrypted files never go that
//      way. nginx drops these headers on the internal redirect; deploy/nginx sets the same ones there.
// A file that changes between 1 and 4 (it should not: nothing rewrites stored files) fails in 4 at the
// first chunk that does not open, before any of that chunk's bytes are sent: the connection is then cut
// short of its Content-Length, so the client sees a failed download rather than a complete file.
import type { Context } from "koa";
import type { AuditActor } from "../../audit.js";
import {
  recordEvidenceAccess,
  recordEvidenceIntegrityFailure,
} from "../../commands/evidence/recordEvidenceAccess.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import type { Logger } from "../../logger.js";
import { EvidenceDecryptionError } from "../../storage/evidenceEncryption.js";
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
  encryptionKeyId: string | null;
  wrappedDataKey: string | null;
}

export async function serveEvidenceFile(
  ctx: Context,
  deps: { db: Database; logger: Logger; config: Pick<Config, "evidence">; store: EvidenceStore },
  options: { file: ServedEvidenceFile; disposition: EvidenceDisposition; audit: AuditActor },
): Promise<void> {
  const { file } = options;
  let found: { sha256: string; sizeBytes: number } | null;
  let decryptionProblem: string | undefined;
  try {
    found = await deps.store.digest(file);
  } catch (error) {
    if (!(error instanceof EvidenceDecryptionError)) throw error;
    found = null;
    decryptionProblem = error.message;
  }
  if (!found || found.sha256 !== file.sha256 || found.sizeBytes !== file.sizeBytes) {
    await recordEvidenceIntegrityFailure(deps, { file, found, decryptionProblem, audit: options.audit });
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
  if (accelLocation && file.wrappedDataKey === null) {
    ctx.set("X-Accel-Redirect", `${accelLocation}${deps.store.relativePathOf(file.storageKey)}`);
    ctx.body = "";
    return;
  }
  const content = await deps.store.open(file);
  content.once("error", (error) => {
    deps.logger.error(
      { category: "integrity", err: error, evidenceFileId: file.id, requestId: options.audit.requestId },
      "evidence file failed while being sent (it changed after its check); the download was cut short",
    );
    // Koa leaves a response whose headers are sent open when its body fails: cut it, so the client
    // sees fewer bytes than Content-Length promised, never a complete-looking file.
    if (ctx.res.headersSent) ctx.res.destroy(error);
  });
  ctx.body = content;
  ctx.length = found.sizeBytes;
}
