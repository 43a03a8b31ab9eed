// The baseline for the page figures of npm run bench: a bare Koa handler that renders the SAME Nunjucks
// templates (the project's view environment and views/) with the same data as the portal, but with no
// middleware at all (no session, CSRF, CSP nonce, limits, logging) and no database per request: the
// data is read once at start, with the portal's own queries and presenters (the same page models the
// routes render), and held in memory.
//   GET /               public/home.njk
//   GET /apply          public/apply.njk (the empty form)
//   GET /application/   applicant/workspace.njk for BENCH_CASE_ID (the applicant's status page)
//   GET /staff/cases    staff/cases/index.njk: the first 50 rows of the queue as BENCH_STAFF_ID sees it
// Run as a child process (its own CPU and memory, like the portal's) with the portal's environment plus
// BENCH_CASE_ID and BENCH_STAFF_ID; prints "listening <port>" when ready and stops on SIGTERM.
import http from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import { languageContext, layoutUrls } from "../../src/app.js";
import { buildAssetManifest } from "../../src/assets.js";
import { loadConfig } from "../../src/config.js";
import { createDatabaseAndSqlPool } from "../../src/db.js";
import { loadTranslators } from "../../src/i18n/translator.js";
import { queuePageModel } from "../../src/presenters/caseQueue.js";
import { presentStaffNav } from "../../src/presenters/staffNav.js";
import { workspacePageModel } from "../../src/presenters/workspacePage.js";
import { findApplicantCase } from "../../src/queries/sql/applicantCase.js";
import {
  countCaseQueueTabs,
  findCaseQueuePage,
  findStaffForAssigneeFilter,
} from "../../src/queries/sql/caseQueue.js";
import { findStaffNavCounts } from "../../src/queries/sql/staffNavCounts.js";
import type { SignedInStaff } from "../../src/sessions.js";
import { urls } from "../../src/urls.js";
import { createViewEnvironment, renderView } from "../../src/views.js";

const config = loadConfig();
const caseId = process.env.BENCH_CASE_ID ?? "";
const staffId = process.env.BENCH_STAFF_ID ?? "";
const views = createViewEnvironment({ assets: buildAssetManifest() });
const translator = (await loadTranslators(config.languages)).for(config.languages[0]);

// ---------- the data, read once ----------

const { db, sqlPool } = createDatabaseAndSqlPool(config.database.url ?? "", config.database);
const staffRow = await db.staffUser.findUniqueOrThrow({
  where: { id: staffId },
  select: { id: true, name: true, email: true, role: true, themePreference: true, totpEnabledAt: true },
});
const staff: SignedInStaff = {
  id: staffRow.id,
  name: staffRow.name,
  email: staffRow.email,
  role: staffRow.role,
  themePreference: staffRow.themePreference,
  hasSecondFactor: staffRow.totpEnabledAt !== null,
  mustEnrolSecondFactor: false,
  mustChangePassword: false,
  hasPasskey: false,
};
const queue = await findCaseQueuePage(sqlPool, {
  tab: "all",
  filter: {},
  sort: "waiting",
  viewerId: staff.id,
  after: null,
  pageSize: 50,
});
const queueModel = queuePageModel(
  staff,
  {
    values: { tab: "all", sort: "waiting" },
    errors: {},
    page: { rows: queue.rows, next: queue.next, isFirstPage: true },
    counts: await countCaseQueueTabs(sqlPool, {}, staff.id),
  },
  await findStaffForAssigneeFilter(sqlPool),
  translator,
);
const applicantCase = await findApplicantCase(sqlPool, caseId);
if (!applicantCase) throw new Error(`no case ${caseId}`);
const workspaceModel = workspacePageModel(applicantCase, config, {});
// The staff navigation's counts, read once: the portal reads them for every staff page it renders.
const staffNav = presentStaffNav(staff, await findStaffNavCounts(sqlPool, staff), translator);
await db.$disconnect();

// ---------- the handler ----------

/** What the portal's ctx.render adds to every page (src/app.ts), with fixed values for the per-request parts. */
function layoutContext(path: string, signedIn: { staff: SignedInStaff | null; isApplicant: boolean }) {
  return {
    site: config.site,
    urls: layoutUrls({ hasDevMailbox: false }),
    staff: signedIn.staff,
    staffNav: signedIn.staff ? staffNav : null,
    isApplicantSignedIn: signedIn.isApplicant,
    theme: null,
    cspNonce: "bench-nonce-0123456789",
    csrfToken: "bench-csrf-token-0123456789abcdef0123456789abcdef",
    requestId: "bench-request",
    currentPath: path,
    ...languageContext(translator, signedIn.staff ? [] : config.languages),
  };
}

const pages: Record<string, { view: string; data: () => Record<string, unknown> }> = {
  "/": { view: "public/home.njk", data: () => layoutContext("/", { staff: null, isApplicant: false }) },
  [urls.apply()]: {
    view: "public/apply.njk",
    data: () => ({
      ...layoutContext(urls.apply(), { staff: null, isApplicant: false }),
      values: {},
      errors: {},
      noticeVersion: config.privacy.noticeVersion,
    }),
  },
  [urls.applicantWorkspace()]: {
    view: "applicant/workspace.njk",
    data: () => ({
      ...layoutContext(urls.applicantWorkspace(), { staff: null, isApplicant: true }),
      ...workspaceModel,
    }),
  },
  [urls.staffCases()]: {
    view: "staff/cases/index.njk",
    data: () => ({ ...layoutContext(urls.staffCases(), { staff, isApplicant: false }), ...queueModel }),
  },
};

const app = new Koa();
app.use(async (ctx) => {
  const page = pages[ctx.path];
  if (!page) {
    ctx.status = 404;
    return;
  }
  ctx.type = "html";
  ctx.body = await renderView(views, page.view, page.data());
});

const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
