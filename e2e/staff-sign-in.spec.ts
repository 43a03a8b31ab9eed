import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { createDatabase } from "../src/db.js";
import { hashPassword } from "../src/domain/password.js";
import { newTotpSecret, totpCodeAt } from "../src/domain/totp.js";
import { sealSecret } from "../src/secrets.js";
import { issueLinkToken } from "../src/tokens.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const PASSWORD = "quiet meadow saxophone 47";

/** The e2e server's database: the orchestrator's, or the embedded one playwright.config.ts starts. */
function e2eDatabaseUrl(): string {
  if (process.env.E2E_DATABASE_URL) return process.env.E2E_DATABASE_URL;
  const port = Number(process.env.E2E_PORT || 3100);
  const dataDir = path.join(tmpdir(), `vetting-portal-e2e-${port}`, "postgres");
  const password = readFileSync(path.join(dataDir, "embedded-superuser-password"), "utf8").trim();
  const postgresPort = process.env.E2E_EMBEDDED_POSTGRES_PORT || "54339";
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${postgresPort}/vetting_portal`;
}

/** A staff member made as the portal makes them, with the TOTP secret sealed under the server's key. */
async function seedStaffMember(name: string, options: { withResetLink?: boolean } = {}) {
  // The e2e server runs in development, where the TOTP key is the one kept in .data/.
  const { staff } = loadConfig({ NODE_ENV: "development" });
  const db = createDatabase(e2eDatabaseUrl(), {
    poolMax: 2,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5_000,
  });
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
