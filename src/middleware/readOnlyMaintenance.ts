// While MAINTENANCE_READ_ONLY is on, every request that could change something (anything but GET, HEAD
// and OPTIONS: applying, uploading, signing in or out, deciding, CSP reports) is answered 503 with
// Retry-After before its body is read, a rate-limit counter is written or a session is loaded, so a
// migration or a data repair can run while people keep reading. The error middleware renders the page
// (views/errors/maintenance.njk) or JSON for JSON clients.
import type { Middleware } from "koa";
import { type MaintenanceSettings, readOnlyRetryAfterSeconds } from "../domain/maintenance.js";
import { readOnlyForMaintenance } from "../errors.js";
import { readOnlySentence } from "../presenters/maintenanceBanner.js";

const READING_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function readOnlyMaintenance(settings: MaintenanceSettings): Middleware {
  return async function refuseChangesDuringMaintenance(ctx, next) {
    if (!settings.isReadOnly || READING_METHODS.has(ctx.method)) return next();
    const now = new Date();
    throw readOnlyForMaintenance(
      readOnlyRetryAfterSeconds(settings, now),
      // Said in the request's language (chooseLanguage runs first): the page and JSON show it as it is.
      `${readOnlySentence(settings, now, ctx.state.translator)} ${ctx.state.translator.t("maintenance.nothingSaved")}`,
    );
  };
}
