// A PDF's page as a PNG, for staff to read evidence inside the portal. Browsers will not show a PDF in
// a sandboxed frame (Chromium's viewer refuses sandboxed documents, and evidence is only ever served
// sandboxed), so a framed PDF showed a blocked-content icon. The page is drawn here instead, by
// poppler's pdftoppm (Debian's poppler-utils; no npm package renders PDFs without a browser or a
// native build), in its own process with a deadline and an output cap like the other checkers
// (runChecker.ts). The plaintext reaches it through a pipe, so no decrypted copy is ever written to
// disk, and it is hashed on the way: the caller compares the digest with the stored one before a single
// pixel is sent. The reviewer's browser then shows an image and never parses the PDF.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";

/** Longest side of a drawn page, in pixels: an ID card's small print stays legible when zoomed. */
const PAGE_LONGEST_SIDE_PX = 1600;
const DEADLINE_MS = 20_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const POPPLER_MISSING = "pdftoppm and pdfinfo are missing: install Debian's poppler-utils to show PDF pages";

/** What was read from the stored file while it was fed to poppler: checked against the row's. */
export interface FedContent {
  sha256: string;
  sizeBytes: number;
}

export type PdfPageOutcome =
  | { kind: "ok"; png: Buffer; fed: FedContent }
  | { kind: "unreadable"; fed: FedContent | null; reason: string };

export type PdfPageCountOutcome =
  | { kind: "ok"; pageCount: number; fed: FedContent }
  | { kind: "unreadable"; fed: FedContent | null; reason: string };

/** Draws page `page` (1-based) of the PDF streamed in `content`. */
export async function renderPdfPage(content: Readable, page: number): Promise<PdfPageOutcome> {
  const result = await runPoppler(
    "pdftoppm",
    [
      "-png",
      "-f",
      String(page),
      "-l",
      String(page),
      "-singlefile",
      "-scale-to",
      String(PAGE_LONGEST_SIDE_PX),
      "-",
    ],
    content,
  );
  if (result.kind !== "ok") return result;
  if (result.stdout.length === 0) return { kind: "unreadable", fed: result.fed, reason: "no such page" };
  return { kind: "ok", png: result.stdout, fed: result.fed };
}

/** How many pages the PDF streamed in `content` has. */
export async function countPdfPages(content: Readable): Promise<PdfPageCountOutcome> {
  const result = await runPoppler("pdfinfo", ["-"], content);
  if (result.kind !== "ok") return result;
  const pages = /^Pages:\s+(\d+)\s*$/m.exec(result.stdout.toString("utf8"));
  const pageCount = Number(pages?.[1] ?? 0);
  if (pageCount < 1) return { kind: "unreadable", fed: result.fed, reason: "no pages" };
  return { kind: "ok", pageCount, fed: result.fed };
}

type PopplerResult =
  | { kind: "ok"; stdout: Buffer; fed: FedContent }
  | { kind: "unreadable"; fed: FedContent | null; reason: string };

function runPoppler(program: string, args: string[], content: Readable): Promise<PopplerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
    const hash = createHash("sha256");
    let fedBytes = 0;
    let fedAll = false;
    let contentError: Error | null = null;
    const output: Buffer[] = [];
    let outputBytes = 0;
    let stoppedFor: string | null = null;
    const stop = (reason: string) => {
      stoppedFor ??= reason;
      child.kill("SIGKILL");
      content.destroy();
    };
    const timer = setTimeout(() => stop("took too long"), DEADLINE_MS);

    content.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      fedBytes += chunk.length;
    });
    content.once("end", () => {
      fedAll = true;
    });
    content.once("error", (error) => {
      // Decryption failed (a chunk altered) or the file went away: poppler must not finish on a part.
      contentError = error;
      stop("the stored file could not be read");
    });
    // Poppler may stop reading early (a damaged file); the pipe then closes under us, which is no error.
    child.stdin.on("error", () => {});
    content.pipe(child.stdin);

    child.stdout.on("data", (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > MAX_OUTPUT_BYTES) stop("drew too much");
      else output.push(chunk);
    });
    child.stderr.resume();
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      content.destroy();
      reject(error.code === "ENOENT" ? new Error(POPPLER_MISSING, { cause: error }) : error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const fed = fedAll && !contentError ? { sha256: hash.digest("hex"), sizeBytes: fedBytes } : null;
      if (contentError) return reject(contentError);
      if (stoppedFor) return resolve({ kind: "unreadable", fed, reason: stoppedFor });
      if (code !== 0 || !fed) {
        content.destroy();
        return resolve({ kind: "unreadable", fed, reason: `${program} could not read it` });
      }
      resolve({ kind: "ok", stdout: Buffer.concat(output), fed });
    });
  });
}
