// The checks every received file goes through before it is kept, on real files with the real programs
// (clamd with our own signatures, qpdf, exiftool): malware refused by name, PDFs that could run or open
// something refused (or flagged), also when the dictionaries hide in compressed object streams, and
// photos cleaned of their location and camera data with their pixels untouched.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { EvidenceMediaType } from "../domain/evidenceTypes.js";
import {
  EICAR_TEST_FILE,
  PORTAL_TEST_MARKER,
  startTestClamd,
  TEST_SIGNATURES,
  type TestClamd,
} from "../test/clamd.js";
import {
  jpegWithLocation,
  metadataOf,
  PHOTO_LOCATION,
  passwordProtected,
  pdfWith,
  pixelsOf,
  pngWithLocation,
  webpImageChunk,
  webpWithLocation,
} from "../test/evidenceContent.js";
import { sha256Of } from "../test/evidenceFiles.js";
import { jpegImage, pdfDocument, pngImage, webpImage } from "../test/evidenceFixtures.js";
import { checkEvidenceFile, type EvidenceFileCheck, type EvidenceFileChecks } from "./checkEvidenceFile.js";
import { createMalwareScanner, MalwareScannerUnavailable } from "./scanForMalware.js";

const KNOWN_BAD_PDF = pdfDocument("A document listed by its hash");

let clamd: TestClamd;
let directory: string;
before(async () => {
  clamd = await startTestClamd({ wholeFiles: [KNOWN_BAD_PDF] });
  directory = await mkdtemp(path.join(tmpdir(), "vp-check-"));
});
after(async () => {
  await clamd.close();
  await rm(directory, { recursive: true, force: true });
});

const EXTENSIONS: Record<EvidenceMediaType, string> = {
  "application/pdf": ".pdf",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
};

function checks(
  overrides: Partial<EvidenceFileChecks["limits"]> = {},
  withScanner = true,
): EvidenceFileChecks {
  return {
    limits: {
      maxImagePixels: 50_000_000,
      pdfActiveContent: "refuse",
      isMetadataStripped: true,
      ...overrides,
    },
    scanner: withScanner
      ? createMalwareScanner({ socketPath: clamd.socketPath }, { timeoutMs: 5_000 })
      : null,
  };
}

let counter = 0;
async function check(
  bytes: Buffer,
  mediaType: EvidenceMediaType,
  using: EvidenceFileChecks = checks(),
): Promise<{ result: EvidenceFileCheck; filePath: string }> {
  counter += 1;
  const filePath = path.join(directory, `received-${counter}`);
  await writeFile(filePath, bytes);
  const result = await checkEvidenceFile(
    {
      path: filePath,
      originalName: `evidence${EXTENSIONS[mediaType]}`,
      declaredType: mediaType,
      sizeBytes: bytes.length,
      sha256: sha256Of(bytes),
    },
    using,
  );
  return { result, filePath };
}

describe("malware", () => {
  test("EICAR inside a real PDF, our marker inside a real PNG and a file listed by hash are refused by name", async () => {
    const eicarPdf = pdfDocument(EICAR_TEST_FILE.toString("latin1"));
    const markedPng = Buffer.concat([pngImage(8, 8), PORTAL_TEST_MARKER]); // after IEND: viewers ignore it
    for (const [bytes, mediaType, signature] of [
      [eicarPdf, "application/pdf", TEST_SIGNATURES.eicar],
      [markedPng, "image/png", TEST_SIGNATURES.marker],
      [KNOWN_BAD_PDF, "application/pdf", `${TEST_SIGNATURES.wholeFile}0`],
    ] as const) {
      const { result } = await check(bytes, mediaType);
      assert.deepEqual(result, {
        ok: false,
        reason: "malware",
        message:
          "The virus scanner found malware in the file, so it was not kept. If you did not expect that, scan your device and send a fresh copy of the document.",
        signature: `${signature}.UNOFFICIAL`,
      });
    }
  });

  test("the same files pass when scanning is off, and clean files pass the scanner", async () => {
    const { result } = await check(KNOWN_BAD_PDF, "application/pdf", checks({}, false));
    assert.equal(result.ok, true);
    const clean = await check(pdfDocument("Clean"), "application/pdf");
    assert.equal(clean.result.ok, true);
  });

  test("a stopped clamd gives no verdict: the check throws, it never says clean", async () => {
    await clamd.stop();
    try {
      await assert.rejects(check(pdfDocument("Clean"), "application/pdf"), MalwareScannerUnavailable);
    } finally {
      await clamd.start();
    }
  });

  test("the content checks come first: EICAR as a bare text file is refused as not a PDF", async () => {
    const { result } = await check(EICAR_TEST_FILE, "application/pdf");
    assert.deepEqual(result, {
      ok: false,
      reason: "content",
      message: "The file's content is not a PDF, PNG, JPEG, GIF or WebP file.",
    });
  });
});

describe("active content in PDFs", () => {
  const action = (kind: string, extra: Record<string, unknown> = {}) => ({ "/S": kind, ...extra });
  const constructs: Array<{
    name: string;
    found: string;
    pdf: Parameters<typeof pdfWith>[0];
  }> = [
    {
      name: "document JavaScript (/Names /JavaScript, /JS)",
      found: "JavaScript",
      pdf: {
        catalog: { "/Names": { "/JavaScript": { "/Names": ["u:init", "4 0 R"] } } },
        extra: [action("/JavaScript", { "/JS": "u:app.alert(1)" })],
      },
    },
    {
      name: "a launch action on a link",
      found: "an action that launches a program",
      pdf: {
        page: { "/Annots": ["4 0 R"] },
        extra: [
          {
            "/Type": "/Annot",
            "/Subtype": "/Link",
            "/Rect": [0, 0, 50, 50],
            "/A": action("/Launch", { "/F": "u:calc.exe" }),
          },
        ],
      },
    },
    {
      name: "an open action",
      found: "an action that runs when it is opened",
      pdf: { catalog: { "/OpenAction": "4 0 R" }, extra: [action("/GoTo", { "/D": ["3 0 R", "/Fit"] })] },
    },
    {
      name: "additional actions on a page",
      found: "actions that run on page or form events",
      pdf: { page: { "/AA": { "/O": "4 0 R" } }, extra: [action("/GoTo", { "/D": ["3 0 R", "/Fit"] })] },
    },
    {
      name: "an embedded file",
      found: "embedded files",
      pdf: {
        catalog: { "/Names": { "/EmbeddedFiles": { "/Names": ["u:payload.exe", "4 0 R"] } } },
        extra: [
          { "/Type": "/Filespec", "/F": "u:payload.exe", "/EF": { "/F": "5 0 R" } },
          { stream: { dict: { "/Type": "/EmbeddedFile" }, data: "MZ not really a program" } },
        ],
      },
    },
    {
      name: "rich media",
      found: "rich media (Flash, video or 3D)",
      pdf: {
        page: { "/Annots": ["4 0 R"] },
        extra: [{ "/Type": "/Annot", "/Subtype": "/RichMedia", "/Rect": [0, 0, 50, 50] }],
      },
    },
    {
      name: "an XFA form",
      found: "an XFA form",
      pdf: {
        catalog: { "/AcroForm": { "/Fields": [], "/XFA": "4 0 R" } },
        extra: [{ stream: { dict: {}, data: "<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>" } }],
      },
    },
  ];

  for (const construct of constructs) {
    for (const inObjectStreams of [false, true]) {
      test(`${construct.name} is refused${inObjectStreams ? ", also inside a compressed object stream" : ""}`, async () => {
        const pdf = await pdfWith({ ...construct.pdf, inObjectStreams });
        if (inObjectStreams) {
          // Proof that the bytes alone would not tell: the dictionaries are compressed.
          for (const name of [
            "/JavaScript",
            "/Launch",
            "/OpenAction",
            "/AA",
            "/EmbeddedFiles",
            "/RichMedia",
            "/XFA",
          ])
            assert.equal(pdf.includes(name), false, `${name} is not in the file's bytes`);
        }
        const { result } = await check(pdf, "application/pdf");
        assert.deepEqual(result, {
          ok: false,
          reason: "active_content",
          message: `The PDF contains ${construct.found}, which a PDF viewer could run or open on its own, so it was not kept. Print it to a new PDF (or scan the paper) and upload that.`,
        });
      });
    }
  }

  test("several at once are all named", async () => {
    const pdf = await pdfWith({
      catalog: { "/OpenAction": "4 0 R", "/AcroForm": { "/Fields": [], "/XFA": [] } },
      extra: [action("/JavaScript", { "/JS": "u:app.alert(1)" })],
      inObjectStreams: true,
    });
    const { result } = await check(pdf, "application/pdf");
    assert.equal(
      result.ok === false && result.message.split(", which")[0],
      "The PDF contains JavaScript, an action that runs when it is opened and an XFA form",
    );
  });

  test("ordinary PDFs pass: a page destination on opening only turns to a page", async () => {
    for (const pdf of [
      pdfDocument("Plain"),
      await pdfWith({ catalog: { "/OpenAction": ["3 0 R", "/Fit"] }, inObjectStreams: true }),
      await pdfWith({ page: { "/AA": {} } }),
    ]) {
      const { result } = await check(pdf, "application/pdf");
      assert.equal(result.ok, true, JSON.stringify(result));
    }
  });

  test("with EVIDENCE_PDF_ACTIVE=flag the file is kept and what it holds is reported", async () => {
    const pdf = await pdfWith({
      catalog: { "/Names": { "/JavaScript": { "/Names": ["u:init", "4 0 R"] } } },
      extra: [action("/JavaScript", { "/JS": "u:app.alert(1)" })],
      inObjectStreams: true,
    });
    const { result } = await check(pdf, "application/pdf", checks({ pdfActiveContent: "flag" }));
    assert.deepEqual(result, {
      ok: true,
      mediaType: "application/pdf",
      sha256: sha256Of(pdf),
      sizeBytes: pdf.length,
      activeContent: ["javascript"],
      wasMetadataRemoved: false,
    });
  });

  test("a PDF qpdf cannot read is refused as damaged, and an encrypted one as protected", async () => {
    const damaged = Buffer.from("%PDF-1.4\nnot a pdf at all, but it ends like one\n%%EOF\n");
    const { result } = await check(damaged, "application/pdf");
    assert.deepEqual(result, {
      ok: false,
      reason: "content",
      message:
        "The PDF cannot be read, so its content cannot be checked. It may be damaged: save it again and upload that.",
    });
    const locked = await check(await passwordProtected(pdfDocument("Secret")), "application/pdf");
    assert.deepEqual(locked.result, {
      ok: false,
      reason: "content",
      message:
        "The PDF is protected by a password, so its content cannot be checked. Upload it without the password.",
    });
  });
});

describe("location and camera data", () => {
  for (const [name, make, mediaType] of [
    ["JPEG", jpegWithLocation, "image/jpeg"],
    ["PNG", pngWithLocation, "image/png"],
  ] as const) {
    test(`a ${name} loses GPS, camera, XMP, IPTC and comments; its pixels are unchanged`, async () => {
      const photo = await make();
      const before = await metadataOf(photo);
      assert.equal(before["EXIF:GPSLatitude"], PHOTO_LOCATION.latitude);
      assert.equal(before["EXIF:Make"], "Acme Phones");
      assert.equal(before["XMP:Creator"], "Wren Applicant");

      const { result, filePath } = await check(photo, mediaType);
      const stored = await readFile(filePath);
      assert.deepEqual(result, {
        ok: true,
        mediaType,
        sha256: sha256Of(stored),
        sizeBytes: stored.length,
        activeContent: [],
        wasMetadataRemoved: true,
      });
      assert.notEqual(sha256Of(stored), sha256Of(photo));
      const after = await metadataOf(stored);
      const left = Object.keys(after).filter((tag) => /^(EXIF|XMP|IPTC|MakerNotes|PNG|File):/.test(tag));
      // What the image is (its header) and how it shows (orientation, pixel density) may stay.
      const describesTheImage =
        /^(EXIF:(Orientation|XResolution|YResolution|ResolutionUnit|YCbCrPositioning)|PNG:(ImageWidth|ImageHeight|BitDepth|ColorType|Compression|Filter|Interlace))$/;
      assert.deepEqual(
        left.filter((tag) => !describesTheImage.test(tag)),
        [],
        "nothing of the place, the camera or the person is left",
      );
      for (const tag of Object.keys(after))
        assert.doesNotMatch(tag, /GPS|Make|Model|Serial|Creator|Keywords|Comment/);
      if (mediaType === "image/jpeg")
        assert.equal(after["EXIF:Orientation"], 6, "the photo still shows upright");
      assert.deepEqual(
        pixelsOf(stored, mediaType),
        pixelsOf(photo, mediaType),
        "the same pixels, not re-encoded",
      );
      assert.equal((await stat(filePath)).mode & 0o777, 0o640);
    });
  }

  test("a WebP loses its EXIF and XMP chunks; its image chunk is copied byte for byte", async () => {
    const photo = await webpWithLocation();
    assert.equal((await metadataOf(photo))["EXIF:GPSLatitude"], PHOTO_LOCATION.latitude);
    const { result, filePath } = await check(photo, "image/webp");
    const stored = await readFile(filePath);
    assert.equal(result.ok && result.wasMetadataRemoved, true);
    assert.equal(result.ok && result.sha256, sha256Of(stored));
    const after = await metadataOf(stored);
    assert.deepEqual(
      Object.keys(after).filter((tag) => /GPS|Make|Model|Creator|XMP|EXIF/.test(tag)),
      [],
    );
    // The compressed image data (VP8L) is the pixels: the same bytes, so the same picture.
    assert.ok(stored.includes(webpImageChunk()));
    assert.equal(stored.readUInt32LE(4), stored.length - 8, "the RIFF size is that of the cleaned file");
    assert.equal((stored[20] ?? 0) & 0x0c, 0, "the VP8X header no longer announces EXIF or XMP");
  });

  test("images without such data are kept as they are (same bytes, same digest)", async () => {
    for (const [bytes, mediaType] of [
      [jpegImage(), "image/jpeg"],
      [pngImage(4, 4), "image/png"],
      [webpImage(), "image/webp"],
    ] as const) {
      const { result, filePath } = await check(bytes, mediaType);
      assert.equal(result.ok && result.wasMetadataRemoved, false);
      assert.equal(result.ok && result.sha256, sha256Of(bytes));
      assert.deepEqual(await readFile(filePath), bytes);
    }
  });

  test("with EVIDENCE_STRIP_METADATA=off the photo is kept as sent", async () => {
    const photo = await jpegWithLocation();
    const { result, filePath } = await check(photo, "image/jpeg", checks({ isMetadataStripped: false }));
    assert.equal(result.ok && result.wasMetadataRemoved, false);
    assert.deepEqual(await readFile(filePath), photo);
  });
});
