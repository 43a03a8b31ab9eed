import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

test.describe("the home page", () => {
  test("explains each step of vetting in order", async ({ page }) => {
    await page.goto("/");

    await expect(page).toHaveTitle(/ — Vetting Portal$/);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const steps = page.getByRole("region", { name: "How vetting works" }).getByRole("heading", { level: 3 });
    await expect(steps).toHaveText([
      "Apply",
      "Confirm your email address",
      "A vetting agent verifies your identity",
      "An admin decides",
      "You join",
    ]);
    const main = page.getByRole("main");
    await expect(main).toContainText("no password");
    await expect(main).toContainText("in person, by video call, or through a trusted referral");
    await expect(main).toContainText("second person");
    await expect(main).toContainText("Matrix registration token");
  });

  test("says what is kept about an applicant and who sees the evidence", async ({ page }) => {
    await page.goto("/");

    const dataSection = page.getByRole("region", { name: "What we keep and why" });
    await expect(dataSection).toContainText("Your application");
    await expect(dataSection).toContainText("Only the people vetting you can see it");
  });

  test("links to the application and to staff sign-in", async ({ page }) => {
    await page.goto("/");

    const main = page.getByRole("main");
    await expect(main.getByRole("link", { name: "Apply to join" })).toHaveAttribute("href", "/apply");
    await expect(main.getByRole("link", { name: "Sign in to the staff area" })).toHaveAttribute(
      "href",
      "/staff/sign-in",
    );
    const navigation = page.getByRole("navigation", { name: "Main" });
    await expect(navigation.getByRole("link", { name: "How it works" })).toHaveAttribute(
      "aria-current",
      "page",
    );
    await expect(navigation.getByRole("link", { name: "Apply" })).toHaveAttribute("href", "/apply");
    await expect(navigation.getByRole("link", { name: "Staff sign-in" })).toHaveAttribute(
      "href",
      "/staff/sign-in",
    );
  });

  test("has no WCAG 2.1 AA violations in the light and the dark theme", async ({ page }) => {
    await page.goto("/");

    await expectAccessibleInLightAndDarkThemes(page);
  });
});

test.describe("parts that are not built yet", () => {
  for (const { linkName, path } of [{ linkName: "Apply to join", path: "/apply" }]) {
    test(`following "${linkName}" says plainly that ${path} is not open yet`, async ({ page }) => {
      await page.goto("/");
      await page.getByRole("main").getByRole("link", { name: linkName }).click();

      await expect(page).toHaveURL(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expect(page.getByRole("main")).toContainText("This part of the portal is not open yet.");
      await expectAccessibleInLightAndDarkThemes(page);
    });
  }
});

test('following "Sign in to the staff area" opens the staff sign-in page', async ({ page }) => {
  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Sign in to the staff area" }).click();

  await expect(page).toHaveURL("/staff/sign-in");
  await expect(page.getByRole("heading", { level: 1, name: "Staff sign-in" })).toBeVisible();
  await expect(page.getByLabel("Email address")).toBeVisible();
});
