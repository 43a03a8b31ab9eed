// Builds the Koa application: middleware in order, then the routers. No listen() here, so tests build
// an app against their own database and drive it over a real socket.
import Router from "@koa/router";
import Koa from "koa";
import type { AppDependencies } from "./appDependencies.js";
import { countedMessage } from "./i18n/browserMessages.js";
import { FORMAT_LOCALES, LANGUAGE_NAMES, type Language } from "./i18n/languages.js";
import type { MessageValues, Translator } from "./i18n/translator.js";
import { createAppMetrics } from "./metrics.js";
import { applicantSessionLoader, requireApplicant } from "./middleware/applicantSession.js";
import { bodyParser } from "./middleware/bodyParser.js";
import { clientAddress } from "./middleware/clientAddress.js";
import { csrfProtection } from "./middleware/csrf.js";
import { errorHandler } from "./middleware/errorHandler.js";
import { chooseLanguage } from "./middleware/language.js";
import { rateLimit } from "./middleware/rateLimit.js";
import { readOnlyMaintenance } from "./middleware/readOnlyMaintenance.js";
import { requestId } from "./middleware/requestId.js";
import { requestLog } from "./middleware/requestLog.js";
import { requestMetrics } from "./middleware/requestMetrics.js";
import { requirePasskeyWhenRequired } from "./middleware/requirePasskey.js";
import { requireStaff } from "./middleware/requireStaff.js";
import { securityHeaders } from "./middleware/securityHeaders.js";
import { sessionLoader, staffSessionReader } from "./middleware/session.js";
import { staticAssets } from "./middleware/staticAssets.js";
import type { Actor } from "./policies/staff.js";
import { presentMaintenanceBanner } from "./presenters/maintenanceBanner.js";
import { presentStaffNav } from "./presenters/staffNav.js";
import { findStaffNavCounts, type StaffNavCounts } from "./queries/sql/staffNavCounts.js";
import { applicantEvidenceRoutes } from "./routes/applicant/evidence.js";
import { matrixIdRoutes } from "./routes/applicant/matrixId.js";
import { applicantRefereeRoutes } from "./routes/applicant/referees.js";
import { workspaceRoutes } from "./routes/applicant/workspace.js";
import { devMailboxRoutes } from "./routes/dev/mailbox.js";
import { healthRoutes } from "./routes/health/health.js";
import { metricsRoutes } from "./routes/health/metrics.js";
import { createReadinessCheck } from "./routes/health/readiness.js";
import { applicantLinkRoutes } from "./routes/links/applicant.js";
import { invitationLinkRoutes } from "./routes/links/invitation.js";
import { matrixIdProofLinkRoutes } from "./routes/links/matrixIdProof.js";
import { passwordResetLinkRoutes } from "./routes/links/passwordReset.js";
import { referenceLinkRoutes } from "./routes/links/reference.js";
import { registrationTokenLinkRoutes } from "./routes/links/registrationToken.js";
import { setupRoutes } from "./routes/links/setup.js";
import { applyRoutes } from "./routes/public/apply.js";
import { publicRoutes } from "./routes/public/home.js";
import { languageRoutes } from "./routes/public/language.js";
import { securityTxtRoutes } from "./routes/public/securityTxt.js";
import { cspReportRoutes } from "./routes/reports/cspReport.js";
import { auditLogRoutes } from "./routes/staff/auditLog.js";
import { bulkCaseRoutes } from "./routes/staff/bulkCases.js";
import { caseDecisionRoutes } from "./routes/staff/caseDecisions.js";
import { caseEvidenceRoutes } from "./routes/staff/caseEvidence.js";
import { caseForPersonRoutes } from "./routes/staff/caseForPerson.js";
import { casePrivacyRoutes } from "./routes/staff/casePrivacy.js";
import { caseReferenceRoutes } from "./routes/staff/caseReferences.js";
import { caseRoutes } from "./routes/staff/cases.js";
import { cspViolationRoutes } from "./routes/staff/cspViolations.js";
import { staffHomeRoutes } from "./routes/staff/home.js";
import { invitationRoutes } from "./routes/staff/invitations.js";
import { issueRegistrationTokenRoutes } from "./routes/staff/issueRegistrationToken.js";
import { oidcSignInRoutes } from "./routes/staff/oidcSignIn.js";
import { outboxRoutes } from "./routes/staff/outbox.js";
import { passkeySignInRoutes } from "./routes/staff/passkeySignIn.js";
import { passkeyRoutes } from "./routes/staff/passkeys.js";
import { profileRoutes } from "./routes/staff/profile.js";
import { registrationTokenRoutes } from "./routes/staff/registrationTokens.js";
import { signInRoutes } from "./routes/staff/signIn.js";
import { staffListRoutes } from "./routes/staff/staffList.js";
import { statisticsRoutes } from "./routes/staff/statistics.js";
import { urls } from "./urls.js";
import { renderView } from "./views.js";

export function createApp(deps: AppDependencies): Koa {
  // Never Koa's proxy mode (it would believe any peer's X-Forwarded-For): clientAddress() below decides
  // the client address, protocol and host from the configured trusted proxies.
  const app = new Koa({ proxy: false });
  const httpLogger = deps.logger.child({ category: "http" });
  // Development's mailbox is never served, nor linked, in production, whatever the caller passed.
  const devMailbox = deps.config.isProduction ? null : deps.devMailbox;
  // Koa would print errors to stderr; ours are logged by the error middleware with their request id.
  app.silent = true;

  // The counts in the staff navigation: one statement per rendered staff page. When it fails (the
  // database went away mid-request), the navigation shows its links without numbers.
  async function staffNavCountsFor(staff: Actor): Promise<StaffNavCounts | null> {
    try {
      return await findStaffNavCounts(deps.sqlPool, staff);
    } catch (error) {
      httpLogger.warn({ err: error }, "staff navigation counts unavailable");
      return null;
    }
  }

  app.context.render = async function render(view: string, data: Record<string, unknown> = {}) {
    this.type = "html";
    const staff = this.state.staff ?? null;
    const translator = this.state.translator;
    this.body = await renderView(deps.views, view, {
      site: deps.config.site,
      // The switcher is for the applicant side; staff pages stay in English for now.
      ...languageContext(translator, staff || this.path.startsWith("/staff") ? [] : deps.config.languages),
      // The single sign-on provider's name for "Sign in with …", or null when there is none.
      ssoName: deps.config.oidc?.displayName ?? null,
      urls: layoutUrls({ hasDevMailbox: devMailbox !== null }),
      staff,
      // A server error page (the database may be what failed) asks nothing more of the database.
      staffNav: staff
        ? presentStaffNav(staff, this.status >= 500 ? null : await staffNavCountsFor(staff), translator)
        : null,
      isApplicantSignedIn: Boolean(this.state.applicant),
      // The person's own choice; "system" leaves it to prefers-color-scheme.
      theme:
        this.state.staff && this.state.staff.themePreference !== "SYSTEM"
          ? this.state.staff.themePreference.toLowerCase()
          : null,
      cspNonce: this.state.cspNonce,
      csrfToken: this.state.csrfToken,
      requestId: this.state.requestId,
      currentPath: this.path,
      // Read per page, not at start: the banner appears when the announcement's lead time begins.
      maintenance: presentMaintenanceBanner(deps.config.maintenance, new Date(), translator),
      ...data,
    });
  };

  app.use(clientAddress(deps.config.http.trustedProxies));
  app.use(requestId());
  // Before the error handler, so error pages speak the visitor's language too.
  app.use(chooseLanguage(deps.config, deps.translators));
  app.use(requestLog(httpLogger));
  const metrics = createAppMetrics();
  app.use(requestMetrics(metrics));
  app.use(
    securityHeaders({
      isProduction: deps.config.isProduction,
      publicUrl: deps.config.http.publicUrl,
      singleSignOnOrigin: deps.config.oidc?.issuer.origin ?? null,
    }),
  );
  app.use(errorHandler(httpLogger));
  // Read-only maintenance refuses changes before anything is parsed, counted or written.
  app.use(readOnlyMaintenance(deps.config.maintenance));
  app.use(staticAssets(deps.assets));

  // One set of readiness checks (and one cached relay probe) for /readyz and /metrics.
  const readiness = createReadinessCheck(deps);
  const health = healthRoutes(deps, readiness);
  app.use(health.routes());
  app.use(health.allowedMethods());
  app.use(metricsRoutes(deps, metrics, readiness).routes());
  // Everything past static files and health probes counts against the request limits, first.
  app.use(
    rateLimit(deps.requestLimiter, {
      signedInStaffId: staffSessionReader({ config: deps.config, db: deps.db, sqlPool: deps.sqlPool }),
    }),
  );
  // Browsers' CSP reports: no session or CSRF token, and their own body reading (the root body parser
  // would refuse their content types), so before the root router.
  app.use(cspReportRoutes(deps).routes());

  // Bodies are parsed and CSRF-checked only for requests a route will handle: an unknown address is a
  // plain 404 and a wrong method a 405, whatever the body.
  const router = new Router();
  router.use(bodyParser());
  router.use(sessionLoader({ config: deps.config, db: deps.db, sqlPool: deps.sqlPool }));
  router.use(
    applicantSessionLoader({
      config: deps.config,
      db: deps.db,
      sqlPool: deps.sqlPool,
      translators: deps.translators,
    }),
  );
  router.use(
    csrfProtection({
      secret: deps.config.sessionSecret,
      previousSecret: deps.config.sessionSecretPrevious,
      publicUrl: deps.config.http.publicUrl,
      isProduction: deps.config.isProduction,
    }),
  );
  router.use(publicRoutes(deps).routes());
  router.use(securityTxtRoutes(deps).routes());
  router.use(applyRoutes(deps).routes());
  router.use(languageRoutes(deps).routes());
  router.use(applicantLinkRoutes(deps).routes());
  router.use(matrixIdProofLinkRoutes(deps).routes());
  router.use(registrationTokenLinkRoutes(deps).routes());
  router.use(referenceLinkRoutes(deps).routes());
  router.use(setupRoutes(deps).routes());
  if (devMailbox) router.use(devMailboxRoutes(devMailbox).routes());
  // Pages under /staff that a signed-out person must reach, registered before the guard below.
  router.use(signInRoutes(deps).routes());
  router.use(passkeySignInRoutes(deps).routes());
  router.use(oidcSignInRoutes(deps).routes());
  router.use(invitationLinkRoutes(deps).routes());
  router.use(passwordResetLinkRoutes(deps).routes());
  // The applicant's workspace needs an applicant session (opened by an emailed link).
  const applicantRouter = new Router({ prefix: urls.applicantWorkspace() });
  applicantRouter.use(requireApplicant());
  applicantRouter.use(workspaceRoutes(deps).routes());
  applicantRouter.use(applicantEvidenceRoutes(deps).routes());
  applicantRouter.use(matrixIdRoutes(deps).routes());
  applicantRouter.use(applicantRefereeRoutes(deps).routes());
  router.use(applicantRouter.routes());
  // Every other page under /staff needs a signed-in staff member. (A router's middleware also runs for
  // routes registered after it, so the guard is bound to the /staff prefix and comes last.)
  const staffRouter = new Router({ prefix: "/staff" });
  staffRouter.use(requireStaff());
  staffRouter.use(requirePasskeyWhenRequired(deps.config));
  for (const staffRoutes of [
    staffHomeRoutes,
    invitationRoutes,
    staffListRoutes,
    profileRoutes,
    passkeyRoutes,
    auditLogRoutes,
    outboxRoutes,
    cspViolationRoutes,
    // Before caseRoutes: its /cases/:id would take /cases/bulk.
    bulkCaseRoutes,
    caseRoutes,
    caseDecisionRoutes,
    caseReferenceRoutes,
    caseForPersonRoutes,
    casePrivacyRoutes,
    caseEvidenceRoutes,
    issueRegistrationTokenRoutes,
    registrationTokenRoutes,
    statisticsRoutes,
  ]) {
    staffRouter.use(staffRoutes(deps).routes());
  }
  router.use(staffRouter.routes());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * The page's language for its template: t("id", { values }) for messages, its dates and numbers, and
 * the switcher's choices (none when `offered` has fewer than two languages). For a script's messages,
 * the locale the server formats in and countedMessage (src/i18n/browserMessages.ts).
 */
export function languageContext(translator: Translator, offered: readonly Language[]) {
  return {
    t: translator.t,
    msg: (idOrText: string | null | undefined, values?: MessageValues) =>
      translator.message(idOrText, values),
    lang: translator.language,
    formatDate: translator.date,
    formatDateTime: translator.dateTime,
    formatNumber: translator.number,
    formatFileSize: translator.fileSize,
    formatOrList: translator.orList,
    formatLocale: FORMAT_LOCALES[translator.language],
    countedMessage: (id: string, argument: string, values?: MessageValues) =>
      countedMessage(translator, id, argument, values),
    languageChoices:
      offered.length < 2
        ? []
        : offered.map((language) => ({
            language,
            name: LANGUAGE_NAMES[language],
            isCurrent: language === translator.language,
          })),
  };
}

/**
 * The addresses every page's layout links to (navigation, sign-in, sign-out), computed the same way for
 * the portal and for the benchmark's bare render (scripts/bench/bareRender.ts), so both render the same.
 */
export function layoutUrls(options: { hasDevMailbox: boolean }) {
  return {
    home: urls.home(),
    apply: urls.apply(),
    language: urls.language(),
    staffSignIn: urls.staffSignIn(),
    staffHome: urls.staffHome(),
    staffSignOut: urls.staffSignOut(),
    staffSignInVerify: urls.staffSignInVerify(),
    staffSignInPasskey: urls.staffSignInPasskey(),
    staffSignInOidc: urls.staffSignInOidc(),
    staffSignInBreakGlass: urls.staffSignInBreakGlass(),
    staffSignInVerifyPasskey: urls.staffSignInVerifyPasskey(),
    staffForgotPassword: urls.staffForgotPassword(),
    staffPeople: urls.staffPeople(),
    staffProfile: urls.staffProfile(),
    staffInvitations: urls.staffInvitations(),
    staffAuditLog: urls.staffAuditLog(),
    staffOutbox: urls.staffOutbox(),
    staffRegistrationTokens: urls.staffRegistrationTokens(),
    staffCases: urls.staffCases(),
    staffStatistics: urls.staffStatistics(),
    staffCaseNew: urls.staffCaseNew(),
    applicantSignInRequest: urls.applicantSignInRequest(),
    registrationTokenLinkRequest: urls.registrationTokenLinkRequest(),
    applicantWorkspace: urls.applicantWorkspace(),
    applicantSignOut: urls.applicantSignOut(),
    applicantReferees: urls.applicantReferees(),
    privacyNotice: urls.privacyNotice(),
    devMailbox: options.hasDevMailbox ? urls.devMailbox() : null,
  };
}
