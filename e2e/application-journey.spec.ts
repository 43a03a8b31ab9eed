// The whole life of an application, in Chromium, as the people involved live it: someone applies,
// confirms their address from the emailed link and submits; an admin is told an unvetted case cannot be
// approved; an agent records a vetting record; an admin asks for more information; the applicant follows
// the email, edits and resubmits; a different admin approves; the approval email arrives. Staff are
// seeded through Prisma with signed-in sessions; every
// email travels through the app's worker to the development mailbox. axe checks every page on the way.
// A second journey: an agent submits for someone they met in person; the person answers a request for
// more information with a reply; the agent, the case's assignee, is emailed about it.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Cookie, Page } from "@playwright/test";
import type { Database } from "../src/db.js";
import type { StaffRole } from "../src/generated/prisma/client.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const applicantName = `Ada Applicant ${marker}`;
const applicantEmail = `ada-${marker}@example.org`;

type StaffKey = "agent" | "firstAdmin" | "secondAdmin";
const staffRoles: Record<StaffKey, { role: StaffRole; name: string }> = {
  agent: { role: "VETTING_AGENT", name: `Vic Vetter ${marker}` },
  firstAdmin: { role: "INVITING_ADMIN", name: `Ian Admin ${marker}` },
  secondAdmin: { role: "SERVER_ADMIN", name: `Sia Admin ${marker}` },
};
const sessionCookies: Partial<Record<StaffKey, Cookie>> = {};
let db: Database;

test.beforeAll(async () => {
  const config = appConfig();
  db = openAppDatabase();
  for (const [key, { role, name }] of Object.entries(staffRoles) as [
    StaffKey,
    (typeof staffRoles)[StaffKey],
  ][]) {
    const member = await createStaffMember(db, config, {
      role,
      name,
      email: `${key.toLowerCase()}-${marker}@example.org`,
    });
    sessionCookies[key] = await signedInSessionCookie(db, config, member.id);
  }
});

test.afterAll(async () => {
  await db?.$disconnect();
});

async function actAs(context: BrowserContext, who: StaffKey): Promise<void> {
  await context.clearCookies();
  const cookie = sessionCookies[who];
  if (!cookie) throw new Error(`no session seeded for ${who}`);
  await context.addCookies([cookie]);
}

/** Opens the newest email with this subject to `recipient` in the development mailbox; returns its link. */
async function openEmailedLink(
  page: Page,
  subject: RegExp,
  linkPattern: RegExp,
  recipient = applicantEmail,
): Promise<string> {
  await page.goto("/dev/mailbox");
  const message = page
    .getByRole("listitem")
    .filter({ hasText: recipient })
    .getByRole("link", { name: subject });
  await expect(message.first()).toBeVisible({ timeout: 15_000 });
  await message.first().click();
  const link = page.getByRole("main").getByRole("link", { name: linkPattern }).first();
  const href = await link.getAttribute("href");
  expect(href).toMatch(linkPattern);
  return href ?? "";
}

async function waitForEmail(kind: string, recipient = applicantEmail): Promise<void> {
  await expect
    .poll(
      async () =>
        (
          await db.outboxMessage.findFirst({
            where: { recipient, kind },
            select: { status: true },
          })
        )?.status,
      { timeout: 15_000 },
    )
    .toBe("SENT");
}

test("an application goes from the form to approval, through vetting and a request for more information", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);

  // The applicant applies.
  await context.clearCookies();
  await page.goto("/");
  await page.getByRole("link", { name: "Apply to join" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: /Apply to join/ })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  await page.getByLabel("Full name").fill(applicantName);
  await page.getByLabel("Email address").fill(applicantEmail);
  await page.getByLabel("Matrix ID (optional)").fill(`@ada-${marker}:example.org`);
  await page.getByLabel("Phone number (optional)").fill("+44 20 7946 0958");
  await page.getByLabel("Your statement").fill("I met the organisers at the spring meetup.");
  await page.getByLabel(/I have read the privacy notice/).check();
  await page.getByRole("button", { name: "Send my application" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);

  // … confirms the address from the emailed link (the GET shows a button; only the POST acts) …
  await waitForEmail("email_confirmation");
  const confirmationHref = await openEmailedLink(
    page,
    /Confirm your email address/,
    /\/apply\/confirm\/[A-Za-z0-9_-]{43}$/,
  );
  await context.clearCookies();
  await page.goto(confirmationHref);
  await expect(page.getByRole("heading", { level: 1, name: "Confirm your email address" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  await page.getByRole("button", { name: "Confirm and open my application" }).click();
  await expect(page).toHaveURL(/\/application(\?done=\w+)?$/);
  await expect(page.getByRole("heading", { level: 1, name: /Your application VC-\d{5}/ })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  const caseNumber = ((await page.getByRole("heading", { level: 1 }).textContent()) ?? "").match(
    /VC-\d{5,}/,
  )?.[0];
  expect(caseNumber).toBeTruthy();

  // … and submits.
  await page.getByRole("button", { name: "Submit my application" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Submitted");
  const vettingCase = await db.vettingCase.findFirstOrThrow({ where: { email: applicantEmail } });
  expect(vettingCase.state).toBe("SUBMITTED");
  await waitForEmail("application_received");

  // An admin takes the case into review before anyone has vetted it: approval is not offered, and the
  // decision panel says why (four eyes: an approval needs someone else's vetting record).
  await actAs(context, "firstAdmin");
  await page.goto(`/staff/cases/${vettingCase.id}`);
  await page.getByRole("button", { name: "Start review" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  const decisionPanel = page.getByRole("region", { name: "Decision", exact: true });
  await expect(decisionPanel).toContainText(
    "Approval needs a vetting record by someone else with the identity verified.",
  );
  await expect(decisionPanel.getByRole("radio", { name: "Approve" })).toHaveCount(0);
  await expect(decisionPanel.getByRole("radio", { name: "Reject" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);

  // An agent finds the case in the queue and records a vetting record: the case goes into review.
  await actAs(context, "agent");
  await page.goto("/staff/cases");
  await expectAccessibleInLightAndDarkThemes(page);
  await page
    .getByRole("link", { name: new RegExp(caseNumber ?? "none") })
    .first()
    .click();
  await expect(page.getByRole("heading", { level: 1, name: new RegExp(`Case ${caseNumber}`) })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  const vettingForm = page
    .locator("form")
    .filter({ has: page.getByRole("button", { name: "Add the vetting record" }) });
  await vettingForm
    .getByRole("group", { name: "Did you verify the person’s identity?" })
    .getByLabel("Yes")
    .check();
  await vettingForm.getByRole("group", { name: "How did you verify them?" }).getByLabel("Video call").check();
  await vettingForm.getByLabel("Day of the verification").fill(new Date().toISOString().slice(0, 10));
  await vettingForm.getByLabel("Where").fill("Video call from Leeds");
  await vettingForm.getByLabel("Notes (optional)").fill("Passport matched the face on camera.");
  await vettingForm.getByRole("group", { name: /score/ }).getByLabel("4 — confident").check();
  await vettingForm.getByRole("group", { name: "Your recommendation" }).getByLabel("Approve").check();
  await vettingForm.getByRole("button", { name: "Add the vetting record" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expect(page.getByRole("region", { name: "Vetting records" })).toContainText("Video call from Leeds");
  expect((await db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state).toBe("IN_REVIEW");
  await expectAccessibleInLightAndDarkThemes(page);

  // An admin asks for more information.
  await actAs(context, "firstAdmin");
  await page.goto(`/staff/cases/${vettingCase.id}`);
  await page.getByRole("group", { name: "Your decision" }).getByLabel("Ask for more information").check();
  await page.getByLabel("Reason", { exact: true }).fill("Please add how you know the organisers.");
  await page.getByRole("button", { name: "Record the decision" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  expect((await db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state).toBe(
    "MORE_INFORMATION_REQUESTED",
  );

  // The applicant follows the email, sees the reason, edits and resubmits.
  await context.clearCookies();
  await waitForEmail("more_information_requested");
  const signInHref = await openEmailedLink(
    page,
    /More information needed/,
    /\/apply\/sign-in\/[A-Za-z0-9_-]{43}$/,
  );
  await context.clearCookies();
  await page.goto(signInHref);
  await expectAccessibleInLightAndDarkThemes(page);
  await page.getByRole("button", { name: "Open my application" }).click();
  await expect(page).toHaveURL(/\/application(\?done=\w+)?$/);
  await expect(page.getByRole("main")).toContainText("Please add how you know the organisers.");
  await expectAccessibleInLightAndDarkThemes(page);
  await page
    .getByLabel("Your statement")
    .fill("I met the organisers at the spring meetup; Sam from the board can vouch for me.");
  await page.getByRole("button", { name: "Save my details" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await page.getByRole("button", { name: "Resubmit my application" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  const resubmitted = await db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
  expect(resubmitted.state).toBe("IN_REVIEW");
  expect(resubmitted.statement).toContain("Sam from the board");

  // A different admin approves.
  await actAs(context, "secondAdmin");
  await page.goto(`/staff/cases/${vettingCase.id}`);
  await page.getByRole("group", { name: "Your decision" }).getByLabel("Approve").check();
  await page.getByRole("button", { name: "Record the decision" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  const decided = await db.vettingCase.findUniqueOrThrow({
    where: { id: vettingCase.id },
    include: { decisions: true },
  });
  expect(decided.state).toBe("APPROVED");
  expect(decided.decisions.map((decision) => decision.kind).sort()).toEqual([
    "APPROVE",
    "REQUEST_MORE_INFORMATION",
  ]);

  // The applicant receives the approval email.
  await waitForEmail("decision_approved");
  await page.goto("/dev/mailbox");
  await page
    .getByRole("listitem")
    .filter({ hasText: applicantEmail })
    .getByRole("link", { name: /was approved/ })
    .first()
    .click();
  await expect(page.getByRole("main")).toContainText(applicantName);
  await expectAccessibleInLightAndDarkThemes(page);
});

test("an agent submits for someone met in person; their reply to a request for more information reaches the agent", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  const personEmail = `pat-${marker}@example.org`;
  const agent = await db.staffUser.findUniqueOrThrow({
    where: { email: `agent-${marker}@example.org` },
    select: { id: true, email: true },
  });
  // The agent opened the case after meeting the person (a staff-opened draft, theirs to work on).
  const vettingCase = await db.vettingCase.create({
    data: {
      state: "DRAFT",
      origin: "STAFF",
      fullName: `Pat Person ${marker}`,
      email: personEmail,
      statement: "I repair bicycles at the community workshop.",
      createdById: agent.id,
      assignedToId: agent.id,
    },
    select: { id: true, number: true },
  });

  // The agent submits it for the person, who signed the paper consent form.
  await actAs(context, "agent");
  await page.goto(`/staff/cases/${vettingCase.id}`);
  const onBehalf = page.getByRole("region", { name: "Submitted for the person" });
  await onBehalf
    .getByRole("group", { name: "How the person agreed to the privacy notice" })
    .getByLabel("Signed a paper form")
    .check();
  await onBehalf.getByLabel("Note on the consent").fill("Paper form in the office file");
  await onBehalf.getByLabel("The person agreed to the privacy notice as it reads now").check();
  await onBehalf.getByRole("button", { name: "Submit the application for the person" }).click();
  await expect(page.getByRole("status")).toContainText("submitted on the person’s behalf");
  await expect(page.getByRole("region", { name: "Submitted for the person" })).toContainText(
    "Signed a paper form",
  );
  await expectAccessibleInLightAndDarkThemes(page);
  const submitted = await db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
  expect(submitted.state).toBe("SUBMITTED");
  expect(submitted.privacyConsentKind).toBe("SIGNED_PAPER_FORM");
  await waitForEmail("submitted_on_behalf", personEmail);
  await page.getByRole("button", { name: "Start review" }).click();
  await expect(page.getByRole("status")).toBeVisible();

  // An admin asks for more information.
  await actAs(context, "firstAdmin");
  await page.goto(`/staff/cases/${vettingCase.id}`);
  await page.getByRole("group", { name: "Your decision" }).getByLabel("Ask for more information").check();
  await page.getByLabel("Reason", { exact: true }).fill("Who at the workshop can vouch for you?");
  await page.getByRole("button", { name: "Record the decision" }).click();
  await expect(page.getByRole("status")).toBeVisible();

  // The person follows the email and answers the question with a reply.
  await context.clearCookies();
  await waitForEmail("more_information_requested", personEmail);
  const signInHref = await openEmailedLink(
    page,
    /More information needed/,
    /\/apply\/sign-in\/[A-Za-z0-9_-]{43}$/,
    personEmail,
  );
  await context.clearCookies();
  await page.goto(signInHref);
  await page.getByRole("button", { name: "Open my application" }).click();
  await expect(page).toHaveURL(/\/application(\?done=\w+)?$/);
  const messages = page.getByRole("region", { name: "Messages with the vetting team" });
  await expect(messages).toContainText("Who at the workshop can vouch for you?");
  await messages.getByLabel("Answer the vetting team’s question").fill("Jo, who runs the Saturday sessions.");
  await messages.getByRole("button", { name: "Send my message" }).click();
  await expect(page.getByRole("status")).toContainText("Your message was sent to the vetting team.");
  await expect(page.getByRole("region", { name: "Messages with the vetting team" })).toContainText(
    "Answers the request for more information",
  );
  await expectAccessibleInLightAndDarkThemes(page);

  // The agent, the case's assignee, is emailed, and reads the reply on the case page.
  await waitForEmail("applicant_replied", agent.email);
  const caseHref = await openEmailedLink(
    page,
    /Answer to your request on case VC-\d{5,}/,
    new RegExp(`/staff/cases/${vettingCase.id}$`),
    agent.email,
  );
  await actAs(context, "agent");
  await page.goto(new URL(caseHref).pathname);
  const conversation = page.getByRole("region", { name: "Conversation with the applicant" });
  await expect(conversation).toContainText("Jo, who runs the Saturday sessions.");
  await expect(conversation).toContainText("Request for more information, answered");
  await expectAccessibleInLightAndDarkThemes(page);
});
