// Removes what a photo says about where and with what it was taken (EXIF with its GPS position, XMP,
// IPTC, comments, maker notes, thumbnails) from JPEG, PNG and WebP images before they are kept: the
// reviewers need the picture of a document, not the applicant's home address.
//
// JPEG and PNG: ExifTool (Debian's libimage-exiftool-perl, the reference tool for image metadata)
// rewrites the container and copies the compressed image data as it is, so the pixels are exactly those
// uploaded: nothing is decoded or re-encoded. What is kept changes how the image looks and says nothing
// about the person: the colour profile (ICC), the orientation (else a phone photo shows on its side),
// JPEG's JFIF header (pixel density) and Adobe segment (how CMYK colours are stored).
// WebP: the ExifTool Debian ships (12.57) cannot write RIFF files, and a WebP is a plain RIFF list of
// chunks, so it is rewritten here, chunk by chunk through a small buffer: the image chunks are copied
// byte for byte and the metadata chunks (EXIF, XMP, and any chunk the format does not define) left out.
import { chmod, type FileHandle, open, rename, rm } from "node:fs/promises";
import type { EvidenceMediaType } from "../domain/evidenceTypes.js";
import { digestFile, FILE_MODE } from "./evidenceStore.js";
import { runChecker } from "./runChecker.js";

const STRIPPED_TYPES: ReadonlySet<EvidenceMediaType> = new Set(["image/jpeg", "image/png", "image/webp"]);
const TIMEOUT_MS = 15_000;

export function hasStrippableMetadata(mediaType: EvidenceMediaType): boolean {
  return STRIPPED_TYPES.has(mediaType);
}

export type MetadataStripResult =
  | { isChanged: false }
  | { isChanged: true; sha256: string; sizeBytes: number }
  | { isUnreadable: true };

/**
 * Rewrites the file at `filePath` without its metadata (in place: a cleaned copy beside it, renamed
 * over it). `sha256` is the file as it was received: when the cleaned copy has the same digest there
 * was nothing to remove.
 */
export async function stripImageMetadata(
  filePath: string,
  mediaType: EvidenceMediaType,
  sha256: string,
): Promise<MetadataStripResult> {
  const cleanPath = `${filePath}.clean`;
  await rm(cleanPath, { force: true });
  try {
    const isWritten =
      mediaType === "image/webp"
        ? await writeWebpWithoutMetadata(filePath, cleanPath)
        : await writeWithExiftool(filePath, cleanPath);
    if (!isWritten) return { isUnreadable: true };
    const cleaned = await digestFile(cleanPath);
    if (!cleaned) return { isUnreadable: true };
    if (cleaned.sha256 === sha256) return { isChanged: false };
    await chmod(cleanPath, FILE_MODE);
    await rename(cleanPath, filePath);
    return { isChanged: true, ...cleaned };
  } finally {
    await rm(cleanPath, { force: true });
  }
}

/** Copies the JPEG or PNG at `source` to `target` without its metadata, keeping what shapes its look. */
async function writeWithExiftool(source: string, target: string): Promise<boolean> {
  const outcome = await runChecker(
    "exiftool",
    [
      "-q",
      "-q",
      "-all=",
      "--ICC_Profile:all",
      "--Adobe:all",
      "--JFIF:all",
      "-tagsFromFile",
      "@",
      "-EXIF:Orientation",
      "-o",
      target,
      source,
    ],
    {
      timeoutMs: TIMEOUT_MS,
      maxStdoutBytes: 64 * 1024,
      missingMessage:
        "exiftool is not installed (Debian: apt-get install libimage-exiftool-perl); image metadata cannot be removed",
    },
  );
  return outcome.kind === "ok";
}

/** The chunks of a still or animated WebP image (Google's WebP container specification). */
const WEBP_IMAGE_CHUNKS = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]);
/** VP8X flags that announce EXIF (bit 3) and XMP (bit 2) chunks: cleared with the chunks. */
const VP8X_METADATA_FLAGS = 0x08 | 0x04;

/** Copies the WebP at `source` to `target` without its metadata chunks; false when it is not a valid one. */
async function writeWebpWithoutMetadata(source: string, target: string): Promise<boolean> {
  const input = await open(source, "r");
  let output: FileHandle | undefined;
  try {
    const { size } = await input.stat();
    const header = Buffer.alloc(12);
    await input.read(header, 0, 12, 0);
    if (header.toString("latin1", 0, 4) !== "RIFF" || header.toString("latin1", 8, 12) !== "WEBP")
      return false;
    output = await open(target, "wx", FILE_MODE);
    await output.write(header, 0, 12, 0);
    let readAt = 12;
    let writeAt = 12;
    const buffer = Buffer.alloc(64 * 1024);
    while (readAt + 8 <= size) {
      const chunkHeader = Buffer.alloc(8);
      await input.read(chunkHeader, 0, 8, readAt);
      const fourcc = chunkHeader.toString("latin1", 0, 4);
      const payloadBytes = chunkHeader.readUInt32LE(4);
      const paddedBytes = payloadBytes + (payloadBytes % 2); // chunks are padded to an even size
      if (readAt + 8 + paddedBytes > size) return false;
      if (WEBP_IMAGE_CHUNKS.has(fourcc)) {
        await output.write(chunkHeader, 0, 8, writeAt);
        for (let copied = 0; copied < paddedBytes; ) {
          const length = Math.min(buffer.length, paddedBytes - copied);
          await input.read(buffer, 0, length, readAt + 8 + copied);
          if (fourcc === "VP8X" && copied === 0) buffer[0] = (buffer[0] ?? 0) & ~VP8X_METADATA_FLAGS;
          await output.write(buffer, 0, length, writeAt + 8 + copied);
          copied += length;
        }
        writeAt += 8 + paddedBytes;
      }
      readAt += 8 + paddedBytes;
    }
    if (readAt !== size) return false;
    const riffSize = Buffer.alloc(4);
    riffSize.writeUInt32LE(writeAt - 8, 0);
    await output.write(riffSize, 0, 4, 4);
    return true;
  } finally {
    await input.close();
    await output?.close();
  }
}
