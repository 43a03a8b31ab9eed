// Every page a person can reach, visited in Chromium and rendered (each visit checks the page's main
// heading and status), with zero Content Security Policy violations recorded: public pages, error pages
// and links that no longer work; an applicant's pages, reached through the emailed sign-in link; a
// vetting agent signing in with a password and a code; and every page of a superadmin, who sees them
// all, including the pages behind emailed staff links. Pages that run our scripts are used, not just
// opened (a password typed into the strength meter, files uploaded through the enhanced form, evidence
// previews opened), so what the scripts do is under the policy too.
//
// Not opened: the first superadmin's setup form, which exists only until there is a superadmin (its
// link is checked below, answering that it no longer works), and file downloads, which are no pages.
//
// fixtures.ts fails a test on any violation at its end; each visit here also checks at once, so a
// failure names the page. The first test shows that the watch does catch a violation.
import { createHash, randomUUID } from "node:crypto";
import type { Cookie, Page } from "@playwright/test";
import type { Config } from "../src/config.js";
import type { Database } from "../src/db.js";
import { totpCodeAt } from "../src/domain/totp.js";
import { pdfDocument, pngImage } from "../src/test/evidenceFixtures.js";
import { createStaffMember, type TestStaffMember } from "../src/test/staff.js";
import { issueLinkToken } from "../src/tokens.js";
import { appConfig, e2eBaseUrl, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { type BrowserProblems, expect, test } from "./fixtures.js";

test.describe.configure({ mode: "serial" });

const marker = randomUUID().slice(0, 8);
/** 43 base64url characters, the shape of a link token, that no link was ever issued with. */
const unknownToken = "A".repeat(43);
let db: Database;
let config: Config;
let superadmin: TestStaffMember;
let superadminCookie: Cookie;
/** An admin who has done nothing to the crawled case, so four eyes lets them decide it. */
let deciderCookie: Cookie;
let agent: TestStaffMember;
let applicantCaseId: string;
let staffCaseId: string;
/** A case the crawler has a conflict of interest on: it sees the short page. */
let conflictedCaseId: string;
const applicantEmail = `csp-applicant-${marker}@example.org`;

test.beforeAll(async () => {
  config = appConfig();
  db = openAppDatabase();
  superadmin = await createStaffMember(db, config, {
    role: "SUPERADMIN",
    name: `Cass Crawler ${marker}`,
    email: `csp-superadmin-${marker}@example.org`,
  });
  superadminCookie = await signedInSessionCookie(db, config, superadmin.id);
  const decider = await createStaffMember(db, config, {
    role: "INVITING_ADMIN",
    name: `Dee Decider ${marker}`,
    email: `csp-decider-${marker}@example.org`,
  });
  deciderCookie = await signedInSessionCookie(db, config, decider.id);
  agent = await createStaffMember(db, config, {
    role: "VETTING_AGENT",
    name: `Avi Agent ${marker}`,
    email: `csp-agent-${marker}@example.org`,
  });
  applicantCaseId = await seedCase("DRAFT", `Pat Applicant ${marker}`, applicantEmail);
  staffCaseId = await seedCase(
    "SUBMITTED",
    `Sol Submitted ${marker}`,
    `csp-staff-case-${marker}@example.org`,
  );
  conflictedCaseId = await seedCase(
    "SUBMITTED",
    `Connie Conflicted ${marker}`,
    `csp-conflicted-${marker}@example.org`,
  );
  await db.caseConflict.create({
    data: {
      caseId: conflictedCaseId,
      staffUserId: superadmin.id,
      declaredById: superadmin.id,
      reason: "We play in the same band",
    },
  });
  // A promotion waiting for a second admin, listed on the invitations page.
  await db.staffRoleChange.create({
    data: {
      staffUserId: agent.id,
      fromRole: "VETTING_AGENT",
      toRole: "INVITING_ADMIN",
      requestedById: decider.id,
    },
  });
  // Uploads from 127.0.0.1 have an hourly limit of their own; repeated runs within the hour start afresh.
  await db.rateLimit.deleteMany({ where: { key: { startsWith: "evidence_upload_ip" } } });
});

test.afterAll(async () => {
  await db?.$disconnect();
});

async function seedCase(state: "DRAFT" | "SUBMITTED", fullName: string, email: string): Promise<string> {
  const vettingCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state,
      fullName,
      email,
      statement: "I met the organisers at the spring meetup.",
      emailConfirmedAt: new Date(),
      ...(state === "SUBMITTED" ? { submittedAt: new Date(), lastSubmittedAt: new Date() } : {}),
    },
    select: { id: true },
  });
  return vettingCase.id;
}

type BrowserGlobals = { __cspViolations?: unknown[] };

/** The violations recorded so far, on any page of the test, including the one on screen. */
async function cspViolationsSoFar(page: Page, browserProblems: BrowserProblems): Promise<string[]> {
  const onScreen = await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__cspViolations ?? []);
  return [...browserProblems.cspViolations, ...onScreen.map((violation) => JSON.stringify(violation))];
}

/** The page on screen is rendered (its main heading shows) and nothing so far broke the policy. */
async function expectRenderedCleanly(
  page: Page,
  browserProblems: BrowserProblems,
  heading: string | RegExp,
): Promise<void> {
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  expect(await cspViolationsSoFar(page, browserProblems), `CSP violations on ${page.url()}`).toEqual([]);
}

/** Opens the address, expecting this status and main heading, with no CSP violation. */
async function visit(
  page: Page,
  browserProblems: BrowserProblems,
  path: string,
  heading: string | RegExp,
  status = 200,
): Promise<void> {
  if (status >= 400) browserProblems.allowErrorStatusFor(new URL(path, "http://host").pathname);
  const response = await page.goto(path);
  expect(response?.status(), `status of ${path}`).toBe(status);
  await expectRenderedCleanly(page, browserProblems, heading);
}

/** Types a password where the strength meter listens, and waits for the meter to say something. */
async function useStrengthMeter(page: Page, label: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill("violet harbour lanterns drift");
  await expect(page.locator("#password-strength")).not.toBeEmpty();
}

/** Uploads files through the enhanced form (the drop zone's file picker); the script moves on when done. */
async function uploadWithTheEnhancedForm(
  page: Page,
  files: { name: string; mimeType: string; buffer: Buffer }[],
): Promise<void> {
  const dropZone = page.getByRole("button", { name: "Choose files or drop them here" });
  await dropZone.focus();
  const chooser = page.waitForEvent("filechooser");
  await page.keyboard.press("Enter");
  await (await chooser).setFiles(files);
  await expect(page.getByRole("list", { name: "Chosen files" }).getByRole("listitem")).toHaveCount(
    files.length,
  );
  await page.getByRole("button", { name: "Upload", exact: true }).click();
}

/** Opens the newest email with this subject to this address in the development mailbox; returns its link. */
async function emailedLink(
  page: Page,
  browserProblems: BrowserProblems,
  recipient: string,
  subject: RegExp,
  linkPattern: RegExp,
): Promise<string> {
  await expect
    .poll(
      async () =>
        (await db.outboxMessage.findFirst({ where: { recipient }, orderBy: { createdAt: "desc" } }))?.status,
      { timeout: 15_000 },
    )
    .toBe("SENT");
  await visit(page, browserProblems, "/dev/mailbox", "Development mailbox");
  await page
    .getByRole("listitem")
    .filter({ hasText: recipient })
    .getByRole("link", { name: subject })
    .first()
    .click();
  await expectRenderedCleanly(page, browserProblems, subject);
  const href = await page
    .getByRole("main")
    .getByRole("link", { name: linkPattern })
    .first()
    .getAttribute("href");
  expect(href).toMatch(linkPattern);
  return new URL(href ?? "", page.url()).pathname;
}

test("the watch records a violation when a page breaks the policy", async ({ page, browserProblems }) => {
  await visit(page, browserProblems, "/", /^Joining /);
  // An image from another origin, which img-src forbids: the browser refuses it without a request.
  await page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { createElement(tag: string): { src: string }; body: { append(node: object): void } };
    };
    const image = browser.document.createElement("img");
    image.src = "https://blocked.invalid/pixel.png";
    browser.document.body.append(image);
  });
  await expect
    .poll(() => [...browserProblems.cspViolations].join("\n"))
    .toMatch(/"directive":"img-src","blockedUri":"https:\/\/blocked\.invalid\/pixel\.png"/);
  await expect
    .poll(() => [...browserProblems.cspViolations].join("\n"))
    .toMatch(/^console error: .*img-src/m);
  // Seen; cleared, so that this test's own end does not fail on the violation it caused on purpose.
  browserProblems.cspViolations.clear();
  await page.evaluate(() => {
    (globalThis as unknown as BrowserGlobals).__cspViolations = [];
  });
});

test("public pages, error pages and links that no longer work", async ({
  page,
  context,
  browserProblems,
}) => {
  await context.clearCookies();
  await visit(page, browserProblems, "/", /^Joining /);
  await visit(page, browserProblems, "/apply", /^Apply to join /);
  await visit(page, browserProblems, "/apply/sent", "Check your email");
  await visit(page, browserProblems, "/apply/sign-in", "Get a link to your application");
  await visit(page, browserProblems, "/apply/sign-in/sent", "Check your email");
  await visit(page, browserProblems, "/privacy", "Privacy notice");
  await visit(page, browserProblems, "/staff/sign-in", "Staff sign-in");
  // The page that asks the browser for a passkey loads the vendored WebAuthn library and our script.
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expectRenderedCleanly(page, browserProblems, "Sign in with a passkey");
  await visit(page, browserProblems, "/staff/password-reset", "Reset your password");
  await visit(page, browserProblems, "/no/such/page", "Page not found", 404);
  await visit(page, browserProblems, `/apply/confirm/${unknownToken}`, "This link does not work", 404);
  await visit(page, browserProblems, `/apply/sign-in/${unknownToken}`, "This link does not work", 404);
  await visit(page, browserProblems, `/apply/invitation/${unknownToken}`, "This link does not work", 404);
  await visit(
    page,
    browserProblems,
    `/staff/invitation/${unknownToken}`,
    "This invitation link does not work",
    404,
  );
  await visit(
    page,
    browserProblems,
    `/staff/password-reset/${unknownToken}`,
    "This password reset link does not work",
    404,
  );
  await visit(page, browserProblems, `/setup/${unknownToken}`, "This setup link does not work", 404);
  await visit(
    page,
    browserProblems,
    "/registration-token/new-link",
    "Get a new link to your registration token",
  );
  await visit(page, browserProblems, `/registration-token/${unknownToken}`, "This link does not work", 404);

  // The first superadmin's setup page opens only while there is no superadmin, which this run's own
  // seeding has already ended: the link says so.
  const { token } = await db.$transaction((tx) =>
    issueLinkToken(tx, { purpose: "superadmin_setup", lifetimeMs: 15 * 60_000 }),
  );
  await visit(page, browserProblems, `/setup/${token}`, "This setup link does not work", 404);
});

test("an applicant's pages, reached through the emailed sign-in link", async ({
  page,
  context,
  browserProblems,
}) => {
  test.setTimeout(90_000);
  await context.clearCookies();
  await visit(page, browserProblems, "/apply/sign-in", "Get a link to your application");
  await page.getByLabel("Email address").fill(applicantEmail);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expectRenderedCleanly(page, browserProblems, "Check your email");

  const signInPath = await emailedLink(
    page,
    browserProblems,
    applicantEmail,
    /Your link back to your application/,
    /\/apply\/sign-in\/[A-Za-z0-9_-]{43}$/,
  );
  await visit(page, browserProblems, signInPath, "Open your application");
  await page.getByRole("button", { name: "Open my application" }).click();
  await expect(page).toHaveURL(/\/application(\?done=\w+)?$/);
  await expectRenderedCleanly(page, browserProblems, /^Your application VC-\d{5,}/);

  await visit(page, browserProblems, "/application/evidence", "Your evidence");
  await uploadWithTheEnhancedForm(page, [
    { name: "utility-bill.png", mimeType: "image/png", buffer: pngImage(40, 30) },
  ]);
  await expect(page.getByRole("heading", { level: 3, name: "utility-bill.png" })).toBeVisible();
  await expectRenderedCleanly(page, browserProblems, "Your evidence");
  await page.getByRole("link", { name: "Delete utility-bill.png" }).click();
  await expectRenderedCleanly(page, browserProblems, "Delete this file?");

  await visit(page, browserProblems, "/application/withdraw", /^Withdraw your application VC-\d{5,}\?$/);
  expect((await db.vettingCase.findUniqueOrThrow({ where: { id: applicantCaseId } })).state).toBe("DRAFT");
});

test("a vetting agent signs in with a password and a code, and meets a page they may not see", async ({
  page,
  context,
  browserProblems,
}) => {
  await context.clearCookies();
  await visit(page, browserProblems, "/staff/sign-in", "Staff sign-in");
  await page.getByLabel("Email address").fill(agent.email);
  await page.getByLabel("Password").fill(agent.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expectRenderedCleanly(page, browserProblems, "Enter your sign-in code");
  await page.getByLabel("Code").fill(totpCodeAt(agent.totpSecret, new Date()));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectRenderedCleanly(page, browserProblems, "Staff home");

  await visit(page, browserProblems, "/staff/cases", "Cases");
  await visit(page, browserProblems, "/staff/audit", "Not allowed", 403);
});

test("every page of a superadmin, and the pages behind emailed staff links", async ({
  page,
  context,
  browserProblems,
}) => {
  test.setTimeout(120_000);
  await context.clearCookies();
  await context.addCookies([superadminCookie]);
  const caseHeading = new RegExp(`^Case VC-\\d{5,}: Sol Submitted ${marker}$`);

  await visit(page, browserProblems, "/staff", "Staff home");
  await visit(page, browserProblems, "/staff/cases", "Cases");
  await visit(page, browserProblems, "/staff/cases/new", "Open a case for someone");
  // The statistics page's charts are SVG styled by classes only; its period form with a mistake too.
  await visit(page, browserProblems, "/staff/statistics", "Statistics");
  await expect(page.getByRole("img", { name: "Applications per week, by outcome" })).toBeVisible();
  await visit(page, browserProblems, "/staff/statistics?from=2026-02-30", "Statistics", 400);

  // The case: evidence added on its upload page, previewed on the case page (an image inline, a PDF as
  // its first page drawn by the server), a file's delete confirmation, a comment's confirmation, the erasure page.
  await visit(page, browserProblems, `/staff/cases/${staffCaseId}/evidence`, /^Add evidence to case VC-/);
  await uploadWithTheEnhancedForm(page, [
    { name: "id-photo.png", mimeType: "image/png", buffer: pngImage(120, 80) },
    { name: "reference.pdf", mimeType: "application/pdf", buffer: pdfDocument(`Reference ${marker}`) },
  ]);
  await expect(page).toHaveURL(new RegExp(`/staff/cases/${staffCaseId}(\\?|$)`));
  await expectRenderedCleanly(page, browserProblems, caseHeading);
  await page.locator("summary", { hasText: "Preview of id-photo.png" }).click();
  const image = page.getByRole("img", { name: "Preview of id-photo.png" });
  await expect
    .poll(() => image.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
    .toBe(120);
  await page.locator("summary", { hasText: "Preview of reference.pdf" }).click();
  // The PDF's first page, drawn by the server as an image: the browser never opens the PDF itself.
  const firstPage = page.getByRole("img", { name: "First page of reference.pdf" });
  await expect
    .poll(() => firstPage.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);
  await expectRenderedCleanly(page, browserProblems, caseHeading);

  await page.getByRole("link", { name: "Delete id-photo.png" }).click();
  await expectRenderedCleanly(page, browserProblems, "Delete this evidence file?");

  await visit(page, browserProblems, `/staff/cases/${staffCaseId}`, caseHeading);
  // The conversation with the applicant and the closing panel render on the case page, without scripts.
  await expect(page.getByRole("region", { name: "Conversation with the applicant" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Closing without a decision" })).toBeVisible();
  await page.getByLabel("Add a comment").fill(`Please add a second reference, ${marker}.`);
  await page.getByLabel(/Staff and the applicant/).check();
  await page.getByRole("button", { name: "Add the comment" }).click();
  await expectRenderedCleanly(page, browserProblems, "Show this comment to the applicant?");

  // In review, the case page has its decision panel. The crawler uploaded evidence, so four eyes keeps
  // it from deciding and the panel says why; another admin's decision with a mistake shows the page
  // again with the panel's messages (and no approval: nobody has vetted the case).
  await visit(page, browserProblems, `/staff/cases/${staffCaseId}`, caseHeading);
  await page.getByRole("button", { name: "Start review" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expect(page.getByRole("region", { name: "Decision", exact: true })).toContainText(
    "You uploaded evidence to this case.",
  );
  await context.addCookies([deciderCookie]);
  await visit(page, browserProblems, `/staff/cases/${staffCaseId}`, caseHeading);
  await expect(page.getByRole("region", { name: "Decision", exact: true })).toContainText(
    "Approval needs a vetting record by someone else with the identity verified.",
  );
  browserProblems.allowErrorStatusFor(`/staff/cases/${staffCaseId}/decision`);
  await page.getByRole("group", { name: "Your decision" }).getByLabel("Reject").check();
  await page.getByRole("button", { name: "Record the decision" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter the reason for rejecting.");
  await expectRenderedCleanly(page, browserProblems, caseHeading);
  await context.addCookies([superadminCookie]);

  await visit(
    page,
    browserProblems,
    `/staff/cases/${staffCaseId}/erase`,
    /^Erase the personal data of case VC-\d{5,}$/,
  );
  await visit(
    page,
    browserProblems,
    `/staff/cases/${conflictedCaseId}`,
    new RegExp(`^Case VC-\\d{5,}: Connie Conflicted ${marker}$`),
  );

  // Staff accounts and invitations; an invitation's email, and the page behind its link.
  const inviteeEmail = `csp-invitee-${marker}@example.org`;
  await visit(page, browserProblems, "/staff/invitations", "Invitations");
  await page.getByLabel("Full name").fill(`Ivy Invitee ${marker}`);
  await page.getByLabel("Email address").fill(inviteeEmail);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Vetting agent" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toHaveText("The invitation was sent.");
  await page.getByRole("row").filter({ hasText: inviteeEmail }).getByRole("link").first().click();
  await expectRenderedCleanly(page, browserProblems, `Invitation for Ivy Invitee ${marker}`);

  const invitationPath = await emailedLink(
    page,
    browserProblems,
    inviteeEmail,
    /You are invited to join the staff/,
    /\/staff\/invitation\/[A-Za-z0-9_-]{43}$/,
  );
  await visit(page, browserProblems, invitationPath, "Set up your staff account");
  await useStrengthMeter(page, "New password");

  await visit(page, browserProblems, "/staff/people", "Staff accounts");
  await visit(page, browserProblems, `/staff/people/${agent.id}`, `Avi Agent ${marker}`);

  // Their own account: the password strength meter, new recovery codes.
  await visit(page, browserProblems, "/staff/profile", "Your account");
  await useStrengthMeter(page, "New password");
  await page.getByRole("button", { name: "Make new recovery codes" }).click();
  await expectRenderedCleanly(page, browserProblems, "Your new recovery codes");

  // The page that asks the browser for a new passkey (its scripts run at load). The whole ceremony runs
  // in e2e/staff-sign-in-with-passkeys.spec.ts, on a domain name, as WebAuthn requires.
  await visit(page, browserProblems, "/staff/profile", "Your account");
  await page.getByLabel("Name for a new passkey").fill("Checked laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expectRenderedCleanly(page, browserProblems, "Add a passkey");

  // Records: the audit log, the outbox and a message in it, the CSP violations reported by browsers.
  await visit(page, browserProblems, "/staff/audit", "Audit log");
  await visit(page, browserProblems, "/staff/outbox", "Outbox");
  await page
    .getByRole("table", { name: "Outbox messages, newest first" })
    .getByRole("row")
    .filter({ hasText: inviteeEmail })
    .getByRole("link")
    .first()
    .click();
  await expectRenderedCleanly(page, browserProblems, /You are invited to join the staff/);
  // A report as a browser would send it, so the page shows a table of them.
  await db.cspViolation.create({
    data: {
      dedupKey: createHash("sha256").update(marker).digest("hex"),
      directive: "img-src",
      blockedUrl: `https://tracker.example/${marker}.gif`,
      documentUrl: `${e2eBaseUrl}/apply`,
      disposition: "ENFORCE",
    },
  });
  await visit(page, browserProblems, "/staff/csp-violations", "CSP violations");
  await expect(page.getByRole("table")).toContainText(`https://tracker.example/${marker}.gif`);

  // Matrix registration tokens (the e2e server talks to a fake Synapse): the list with live status, and
  // the standalone form (a request a second admin approves on the list).
  await visit(page, browserProblems, "/staff/registration-tokens", "Registration tokens");
  await visit(page, browserProblems, "/staff/registration-tokens/new", "Ask for a registration token");

  // The password-reset link as emailed (issued here: asking for one answers the same for anyone).
  const { token } = await db.$transaction((tx) =>
    issueLinkToken(tx, {
      purpose: "password_reset",
      subject: { type: "staff_user", id: agent.id },
      lifetimeMs: 30 * 60_000,
    }),
  );
  await context.clearCookies();
  await visit(page, browserProblems, `/staff/password-reset/${token}`, "Choose a new password");
  await useStrengthMeter(page, "New password");
});
