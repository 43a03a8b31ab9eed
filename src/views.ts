// The one Nunjucks environment, for pages and emails alike. Autoescape is on everywhere; templates
// get data from presenters and `can.*` booleans, never raw rows or roles.
import path from "node:path";
import nunjucks from "nunjucks";
import type { AssetManifest } from "./assets.js";
import { projectRoot } from "./config.js";
import { englishTranslator, type MessageValues } from "./i18n/translator.js";

export const viewsDir = path.join(projectRoot, "views");

export function createViewEnvironment(options: {
  assets: AssetManifest;
  watch?: boolean;
}): nunjucks.Environment {
  const environment = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir, { watch: false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  environment.addGlobal("asset", (logicalPath: string) => options.assets.urlFor(logicalPath));
  // Every page's render context brings the page's own `t` and `msg` (app.ts languageContext), which take
  // precedence; a template rendered without one (a panel on its own, in a test or a benchmark) speaks
  // English, as staff pages do.
  const english = englishTranslator();
  environment.addGlobal("t", english.t);
  environment.addGlobal("msg", (idOrText: string | null | undefined, values?: MessageValues) =>
    english.message(idOrText, values),
  );
  return environment;
}

export function renderView(
  environment: nunjucks.Environment,
  view: string,
  context: Record<string, unknown>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    environment.render(view, context, (error, html) => (error ? reject(error) : resolve(html ?? "")));
  });
}
