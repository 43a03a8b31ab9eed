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

test('following "Apply to join" opens the application form', async ({ page }) => {
  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Apply to join" }).click();

  await expect(page).toHaveURL("/apply");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Apply to join /);
  await expect(page.getByLabel("Full name")).toBeVisible();
  await expect(page.getByLabel("Email address")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: /I have read the privacy notice/ })).not.toBeChecked();
  await expect(page.getByRole("button", { name: "Send my application" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
});

test('"Email me a link" on the home page answers the same for any address', async ({ page }) => {
  await page.goto("/");
  const form = page.getByRole("region", { name: "Already applied?" });
  await form.getByLabel("Email address").fill("nobody-here@example.org");
  await form.getByRole("button", { name: "Email me a link" }).click();

  await expect(page).toHaveURL("/apply/sign-in/sent");
  await expect(page.getByRole("main")).toContainText(
    "If an application uses this address, we have sent a link; it works once within 15 minutes",
  );
});

test('following "Sign in to the staff area" opens the staff sign-in page', async ({ page }) => {
  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Sign in to the staff area" }).click();

  await expect(page).toHaveURL("/staff/sign-in");
  await expect(page.getByRole("heading", { level: 1, name: "Staff sign-in" })).toBeVisible();
  await expect(page.getByLabel("Email address")).toBeVisible();
});
