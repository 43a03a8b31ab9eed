// Evidence files with something inside for the checks to find: PDFs with active content (written by
// qpdf from a list of objects, optionally packed into compressed object streams, as real producers do),
// and photos carrying location and camera data (real pixels, metadata written by exiftool), with what
// exiftool reads back from a file. qpdf and exiftool are the programs the portal itself runs; the test
// orchestrator (scripts/test.ts) installs them.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { webpImage } from "./evidenceFixtures.js";

const run = promisify(execFile);

/** A PDF object as qpdf's JSON writes it: names "/Name", references "N 0 R", strings "u:text". */
export type PdfObject = Record<string, unknown>;
/** A stream object: its dictionary and its (uncompressed) data. */
export interface PdfStream {
  stream: { dict: PdfObject; data: string };
}

function isStream(object: PdfObject | PdfStream): object is PdfStream {
  return "stream" in object && typeof object.stream === "object";
}

/**
 * A one-page PDF whose catalog (object 1) and page (object 3) carry `catalog` and `page` entries, plus
 * `extra` objects numbered from 4 (a `{ stream: { dict, data } }` entry is a stream). With
 * `inObjectStreams`, qpdf packs every object that may be packed into compressed object streams, so the
 * dictionaries appear nowhere in the file's bytes.
 */
export async function pdfWith(options: {
  catalog?: PdfObject;
  page?: PdfObject;
  extra?: Array<PdfObject | PdfStream>;
  inObjectStreams?: boolean;
}): Promise<Buffer> {
  const objects: Record<string, unknown> = {
    "obj:1 0 R": { value: { "/Type": "/Catalog", "/Pages": "2 0 R", ...options.catalog } },
    "obj:2 0 R": { value: { "/Type": "/Pages", "/Kids": ["3 0 R"], "/Count": 1 } },
    "obj:3 0 R": {
      value: { "/Type": "/Page", "/Parent": "2 0 R", "/MediaBox": [0, 0, 200, 200], ...options.page },
    },
  };
  (options.extra ?? []).forEach((object, index) => {
    const key = `obj:${index + 4} 0 R`;
    objects[key] = isStream(object)
      ? {
          stream: {
            dict: object.stream.dict,
            data: Buffer.from(object.stream.data).toString("base64"),
          },
        }
      : { value: object };
  });
  const count = 3 + (options.extra?.length ?? 0);
  objects.trailer = { value: { "/Root": "1 0 R", "/Size": count + 1 } };
  const json = {
    version: 2,
    qpdf: [
      {
        jsonversion: 2,
        pdfversion: "1.7",
        pushedinheritedpageresources: false,
        calledgetallpages: false,
        maxobjectid: count,
      },
      objects,
    ],
  };
  return withTemporaryFolder(async (folder) => {
    const input = path.join(folder, "in.json");
    const output = path.join(folder, "out.pdf");
    await writeFile(input, JSON.stringify(json));
    await run("qpdf", [
      "--json-input",
      ...(options.inObjectStreams ? ["--object-streams=generate", "--compress-streams=y"] : []),
      input,
      output,
    ]);
    return readFile(output);
  });
}

/** The PDF, encrypted by qpdf with a password needed to open it. */
export async function passwordProtected(pdf: Buffer): Promise<Buffer> {
  return withTemporaryFolder(async (folder) => {
    const input = path.join(folder, "in.pdf");
    const output = path.join(folder, "out.pdf");
    await writeFile(input, pdf);
    await run("qpdf", ["--encrypt", "open-sesame", "owner-secret", "256", "--", input, output]);
    return readFile(output);
  });
}

/** Pixels of a small gradient, RGBA: something to compare once the image has been through the checks. */
function gradient(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let index = 0; index < width * height; index++) {
    data[index * 4] = (index * 3) % 256;
    data[index * 4 + 1] = (index * 7) % 256;
    data[index * 4 + 2] = (index * 13) % 256;
    data[index * 4 + 3] = 255;
  }
  return data;
}

/** Where the photo was "taken": a house in central London. */
export const PHOTO_LOCATION = { latitude: 51.5072, longitude: -0.1276 };

const LOCATION_AND_CAMERA = [
  `-GPSLatitude=${PHOTO_LOCATION.latitude}`,
  "-GPSLatitudeRef=N",
  `-GPSLongitude=${Math.abs(PHOTO_LOCATION.longitude)}`,
  "-GPSLongitudeRef=W",
  "-EXIF:Make=Acme Phones",
  "-EXIF:Model=Pocket 7",
  "-EXIF:SerialNumber=SN-0042",
  "-XMP-dc:Creator=Wren Applicant",
];

/** A JPEG photo with GPS, camera, XMP, IPTC and a comment, and an orientation (which must stay). */
export async function jpegWithLocation(): Promise<Buffer> {
  const width = 32;
  const height = 24;
  const encoded = jpeg.encode({ data: gradient(width, height), width, height }, 90).data;
  return withExiftool(encoded, "photo.jpg", [
    ...LOCATION_AND_CAMERA,
    "-IPTC:Keywords=home",
    "-File:Comment=taken at home",
    "-EXIF:Orientation#=6",
  ]);
}

/** A PNG with GPS and camera data (eXIf chunk), XMP and a text comment. */
export async function pngWithLocation(): Promise<Buffer> {
  const png = new PNG({ width: 20, height: 10 });
  gradient(20, 10).copy(png.data);
  return withExiftool(PNG.sync.write(png), "photo.png", [
    ...LOCATION_AND_CAMERA,
    "-PNG:Comment=taken at home",
  ]);
}

/**
 * A WebP with an EXIF chunk holding GPS and camera data and an XMP chunk (announced in its VP8X header),
 * around the fixture's lossless image chunk. (Debian's exiftool reads WebP but cannot write it, so the
 * chunks are assembled here from the EXIF exiftool wrote into a JPEG.)
 */
export async function webpWithLocation(): Promise<Buffer> {
  const exif = await withTemporaryFolder(async (folder) => {
    const photo = path.join(folder, "photo.jpg");
    await writeFile(photo, await jpegWithLocation());
    return (await run("exiftool", ["-b", "-EXIF", photo], { encoding: "buffer" })).stdout as Buffer;
  });
  const xmp = Buffer.from(
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Wren Applicant</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>',
  );
  const imageChunk = webpImageChunk();
  const vp8x = Buffer.alloc(10); // flags, reserved, canvas width − 1 and height − 1 (24 bits each): 1 × 1
  vp8x[0] = 0x08 | 0x04; // EXIF and XMP present
  const body = Buffer.concat([
    Buffer.from("WEBP"),
    riffChunk("VP8X", vp8x),
    imageChunk,
    riffChunk("EXIF", exif),
    riffChunk("XMP ", xmp),
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.from("RIFF"), size, body]);
}

/** The fixture's VP8L chunk (header and data), as it appears in any WebP that holds that image. */
export function webpImageChunk(): Buffer {
  return webpImage().subarray(12);
}

function riffChunk(fourcc: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourcc, 0, "latin1");
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload, payload.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** Every tag exiftool reads from the file, by group:name ("EXIF:GPSLatitude"), file facts left out. */
export async function metadataOf(bytes: Buffer): Promise<Record<string, unknown>> {
  return withTemporaryFolder(async (folder) => {
    const file = path.join(folder, "image");
    await writeFile(file, bytes);
    const { stdout } = await run("exiftool", ["-j", "-G", "-n", "-a", "--File:all", "--ExifTool:all", file]);
    const [tags] = JSON.parse(stdout) as [Record<string, unknown>];
    delete tags.SourceFile;
    return tags;
  });
}

/** The decoded pixels of a JPEG or PNG (RGBA). */
export function pixelsOf(bytes: Buffer, mediaType: "image/jpeg" | "image/png"): Buffer {
  if (mediaType === "image/png") return PNG.sync.read(bytes).data;
  return Buffer.from(jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true }).data);
}

async function withExiftool(bytes: Buffer, name: string, args: string[]): Promise<Buffer> {
  return withTemporaryFolder(async (folder) => {
    const file = path.join(folder, name);
    await writeFile(file, bytes);
    await run("exiftool", ["-q", "-overwrite_original", ...args, file]);
    return readFile(file);
  });
}

async function withTemporaryFolder<T>(use: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(path.join(tmpdir(), "vp-content-"));
  try {
    return await use(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
