// The privacy notice a person reads, and so the one they consent to. A revision of the notice has one
// version across its languages (PRIVACY_NOTICE_VERSION, or the built-in notice's); each consent also
// records the language of the text the person was shown, because a translation is what they read.
//
// The built-in notice is in the catalogs, so it speaks every language the pages speak. An operator's own
// notice has a file per shipped language offered (config.ts refuses to start without one), so a page's
// language always has its text; only the pseudo-language, made from English for tests and
// translators, borrows another's: the English text, else the default language's.
import {
  DEFAULT_LANGUAGE,
  isLanguage,
  type Language,
  PSEUDO_LANGUAGE,
  SHIPPED_LANGUAGES,
  type ShippedLanguage,
} from "../i18n/languages.js";

/** The notice as configured (config.privacy): PRIVACY_NOTICE_VERSION and PRIVACY_NOTICE_FILE…. */
export interface PrivacyNoticeSettings {
  /** One version for every language's text of the same notice (the operator's, or the built-in's). */
  noticeVersion: string;
  /**
   * The operator's notice by language, the default language first and every shipped language
   * LANGUAGES offers present; null: the built-in notice, from the catalogs.
   */
  noticeTexts: ReadonlyMap<ShippedLanguage, string> | null;
}

/** The catalog ids of the built-in notice's paragraphs, in order. */
export const BUILT_IN_NOTICE_PARAGRAPHS = ["privacy.builtIn.p1", "privacy.builtIn.p2", "privacy.builtIn.p3"];

/**
 * The notice shown on a page in `pageLanguage`: the language of its text (the language a consent
 * records) and the operator's text, or null for the built-in notice (its paragraphs are in the catalogs).
 */
export function privacyNoticeFor(
  privacy: PrivacyNoticeSettings,
  pageLanguage: string,
): { language: Language; text: string | null } {
  const texts = privacy.noticeTexts;
  if (texts === null) {
    const isKnown = isLanguage(pageLanguage, [...SHIPPED_LANGUAGES, PSEUDO_LANGUAGE]);
    return { language: isKnown ? pageLanguage : DEFAULT_LANGUAGE, text: null };
  }
  for (const [language, text] of texts) if (language === pageLanguage) return { language, text };
  const english = texts.get("en");
  if (english !== undefined) return { language: "en", text: english };
  // config.ts puts the default language's text first, and never leaves the map empty.
  const [language, text] = [...texts][0] ?? [DEFAULT_LANGUAGE, ""];
  return { language, text };
}

/** The language of the notice's text shown on a page in `pageLanguage`. */
export function privacyNoticeLanguage(privacy: PrivacyNoticeSettings, pageLanguage: string): Language {
  return privacyNoticeFor(privacy, pageLanguage).language;
}

/** What a consent given now, on a page in `pageLanguage`, stores with the case. */
export function consentToNotice(
  privacy: PrivacyNoticeSettings,
  pageLanguage: string,
): { privacyNoticeVersion: string; privacyNoticeLanguage: Language } {
  return {
    privacyNoticeVersion: privacy.noticeVersion,
    privacyNoticeLanguage: privacyNoticeLanguage(privacy, pageLanguage),
  };
}

/** The notice's text as paragraphs: blank lines separate them. Rendered escaped, like any text. */
export function noticeParagraphs(text: string): string[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
}
