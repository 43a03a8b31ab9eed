// A referee's round trip in Chromium, as the people involved live it: the applicant names a referee from
// their workspace; the email travels through the app's worker to the development mailbox; the referee,
// with no account and no cookies, opens its link, reads only the applicant's and the community's names,
// and vouches; a vetting agent sees the answer on the case page; the applicant sees only that it came.
// The case and the staff member are seeded through Prisma. axe checks each new page in both themes.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Cookie } from "@playwright/test";
import type { Config } from "../src/config.js";
import type { Database } from "../src/db.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, applicantSessionCookie, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const applicantName = `Rhea Referred ${marker}`;
const refereeEmail = `vera-${marker}@example.org`;
const statement = `A private statement ${marker} the referee must never read.`;
let db: Database;
let config: Config;
let agentCookie: Cookie;
let caseId: string;

test.beforeAll(async () => {
  config = appConfig();
  db = openAppDatabase();
  const agent = await createStaffMember(db, config, {
    role: "VETTING_AGENT",
    name: `Rex Reviewer ${marker}`,
    email: `referee-agent-${marker}@example.org`,
  });
  agentCookie = await signedInSessionCookie(db, config, agent.id);
  const vettingCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state: "SUBMITTED",
      fullName: applicantName,
      email: `rhea-${marker}@example.org`,
      statement,
      language: "en",
      emailConfirmedAt: new Date(),
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
    },
    select: { id: true },
  });
  caseId = vettingCase.id;
});

test.afterAll(async () => {
  await db?.$disconnect();
});

async function signInAsApplicant(context: BrowserContext): Promise<void> {
  const cookie = await applicantSessionCookie(db, config, caseId);
  await context.clearCookies();
  await context.addCookies([cookie]);
}

test("a referee named in the workspace vouches through the emailed link, and staff read the answer", async ({
  page,
  context,
  browserProblems,
}) => {
  test.setTimeout(90_000);

  // The applicant names a referee from the workspace.
  await signInAsApplicant(context);
  await page.goto("/application");
  await page.getByRole("link", { name: "Name or see your referees" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Referees" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("You have not named anyone yet.");
  await expectAccessibleInLightAndDarkThemes(page);
  await page.getByLabel("Their email address").fill(refereeEmail);
  await page.getByLabel("How do they know you?").fill("My neighbour of ten years");
  await page.getByRole("button", { name: "Send the request" }).click();
  await expect(page.getByRole("status")).toContainText("We have emailed your referee.");
  await expect(page.getByRole("main")).toContainText(`${refereeEmail} — My neighbour of ten years:`);
  await expect(page.getByRole("main")).toContainText("Not answered yet");
  await expectAccessibleInLightAndDarkThemes(page);

  // The email reaches the development mailbox through the worker.
  await expect
    .poll(
      async () =>
        (await db.outboxMessage.findFirst({ where: { recipient: refereeEmail }, select: { status: true } }))
          ?.status,
      { timeout: 15_000 },
    )
    .toBe("SENT");
  await context.clearCookies();
  await page.goto("/dev/mailbox");
  const message = page
    .getByRole("listitem")
    .filter({ hasText: refereeEmail })
    .getByRole("link", { name: new RegExp(`${applicantName} named you as a referee`) });
  await expect(message.first()).toBeVisible({ timeout: 15_000 });
  await message.first().click();
  const link = page
    .getByRole("main")
    .getByRole("link", { name: /\/reference\/[A-Za-z0-9_-]{43}$/ })
    .first();
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toMatch(/\/reference\/[A-Za-z0-9_-]{43}$/);

  // The referee, with no cookies, opens it: the two names, and nothing else about the application.
  await context.clearCookies();
  await page.goto(href);
  await expect(page.getByRole("heading", { level: 1, name: `Do you know ${applicantName}?` })).toBeVisible();
  const question = page.getByRole("main");
  await expect(question).not.toContainText(statement);
  await expect(question).not.toContainText("My neighbour of ten years");
  await expect(question).not.toContainText(/VC-\d{5}/);
  await expectAccessibleInLightAndDarkThemes(page);
  // Sending without a choice is answered beside the field (422), the link still unused.
  browserProblems.allowErrorStatusFor(new URL(href, "http://127.0.0.1").pathname);
  await page.getByRole("button", { name: "Send my answer" }).click();
  await expect(page.getByRole("main")).toContainText("Choose whether you vouch for this person.");
  await expectAccessibleInLightAndDarkThemes(page);
  await page.getByLabel("I know this person and vouch for them").check();
  await page.getByLabel("How do you know them?").fill("We share a garden fence");
  await page.getByLabel("For how long have you known them?").fill("Ten years");
  await page.getByLabel(/Anything else the vetting team should know/).fill(`Reliable and kind ${marker}`);
  await page.getByRole("button", { name: "Send my answer" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Thank you" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  // The link took its one answer (410).
  await page.goto(href);
  await expect(page.getByRole("heading", { level: 1, name: "This link does not work" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("This link has already been used");

  // A vetting agent reads the answer on the case page.
  await context.clearCookies();
  await context.addCookies([agentCookie]);
  await page.goto(`/staff/cases/${caseId}`);
  const panel = page.getByRole("region", { name: "References", exact: true });
  await expect(panel).toContainText(`${refereeEmail}: Vouched on`);
  await expect(panel).toContainText("We share a garden fence");
  await expect(panel).toContainText("Ten years");
  await expect(panel).toContainText(`Reliable and kind ${marker}`);
  await expect(panel).toContainText("Named by the applicant");
  await expectAccessibleInLightAndDarkThemes(page);

  // The applicant sees that the referee answered, never what they wrote.
  await signInAsApplicant(context);
  await page.goto("/application/referees");
  await expect(page.getByRole("main")).toContainText(`${refereeEmail} — My neighbour of ten years: Answered`);
  await expect(page.getByRole("main")).not.toContainText("We share a garden fence");
  await expect(page.getByRole("main")).not.toContainText(`Reliable and kind ${marker}`);
});
