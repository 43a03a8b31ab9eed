// Finds the parts of a PDF that a reviewer's viewer could run or open on its own: JavaScript, launch
// actions, actions run on opening or on page and field events, embedded files, rich media (Flash, 3D)
// and XFA forms. Any of them in ID scans and letters is either a mistake or an attack.
//
// The PDF is read by qpdf (Debian's qpdf, a maintained PDF library and tool), not by a search of its
// bytes: a dictionary may sit compressed inside an object stream, and a name may be spelled with
// escapes (/J#53 is /JS), which only a parser sees through. qpdf runs as a separate process, so a
// hostile file never reaches a parser in the portal's own memory, under a deadline and with its output
// capped: qpdf streams the file and prints every object's dictionary (stream contents left out), which
// for evidence (a few pages of scans) is kilobytes. A file whose structure alone passes the cap is
// refused as too complex to check rather than half checked.
import { runChecker } from "./runChecker.js";

export const PDF_ACTIVE_CONTENT_LABELS = {
  javascript: "JavaScript",
  launch: "an action that launches a program",
  open_action: "an action that runs when it is opened",
  additional_actions: "actions that run on page or form events",
  embedded_file: "embedded files",
  rich_media: "rich media (Flash, video or 3D)",
  xfa: "an XFA form",
} as const;

export type PdfActiveContent = keyof typeof PDF_ACTIVE_CONTENT_LABELS;

export type PdfActiveContentResult =
  | { isReadable: true; found: PdfActiveContent[] }
  | { isReadable: false; message: string };

const MAX_STRUCTURE_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;

export async function findPdfActiveContent(
  filePath: string,
  options: { timeoutMs?: number } = {},
): Promise<PdfActiveContentResult> {
  const listing = await listPdfObjects(filePath, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if ("problem" in listing) return { isReadable: false, message: listing.problem };
  return { isReadable: true, found: activeContentIn(listing.objects) };
}

/** "JavaScript and embedded files". */
export function describePdfActiveContent(found: readonly PdfActiveContent[]): string {
  const labels = found.map((kind) => PDF_ACTIVE_CONTENT_LABELS[kind]);
  if (labels.length <= 1) return labels.join("");
  return `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)}`;
}

type PdfValue = string | number | boolean | null | PdfValue[] | { [key: string]: PdfValue };
type PdfDictionary = { [key: string]: PdfValue };

/** qpdf's JSON (version 2): each object by "obj:N G R", a value or a stream with its dictionary. */
async function listPdfObjects(
  filePath: string,
  timeoutMs: number,
): Promise<{ objects: Map<string, PdfValue> } | { problem: string }> {
  const output = await runChecker(
    "qpdf",
    ["--json=2", "--json-key=qpdf", "--json-stream-data=none", "--warning-exit-0", "--", filePath],
    {
      timeoutMs,
      maxStdoutBytes: MAX_STRUCTURE_BYTES,
      missingMessage: "qpdf is not installed (Debian: apt-get install qpdf); PDFs cannot be checked",
    },
  );
  if (output.kind === "too_large" || output.kind === "timed_out") {
    return {
      problem:
        "The PDF is too complex to be checked for active content. Save it as a simpler PDF (for example with Print to PDF) and upload that.",
    };
  }
  if (output.kind === "failed") {
    return {
      problem: /password/i.test(output.stderr)
        ? "The PDF is protected by a password, so its content cannot be checked. Upload it without the password."
        : "The PDF cannot be read, so its content cannot be checked. It may be damaged: save it again and upload that.",
    };
  }
  const parsed = JSON.parse(output.stdout) as { qpdf?: [unknown, Record<string, unknown>] };
  const objects = new Map<string, PdfValue>();
  for (const [key, entry] of Object.entries(parsed.qpdf?.[1] ?? {})) {
    const object = entry as { value?: PdfValue; stream?: { dict?: PdfDictionary } };
    const value = object.value ?? object.stream?.dict ?? null;
    objects.set(key.replace(/^obj:/, ""), value);
  }
  return { objects };
}

function activeContentIn(objects: Map<string, PdfValue>): PdfActiveContent[] {
  const found = new Set<PdfActiveContent>();
  const resolve = (value: PdfValue | undefined): PdfValue | undefined =>
    typeof value === "string" && / R$/.test(value) ? (objects.get(value) ?? undefined) : value;
  const isDictionary = (value: PdfValue | undefined): value is PdfDictionary =>
    typeof value === "object" && value !== null && !Array.isArray(value);

  const visit = (value: PdfValue) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!isDictionary(value)) return;
    if ("/JS" in value || "/JavaScript" in value || value["/S"] === "/JavaScript") found.add("javascript");
    if (value["/S"] === "/Launch") found.add("launch");
    // A destination ([page /Fit]) on opening only turns to a page; an action dictionary does something.
    const openAction = resolve(value["/OpenAction"]);
    if (isDictionary(openAction) && "/S" in openAction) found.add("open_action");
    const additionalActions = resolve(value["/AA"]);
    if (isDictionary(additionalActions) && Object.keys(additionalActions).length > 0)
      found.add("additional_actions");
    if (value["/Type"] === "/EmbeddedFile" || "/EmbeddedFiles" in value || "/EF" in value)
      found.add("embedded_file");
    if (value["/Subtype"] === "/RichMedia" || "/RichMediaContent" in value) found.add("rich_media");
    if ("/XFA" in value) found.add("xfa");
    for (const entry of Object.values(value)) visit(entry);
  };
  for (const value of objects.values()) visit(value);
  return (Object.keys(PDF_ACTIVE_CONTENT_LABELS) as PdfActiveContent[]).filter((kind) => found.has(kind));
}
