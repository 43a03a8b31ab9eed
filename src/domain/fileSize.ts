// File sizes for people, in the binary units the limits are configured in. One wording for the pages
// and for the upload refusals (src/routes/evidence/receiveEvidenceUpload.ts).

const KIBIBYTE = 1024;
const MEBIBYTE = 1024 * 1024;
const GIBIBYTE = 1024 * 1024 * 1024;
const exactNumber = new Intl.NumberFormat("en-GB");

export type FileSizeUnit = "byte" | "KB" | "MB" | "GB";

/**
 * A size in the unit people would use (binary units, as the limits are configured: 20 MB is
 * 20 × 1024 × 1024 bytes), one decimal below 100, none above: the values of the catalog's
 * "units.fileSize", which says it in each language.
 */
export function fileSizeParts(bytes: number): { size: number; unit: FileSizeUnit } {
  if (bytes < KIBIBYTE) return { size: bytes, unit: "byte" };
  const [value, unit]: [number, FileSizeUnit] =
    bytes < MEBIBYTE
      ? [bytes / KIBIBYTE, "KB"]
      : bytes < GIBIBYTE
        ? [bytes / MEBIBYTE, "MB"]
        : [bytes / GIBIBYTE, "GB"];
  return { size: value < 100 ? Number(value.toFixed(1)) : Math.round(value), unit };
}

/** "812 bytes", "4.5 KB", "1.4 MB", "100 MB", in English (staff pages, logs, upload refusals). */
export function formatBytes(bytes: number): string {
  const { size, unit } = fileSizeParts(bytes);
  if (unit === "byte") return size === 1 ? "1 byte" : `${exactNumber.format(size)} bytes`;
  return `${exactNumber.format(size)} ${unit}`;
}

/**
 * The parts of a size `formatBytes` wrote ("1.4 MB", "1,023 KB", "1 byte"), or null for other text: an
 * English refusal's sizes, said again in the reader's language (src/presenters/evidenceRefusals.ts).
 */
export function fileSizePartsOf(written: string): { size: number; unit: FileSizeUnit } | null {
  const match = /^(\d{1,3}(?:,\d{3})*(?:\.\d+)?) (bytes?|KB|MB|GB)$/.exec(written);
  if (!match?.[1] || !match[2]) return null;
  const unit = match[2].startsWith("byte") ? "byte" : (match[2] as FileSizeUnit);
  return { size: Number(match[1].replaceAll(",", "")), unit };
}
