// A Matrix registration token from approval to the person's screen, in Chromium: an admin approves a
// vetted case; the app's worker creates the token on the fake Synapse admin API (e2e/fakeSynapseServer.ts,
// started by playwright.config.ts) and emails the approval with a one-time link; the applicant opens
// the link (a page with a button), reveals the token once, and the same link then opens nothing. The
// case, its vetting record and the staff are seeded through Prisma; axe checks every page on the way.
import { randomUUID } from "node:crypto";
import { openRegistrationToken } from "../src/matrix/tokenSecrets.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const applicantName = `Reva Registrant ${marker}`;
const applicantEmail = `reva-${marker}@example.org`;

test("an approved applicant opens the emailed link and sees their registration token once", async ({
  page,
  context,
  browserProblems,
}) => {
  test.setTimeout(90_000);
  const config = appConfig();
  const db = openAppDatabase();
  try {
    const agent = await createStaffMember(db, config, {
      role: "VETTING_AGENT",
      name: `Vic Vetter ${marker}`,
    });
    const admin = await createStaffMember(db, config, {
      role: "INVITING_ADMIN",
      name: `Ina Admin ${marker}`,
    });
    const submittedAt = new Date(Date.now() - 86_400_000);
    const vettingCase = await db.vettingCase.create({
      data: {
        state: "IN_REVIEW",
        origin: "APPLICANT",
        fullName: applicantName,
        email: applicantEmail,
        statement: "I met the organisers at the spring meetup.",
        emailConfirmedAt: submittedAt,
        submittedAt,
        lastSubmittedAt: submittedAt,
        assignedToId: agent.id,
      },
      select: { id: true },
    });
    await db.vettingRecord.create({
      data: {
        caseId: vettingCase.id,
        agentId: agent.id,
        identityVerified: true,
        method: "VIDEO_CALL",
        verifiedOn: new Date("2025-03-01"),
        place: "Video call",
        notes: "Checked an identity document.",
        score: 4,
        recommendation: "APPROVE",
      },
    });

    // The admin approves.
    await context.addCookies([await signedInSessionCookie(db, config, admin.id)]);
    await page.goto(`/staff/cases/${vettingCase.id}`);
    await page.getByRole("group", { name: "Your decision" }).getByLabel("Approve").check();
    await page.getByRole("button", { name: "Record the decision" }).click();
    await expect(page.getByRole("status").first()).toBeVisible();

    // The worker creates the token on the homeserver and sends the approval email.
    await expect
      .poll(
        async () =>
          (
            await db.registrationToken.findFirst({
              where: { caseId: vettingCase.id },
              select: { state: true },
            })
          )?.state,
        { timeout: 20_000 },
      )
      .toBe("CREATED");
    await expect
      .poll(
        async () =>
          (
            await db.outboxMessage.findFirst({
              where: { recipient: applicantEmail, kind: "decision_approved" },
              select: { status: true },
            })
          )?.status,
        { timeout: 20_000 },
      )
      .toBe("SENT");
    const tokenRow = await db.registrationToken.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    const registrationToken = openRegistrationToken(config.staff.totpKey, tokenRow.tokenSealed);

    // The case page shows the token's state to staff.
    await page.reload();
    await expect(page.getByRole("heading", { name: "Matrix registration token" })).toBeVisible();
    await expect(page.getByText("Created, not revealed yet")).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    // The approval email carries the link, not the token.
    await page.goto("/dev/mailbox");
    await page
      .getByRole("listitem")
      .filter({ hasText: applicantEmail })
      .getByRole("link", { name: /was approved/ })
      .first()
      .click();
    await expect(page.getByRole("main")).toContainText("the token is not in this email");
    await expect(page.getByRole("main")).not.toContainText(registrationToken);
    const href =
      (await page
        .getByRole("main")
        .getByRole("link", { name: /\/registration-token\/[A-Za-z0-9_-]{43}$/ })
        .first()
        .getAttribute("href")) ?? "";
    expect(href).toMatch(/\/registration-token\/[A-Za-z0-9_-]{43}$/);

    // The applicant (no staff session) opens it: a page with one button, nothing shown yet.
    await context.clearCookies();
    await page.goto(href);
    await expect(
      page.getByRole("heading", { level: 1, name: "Your Matrix registration token" }),
    ).toBeVisible();
    await expect(page.getByRole("main")).not.toContainText(registrationToken);
    await expectAccessibleInLightAndDarkThemes(page);

    // … and reveals it: the token, where to use it, and how.
    await page.getByRole("button", { name: "Show my registration token" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Copy this token now" })).toBeVisible();
    await expect(page.locator("#registration-token")).toHaveText(registrationToken);
    await expect(page.getByRole("link", { name: "https://element.example.org/#/register" })).toBeVisible();
    await expect(page.getByText("When it asks for a registration token, paste this one.")).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    // Once: the same link now explains itself and offers a new one by email.
    const linkPath = new URL(href).pathname;
    browserProblems.allowErrorStatusFor(linkPath);
    await page.goto(href);
    await expect(page.getByRole("heading", { level: 1, name: "This link does not work" })).toBeVisible();
    await expect(page.getByRole("main")).toContainText("This link has already been used");
    await expect(page.getByRole("main")).not.toContainText(registrationToken);
    await expect(page.getByRole("button", { name: "Email me a new link" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    const revealed = await db.registrationToken.findUniqueOrThrow({ where: { id: tokenRow.id } });
    expect(revealed.revealCount).toBe(1);
  } finally {
    await db.$disconnect();
  }
});
