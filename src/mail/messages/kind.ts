// What every message kind is made of, and the pieces kinds share. A kind is data, not code that sends:
// the outbox stores the kind's name with a display payload, and renders it at delivery time through
// renderEmail (index.ts). Kept apart from the registry so that kind modules never import it back.
import { z } from "zod";
import type { Config } from "../../config.js";
import { isOneLineText } from "../../domain/applicationFields.js";
import type { Language } from "../../i18n/languages.js";
import type { Translator } from "../../i18n/translator.js";

export interface RenderContext {
  /** "Vetting Portal" */
  siteName: string;
  /** e.g. "the community" */
  communityName: string;
  /** For absolute links (home, staff sign-in, …). */
  publicUrl: URL;
  /** The languages offered to applicants (LANGUAGES), the default first: what a recipient's language is chosen from. */
  languages: readonly Language[];
  /** The moment of rendering: the clock for "expires in 30 minutes". Defaults to now; tests pin it. */
  now?: Date;
}

/** What a kind's subject is written with: the render context and the recipient's language. */
export interface SubjectContext extends RenderContext {
  /** The catalog message `id` in the recipient's language (i18n/translator.ts). */
  t: Translator["t"];
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** The language it was written in (a BCP 47 tag): the HTML part's lang and the Content-Language header. */
  language: Language;
}

/** What a single-use link token is for; a token of one purpose never opens another purpose's page. */
export type LinkPurpose =
  | "email_confirmation"
  | "sign_in"
  | "staff_invitation"
  | "password_reset"
  | "case_invitation"
  | "case_submitted_for_you"
  | "case_email_change"
  | "registration_token_reveal"
  | "reference_request";

export interface MessageKind<Payload> {
  /** "email_confirmation", …: stored in the outbox, so never rename a kind that may still be queued. */
  name: string;
  /**
   * Who receives it. An applicant's email is written in their language (the one stored with their case,
   * fixed on the outbox row when it was queued); staff emails stay in English for now, from the same
   * catalogs, so translating them later is data.
   */
  audience: "applicant" | "staff";
  /** Validates the stored payload at send time (and, by the caller, at enqueue time). */
  payloadSchema: z.ZodType<Payload>;
  /** Present for kinds that carry a single-use link: which purpose the link token has, and how long it lives. */
  link?: {
    purpose: LinkPurpose;
    /** A fixed lifetime, or one an operator sets (read from the configuration when the link is minted). */
    lifetimeMs: number | ((config: Pick<Config, "references">) => number);
    path(token: string): string;
    /**
     * The link is minted only for messages enqueued with a linkSubject (e.g. the approval email carries
     * a registration token's reveal link only when a token was requested); without one the message is
     * sent without a link and its templates test `link`.
     */
    isOptional?: boolean;
  };
  subject(payload: Payload, context: SubjectContext): string;
  /** Template base name: views/emails/<template>.html.njk and .txt.njk */
  template: string;
}

/** How long a kind's link lives under this configuration. */
export function linkLifetimeMs(
  link: { lifetimeMs: number | ((config: Pick<Config, "references">) => number) },
  config: Pick<Config, "references">,
): number {
  return typeof link.lifetimeMs === "function" ? link.lifetimeMs(config) : link.lifetimeMs;
}

/** Keeps the literal kind name in the type, so the registry can check each key against its kind. */
export function defineMessageKind<const Name extends string, Payload>(
  kind: MessageKind<Payload> & { name: Name },
): MessageKind<Payload> & { name: Name } {
  return kind;
}

export function renderContextFor(config: Pick<Config, "site" | "http" | "languages">): RenderContext {
  return {
    siteName: config.site.name,
    communityName: config.site.communityName,
    publicUrl: config.http.publicUrl,
    languages: config.languages,
  };
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * A person's name or a short label as shown in an email: one line, 1 to 100 characters. Bidirectional
 * overrides and isolates could reorder the sentence around a name in the reader's mail client; control
 * characters (CR/LF above all) could forge extra lines in the plain-text part. The rule is the forms'
 * own (isOneLineText), so a name a form accepted is always one an email can carry.
 */
export const ZDisplayName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .refine(isOneLineText, "must be one line of plain text");

export type EmailRenderErrorReason =
  | "unknown_kind"
  | "invalid_payload"
  | "missing_link"
  | "unexpected_link"
  | "link_off_site"
  | "link_expired"
  | "not_autoescaping";

/**
 * A message that cannot be rendered, and never will be however often it is retried: the outbox should
 * mark it failed rather than try again. Messages name the kind and the problem, never payload values.
 */
export class EmailRenderError extends Error {
  constructor(
    readonly kindName: string,
    readonly reason: EmailRenderErrorReason,
    detail: string,
  ) {
    super(`Cannot render the "${kindName}" email: ${detail}`);
    this.name = "EmailRenderError";
  }
}

/** "VC-00042" (src/domain/caseNumber.ts). */
export const ZCaseNumber = z.string().regex(/^VC-\d{5,}$/, "must be a case number like VC-00042");

/** A reason written by staff for the applicant: plain text, kept to a size an email can carry. */
export const ZReason = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(4000, "must be at most 4000 characters")
  .refine((value) => !/[\u202A-\u202E\u2066-\u2069]/u.test(value), "must not contain direction overrides");
