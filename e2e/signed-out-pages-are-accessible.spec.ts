import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

test.describe("pages a signed-out person reaches", () => {
  test("asking for a password reset link: the form and its answer", async ({ page }) => {
    await page.goto("/staff/password-reset");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByLabel("Email address").fill("nobody@example.org");
    await page.getByRole("button").filter({ hasText: /link/i }).click();
    await expect(page.getByRole("main")).toContainText("If an account exists for that address");
    await expectAccessibleInLightAndDarkThemes(page);
  });

  for (const [label, path] of [
    ["an unknown setup link", `/setup/${"A".repeat(43)}`],
    ["an unknown invitation link", `/staff/invitation/${"A".repeat(43)}`],
    ["an unknown password reset link", `/staff/password-reset/${"A".repeat(43)}`],
  ] as const) {
    test(`${label} explains itself`, async ({ page, browserProblems }) => {
      browserProblems.allowErrorStatusFor(path);
      const response = await page.goto(path);
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expectAccessibleInLightAndDarkThemes(page);
    });
  }
});
