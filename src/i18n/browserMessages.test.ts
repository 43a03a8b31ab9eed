// A counted message finished in the browser reads exactly as the server would have written it, for
// every count and in every language: the form chosen by Intl.PluralRules, the number by
// Intl.NumberFormat, as static/js/evidence-upload.js does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type MessageFormatElement, parse, TYPE } from "@formatjs/icu-messageformat-parser";
import { fileSizeParts } from "../domain/fileSize.js";
import { type CountedMessage, countedMessage } from "./browserMessages.js";
import { FORMAT_LOCALES, SHIPPED_LANGUAGES } from "./languages.js";
import { loadTranslators, readCatalog } from "./translator.js";

/** What the upload script does with a counted message (static/js/evidence-upload.js messagesOf). */
function finishInBrowser(forms: CountedMessage, locale: string, argument: string, count: number): string {
  const form = forms[new Intl.PluralRules(locale).select(count)] ?? forms.other ?? "";
  return form.replaceAll(`{${argument}}`, new Intl.NumberFormat(locale).format(count));
}

/** The counted messages of views/partials/evidence-upload.njk. */
const COUNTED_MESSAGES = [
  "upload.script.allUploaded",
  "upload.script.caseFilesLeft",
  "upload.script.someUploaded",
  "upload.script.stillUploading",
];
const COUNTS = [0, 1, 2, 3, 5, 11, 21, 101, 1_000, 1_000_000];

test("a counted message finished in the browser reads as the server writes it, in every language", async () => {
  const translators = await loadTranslators([...SHIPPED_LANGUAGES, "en-XA"]);
  for (const language of [...SHIPPED_LANGUAGES, "en-XA"] as const) {
    const translator = translators.for(language);
    const locale = FORMAT_LOCALES[language];
    for (const id of COUNTED_MESSAGES) {
      const forms = countedMessage(translator, id, "count");
      for (const count of COUNTS) {
        assert.equal(
          finishInBrowser(forms, locale, "count", count),
          translator.t(id, { count }),
          `${language} ${id} ${count}`,
        );
      }
    }
    // A size the same way, unit by unit.
    for (const bytes of [0, 1, 2, 812, 1024, 1536, 4_700_000, 20 * 1024 * 1024, 3 * 1024 ** 3]) {
      const { size, unit } = fileSizeParts(bytes);
      const forms = countedMessage(translator, "units.fileSize", "size", { unit });
      assert.equal(
        finishInBrowser(forms, locale, "size", size),
        translator.fileSize(bytes),
        `${language} ${bytes}`,
      );
    }
  }
  // French has a form for a million that English lacks, and it is there to pick.
  const french = countedMessage(translators.for("fr"), "upload.script.stillUploading", "count");
  assert.deepEqual(Object.keys(french).sort(), ["many", "one", "other"]);
  assert.equal(french.one, "{count} fichier encore en cours de téléversement.");
});

/** Whether any plural in `elements` has an exact-number branch ("=0", "=1"). */
function hasExactBranch(elements: MessageFormatElement[]): boolean {
  return elements.some((element) => {
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      if (element.type === TYPE.plural && Object.keys(element.options).some((key) => key.startsWith("=")))
        return true;
      return Object.values(element.options).some((option) => hasExactBranch(option.value));
    }
    return element.type === TYPE.tag && hasExactBranch(element.children);
  });
}

test("the upload script's messages choose plural forms by category alone, the only thing the browser knows of a number", () => {
  for (const language of SHIPPED_LANGUAGES) {
    const catalog = readCatalog(language);
    const exact = Object.keys(catalog).filter(
      (id) =>
        (id.startsWith("upload.script.") || id === "units.fileSize") &&
        hasExactBranch(parse(catalog[id] ?? "")),
    );
    assert.deepEqual(exact, [], `${language}: messages with an "=n" branch`);
  }
  assert.equal(hasExactBranch(parse("{count, plural, =0 {none} other {#}}")), true);
});
