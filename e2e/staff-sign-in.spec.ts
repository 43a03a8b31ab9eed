import { randomUUID } from "node:crypto";
import { hashPassword } from "../src/domain/password.js";
import { newTotpSecret, totpCodeAt } from "../src/domain/totp.js";
import { sealSecret } from "../src/secrets.js";
import { issueLinkToken } from "../src/tokens.js";
import { appConfig, openAppDatabase } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const PASSWORD = "quiet meadow saxophone 47";

/** A staff member made as the portal makes them, with the TOTP secret sealed under the server's key. */
async function seedStaffMember(name: string, options: { withResetLink?: boolean } = {}) {
  const { staff } = appConfig();
  const db = openAppDatabase();
  const totpSecret = newTotpSecret();
  const email = `e2e-${randomUUID()}@example.org`;
  try {
    const { id } = await db.staffUser.create({
      data: {
        name,
        email,
        role: "VETTING_AGENT",
        status: "ACTIVE",
        passwordHash: await hashPassword(PASSWORD),
        passwordChangedAt: new Date(),
        totpSecretSealed: sealSecret(staff.totpKey, totpSecret),
        totpEnabledAt: new Date(),
      },
      select: { id: true },
    });
    const resetLink = options.withResetLink
      ? await db.$transaction((tx) =>
          issueLinkToken(tx, {
            purpose: "password_reset",
            subject: { type: "staff_user", id },
            lifetimeMs: 30 * 60_000,
          }),
        )
      : null;
    return { email, totpSecret, resetToken: resetLink?.token ?? "" };
  } finally {
    await db.$disconnect();
  }
}

test.describe("staff sign-in", () => {
  test("a staff member signs in with a password and an authenticator code, then signs out", async ({
    page,
  }) => {
    const member = await seedStaffMember("Erin Endtoend");

    await page.goto("/staff");
    await expect(page).toHaveURL("/staff/sign-in?next=%2Fstaff");
    await expect(page.getByRole("heading", { level: 1, name: "Staff sign-in" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByLabel("Email address").fill(member.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Continue" }).click();

    await expect(page).toHaveURL("/staff/sign-in/verify?next=%2Fstaff");
    await expect(page.getByRole("heading", { level: 1, name: "Enter your sign-in code" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByLabel("Code").fill(totpCodeAt(member.totpSecret, new Date()));
    await page.getByRole("button", { name: "Sign in" }).click();

    await expect(page).toHaveURL("/staff");
    await expect(page.getByRole("heading", { level: 1, name: "Staff home" })).toBeVisible();
    const header = page.getByRole("banner");
    await expect(header).toContainText("Erin Endtoend");
    await expect(header.getByRole("link", { name: "Staff home" })).toHaveAttribute("href", "/staff");

    await header.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL("/staff/sign-in");
    await expect(page.getByRole("banner")).not.toContainText("Erin Endtoend");
    await page.goto("/staff");
    await expect(page).toHaveURL("/staff/sign-in?next=%2Fstaff");
  });

  test("a wrong password is answered with the generic message, linked from the error summary", async ({
    page,
    browserProblems,
  }) => {
    // The refused sign-in is answered 422, which Chromium logs as a console error.
    browserProblems.allowErrorStatusFor("/staff/sign-in");
    const member = await seedStaffMember("Walt Wrong");
    await page.goto("/staff/sign-in");
    await page.getByLabel("Email address").fill(member.email);
    await page.getByLabel("Password").fill("not the right password");
    await page.getByRole("button", { name: "Continue" }).click();

    await expect(page).toHaveTitle(/^Error: Staff sign-in/);
    await expect(page.getByRole("alert")).toContainText("The email address or password is not right.");
    await expect(page.getByLabel("Email address")).toHaveValue(member.email);
  });

  test("the password reset form rates a new password as it is typed", async ({ page }) => {
    const member = await seedStaffMember("Petra Passphrase", { withResetLink: true });
    await page.goto(`/staff/password-reset/${member.resetToken}`);
    await expect(page.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
    const meter = page.locator("#password-strength");
    await expect(meter).toHaveAttribute("aria-live", "polite");

    await page.getByLabel("New password").fill("short");
    await expect(meter).toHaveText("Too short: 7 more characters needed.");
    await page.getByLabel("New password").fill("password123456");
    await expect(meter).toContainText("common pattern");
    await page.getByLabel("New password").fill("violet harbour lanterns drift");
    await expect(meter).toHaveText("Strong: a long passphrase.");
    await expectAccessibleInLightAndDarkThemes(page);
  });
});
