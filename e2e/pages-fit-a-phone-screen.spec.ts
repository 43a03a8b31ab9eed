import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";

test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { scrollingElement: { scrollWidth: number } | null };
      innerWidth: number;
    };
    return (browser.document.scrollingElement?.scrollWidth ?? 0) - browser.innerWidth;
  });
}

test.describe("on a 360-pixel-wide phone", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`the home page needs no horizontal scrolling (${colorScheme} theme)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto("/");

      await expect(page.getByRole("link", { name: "Apply to join" })).toBeVisible();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    });
  }

  test("the not-found page needs no horizontal scrolling", async ({ page, browserProblems }) => {
    browserProblems.allowErrorStatusFor("/this-page-does-not-exist");
    await page.goto("/this-page-does-not-exist");

    await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });
});
