// The shipped catalogs are whole: every language has English's messages (staff pages' `staff.*` ones
// may wait: staff pages are English for now, so translating them later is data), each parses as ICU
// MessageFormat, uses the same arguments as English (a translation cannot drop "{name}" or invent
// "{nom}"), and the pseudo-language is built from English with every message accented.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type MessageFormatElement, parse, TYPE } from "@formatjs/icu-messageformat-parser";
import { SHIPPED_LANGUAGES } from "./languages.js";
import { loadTranslators, readCatalog, UnknownMessageError } from "./translator.js";

/** The names of the arguments a message uses, at any depth (inside plural and select branches too). */
function argumentsOf(elements: MessageFormatElement[], names = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
    names.add(element.value);
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      for (const option of Object.values(element.options)) argumentsOf(option.value, names);
    }
    if (element.type === TYPE.tag) argumentsOf(element.children, names);
  }
  return names;
}

/** The arguments that choose a plural form (they take numbers). */
function pluralArgumentsOf(elements: MessageFormatElement[], names = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.plural) names.add(element.value);
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      for (const option of Object.values(element.options)) pluralArgumentsOf(option.value, names);
    }
    if (element.type === TYPE.tag) pluralArgumentsOf(element.children, names);
  }
  return names;
}

const english = readCatalog("en");

/** Staff pages speak English for now: their messages are welcome in another catalog, not required. */
const isStaffMessage = (id: string) => id.startsWith("staff.");

describe("every shipped catalog", () => {
  for (const language of SHIPPED_LANGUAGES) {
    test(`${language}: English's messages (staff pages' may wait), each valid ICU with English's arguments`, () => {
      const catalog = readCatalog(language);
      const missing = Object.keys(english).filter((id) => !(id in catalog) && !isStaffMessage(id));
      const extra = Object.keys(catalog).filter((id) => !(id in english));
      assert.deepEqual(missing, [], `${language} lacks messages`);
      assert.deepEqual(extra, [], `${language} has messages English does not`);
      for (const [id, message] of Object.entries(catalog)) {
        assert.ok(message.trim() !== "", `${language} ${id} is empty`);
        const ours = [...argumentsOf(parse(message))].sort();
        const theirs = [...argumentsOf(parse(english[id] ?? ""))].sort();
        assert.deepEqual(ours, theirs, `${language} ${id} uses other arguments than English`);
      }
    });
  }
});

test("a message is formatted with its arguments, and dates in UTC in the language's own style", async () => {
  const translators = await loadTranslators(["en", "de", "fr"]);
  assert.equal(
    translators.for("de").t("language.choose", { language: "Deutsch" }),
    "Diese Website auf Deutsch anzeigen",
  );
  const moment = new Date("2026-03-04T23:30:00Z");
  assert.equal(translators.for("en").date(moment), "4 March 2026");
  assert.equal(translators.for("de").date(moment), "4. März 2026");
  assert.equal(translators.for("fr").date(moment), "4 mars 2026");
  assert.match(translators.for("en").dateTime(moment), /^4 March 2026(,| at) 23:30 UTC$/);
  assert.equal(translators.for("de").number(1234.5), "1.234,5");
  // An unknown language gets the first offered one; an id English lacks is a programming error.
  assert.equal(translators.for("xx").language, "en");
  assert.throws(() => translators.for("de").t("no.such.message"), UnknownMessageError);
});

test("the pseudo-language accents and lengthens every English message", async () => {
  const translators = await loadTranslators(["en", "en-XA"]);
  const pseudo = translators.for("en-XA");
  assert.equal(pseudo.language, "en-XA");
  for (const [id, message] of Object.entries(english)) {
    // Every argument filled in: a word for text and select arguments, a number for plural ones.
    const counted = pluralArgumentsOf(parse(message));
    const values = Object.fromEntries(
      [...argumentsOf(parse(message))].map((name) => [name, counted.has(name) ? 2 : "Deutsch"]),
    );
    const text = pseudo.t(id, values);
    assert.match(text, /^\[.*\]$/s, `${id} is bracketed`);
    assert.ok(text.length > translators.for("en").t(id, values).length, `${id} is longer`);
    assert.doesNotMatch(text.replaceAll("Deutsch", ""), /[a-z]{3}/, `${id} has no plain English words left`);
  }
});
