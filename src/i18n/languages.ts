// The languages the applicant side speaks. A shipped language has a complete catalog in ./catalogs (a
// test compares every catalog's keys and ICU arguments with English's). Staff pages stay in English for
// now, but take their strings from the same catalogs, so translating them later is data, not code.

export const SHIPPED_LANGUAGES = ["en", "de", "fr"] as const;
export type ShippedLanguage = (typeof SHIPPED_LANGUAGES)[number];

/**
 * A pseudo-language made from English at start-up (accented, lengthened, bracketed), for tests and
 * translators: any text that shows up without accents did not come from a catalog, and any layout that
 * breaks with 40 % longer words will break in German. Never offered in production.
 */
export const PSEUDO_LANGUAGE = "en-XA";

export type Language = ShippedLanguage | typeof PSEUDO_LANGUAGE;

export const DEFAULT_LANGUAGE: ShippedLanguage = "en";

/** Each language's own name, as its speakers look for it in the switcher. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
  "en-XA": "[Ƥşḗḗŭŭḓǿǿ]",
};

/**
 * The locale dates and numbers are formatted in. English keeps the portal's British conventions
 * ("7 December 2026, 09:00"), which read unambiguously to most non-native readers too.
 */
export const FORMAT_LOCALES: Record<Language, string> = {
  en: "en-GB",
  de: "de-DE",
  fr: "fr-FR",
  "en-XA": "en-GB",
};

export function isLanguage(value: unknown, offered: readonly Language[]): value is Language {
  return typeof value === "string" && (offered as readonly string[]).includes(value);
}

/**
 * A language's name as readers of another language call it ("de" for English readers: "German"), from
 * the runtime's CLDR data, so that naming the languages again for a new page language is no work at all.
 */
export function languageNameIn(readerLanguage: Language, tag: string): string {
  try {
    return new Intl.DisplayNames([FORMAT_LOCALES[readerLanguage]], { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}
