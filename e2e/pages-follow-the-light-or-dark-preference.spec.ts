import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";

/** The relative luminance (0 black … 1 white) of the page background. */
function backgroundLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { body: unknown };
      getComputedStyle(element: unknown): { backgroundColor: string };
    };
    const [red, green, blue] = (
      browser.getComputedStyle(browser.document.body).backgroundColor.match(/\d+/g) ?? []
    )
      .slice(0, 3)
      .map((channel) => {
        const value = Number(channel) / 255;
        return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * (red ?? 0) + 0.7152 * (green ?? 0) + 0.0722 * (blue ?? 0);
  });
}

test.describe("the colour theme", () => {
  test("is light when the system prefers light, and dark when it prefers dark", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto("/");
    expect(await backgroundLuminance(page)).toBeGreaterThan(0.8);

    await page.emulateMedia({ colorScheme: "dark" });
    expect(await backgroundLuminance(page)).toBeLessThan(0.05);
  });
});
