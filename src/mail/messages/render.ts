// Renders one message kind into subject, plain text and HTML. The HTML part goes through the caller's
// environment, whose autoescape turns names into text. The plain-text part must not be HTML-escaped
// (a name "Tom & Jerry" would arrive as "Tom &amp; Jerry"), and Nunjucks has no per-template switch:
// autoescape is read from the environment a template was first loaded by. So text templates are rendered
// by a second environment with autoescape off, built once per caller environment over fresh loaders on
// the same template folders (sharing loader instances would share their template cache, and a cached
// template stays bound to the environment that loaded it first).
import nunjucks from "nunjucks";
import { catalogTranslator, type Translator } from "../../i18n/translator.js";
import { absoluteUrl, urls } from "../../urls.js";
import { renderView } from "../../views.js";
import { EmailRenderError, type MessageKind, type RenderContext, type RenderedEmail } from "./kind.js";

export interface EmailInput {
  recipient: string;
  payload: unknown;
  /** For kinds with `link`: the absolute URL of the single-use link and when its token expires. */
  link?: { url: string; expiresAt: Date };
}

export async function renderMessageKind<Payload>(
  views: nunjucks.Environment,
  kind: MessageKind<Payload>,
  input: EmailInput,
  context: RenderContext,
): Promise<RenderedEmail> {
  if (!isAutoescaping(views)) {
    throw new EmailRenderError(kind.name, "not_autoescaping", "the view environment must have autoescape on");
  }
  const parsed = kind.payloadSchema.safeParse(input.payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "payload"} ${issue.message}`,
    );
    throw new EmailRenderError(kind.name, "invalid_payload", `invalid payload: ${problems.join("; ")}`);
  }
  const payload = parsed.data;
  const now = context.now ?? new Date();
  // Kinds written through the catalogs speak the payload's language; the others are English as before.
  const translator = kind.language ? catalogTranslator(kind.language(payload)) : null;
  const subject = kind.subject(payload, context);
  const templateContext = {
    ...(payload as object),
    subject,
    recipient: input.recipient,
    siteName: context.siteName,
    communityName: context.communityName,
    homeUrl: absoluteUrl(context.publicUrl, urls.home()),
    staffSignInUrl: absoluteUrl(context.publicUrl, urls.staffSignIn()),
    // Applicants come back through an emailed sign-in link; this page asks for one.
    applicantSignInRequestUrl: absoluteUrl(context.publicUrl, urls.applicantSignInRequest()),
    // A used or expired registration-token link is replaced from this page.
    registrationTokenLinkRequestUrl: absoluteUrl(context.publicUrl, urls.registrationTokenLinkRequest()),
    // Staff emails point at pages behind staff sign-in (which brings the person back there afterwards),
    // so they carry a plain absolute link rather than a single-use token.
    staffCasesUrl: absoluteUrl(context.publicUrl, urls.staffCases()),
    staffInvitationsUrl: absoluteUrl(context.publicUrl, urls.staffInvitations()),
    staffRegistrationTokensUrl: absoluteUrl(context.publicUrl, urls.staffRegistrationTokens()),
    staffCaseUrl: (caseId: string) => absoluteUrl(context.publicUrl, urls.staffCase(caseId)),
    // Where staff choose which notifications they get, and how.
    staffProfileUrl: absoluteUrl(context.publicUrl, urls.staffProfile()),
    /** "09:00 UTC on 4 March 2025" for an ISO timestamp from the payload. */
    utc: (isoTimestamp: string) => formatUtc(new Date(isoTimestamp)),
    renderedAt: formatUtc(now, { withSeconds: true }),
    link: describeLink(kind, input.link, context.publicUrl, now, translator),
    ...(translator ? { t: translator.t, lang: translator.language } : {}),
  };
  const [text, html] = await Promise.all([
    renderView(textEnvironmentFor(views), `emails/${kind.template}.txt.njk`, templateContext),
    renderView(views, `emails/${kind.template}.html.njk`, templateContext),
  ]);
  return { subject, text: tidyPlainText(text), html };
}

function describeLink(
  kind: MessageKind<unknown>,
  link: EmailInput["link"],
  publicUrl: URL,
  now: Date,
  translator: Translator | null,
): { url: string; expiresIn: string; expiresAt: string } | undefined {
  if (!kind.link) {
    if (link) throw new EmailRenderError(kind.name, "unexpected_link", "this kind carries no link");
    return undefined;
  }
  if (!link) {
    if (kind.link.isOptional) return undefined;
    throw new EmailRenderError(kind.name, "missing_link", "this kind needs its single-use link");
  }
  // Email links are built against PUBLIC_URL; anything else is a bug that would send people elsewhere.
  if (!URL.canParse(link.url) || new URL(link.url).origin !== publicUrl.origin) {
    throw new EmailRenderError(kind.name, "link_off_site", `the link is not under ${publicUrl.origin}`);
  }
  const remainingMs = link.expiresAt.getTime() - now.getTime();
  if (remainingMs <= 0) {
    throw new EmailRenderError(
      kind.name,
      "link_expired",
      "the link expired before the message could be sent; the person has to ask for a new one",
    );
  }
  return {
    url: link.url,
    expiresIn: describeDuration(remainingMs),
    expiresAt: translator ? translator.dateTime(link.expiresAt) : formatUtc(link.expiresAt),
  };
}

/** "30 minutes", "24 hours", "72 hours": the unit people would use, rounded to the nearest whole one. */
export function describeDuration(durationMs: number): string {
  const minutes = Math.max(1, Math.round(durationMs / 60_000));
  if (minutes < 120) return plural(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours <= 72) return plural(hours, "hour");
  return plural(Math.round(hours / 24), "day");
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

const utcDate = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", dateStyle: "long" });
const utcTime = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", timeStyle: "short" });
const utcTimeWithSeconds = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", timeStyle: "medium" });

/** "14:05 UTC on 3 March 2025": recipients live in many time zones, so name the one used. */
export function formatUtc(date: Date, options: { withSeconds?: boolean } = {}): string {
  const time = (options.withSeconds ? utcTimeWithSeconds : utcTime).format(date);
  return `${time} UTC on ${utcDate.format(date)}`;
}

/** Block tags leave stray blank lines and trailing spaces; mail readers show them all. */
function tidyPlainText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

// Nunjucks keeps these on the environment without declaring them in its published types.
interface EnvironmentInternals {
  opts: { autoescape: boolean; throwOnUndefined?: boolean; trimBlocks?: boolean; lstripBlocks?: boolean };
  loaders: Array<{ searchPaths?: string[]; noCache?: boolean }>;
}

function isAutoescaping(views: nunjucks.Environment): boolean {
  return (views as unknown as EnvironmentInternals).opts.autoescape === true;
}

const textEnvironments = new WeakMap<nunjucks.Environment, nunjucks.Environment>();

function textEnvironmentFor(views: nunjucks.Environment): nunjucks.Environment {
  const cached = textEnvironments.get(views);
  if (cached) return cached;
  const { opts, loaders } = views as unknown as EnvironmentInternals;
  const textLoaders = loaders.map((loader) => {
    if (!loader.searchPaths) {
      throw new Error("Plain-text emails need the view environment to load templates from folders");
    }
    return new nunjucks.FileSystemLoader(loader.searchPaths, { noCache: loader.noCache ?? false });
  });
  const textEnvironment = new nunjucks.Environment(textLoaders, {
    autoescape: false,
    throwOnUndefined: opts.throwOnUndefined ?? false,
    trimBlocks: opts.trimBlocks ?? false,
    lstripBlocks: opts.lstripBlocks ?? false,
  });
  textEnvironments.set(views, textEnvironment);
  return textEnvironment;
}
