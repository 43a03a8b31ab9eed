// What a received file must be to be kept: real files of each accepted type pass; hostile ones (other
// content under an accepted name, cut-off files, headers declaring huge images) are refused with a
// message the uploader can act on.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  bareSvgImage,
  gifImage,
  htmlPage,
  jpegImage,
  pdfDocument,
  pngDeclaring,
  pngImage,
  svgImage,
  truncated,
  webpImage,
  zipArchive,
} from "../test/evidenceFixtures.js";
import { type EvidenceInspection, inspectEvidenceFile } from "./inspectEvidenceFile.js";

let directory: string;
let fileCounter = 0;
before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "vp-inspect-"));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const FIFTY_MEGAPIXELS = 50_000_000;

async function inspect(
  content: Buffer,
  originalName: string,
  declaredType: string,
  maxImagePixels = FIFTY_MEGAPIXELS,
): Promise<EvidenceInspection> {
  fileCounter += 1;
  const filePath = path.join(directory, `received-${fileCounter}`);
  await writeFile(filePath, content);
  return inspectEvidenceFile(
    { path: filePath, originalName, declaredType, sizeBytes: content.length },
    { maxImagePixels },
  );
}

const refusedWith = (message: string): EvidenceInspection => ({ ok: false, message });
const NOT_ALLOWED = refusedWith("The file's content is not a PDF, PNG, JPEG, GIF or WebP file.");

/** JPEG markers: an APP1 segment holding bytes that include an FF D9 (as an embedded thumbnail does). */
function jpegWithThumbnailMarker(): Buffer {
  const jpeg = jpegImage();
  const app1Body = Buffer.from([0x45, 0x78, 0x69, 0x66, 0x00, 0x00, 0xff, 0xd8, 0xff, 0xd9]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, app1Body.length + 2]), app1Body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

describe("inspectEvidenceFile", () => {
  test("each accepted type passes, named and declared as browsers do", async () => {
    assert.deepEqual(await inspect(pdfDocument(), "letter.pdf", "application/pdf"), {
      ok: true,
      mediaType: "application/pdf",
    });
    assert.deepEqual(await inspect(pngImage(), "scan.png", "image/png"), {
      ok: true,
      mediaType: "image/png",
    });
    assert.deepEqual(await inspect(jpegImage(), "photo.jpg", "image/jpeg"), {
      ok: true,
      mediaType: "image/jpeg",
    });
    assert.deepEqual(await inspect(jpegImage(), "photo.jpeg", "image/jpeg"), {
      ok: true,
      mediaType: "image/jpeg",
    });
    assert.deepEqual(await inspect(gifImage(), "badge.gif", "image/gif"), {
      ok: true,
      mediaType: "image/gif",
    });
    assert.deepEqual(await inspect(webpImage(), "id.webp", "image/webp"), {
      ok: true,
      mediaType: "image/webp",
    });
  });

  test("case and parameters do not matter; old names of the same type are understood", async () => {
    assert.deepEqual(await inspect(pdfDocument(), "LETTER.PDF", "Application/PDF; charset=binary"), {
      ok: true,
      mediaType: "application/pdf",
    });
    assert.deepEqual(await inspect(jpegImage(), "IMG_0001.JPG", "image/pjpeg"), {
      ok: true,
      mediaType: "image/jpeg",
    });
    assert.deepEqual(await inspect(pngImage(), "a.b.png", "image/x-png"), {
      ok: true,
      mediaType: "image/png",
    });
  });

  test("HTML, SVG, text and archives are refused whatever they are called", async () => {
    assert.deepEqual(await inspect(htmlPage(), "letter.pdf", "application/pdf"), NOT_ALLOWED);
    assert.deepEqual(await inspect(htmlPage(), "page.html", "text/html"), NOT_ALLOWED);
    assert.deepEqual(await inspect(svgImage(), "logo.png", "image/png"), NOT_ALLOWED);
    assert.deepEqual(await inspect(svgImage(), "logo.svg", "image/svg+xml"), NOT_ALLOWED);
    assert.deepEqual(await inspect(bareSvgImage(), "logo.png", "image/png"), NOT_ALLOWED);
    assert.deepEqual(
      await inspect(Buffer.from("just some text\n"), "notes.pdf", "application/pdf"),
      NOT_ALLOWED,
    );
    assert.deepEqual(await inspect(zipArchive(), "evidence.pdf", "application/pdf"), NOT_ALLOWED);
    assert.deepEqual(await inspect(zipArchive(), "evidence.zip", "application/zip"), NOT_ALLOWED);
  });

  test("the name's extension must match the content", async () => {
    assert.deepEqual(
      await inspect(pngImage(), "scan.pdf", "application/pdf"),
      refusedWith("The name ends in .pdf but the content is a PNG image."),
    );
    assert.deepEqual(
      await inspect(pdfDocument(), "letter.png", "image/png"),
      refusedWith("The name ends in .png but the content is a PDF document."),
    );
    assert.deepEqual(
      await inspect(jpegImage(), "photo", "image/jpeg"),
      refusedWith("The name has no extension, but the content is a JPEG image: name it ….jpg or .jpeg."),
    );
    assert.deepEqual(
      await inspect(pngImage(), "../../scan.png.exe", "image/png"),
      refusedWith("The name ends in .exe but the content is a PNG image."),
    );
  });

  test("the extension is read from the cleaned name, and the message quotes only what the person sees", async () => {
    // "report.‮fdp" shows as "report.pdf" in a right-to-left override: the override is not repeated.
    assert.deepEqual(
      await inspect(pdfDocument(), "report.\u202Efdp", "application/pdf"),
      refusedWith("The name ends in .fdp but the content is a PDF document."),
    );
    assert.deepEqual(
      await inspect(pngImage(), "scan.\u2066png\u2069.exe", "image/png"),
      refusedWith("The name ends in .exe but the content is a PNG image."),
    );
    // The name ends at a line break; its extension before it is right.
    assert.deepEqual(await inspect(pdfDocument(), "letter.pdf\r\nX-Injected: 1", "application/pdf"), {
      ok: true,
      mediaType: "application/pdf",
    });
    assert.deepEqual(await inspect(pngImage(), "scan.png\n", "image/png"), {
      ok: true,
      mediaType: "image/png",
    });
    // A NUL ends the name too: "evil.exe\0.png" is an .exe's name, whatever follows.
    assert.deepEqual(
      await inspect(pngImage(), "evil.exe\u0000.png", "image/png"),
      refusedWith("The name ends in .exe but the content is a PNG image."),
    );
    for (const name of ["report.\u202Efdp", "a.p\u0085df", "b.\u2028pdf"]) {
      const inspection = await inspect(pdfDocument(), name, "application/pdf");
      assert.ok(!inspection.ok);
      assert.doesNotMatch(inspection.message, /[\p{Cc}\p{Cf}\u2028\u2029]/u, JSON.stringify(name));
    }
  });

  test("the declared type must match the content", async () => {
    assert.deepEqual(
      await inspect(pngImage(), "scan.png", "application/pdf"),
      refusedWith('The file was sent as "application/pdf" but the content is a PNG image.'),
    );
    assert.deepEqual(
      await inspect(gifImage(), "badge.gif", "application/octet-stream"),
      refusedWith('The file was sent as "application/octet-stream" but the content is a GIF image.'),
    );
    assert.deepEqual(
      await inspect(gifImage(), "badge.gif", ""),
      refusedWith("The file was sent as an unnamed type but the content is a GIF image."),
    );
  });

  test("an empty file is refused", async () => {
    assert.deepEqual(
      await inspect(Buffer.alloc(0), "empty.pdf", "application/pdf"),
      refusedWith("The file is empty."),
    );
  });

  test("cut-off files are refused, for every type", async () => {
    const incomplete = (name: string) =>
      refusedWith(`The file is incomplete or damaged: it is not a whole ${name}. Try again.`);
    const png = pngImage(4, 4);
    assert.deepEqual(
      await inspect(truncated(png, png.length - 1), "a.png", "image/png"),
      incomplete("PNG image"),
    );
    assert.deepEqual(
      await inspect(truncated(png, png.length - 12), "a.png", "image/png"),
      incomplete("PNG image"),
    );
    assert.deepEqual(await inspect(truncated(png, 40), "a.png", "image/png"), incomplete("PNG image"));
    const jpeg = jpegImage();
    assert.deepEqual(
      await inspect(truncated(jpeg, jpeg.length - 2), "a.jpg", "image/jpeg"),
      incomplete("JPEG image"),
    );
    assert.deepEqual(await inspect(truncated(jpeg, 100), "a.jpg", "image/jpeg"), incomplete("JPEG image"));
    const jpegWithThumbnail = jpegWithThumbnailMarker();
    assert.deepEqual(await inspect(jpegWithThumbnail, "a.jpg", "image/jpeg"), {
      ok: true,
      mediaType: "image/jpeg",
    });
    assert.deepEqual(
      await inspect(truncated(jpegWithThumbnail, jpegWithThumbnail.length - 2), "a.jpg", "image/jpeg"),
      incomplete("JPEG image"),
      "the thumbnail's end marker is not the image's",
    );
    const gif = gifImage();
    assert.deepEqual(
      await inspect(truncated(gif, gif.length - 1), "a.gif", "image/gif"),
      incomplete("GIF image"),
    );
    assert.deepEqual(await inspect(truncated(gif, 30), "a.gif", "image/gif"), incomplete("GIF image"));
    const webp = webpImage();
    assert.deepEqual(
      await inspect(truncated(webp, webp.length - 1), "a.webp", "image/webp"),
      incomplete("WebP image"),
    );
    const pdf = pdfDocument();
    assert.deepEqual(
      await inspect(truncated(pdf, pdf.length - 7), "a.pdf", "application/pdf"),
      incomplete("PDF document"),
    );
    assert.deepEqual(
      await inspect(truncated(pdf, 300), "a.pdf", "application/pdf"),
      incomplete("PDF document"),
    );
  });

  test("data after the end of an image is tolerated (phones append their own)", async () => {
    const withTrailer = Buffer.concat([jpegImage(), Buffer.from("SEFHmotion-photo-data")]);
    assert.deepEqual(await inspect(withTrailer, "photo.jpg", "image/jpeg"), {
      ok: true,
      mediaType: "image/jpeg",
    });
    const pdfWithNewlines = Buffer.concat([pdfDocument(), Buffer.alloc(500, 0x0a)]);
    assert.deepEqual(await inspect(pdfWithNewlines, "a.pdf", "application/pdf"), {
      ok: true,
      mediaType: "application/pdf",
    });
  });

  test("an image whose header declares too many pixels is refused before anything is decoded", async () => {
    assert.deepEqual(
      await inspect(pngDeclaring(60_000, 60_000), "huge.png", "image/png"),
      refusedWith("The image declares 60 000 × 60 000 pixels; images can have at most 50 megapixels."),
    );
    assert.deepEqual(await inspect(pngDeclaring(10, 10), "edge.png", "image/png", 100), {
      ok: true,
      mediaType: "image/png",
    });
    assert.deepEqual(
      await inspect(pngDeclaring(101, 1), "edge.png", "image/png", 100),
      refusedWith("The image declares 101 × 1 pixels; images can have at most 0.0001 megapixels."),
    );
  });

  test("an image whose dimensions cannot be read is refused", async () => {
    assert.deepEqual(
      await inspect(pngDeclaring(0, 0), "zero.png", "image/png"),
      refusedWith("The image's dimensions cannot be read from it, so it may be damaged."),
    );
  });
});
