// Step-up: an admin whose last authenticator code is older than STEP_UP_MINUTES decides a case; the
// portal asks for a fresh code first, then records the decision as it was asked, reason and all. The
// admin, the session (moved back in time), the vetted case are seeded through Prisma in the app's own
// database; the browser holds the session cookie.
import { randomUUID } from "node:crypto";
import { totpCodeAt } from "../src/domain/totp.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

test("an admin whose code is old is asked for a fresh one, then the decision is made as asked", async ({
  page,
  context,
  browserProblems,
}) => {
  const config = appConfig();
  const db = openAppDatabase();
  const marker = randomUUID().slice(0, 8);
  try {
    const agent = await createStaffMember(db, config, {
      role: "VETTING_AGENT",
      name: `Vera Vetter ${marker}`,
    });
    const admin = await createStaffMember(db, config, {
      role: "INVITING_ADMIN",
      name: `Ada Admin ${marker}`,
    });
    const submittedAt = new Date(Date.now() - 24 * 3_600_000);
    const vettingCase = await db.vettingCase.create({
      data: {
        state: "IN_REVIEW",
        origin: "APPLICANT",
        fullName: `Sam Stepup ${marker}`,
        email: `stepup-${marker}@example.org`,
        statement: "I would like to join.",
        emailConfirmedAt: submittedAt,
        submittedAt,
        lastSubmittedAt: submittedAt,
        vettingRecords: {
          create: {
            agentId: agent.id,
            identityVerified: true,
            method: "VIDEO_CALL",
            verifiedOn: new Date("2025-03-01"),
            place: "Video call",
            notes: "Checked an identity document.",
            score: 4,
            recommendation: "APPROVE",
          },
        },
      },
      select: { id: true },
    });
    await context.addCookies([await signedInSessionCookie(db, config, admin.id)]);
    // Signed in an hour ago: longer ago than STEP_UP_MINUTES (10 by default).
    await db.staffSession.updateMany({
      where: { staffUserId: admin.id },
      data: { secondFactorAt: new Date(Date.now() - 60 * 60_000) },
    });
    const decisionPath = `/staff/cases/${vettingCase.id}/decision`;
    // The step-up page answers 403 until the code is given; Chromium logs that status.
    browserProblems.allowErrorStatusFor(decisionPath);

    await page.goto(`/staff/cases/${vettingCase.id}`);
    const reason = "Please tell us who referred you.\nAnd your Matrix ID.";
    await page.getByRole("group", { name: "Your decision" }).getByLabel("Ask for more information").check();
    await page.getByLabel("Reason", { exact: true }).fill(reason);
    await page.getByRole("button", { name: "Record the decision" }).click();

    await expect(page).toHaveURL(decisionPath);
    await expect(page.getByRole("heading", { level: 1, name: "Confirm it is you" })).toBeVisible();
    await expect(
      page.getByText("To decide this case, enter a code from your authenticator app."),
    ).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    expect(await db.caseDecision.count({ where: { caseId: vettingCase.id } })).toBe(0);

    await page.getByLabel("Code").fill("000000");
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await expect(page.getByRole("alert")).toContainText(
      "That code is not right, or it has been used already.",
    );
    expect(await db.caseDecision.count({ where: { caseId: vettingCase.id } })).toBe(0);

    await page.getByLabel("Code").fill(totpCodeAt(admin.totpSecret, new Date()));
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await expect(page).toHaveURL(`/staff/cases/${vettingCase.id}?done=more_information_requested`);
    await expect(page.getByText("The applicant was asked for more information")).toBeVisible();
    const decisions = await db.caseDecision.findMany({ where: { caseId: vettingCase.id } });
    expect(decisions.map((decision) => [decision.kind, decision.reason?.replace(/\r\n/g, "\n")])).toEqual([
      ["REQUEST_MORE_INFORMATION", reason],
    ]);
  } finally {
    await db.$disconnect();
  }
});
