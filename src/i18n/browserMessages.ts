// Messages a page's script finishes in the browser (static/js/evidence-upload.js), where a number is only
// known there: how many files, a file's size. The catalog's ICU message is formatted here, once per plural
// category of the page's language (English: one, other; French: one, many, other), with the number left as
// a "{count}" placeholder; the script picks the form with Intl.PluralRules in the same locale and puts in
// the number it formats with Intl.NumberFormat. So the browser needs no ICU parser, the catalogs keep
// ordinary plural messages with "#", and a language with more forms than English gets all of its own.
//
// One rule follows for the messages used this way: their plural branches are chosen by category alone
// (no "=0" or "=1"), since a category is all the browser knows of a number (a catalog test checks it).

import { FORMAT_LOCALES } from "./languages.js";
import type { MessageValues, Translator } from "./translator.js";

/** The forms of a counted message, by plural category, each with "{<argument>}" where the number goes. */
export type CountedMessage = Partial<Record<Intl.LDMLPluralRule, string>>;

const representativesByLocale = new Map<string, Map<Intl.LDMLPluralRule, number>>();

/**
 * A whole number in each plural category whole numbers reach (the smallest), by which a message is
 * formatted in that category's form. A category only fractions reach is not needed: counts are whole,
 * and sizes in KB, MB and GB read the same in every form.
 */
function representativesOf(locale: string): Map<Intl.LDMLPluralRule, number> {
  let representatives = representativesByLocale.get(locale);
  if (!representatives) {
    const rules = new Intl.PluralRules(locale);
    representatives = new Map();
    for (const count of [...Array.from({ length: 1000 }, (_, index) => index), 1_000_000]) {
      const category = rules.select(count);
      if (!representatives.has(category)) representatives.set(category, count);
    }
    representativesByLocale.set(locale, representatives);
  }
  return representatives;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The message `id` in every plural form of `argument` (a number), the number written "{argument}".
 * `values` fill the message's other arguments; one the script fills in is given as its own placeholder
 * ({ name: "{name}" }). They must hold no digits: the number is found in each form by its digits.
 */
export function countedMessage(
  translator: Translator,
  id: string,
  argument: string,
  values: MessageValues = {},
): CountedMessage {
  const forms: CountedMessage = {};
  for (const [category, count] of representativesOf(FORMAT_LOCALES[translator.language])) {
    const text = translator.t(id, { ...values, [argument]: count });
    // "#" and {count, number} write the number in the language's digits, a bare {count} as it is.
    const written = [...new Set([translator.number(count), String(count)])].map(escapeRegExp);
    forms[category] = text.replace(
      new RegExp(`(?<!\\d)(?:${written.join("|")})(?!\\d)`, "g"),
      `{${argument}}`,
    );
  }
  return forms;
}
