// The single sign-on round trip in Chromium: the sign-in page's "Sign in with Example ID", the real
// OpenID provider's own sign-in page (src/test/oidcProviderServer.ts, started by playwright.config.ts),
// and back to the staff home, signed in; the account linked by its verified address at the first time.

import { hashPassword } from "../src/domain/password.js";
import { openAppDatabase } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";
import { E2E_SSO_ACCOUNT } from "./singleSignOn.js";

test.describe("staff sign-in with single sign-on", () => {
  test("the first sign-in links the account by its verified address, and later ones find it by the link", async ({
    page,
  }) => {
    const db = openAppDatabase();
    try {
      // The e2e database outlives a run: start from an unlinked account each time.
      const fields = {
        name: "Sam Singlesignon",
        role: "VETTING_AGENT" as const,
        status: "ACTIVE" as const,
        passwordHash: await hashPassword("quiet meadow saxophone 47"),
        passwordChangedAt: new Date(),
        oidcIssuer: null,
        oidcSubject: null,
        oidcLinkedAt: null,
      };
      const { id } = await db.staffUser.upsert({
        where: { email: E2E_SSO_ACCOUNT.email },
        create: { email: E2E_SSO_ACCOUNT.email, ...fields },
        update: fields,
        select: { id: true },
      });
      const signInsBefore = await db.auditEvent.count({
        where: { subjectId: id, action: "staff.signed_in" },
      });

      await page.goto("/staff/sign-in");
      await expectAccessibleInLightAndDarkThemes(page);
      await page.getByRole("button", { name: "Sign in with Example ID" }).click();

      await expect(page.getByRole("heading", { name: "Test provider" })).toBeVisible();
      await page.getByLabel("Subject").fill(E2E_SSO_ACCOUNT.subject);
      await page.getByLabel("Methods").fill("pwd mfa");
      await page.getByRole("button", { name: "Sign in at the provider" }).click();

      await expect(page).toHaveURL("/staff");
      const linked = await db.staffUser.findUniqueOrThrow({ where: { id } });
      expect(linked.oidcSubject).toBe(E2E_SSO_ACCOUNT.subject);

      // Signed out, then in again: the provider remembers the person, the portal the link.
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL("/staff/sign-in");
      await page.getByRole("button", { name: "Sign in with Example ID" }).click();
      await expect(page).toHaveURL("/staff");
      expect(await db.auditEvent.count({ where: { subjectId: id, action: "staff.signed_in" } })).toBe(
        signInsBefore + 2,
      );
    } finally {
      await db.$disconnect();
    }
  });

  test("an identity the provider vouches for but no account is linked to gets a page that says so, and no session", async ({
    page,
    browserProblems,
  }) => {
    browserProblems.allowErrorStatusFor("/staff/sign-in/sso/callback");
    // The provider's test person, with no portal account linked to them or at their address.
    const db = openAppDatabase();
    try {
      await db.staffUser.updateMany({
        where: { OR: [{ email: E2E_SSO_ACCOUNT.email }, { oidcSubject: E2E_SSO_ACCOUNT.subject }] },
        data: {
          email: `moved-${Date.now()}@example.org`,
          oidcIssuer: null,
          oidcSubject: null,
          oidcLinkedAt: null,
        },
      });
    } finally {
      await db.$disconnect();
    }
    await page.goto("/staff/sign-in");
    await page.getByRole("button", { name: "Sign in with Example ID" }).click();
    await expect(page.getByRole("heading", { name: "Test provider" })).toBeVisible();
    await page.getByLabel("Subject").fill(E2E_SSO_ACCOUNT.subject);
    await page.getByLabel("Methods").fill("pwd mfa");
    await page.getByRole("button", { name: "Sign in at the provider" }).click();

    await expect(page.getByRole("main")).toContainText("No staff account is linked to that sign-in");
    await expectAccessibleInLightAndDarkThemes(page);
    await page.goto("/staff");
    await expect(page).toHaveURL(/\/staff\/sign-in/);
  });
});
