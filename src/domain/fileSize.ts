// File sizes for people, in the binary units the limits are configured in. One wording for the pages
// and for the upload refusals (src/routes/evidence/receiveEvidenceUpload.ts).

const KIBIBYTE = 1024;
const MEBIBYTE = 1024 * 1024;
const GIBIBYTE = 1024 * 1024 * 1024;
const exactNumber = new Intl.NumberFormat("en-GB");

/**
 * "812 bytes", "4.5 KB", "1.4 MB", "100 MB" (binary units, as the limits are configured: 20 MB is
 * 20 × 1024 × 1024 bytes). One decimal below 100, none above; a trailing ".0" is dropped.
 */
export function formatBytes(bytes: number): string {
  if (bytes < KIBIBYTE) return bytes === 1 ? "1 byte" : `${exactNumber.format(bytes)} bytes`;
  const [value, unit] =
    bytes < MEBIBYTE
      ? [bytes / KIBIBYTE, "KB"]
      : bytes < GIBIBYTE
        ? [bytes / MEBIBYTE, "MB"]
        : [bytes / GIBIBYTE, "GB"];
  const rounded = value < 100 ? Number(value.toFixed(1)) : Math.round(value);
  return `${exactNumber.format(rounded)} ${unit}`;
}
