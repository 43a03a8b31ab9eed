// An upload refusal's particulars in the reader's language: the sizes and counts an English refusal
// wrote are said again with the language's own digits and units, not copied from the English sentence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBytes } from "../domain/fileSize.js";
import { catalogTranslator, englishTranslator } from "../i18n/translator.js";
import { translateUploadRefusal } from "./evidenceRefusals.js";

const MEGABYTE = 1024 * 1024;

test("a refusal's sizes are written in the page's language, and English reads as the server wrote it", () => {
  const refusal = `Each file can be at most ${formatBytes(1.5 * MEGABYTE)}; "scan.pdf" is larger.`;
  assert.equal(refusal, 'Each file can be at most 1.5 MB; "scan.pdf" is larger.');
  assert.equal(translateUploadRefusal(englishTranslator(), refusal), refusal);
  assert.equal(
    translateUploadRefusal(catalogTranslator("de"), refusal),
    "Jede Datei darf höchstens 1,5 MB groß sein; „scan.pdf“ ist größer.",
  );
  assert.equal(
    translateUploadRefusal(catalogTranslator("fr"), `The file is larger than ${formatBytes(20 * MEGABYTE)}.`),
    "Le fichier dépasse 20 Mo.",
  );
  // Every size of a case's refusal, a thousand-grouped one and a byte count included.
  const caseRefusal = `This case can take ${formatBytes(812)} more (it holds 3 of 10 files, ${formatBytes(1023.6 * 1024)} of ${formatBytes(100 * MEGABYTE)}). Choose smaller files. Nothing was kept.`;
  assert.match(caseRefusal, /812 bytes more .*1,024 KB of 100 MB/);
  assert.equal(
    translateUploadRefusal(catalogTranslator("fr"), caseRefusal),
    "Votre candidature peut encore recevoir 812 octets (elle contient 3 fichiers sur 10, 1\u202f024 Ko sur 100 Mo). Choisissez des fichiers plus petits. Rien n’a été conservé.",
  );
});

test("an image's pixel counts (spaced in thousands) and megapixel limit are said in the language", () => {
  const refusal = "The image declares 60 000 × 60 000 pixels; images can have at most 12.5 megapixels.";
  assert.equal(translateUploadRefusal(englishTranslator(), refusal), refusal);
  assert.equal(
    translateUploadRefusal(catalogTranslator("de"), refusal),
    "Das Bild gibt 60 000 × 60 000 Pixel an; Bilder dürfen höchstens 12,5 Megapixel haben.",
  );
});
