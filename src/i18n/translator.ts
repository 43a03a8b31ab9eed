// Messages, dates and numbers in one language, through FormatJS (ICU MessageFormat: plural, select and
// argument formatting). Catalogs are flat JSON files, one per language, keyed by dotted ids
// ("apply.heading"); English is the source every other catalog is checked against.
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MessageFormatElement } from "@formatjs/icu-messageformat-parser";
import { createIntl, createIntlCache, type IntlShape } from "@formatjs/intl";
import { fileSizeParts } from "../domain/fileSize.js";
import { projectRoot } from "../projectRoot.js";
import {
  DEFAULT_LANGUAGE,
  FORMAT_LOCALES,
  type Language,
  PSEUDO_LANGUAGE,
  SHIPPED_LANGUAGES,
  type ShippedLanguage,
} from "./languages.js";

/**
 * Beside this module: src/i18n/catalogs in development and tests, dist/src/i18n/catalogs in the
 * production build, which does not ship src/ (tsc does not copy them: `copyCatalogs` does, for
 * scripts/buildStatic.ts).
 */
export const catalogsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "catalogs");

/** Copies the checkout's catalogs beside a build's compiled translator (`<buildDir>/src/i18n/catalogs`). */
export function copyCatalogs(buildDir: string): void {
  const sources = path.join(projectRoot, "src", "i18n", "catalogs");
  cpSync(sources, path.join(buildDir, "src", "i18n", "catalogs"), { recursive: true });
}

export type Catalog = Record<string, string>;
type CompiledCatalog = Record<string, string | MessageFormatElement[]>;

/** The values a message may take: ICU arguments are strings, numbers and dates. */
export type MessageValues = Record<string, string | number | Date | null | undefined>;

export interface Translator {
  /** The BCP 47 tag of the language, for `lang` attributes and Content-Language. */
  readonly language: Language;
  /** The message `id` with its ICU arguments filled in; an id that English lacks is a programming error. */
  t(id: string, values?: MessageValues): string;
  /** Whether the catalog has `id` (for optional texts such as per-state hints). */
  has(id: string): boolean;
  /** "7 December 2026" / "7. Dezember 2026", always in UTC. */
  date(value: Date | string): string;
  /** "7 December 2026, 09:00 UTC" / "7. Dezember 2026 um 09:00 UTC". */
  dateTime(value: Date | string): string;
  number(value: number): string;
  /** "4.5 KB" / "4,5 KB" / "4,5 Ko": a file size in the unit people would use. */
  fileSize(bytes: number): string;
  /** "PDF, PNG or JPEG" / "PDF, PNG oder JPEG": a choice among items, in the language's own words. */
  orList(items: readonly string[]): string;
  /**
   * A message that is either a catalog id (validation messages, notices, refusals: code that has no
   * translator hands the id to the page) or text that is already in the page's words (what a person
   * typed, a staff-side message): ids are translated, anything else is shown as it is.
   */
  message(idOrText: string | null | undefined, values?: MessageValues): string;
}

export function readCatalog(language: ShippedLanguage): Catalog {
  return JSON.parse(readFileSync(path.join(catalogsDir, `${language}.json`), "utf8")) as Catalog;
}

export class UnknownMessageError extends Error {
  constructor(readonly id: string) {
    super(`no message "${id}" in the English catalog`);
    this.name = "UnknownMessageError";
  }
}

const cache = createIntlCache();

/**
 * A translator over `messages`. A message a language lacks falls back to English (the completeness test
 * keeps shipped catalogs whole, but an operator's half-finished catalog should not break pages); a
 * message English lacks throws.
 */
export function createTranslator(
  language: Language,
  messages: CompiledCatalog,
  english: Catalog,
): Translator {
  const formatLocale = FORMAT_LOCALES[language];
  const intl: IntlShape<string> = createIntl(
    {
      locale: formatLocale,
      defaultLocale: FORMAT_LOCALES[DEFAULT_LANGUAGE],
      // (A mixed record is fine at run time; FormatJS's type wants one kind or the other.)
      messages: { ...english, ...messages } as Record<string, string>,
      // Missing-translation reports would flood the log for every English fallback; the catalog test
      // is where completeness is enforced.
      onError: (error) => {
        if (error.code !== "MISSING_TRANSLATION") throw error;
      },
    },
    cache,
  );
  const dateFormat = new Intl.DateTimeFormat(formatLocale, { dateStyle: "long", timeZone: "UTC" });
  const dateTimeFormat = new Intl.DateTimeFormat(formatLocale, {
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: "UTC",
    timeZoneName: "short",
  });
  const numberFormat = new Intl.NumberFormat(formatLocale);
  const orListFormat = new Intl.ListFormat(formatLocale, { type: "disjunction" });
  const t = (id: string, values?: MessageValues): string => {
    if (!(id in english)) throw new UnknownMessageError(id);
    return intl.formatMessage({ id }, values as Record<string, string | number | Date>) as string;
  };
  return {
    language,
    t,
    has: (id) => id in english,
    message: (idOrText, values) => {
      if (!idOrText) return "";
      return idOrText in english ? t(idOrText, values) : idOrText;
    },
    date: (value) => dateFormat.format(new Date(value)),
    dateTime: (value) => dateTimeFormat.format(new Date(value)),
    number: (value) => numberFormat.format(value),
    fileSize: (bytes) => t("units.fileSize", fileSizeParts(bytes)),
    orList: (items) => orListFormat.format(items),
  };
}

/** The pseudo-language's catalog: English, accented and lengthened by FormatJS's own generator. */
async function compilePseudoCatalog(): Promise<CompiledCatalog> {
  // A development dependency, loaded only when the pseudo-language is offered (never in production).
  const { compile } = await import("@formatjs/cli-lib");
  const compiled = await compile([path.join(catalogsDir, `${DEFAULT_LANGUAGE}.json`)], {
    format: "simple",
    pseudoLocale: "en-XA",
    ast: true,
  });
  return JSON.parse(compiled) as CompiledCatalog;
}

let englishOnly: Translator | undefined;

/**
 * English, for code that speaks to staff (whose pages stay in English) about a message it holds only
 * as a catalog id, such as an application field's validation message.
 */
export function englishTranslator(): Translator {
  englishOnly ??= (() => {
    const english = readCatalog(DEFAULT_LANGUAGE);
    return createTranslator(DEFAULT_LANGUAGE, english, english);
  })();
  return englishOnly;
}

export interface Translators {
  /** The languages offered, the default (for a visitor whose browser asks for none of them) first. */
  readonly offered: readonly Language[];
  /** The translator for `language` (the default language's for one not offered). */
  for(language: string | null | undefined): Translator;
}

const loaded = new Map<string, Promise<Translators>>();

/**
 * One translator per offered language, built once per process for each list of languages (catalogs are
 * read-only files, so every instance builds the same ones).
 */
export function loadTranslators(offered: readonly Language[]): Promise<Translators> {
  const key = offered.join(",");
  let translators = loaded.get(key);
  if (!translators) {
    translators = buildTranslators(offered);
    loaded.set(key, translators);
  }
  return translators;
}

async function buildTranslators(offered: readonly Language[]): Promise<Translators> {
  const english = readCatalog(DEFAULT_LANGUAGE);
  const translators = new Map<Language, Translator>();
  for (const language of offered) {
    const messages = language === PSEUDO_LANGUAGE ? await compilePseudoCatalog() : readCatalog(language);
    translators.set(language, createTranslator(language, messages, english));
  }
  const fallback =
    translators.get(offered[0] ?? DEFAULT_LANGUAGE) ?? createTranslator(DEFAULT_LANGUAGE, english, english);
  return {
    offered,
    for: (language) => (language && translators.get(language as Language)) || fallback,
  };
}

const catalogTranslators = new Map<ShippedLanguage, Translator>();

/**
 * A shipped language's translator, built synchronously from its catalog (once per process): for code
 * that renders outside a request, such as an email in the recipient's language at delivery. Any other
 * tag (the pseudo-language included, whose catalog is compiled asynchronously) gets English.
 */
export function catalogTranslator(language: string | null | undefined): Translator {
  const shipped = (SHIPPED_LANGUAGES as readonly string[]).includes(language ?? "")
    ? (language as ShippedLanguage)
    : DEFAULT_LANGUAGE;
  let translator = catalogTranslators.get(shipped);
  if (!translator) {
    const english = readCatalog(DEFAULT_LANGUAGE);
    translator = createTranslator(shipped, readCatalog(shipped), english);
    catalogTranslators.set(shipped, translator);
  }
  return translator;
}
