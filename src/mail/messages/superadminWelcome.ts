import type nunjucks from "nunjucks";
import type { Config } from "../../config.js";
import { absoluteUrl, urls } from "../../urls.js";
import { renderView } from "../../views.js";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export async function renderSuperadminWelcome(
  views: nunjucks.Environment,
  config: Config,
  recipient: { name: string; email: string },
): Promise<RenderedEmail> {
  const context = {
    name: recipient.name,
    email: recipient.email,
    siteName: config.site.name,
    signInUrl: absoluteUrl(config.http.publicUrl, urls.staffSignIn()),
  };
  return {
    subject: `Your ${config.site.name} superadmin account is ready`,
    text: await renderView(views, "emails/superadmin-welcome.txt.njk", context),
    html: await renderView(views, "emails/superadmin-welcome.html.njk", context),
  };
}
