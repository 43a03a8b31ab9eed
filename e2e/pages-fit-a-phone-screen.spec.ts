import type { Page } from "@playwright/test";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, test } from "./fixtures.js";

test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

/**
 * How far the page is wider than the phone's screen: against the root element's client width (the 360
 * pixels), not innerWidth. A mobile browser widens its visual viewport (and innerWidth) to take in content
 * that is too wide and zooms out, so against innerWidth too-wide content would never show.
 */
function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { scrollingElement: { scrollWidth: number; clientWidth: number } | null };
    };
    const root = browser.document.scrollingElement;
    return (root?.scrollWidth ?? 0) - (root?.clientWidth ?? 0);
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

  test("the application form needs no horizontal scrolling", async ({ page }) => {
    await page.goto("/apply");

    await expect(page.getByRole("button", { name: "Send my application" })).toBeVisible();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });

  test("the case queue, a case page and the profile need no horizontal scrolling (wide tables scroll in their own box)", async ({
    page,
    context,
  }) => {
    const config = appConfig();
    const db = openAppDatabase();
    const name = `Maximiliane Wolkenstein-Habsburg-Lothringen ${Date.now()}`;
    try {
      const agent = await createStaffMember(db, config, { role: "VETTING_AGENT" });
      const vettingCase = await db.vettingCase.create({
        data: {
          origin: "APPLICANT",
          state: "SUBMITTED",
          fullName: name,
          email: `phone-${Date.now()}@example.org`,
          statement: "A long statement. ".repeat(40),
          submittedAt: new Date(),
          lastSubmittedAt: new Date(),
        },
      });
      await context.addCookies([await signedInSessionCookie(db, config, agent.id)]);

      await page.goto("/staff/cases?tab=submitted");
      await expect(page.getByRole("row").filter({ hasText: name })).toBeVisible();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);

      await page.goto(`/staff/cases/${vettingCase.id}`);
      await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);

      // The sessions table's last header is visually hidden text, past the table's box on a phone: it must
      // stay inside that box's scrolling, not widen the page.
      await page.goto("/staff/profile");
      await expect(page.getByRole("heading", { name: "Where you are signed in" })).toBeVisible();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    } finally {
      await db.$disconnect();
    }
  });

  test("the evidence upload page needs no horizontal scrolling, even with a long file name chosen", async ({
    page,
    context,
  }) => {
    const config = appConfig();
    const db = openAppDatabase();
    try {
      const agent = await createStaffMember(db, config, { role: "VETTING_AGENT" });
      const vettingCase = await db.vettingCase.create({
        data: {
          origin: "APPLICANT",
          state: "SUBMITTED",
          fullName: `Evidence On A Phone ${Date.now()}`,
          email: `phone-evidence-${Date.now()}@example.org`,
          statement: "A statement.",
          submittedAt: new Date(),
          lastSubmittedAt: new Date(),
        },
      });
      await context.addCookies([await signedInSessionCookie(db, config, agent.id)]);

      await page.goto(`/staff/cases/${vettingCase.id}/evidence`);
      await expect(page.getByRole("button", { name: "Choose files or drop them here" })).toBeVisible();
      await page.locator('input[type="file"]').setInputFiles({
        name: `${"Scan-of-a-rather-long-document-name-".repeat(4)}.pdf`,
        mimeType: "application/pdf",
        buffer: Buffer.from("%PDF-1.4\n%%EOF\n"),
      });
      await expect(page.getByRole("list", { name: "Chosen files" })).toContainText("Scan-of-a-rather");
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    } finally {
      await db.$disconnect();
    }
  });
});
