import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const UNKNOWN_PATH = "/this-page-does-not-exist";

test.describe("an address that does not exist", () => {
  test.beforeEach(({ browserProblems }) => {
    browserProblems.allowErrorStatusFor(UNKNOWN_PATH);
  });

  test("shows the not-found page with a reference to quote", async ({ page }) => {
    const response = await page.goto(UNKNOWN_PATH);

    expect(response?.status()).toBe(404);
    await expect(page).toHaveTitle("Page not found — Vetting Portal");
    await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Check the address");
    // The reference on the page is the id the server logged the request under.
    const requestId = response?.headers()["x-request-id"];
    expect(requestId).toBeTruthy();
    await expect(page.getByText("Reference:")).toHaveText(`Reference: ${requestId}`);
  });

  test("links back to the home page", async ({ page }) => {
    await page.goto(UNKNOWN_PATH);
    await page.getByRole("main").getByRole("link", { name: "Go to the home page" }).click();

    await expect(page).toHaveURL("/");
    await expect(page.getByRole("region", { name: "How vetting works" })).toBeVisible();
  });

  test("has no WCAG 2.1 AA violations in the light and the dark theme", async ({ page }) => {
    await page.goto(UNKNOWN_PATH);

    await expectAccessibleInLightAndDarkThemes(page);
  });
});
