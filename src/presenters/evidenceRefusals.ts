// Upload refusals in the page's language. The checks (src/storage, routes/evidence) say why a file was
// refused in one English sentence, which staff pages, JSON answers and logs use as it is; the applicant's
// page recognises each of those sentences here and says it from the catalog ("upload.refusal.*"), with
// the same particulars (a file name, an extension, a size). A sentence not listed stays English, so a new
// check is never hidden, only untranslated until it is added here and to the catalogs.
import { EVIDENCE_TYPES } from "../domain/evidenceTypes.js";
import { fileSizePartsOf } from "../domain/fileSize.js";
import type { Translator } from "../i18n/translator.js";
import type { EvidenceUploadRefusal } from "./evidence.js";

type Values = Record<string, string | number>;

/** The values that are file sizes, as src/domain/fileSize.ts formatBytes wrote them in English. */
const SIZE_VALUES = new Set(["size", "maxSize", "sizeLeft"]);

/** Each known sentence: its pattern (named groups become the message's values) and its catalog id. */
const REFUSALS: readonly { pattern: RegExp; id: string; isImageType?: boolean }[] = [
  // The summary of an upload with one file refused: its name, then its own refusal (said in turn).
  { pattern: /^"(?<fileName>.*)" cannot be accepted\. (?<reason>.+)$/s, id: "upload.refusal.fileRefused" },
  {
    pattern: /^(?<refused>\d+) of the (?<received>\d+) files cannot be accepted, so none of them was kept\.$/,
    id: "upload.refusal.someFilesRefused",
  },
  { pattern: /^The file is empty\.$/, id: "upload.refusal.empty" },
  { pattern: /^The file's content is not a (?<types>.+) file\.$/, id: "upload.refusal.notAccepted" },
  {
    pattern:
      /^The file is incomplete or damaged: it is not a whole (?<type>\S+) (?<kind>image|document)\. Try again\.$/,
    id: "upload.refusal.incomplete",
  },
  {
    pattern:
      /^The name has no extension, but the content is a (?<type>\S+) (?<kind>image|document): name it …(?<extension>\S+)\.$/,
    id: "upload.refusal.noExtension",
  },
  {
    pattern:
      /^The name ends in (?<extension>\S+) but the content is a (?<type>\S+) (?<kind>image|document)\.$/,
    id: "upload.refusal.wrongExtension",
  },
  {
    pattern:
      /^The file was sent as (?:an unnamed type|"(?<declared>[^"]*)") but the content is a (?<type>\S+) (?<kind>image|document)\.$/,
    id: "upload.refusal.wrongDeclaredType",
  },
  {
    pattern: /^The image's dimensions cannot be read from it, so it may be damaged\.$/,
    id: "upload.refusal.dimensionsUnreadable",
  },
  {
    pattern:
      /^The image declares (?<width>\d[\d ]*) × (?<height>\d[\d ]*) pixels; images can have at most (?<megapixels>[\d.]+) megapixels\.$/,
    id: "upload.refusal.tooManyPixels",
  },
  {
    pattern: /^The virus scanner found malware in the file, so it was not kept\./,
    id: "upload.refusal.malware",
  },
  {
    pattern: /^The PDF contains .+, which a PDF viewer could run or open on its own/,
    id: "upload.refusal.pdfActive",
  },
  { pattern: /^The image's metadata cannot be read/, id: "upload.refusal.metadataUnreadable" },
  { pattern: /^The PDF is too complex to be checked/, id: "upload.refusal.pdfTooComplex" },
  { pattern: /^The PDF is protected by a password/, id: "upload.refusal.pdfPassword" },
  {
    pattern: /^The PDF cannot be read, so its content cannot be checked/,
    id: "upload.refusal.pdfUnreadable",
  },
  { pattern: /^The virus scanner is not answering at the moment/, id: "upload.refusal.scannerUnavailable" },
  { pattern: /^There is no room left to store files at the moment/, id: "upload.refusal.volumeFull" },
  { pattern: /^The upload was interrupted; nothing was kept\.$/, id: "upload.refusal.interrupted" },
  {
    pattern: /^The upload took too long and was stopped; nothing was kept\.$/,
    id: "upload.refusal.timedOut",
  },
  { pattern: /^The upload could not be read\.$/, id: "upload.refusal.unreadable" },
  { pattern: /^The file is larger than (?<size>.+)\.$/, id: "upload.refusal.fileTooLarge" },
  {
    pattern: /^Each file can be at most (?<size>.+); "(?<fileName>.*)" is larger\.$/,
    id: "upload.refusal.oneTooLarge",
  },
  { pattern: /^Each file can be at most (?<size>.+)\.$/, id: "upload.refusal.eachTooLarge" },
  { pattern: /^Send at most (?<count>\d+) files at once\.$/, id: "upload.refusal.tooManyAtOnce" },
  { pattern: /^Choose at least one file to upload\.$/, id: "upload.refusal.noFile" },
  {
    pattern: /^Send the files with the upload form \(multipart\/form-data\)\.$/,
    id: "upload.refusal.notMultipart",
  },
  { pattern: /^One of the files is empty\.$/, id: "upload.refusal.oneEmpty" },
  {
    pattern: /^The upload holds more form fields than the form sends\.$/,
    id: "upload.refusal.tooManyFields",
  },
  { pattern: /^The text sent with the files is too long\.$/, id: "upload.refusal.textTooLong" },
  {
    pattern: /^Note: use at most (?<max>\d+) characters\. Nothing was kept\.$/,
    id: "upload.refusal.noteTooLong",
  },
  // What the case holds is said too: "(it holds 3 of 10 files, 4.1 MB of 100 MB)".
  {
    pattern:
      /^This case already holds all the evidence it can take \((?<fileCount>\d+) of (?<maxFiles>\d+) files, (?<size>.+?) of (?<maxSize>.+?)\)\. Delete a file before adding another\./,
    id: "upload.refusal.caseFull",
  },
  {
    pattern:
      /^This case can take (?<filesLeft>\d+) more files? \(it holds (?<fileCount>\d+) of (?<maxFiles>\d+) files, (?<size>.+?) of (?<maxSize>.+?)\)\. Choose fewer files\./,
    id: "upload.refusal.caseFilesLeft",
  },
  {
    pattern:
      /^This case can take (?<sizeLeft>.+?) more \(it holds (?<fileCount>\d+) of (?<maxFiles>\d+) files, (?<size>.+?) of (?<maxSize>.+?)\)\. Choose smaller files\./,
    id: "upload.refusal.caseBytesLeft",
  },
  {
    pattern: /^This case can hold at most (?<max>\d+) files; it has no room for more\.$/,
    id: "upload.refusal.caseNoRoom",
  },
  {
    pattern: /^This case can hold at most (?<max>\d+) files; it has room for (?<count>\d+) more\.$/,
    id: "upload.refusal.caseRoomFor",
  },
  {
    pattern: /^This case can hold (?<maxSize>.+) of evidence; (?<size>.+) is left\.$/,
    id: "upload.refusal.caseBytesLimit",
  },
];

/** `message` in the translator's language when it is one of the known refusals; otherwise as it is. */
export function translateUploadRefusal(translator: Translator, message: string): string {
  for (const refusal of REFUSALS) {
    const match = refusal.pattern.exec(message);
    if (!match) continue;
    const values: Values = {};
    for (const [name, value = ""] of Object.entries(match.groups ?? {})) {
      // A size is said in the reader's words and digits ("1,5 MB", "20 Mo"), from the parts it was
      // written with; counts and the megapixel limit become numbers, for plural rules and digits.
      const sizeParts = SIZE_VALUES.has(name) ? fileSizePartsOf(value) : null;
      if (sizeParts) values[name] = translator.t("units.fileSize", sizeParts);
      else if (/^\d+$/.test(value) || (name === "megapixels" && /^\d+(\.\d+)?$/.test(value)))
        values[name] = Number(value);
      else values[name] = value;
    }
    // A type the browser named is quoted; none at all is said in words (a select in the message).
    if ("types" in values) values.types = translator.orList(EVIDENCE_TYPES.map((type) => type.label));
    if ("declared" in values) values.hasDeclaredType = values.declared ? "yes" : "no";
    if (typeof values.reason === "string") values.reason = translateUploadRefusal(translator, values.reason);
    return translator.t(refusal.id, values);
  }
  return translator.message(message);
}

/** The refusal with its message and each file's problem said in the page's language. */
export function translatedRefusal(
  translator: Translator,
  refusal: EvidenceUploadRefusal | null,
): EvidenceUploadRefusal | null {
  if (!refusal) return null;
  return {
    ...refusal,
    message: translateUploadRefusal(translator, refusal.message),
    fileProblems: refusal.fileProblems.map((problem) => ({
      ...problem,
      message: translateUploadRefusal(translator, problem.message),
    })),
  };
}
