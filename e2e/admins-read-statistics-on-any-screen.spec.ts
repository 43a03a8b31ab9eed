// The statistics page on a laptop (1280×800), a large screen (1920×1080) and a phone (360 wide): its
// charts scale to the column, the tables scroll in their own box, so the main content never scrolls
// sideways. A screenshot of each is kept with the test's results. axe checks the page in both themes.
import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import type { Database } from "../src/db.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const HOUR_MS = 60 * 60 * 1000;
let db: Database;

test.beforeAll(async () => {
  db = openAppDatabase();
  const config = appConfig();
  // A long name, so the open-cases chart and table have something wide to fit.
  const agent = await createStaffMember(db, config, {
    role: "VETTING_AGENT",
    name: `Maximiliane Wolkenstein-Habsburg-Lothringen ${marker}`,
  });
  const now = Date.now();
  // Some of each outcome over the last weeks, so every chart has bars.
  await db.vettingCase.createMany({
    data: Array.from({ length: 24 }, (_, index) => {
      const submittedAt = new Date(now - (index * 3 + 2) * 24 * HOUR_MS);
      const state = (["APPROVED", "REJECTED", "IN_REVIEW", "WITHDRAWN"] as const)[index % 4];
      const isDecided = state === "APPROVED" || state === "REJECTED";
      return {
        origin: "APPLICANT" as const,
        state,
        fullName: `Statistics ${marker} ${index}`,
        email: `statistics-${marker}-${index}@example.org`,
        statement: "I would like to join.",
        submittedAt,
        lastSubmittedAt: submittedAt,
        decidedAt: isDecided ? new Date(submittedAt.getTime() + (index + 1) * 5 * HOUR_MS) : null,
        assignedToId: state === "IN_REVIEW" ? agent.id : null,
      };
    }),
  });
});
test.afterAll(async () => {
  await db?.$disconnect();
});

test.beforeEach(async ({ context }) => {
  const config = appConfig();
  const admin = await createStaffMember(db, config, { role: "INVITING_ADMIN", name: `Ines ${marker}` });
  await context.addCookies([await signedInSessionCookie(db, config, admin.id)]);
});

/** How far the main content is wider than its box, and the page wider than the window (≤ 0: fits). */
function overflow(page: Page): Promise<{ main: number; page: number }> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: {
        getElementById(id: string): { scrollWidth: number; clientWidth: number } | null;
        scrollingElement: { scrollWidth: number } | null;
      };
      innerWidth: number;
    };
    const main = browser.document.getElementById("main");
    return {
      main: (main?.scrollWidth ?? 0) - (main?.clientWidth ?? 0),
      page: (browser.document.scrollingElement?.scrollWidth ?? 0) - browser.innerWidth,
    };
  });
}

const SCREENS = [
  { name: "laptop", width: 1280, height: 800 },
  { name: "large screen", width: 1920, height: 1080 },
  { name: "phone", width: 360, height: 740 },
] as const;

for (const screen of SCREENS) {
  test(`on a ${screen.name} (${screen.width}×${screen.height}) the statistics need no sideways scrolling`, async ({
    page,
  }, testInfo) => {
    await page.setViewportSize({ width: screen.width, height: screen.height });
    await page.goto("/staff/statistics");
    await expect(page.getByRole("heading", { level: 1, name: "Statistics" })).toBeVisible();
    for (const chart of [
      "Applications per week, by outcome",
      "Time from submission to decision",
      "Open cases per staff member, today",
    ])
      await expect(page.getByRole("img", { name: chart })).toBeVisible();
    await expect(
      page.getByRole("table", { name: "Open cases per staff member" }).getByRole("rowheader", {
        name: `Maximiliane Wolkenstein-Habsburg-Lothringen ${marker}`,
      }),
    ).toBeVisible();

    const measured = await overflow(page);
    expect(measured.main, "the main content is no wider than its box").toBeLessThanOrEqual(0);
    expect(measured.page, "the page is no wider than the window").toBeLessThanOrEqual(0);
    const screenshot = testInfo.outputPath(`statistics-${screen.width}x${screen.height}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach(`statistics at ${screen.width}×${screen.height}`, {
      path: screenshot,
      contentType: "image/png",
    });
  });
}

test("the statistics page is accessible in the light and the dark theme", async ({ page }, testInfo) => {
  await page.goto("/staff/statistics");
  await expect(page.getByRole("heading", { level: 1, name: "Statistics" })).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
  // The charts' colours come from the stylesheet: kept for a look at the dark theme too.
  const screenshot = testInfo.outputPath("statistics-dark-1280x720.png");
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach("statistics in the dark theme", { path: screenshot, contentType: "image/png" });
});

test("a mistaken period shows the form again with the message, and stays accessible", async ({
  page,
  browserProblems,
}) => {
  browserProblems.allowErrorStatusFor("/staff/statistics");
  await page.goto("/staff/statistics");
  await page.getByLabel("From (UTC)").fill("2026-05-10");
  await page.getByLabel("To (UTC, inclusive)").fill("2026-05-01");
  await page.getByRole("button", { name: "Show statistics" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Statistics" })).toBeVisible();
  await expect(
    page.getByText("The end date must be the same as or after the start date.").first(),
  ).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);
});
