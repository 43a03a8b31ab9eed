// Decides whether a received file is what the portal accepts, from its bytes, before anything is kept:
//   1. its content is sniffed (file-type) and must be on the allowlist (domain/evidenceTypes.ts);
//   2. the file must be complete: a cut-off upload or a damaged file is refused;
//   3. an image's header must not declare more pixels than allowed (nothing is decoded);
//   4. the name's extension and the type the browser declared must agree with the content.
// Every refusal says what is wrong in words the uploader can act on. The extension is read from the name
// as it is kept and shown (cleanDisplayName): cut at a control character, without direction overrides,
// so neither the check nor its message ever sees a character the person does not.
import { type FileHandle, open } from "node:fs/promises";
import { fileTypeFromFile } from "file-type";
import { imageSizeFromFile } from "image-size/fromFile";
import {
  EVIDENCE_TYPES_LABEL,
  type EvidenceMediaType,
  type EvidenceType,
  evidenceTypeOf,
} from "../domain/evidenceTypes.js";
import { cleanDisplayName } from "./displayName.js";

export interface EvidenceFileToInspect {
  /** The received file on disk. */
  path: string;
  /** The name the browser sent (as received, before cleaning). */
  originalName: string;
  /** The part's Content-Type as sent. */
  declaredType: string;
  sizeBytes: number;
}

export type EvidenceInspection = { ok: true; mediaType: EvidenceMediaType } | { ok: false; message: string };

// Older browsers and some operating systems name the same types differently.
const DECLARED_TYPE_ALIASES: Record<string, EvidenceMediaType> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/x-png": "image/png",
  "application/x-pdf": "application/pdf",
};

// file-type names an animated PNG apart; it is a PNG to every viewer that ignores the animation.
const SNIFFED_TYPE_ALIASES: Record<string, EvidenceMediaType> = { "image/apng": "image/png" };

export async function inspectEvidenceFile(
  file: EvidenceFileToInspect,
  options: { maxImagePixels: number },
): Promise<EvidenceInspection> {
  if (file.sizeBytes === 0) return refuse("The file is empty.");

  const type = await sniffType(file.path);
  if (!type) return refuse(`The file's content is not a ${EVIDENCE_TYPES_LABEL} file.`);

  if (!(await isComplete(file.path, file.sizeBytes, type.mediaType))) {
    return refuse(`The file is incomplete or damaged: it is not a whole ${typeName(type)}. Try again.`);
  }

  if (type.isImage) {
    const problem = await imageSizeProblem(file.path, options.maxImagePixels);
    if (problem) return refuse(problem);
  }

  const extension = extensionOf(cleanDisplayName(file.originalName));
  if (!type.extensions.includes(extension)) {
    const expected = type.extensions.join(" or ");
    return refuse(
      extension === ""
        ? `The name has no extension, but the content is a ${typeName(type)}: name it …${expected}.`
        : `The name ends in ${extension} but the content is a ${typeName(type)}.`,
    );
  }

  const declared = normaliseDeclaredType(file.declaredType);
  if (declared !== type.mediaType) {
    return refuse(
      `The file was sent as ${declared === "" ? "an unnamed type" : `"${declared}"`} but the content is a ${typeName(type)}.`,
    );
  }

  return { ok: true, mediaType: type.mediaType };
}

function refuse(message: string): EvidenceInspection {
  return { ok: false, message };
}

/** "PNG image", "PDF document". */
function typeName(type: EvidenceType): string {
  return `${type.label} ${type.isImage ? "image" : "document"}`;
}

async function sniffType(path: string): Promise<EvidenceType | undefined> {
  const sniffed = await fileTypeFromFile(path);
  if (!sniffed) return undefined;
  return evidenceTypeOf(SNIFFED_TYPE_ALIASES[sniffed.mime] ?? sniffed.mime);
}

/** ".pdf" (lower case) from "Scan.PDF"; "" when the name has none. The name is a cleaned one: no path. */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

/** "image/png" from "Image/PNG; charset=binary". */
function normaliseDeclaredType(declared: string): string {
  const essence = (declared.split(";")[0] ?? "").trim().toLowerCase();
  return DECLARED_TYPE_ALIASES[essence] ?? essence;
}

async function imageSizeProblem(path: string, maxImagePixels: number): Promise<string | null> {
  let width: number;
  let height: number;
  try {
    // image-size reads the header only (at most the first 512 KB); nothing is decoded.
    ({ width, height } = await imageSizeFromFile(path));
  } catch {
    return "The image's dimensions cannot be read from it, so it may be damaged.";
  }
  if (!(width > 0 && height > 0))
    return "The image's dimensions cannot be read from it, so it may be damaged.";
  if (width * height > maxImagePixels) {
    return `The image declares ${formatCount(width)} × ${formatCount(height)} pixels; images can have at most ${formatCount(maxImagePixels / 1_000_000)} megapixels.`;
  }
  return null;
}

/** "60 000": a space between thousands reads the same in every language. */
function formatCount(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 6 }).replaceAll(",", " ");
}

// Completeness checks. No library says whether a file is whole without decoding it (image decoders
// would, at the cost of decoding hostile input in this process), so these walk each format's container
// structure by hand: cheap, and they never interpret the compressed data. Each reads sequentially
// through a small buffer, so a large file is never held in memory.

async function isComplete(path: string, sizeBytes: number, mediaType: EvidenceMediaType): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const reader = new BufferedFileReader(handle, sizeBytes);
    switch (mediaType) {
      case "application/pdf":
        return await pdfHasEndMarker(reader, sizeBytes);
      case "image/png":
        return await pngReachesEnd(reader);
      case "image/jpeg":
        return await jpegReachesEnd(reader);
      case "image/gif":
        return await gifReachesTrailer(reader);
      case "image/webp":
        return await webpSizeMatches(reader, sizeBytes);
    }
  } finally {
    await handle.close();
  }
}

/**
 * A PDF ends with "%%EOF"; readers tolerate a little trailing data after it (up to 1 KB, as Acrobat
 * does), so that is where it is looked for.
 */
async function pdfHasEndMarker(reader: BufferedFileReader, sizeBytes: number): Promise<boolean> {
  const tailLength = Math.min(1024, sizeBytes);
  const tail = await reader.readAt(sizeBytes - tailLength, tailLength);
  return tail?.includes("%%EOF", 0, "latin1") ?? false;
}

/** A PNG is a signature and chunks (length, type, data, CRC); complete when the IEND chunk is whole. */
async function pngReachesEnd(reader: BufferedFileReader): Promise<boolean> {
  if (!(await reader.skip(8))) return false;
  for (;;) {
    const chunkHeader = await reader.read(8);
    if (!chunkHeader) return false;
    const length = chunkHeader.readUInt32BE(0);
    const type = chunkHeader.toString("latin1", 4, 8);
    if (!(await reader.skip(length + 4))) return false; // data and CRC
    if (type === "IEND") return true;
  }
}

/**
 * A JPEG is a series of marker segments; after each start-of-scan comes entropy-coded data, in which a
 * 0xFF byte is followed by 0x00 (stuffing) or a restart marker. Complete once the end-of-image marker
 * (FF D9) is reached through that structure. (Not merely "ends in FF D9": phones append data after the
 * image, and an embedded thumbnail has an FF D9 of its own.)
 */
async function jpegReachesEnd(reader: BufferedFileReader): Promise<boolean> {
  const start = await reader.read(2);
  if (start?.[0] !== 0xff || start[1] !== 0xd8) return false;
  let marker = await nextJpegMarker(reader);
  for (;;) {
    if (marker === null) return false;
    if (marker === 0xd9) return true;
    const isStandalone = (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01;
    if (isStandalone) {
      marker = await nextJpegMarker(reader);
      continue;
    }
    const lengthBytes = await reader.read(2);
    if (!lengthBytes) return false;
    const length = lengthBytes.readUInt16BE(0);
    if (length < 2 || !(await reader.skip(length - 2))) return false;
    marker = marker === 0xda ? await markerAfterEntropyData(reader) : await nextJpegMarker(reader);
  }
}

/** The code of the next marker (FF, any fill FFs, then the code); null at the end of the file. */
async function nextJpegMarker(reader: BufferedFileReader): Promise<number | null> {
  if ((await reader.byte()) !== 0xff) return null;
  for (;;) {
    const code = await reader.byte();
    if (code !== 0xff) return code === 0x00 ? null : code;
  }
}

/** Skips entropy-coded data; the first marker after it, or null at the end of the file. */
async function markerAfterEntropyData(reader: BufferedFileReader): Promise<number | null> {
  for (;;) {
    if (!(await reader.skipUntilByte(0xff))) return null;
    const code = await reader.byte();
    if (code === null) return null;
    if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) continue; // stuffing, restart marker
    if (code !== 0xff) return code;
    reader.unread(); // FF FF: the second FF may start the marker
  }
}

/**
 * A GIF is a header, a logical screen (with an optional colour table) and blocks: images and
 * extensions, each ending in a run of length-prefixed sub-blocks. Complete when the trailer (0x3B)
 * follows the last block.
 */
async function gifReachesTrailer(reader: BufferedFileReader): Promise<boolean> {
  const screen = await reader.read(13);
  if (!screen) return false;
  const screenFlags = screen.readUInt8(10);
  if (screenFlags & 0x80 && !(await reader.skip(3 * 2 ** ((screenFlags & 0x07) + 1)))) return false;
  for (;;) {
    const block = await reader.byte();
    if (block === 0x3b) return true;
    if (block === 0x21) {
      if ((await reader.byte()) === null || !(await skipGifSubBlocks(reader))) return false;
    } else if (block === 0x2c) {
      const descriptor = await reader.read(9);
      if (!descriptor) return false;
      const imageFlags = descriptor.readUInt8(8);
      if (imageFlags & 0x80 && !(await reader.skip(3 * 2 ** ((imageFlags & 0x07) + 1)))) return false;
      if ((await reader.byte()) === null || !(await skipGifSubBlocks(reader))) return false; // LZW size, data
    } else {
      return false;
    }
  }
}

async function skipGifSubBlocks(reader: BufferedFileReader): Promise<boolean> {
  for (;;) {
    const length = await reader.byte();
    if (length === null) return false;
    if (length === 0) return true;
    if (!(await reader.skip(length))) return false;
  }
}

/** A WebP is one RIFF container whose header states the size of everything after its first 8 bytes. */
async function webpSizeMatches(reader: BufferedFileReader, sizeBytes: number): Promise<boolean> {
  const header = await reader.read(12);
  return header !== null && header.readUInt32LE(4) + 8 === sizeBytes;
}

/** Sequential reads through one 64 KB buffer; every read past the end of the file answers null/false. */
class BufferedFileReader {
  private readonly buffer = Buffer.alloc(64 * 1024);
  /** The file offset of buffer[0], and how many bytes of the buffer hold file content. */
  private bufferStart = 0;
  private bufferLength = 0;
  private position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly sizeBytes: number,
  ) {}

  async byte(): Promise<number | null> {
    if (!(await this.fill(1))) return null;
    const value = this.buffer[this.position - this.bufferStart] ?? null;
    this.position += 1;
    return value;
  }

  /** Steps back over the byte just read. */
  unread(): void {
    this.position -= 1;
  }

  /** The next `length` bytes (at most the buffer's size), copied. */
  async read(length: number): Promise<Buffer | null> {
    if (!(await this.fill(length))) return null;
    const offset = this.position - this.bufferStart;
    this.position += length;
    return Buffer.from(this.buffer.subarray(offset, offset + length));
  }

  async readAt(offset: number, length: number): Promise<Buffer | null> {
    this.position = offset;
    return this.read(length);
  }

  async skip(length: number): Promise<boolean> {
    if (this.position + length > this.sizeBytes) {
      this.position = this.sizeBytes;
      return false;
    }
    this.position += length;
    return true;
  }

  /** Moves past the next occurrence of `value`; false when the file ends first. */
  async skipUntilByte(value: number): Promise<boolean> {
    while (await this.fill(1)) {
      const found = this.buffer.subarray(this.position - this.bufferStart, this.bufferLength).indexOf(value);
      if (found >= 0) {
        this.position += found + 1;
        return true;
      }
      this.position = this.bufferStart + this.bufferLength;
    }
    return false;
  }

  /** Makes sure the buffer holds the `length` bytes from the current position. */
  private async fill(length: number): Promise<boolean> {
    if (this.position + length > this.sizeBytes) return false;
    const isBuffered =
      this.position >= this.bufferStart && this.position + length <= this.bufferStart + this.bufferLength;
    if (isBuffered) return true;
    const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, this.position);
    this.bufferStart = this.position;
    this.bufferLength = bytesRead;
    return bytesRead >= length;
  }
}
