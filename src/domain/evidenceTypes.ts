// The kinds of evidence file the portal accepts: only types whose content file-type can recognise, so a
// file is what its bytes say, never what its name says. No text, HTML, SVG, archives or office files.
// The server (src/storage/inspectEvidenceFile.ts), the upload form's hints and the browser-side check
// all read this one list.

export const EVIDENCE_MEDIA_TYPES = [
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
] as const;
export type EvidenceMediaType = (typeof EVIDENCE_MEDIA_TYPES)[number];

export interface EvidenceType {
  mediaType: EvidenceMediaType;
  /** Lower-case, with the dot; a file's name must end in one of these. */
  extensions: readonly string[];
  /** For people: "PDF", "JPEG". */
  label: string;
  isImage: boolean;
}

export const EVIDENCE_TYPES: readonly EvidenceType[] = [
  { mediaType: "application/pdf", extensions: [".pdf"], label: "PDF", isImage: false },
  { mediaType: "image/png", extensions: [".png"], label: "PNG", isImage: true },
  { mediaType: "image/jpeg", extensions: [".jpg", ".jpeg"], label: "JPEG", isImage: true },
  { mediaType: "image/gif", extensions: [".gif"], label: "GIF", isImage: true },
  { mediaType: "image/webp", extensions: [".webp"], label: "WebP", isImage: true },
];

export function evidenceTypeOf(mediaType: string): EvidenceType | undefined {
  return EVIDENCE_TYPES.find((type) => type.mediaType === mediaType);
}

/** "PDF, PNG, JPEG, GIF or WebP" */
export const EVIDENCE_TYPES_LABEL = `${EVIDENCE_TYPES.slice(0, -1)
  .map((type) => type.label)
  .join(", ")} or ${EVIDENCE_TYPES.at(-1)?.label}`;
