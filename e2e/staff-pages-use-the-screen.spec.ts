// Staff pages laid out for a day of vetting, measured in the browser at 1280×800, 1920×1080, 1024×768 and
// on a 360-pixel phone: nothing scrolls the page sideways (the queue, a case, statistics, the audit log),
// the queue's table fits its box with every column, a large screen shows at least 15 cases without
// scrolling, the filters wait in a closed panel that names those in force, the case page has two columns
// from 1100 px with a header that stays in view, and the evidence viewer zooms and turns an image (and
// is a plain page without JavaScript). A screenshot of each is kept with the results; axe checks the
// changed and new pages in both themes.
import { randomUUID } from "node:crypto";
import type { Browser, Page, TestInfo } from "@playwright/test";
import type { Config } from "../src/config.js";
import type { Database } from "../src/db.js";
import { pdfDocument, pngImage } from "../src/test/evidenceFixtures.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, e2eBaseUrl, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const DAY_MS = 24 * 60 * 60 * 1000;
let db: Database;
let config: Config;
let adminId: string;
let longCaseId: string;

test.beforeAll(async () => {
  db = openAppDatabase();
  config = appConfig();
  const admin = await createStaffMember(db, config, {
    role: "SERVER_ADMIN",
    name: `Maximiliane Wolkenstein-Habsburg-Lothringen ${marker}`,
  });
  adminId = admin.id;
  // A day's queue: more cases than a large screen shows, with long names and the admin's long name
  // in the "Assigned to" column, so the table has something wide to fit.
  const now = Date.now();
  await db.vettingCase.createMany({
    data: Array.from({ length: 30 }, (_, index) => {
      const submittedAt = new Date(now - (index + 1) * DAY_MS);
      return {
        origin: "APPLICANT" as const,
        state: index % 3 === 0 ? ("IN_REVIEW" as const) : ("SUBMITTED" as const),
        fullName: `Screen ${marker} Bartholomew-Featherstonehaugh Applicant ${index}`,
        email: `screen-${marker}-${index}@example.org`,
        statement: "I would like to join.",
        submittedAt,
        lastSubmittedAt: submittedAt,
        assignedToId: index % 3 === 0 ? admin.id : null,
        isPossibleDuplicate: index % 5 === 0,
      };
    }),
  });
  // A case with a lot to read, so its page is long enough to scroll under the sticky header.
  const longCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state: "IN_REVIEW",
      fullName: `Long Case ${marker}`,
      email: `long-case-${marker}@example.org`,
      statement: "I have organised the community's meetups for years and would like to join. ".repeat(60),
      submittedAt: new Date(now - 3 * DAY_MS),
      lastSubmittedAt: new Date(now - 3 * DAY_MS),
      assignedToId: admin.id,
    },
    select: { id: true },
  });
  longCaseId = longCase.id;
  await db.caseComment.createMany({
    data: Array.from({ length: 6 }, (_, index) => ({
      caseId: longCase.id,
      authorId: admin.id,
      body: `Checked the reference number ${index}. ${"Notes on the call. ".repeat(12)}`,
      isVisibleToApplicant: false,
    })),
  });
  // Every run uploads from 127.0.0.1, which has an hourly upload limit of its own.
  await db.rateLimit.deleteMany({ where: { key: { startsWith: "evidence_upload_ip" } } });
});

test.afterAll(async () => {
  // The queue's cases waited days: left behind, they would push the cases later specs create off the
  // first page of the queue, which those specs read.
  await db?.vettingCase.deleteMany({ where: { email: { startsWith: `screen-${marker}-` } } });
  await db?.$disconnect();
});

test.beforeEach(async ({ context }) => {
  await context.addCookies([await signedInSessionCookie(db, config, adminId)]);
});

type Box = { left: number; right: number; top: number; bottom: number; width: number };

/** The browser globals the measurements below use (the e2e files are checked without the DOM library). */
type Measured = {
  document: {
    scrollingElement: { scrollWidth: number; clientWidth: number } | null;
    querySelector(selector: string): {
      scrollWidth: number;
      clientWidth: number;
      getBoundingClientRect(): Box;
    } | null;
    querySelectorAll(selector: string): Iterable<{ getBoundingClientRect(): Box }>;
  };
  innerHeight: number;
};

/** How far the page is wider than its window (root scrollWidth against clientWidth: ≤ 0 fits). */
function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as Measured).document.scrollingElement;
    return (root?.scrollWidth ?? 0) - (root?.clientWidth ?? 0);
  });
}

/** How far the queue's table is wider than the box it sits in (≤ 0: every column shows). */
function queueTableOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as Measured;
    const table = document.querySelector(".case-queue__table");
    const box = document.querySelector(".case-queue .table-scroll");
    if (!table || !box) throw new Error("no queue table on the page");
    return Math.max(table.getBoundingClientRect().width - box.clientWidth, box.scrollWidth - box.clientWidth);
  });
}

/** The queue's rows whose whole height is inside the window, before any scrolling. */
function rowsAboveTheFold(page: Page): Promise<number> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as Measured;
    // The bulk-action bar stays at the foot of the screen over the rows: a row behind it is not seen.
    const bar = browser.document.querySelector(".bulk-bar");
    const fold = Math.min(browser.innerHeight, bar ? bar.getBoundingClientRect().top : browser.innerHeight);
    return [...browser.document.querySelectorAll(".case-queue__table tbody tr")].filter(
      (row) => row.getBoundingClientRect().bottom <= fold,
    ).length;
  });
}

function boxOf(page: Page, selector: string): Promise<Box> {
  return page.evaluate((wanted) => {
    const element = (globalThis as unknown as Measured).document.querySelector(wanted);
    if (!element) throw new Error(`nothing matches ${wanted}`);
    const { left, right, top, bottom, width } = element.getBoundingClientRect();
    return { left, right, top, bottom, width };
  }, selector);
}

async function keepScreenshot(page: Page, testInfo: TestInfo, name: string, fullPage = true): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

/** The queue, a case, statistics and the audit log: none may scroll the page sideways at this size. */
async function expectNoSidewaysScrolling(page: Page, testInfo: TestInfo, size: string): Promise<void> {
  await page.goto(`/staff/cases?q=${marker}`);
  await expect(page.getByRole("heading", { level: 1, name: "Cases" })).toBeVisible();
  await expect(
    page
      .getByRole("row")
      .filter({ hasText: `Screen ${marker}` })
      .first(),
  ).toBeVisible();
  expect(await pageOverflow(page), "the queue needs no sideways scrolling").toBeLessThanOrEqual(0);
  await keepScreenshot(page, testInfo, `queue-${size}`);

  await page.goto(`/staff/cases/${longCaseId}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`Long Case ${marker}`);
  expect(await pageOverflow(page), "the case page needs no sideways scrolling").toBeLessThanOrEqual(0);
  await keepScreenshot(page, testInfo, `case-${size}`);

  await page.goto("/staff/statistics");
  await expect(page.getByRole("heading", { level: 1, name: "Statistics" })).toBeVisible();
  expect(await pageOverflow(page), "the statistics need no sideways scrolling").toBeLessThanOrEqual(0);
  await keepScreenshot(page, testInfo, `statistics-${size}`);

  await page.goto("/staff/audit");
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  expect(await pageOverflow(page), "the audit log needs no sideways scrolling").toBeLessThanOrEqual(0);
  await keepScreenshot(page, testInfo, `audit-${size}`);
}

for (const screen of [
  { name: "laptop", width: 1280, height: 800 },
  { name: "large screen", width: 1920, height: 1080 },
] as const) {
  test.describe(`on a ${screen.name} (${screen.width}×${screen.height})`, () => {
    test.use({ viewport: { width: screen.width, height: screen.height } });
    const size = `${screen.width}x${screen.height}`;

    test("no staff page scrolls sideways, and the queue's table shows every column in its box", async ({
      page,
    }, testInfo) => {
      await expectNoSidewaysScrolling(page, testInfo, size);

      await page.goto(`/staff/cases?q=${marker}`);
      expect(
        await queueTableOverflow(page),
        "the queue's table is no wider than its box",
      ).toBeLessThanOrEqual(0);
      for (const column of [
        "Case",
        "Name",
        "State",
        "Assigned to",
        "Submitted",
        "Possible duplicate",
        "Latest recommendation",
      ])
        await expect(page.getByRole("columnheader", { name: column, exact: true })).toBeInViewport();
    });

    test("the case page has two columns side by side and a header that stays in view", async ({
      page,
    }, testInfo) => {
      await page.goto(`/staff/cases/${longCaseId}`);
      const known = await boxOf(page, ".case-columns__known");
      const work = await boxOf(page, ".case-columns__work");
      expect(work.left, "what to do sits to the right of what is known").toBeGreaterThanOrEqual(known.right);
      expect(Math.abs(work.top - known.top), "both columns start at the same height").toBeLessThanOrEqual(1);
      await expect(
        page.locator(".case-columns__known").getByRole("heading", { name: "Evidence" }),
      ).toBeVisible();
      await expect(
        page.locator(".case-columns__work").getByRole("heading", { name: "Decision", exact: true }),
      ).toBeVisible();
      await expect(
        page.locator(".case-columns__work").getByRole("heading", { name: "Timeline" }),
      ).toBeVisible();

      // Far down the page, the header with the case's number, state and assignee is still on screen.
      await page.getByRole("heading", { name: "Timeline" }).scrollIntoViewIfNeeded();
      await page.locator(".site-footer").scrollIntoViewIfNeeded();
      expect(
        await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY),
      ).toBeGreaterThan(400);
      const header = page.locator(".case-header");
      await expect(header).toBeInViewport({ ratio: 1 });
      expect((await boxOf(page, ".case-header")).top).toBeGreaterThanOrEqual(0);
      await expect(header.getByRole("heading", { level: 1 })).toContainText(`Long Case ${marker}`);
      await expect(header).toContainText("In review");
      await expect(header).toContainText(`Assigned to Maximiliane Wolkenstein-Habsburg-Lothringen ${marker}`);
      await keepScreenshot(page, testInfo, `case-scrolled-${size}`, false);

      // The header's links reach each part, left below the header rather than under it.
      await header.getByRole("link", { name: "Comments" }).click();
      await expect(page.getByRole("heading", { level: 2, name: "Comments" })).toBeInViewport();
      const headerBottom = (await boxOf(page, ".case-header")).bottom;
      expect((await boxOf(page, "#comments-heading")).top).toBeGreaterThanOrEqual(headerBottom);
    });
  });
}

test.describe("on a large screen (1920×1080)", () => {
  test.use({ viewport: { width: 1920, height: 1080 } });

  test("at least 15 cases show without scrolling, with or without a filter", async ({ page }, testInfo) => {
    await page.goto("/staff/cases");
    await expect(page.getByRole("table")).toBeVisible();
    expect(await rowsAboveTheFold(page), "rows on the first screen, no filter").toBeGreaterThanOrEqual(15);
    // …and what to do with the ticked ones is on that screen too, at its foot.
    const bar = await boxOf(page, ".bulk-bar");
    expect(bar.bottom, "the bulk-action bar on the first screen").toBeLessThanOrEqual(1080);
    expect(bar.bottom - bar.top, "the bulk-action bar is one line").toBeLessThan(80);
    await keepScreenshot(page, testInfo, "queue-first-screen-1920x1080", false);

    await page.goto(`/staff/cases?q=${marker}&sort=newest`);
    await expect(page.getByRole("row").filter({ hasText: `Screen ${marker}` })).toHaveCount(30);
    expect(await rowsAboveTheFold(page), "rows on the first screen, searched").toBeGreaterThanOrEqual(15);
  });
});

test.describe("below 1100 pixels (1024×768)", () => {
  test.use({ viewport: { width: 1024, height: 768 } });

  test("the case page is one column: what to do follows what is known", async ({ page }, testInfo) => {
    await page.goto(`/staff/cases/${longCaseId}`);
    const known = await boxOf(page, ".case-columns__known");
    const work = await boxOf(page, ".case-columns__work");
    expect(work.top).toBeGreaterThanOrEqual(known.bottom);
    expect(Math.abs(work.left - known.left)).toBeLessThanOrEqual(1);
    expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
    await keepScreenshot(page, testInfo, "case-1024x768");
  });
});

test.describe("on a 360-pixel phone", () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test("no staff page scrolls sideways, and the case page is one column", async ({ page }, testInfo) => {
    await expectNoSidewaysScrolling(page, testInfo, "360x740");
    await page.goto(`/staff/cases/${longCaseId}`);
    const known = await boxOf(page, ".case-columns__known");
    const work = await boxOf(page, ".case-columns__work");
    expect(work.top).toBeGreaterThanOrEqual(known.bottom);
  });
});

test.describe("the queue's filter panel", () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("is closed without filters, names the filters in force while closed, and opens on a mistake", async ({
    page,
    browserProblems,
  }, testInfo) => {
    await page.goto("/staff/cases");
    const panel = page.locator("details.filter-panel");
    await expect(panel).not.toHaveAttribute("open");
    await expect(panel.locator("summary")).toHaveText(/Search and filter\s+No filters/);
    await expect(page.getByLabel("Search", { exact: true })).toBeHidden();
    // Opened, it is the same form as ever (no script involved).
    await panel.locator("summary").click();
    await expect(page.getByLabel("Search", { exact: true })).toBeVisible();
    await page.getByLabel("State").selectOption({ label: "In review" });
    await page.getByLabel("Assigned to").selectOption({ label: "Nobody (not assigned)" });
    await page.getByLabel("Search", { exact: true }).fill(marker);
    await page.getByRole("button", { name: "Show cases" }).click();

    await expect(page).toHaveURL(/state=IN_REVIEW/);
    await expect(panel).not.toHaveAttribute("open");
    const summary = panel.locator("summary");
    await expect(summary).toContainText("Active:");
    await expect(summary).toContainText(`Search: “${marker}”`);
    await expect(summary).toContainText("State: In review");
    await expect(summary).toContainText("Assigned to: Nobody");
    await keepScreenshot(page, testInfo, "queue-filters-named-1280x800", false);
    await expectAccessibleInLightAndDarkThemes(page);

    browserProblems.allowErrorStatusFor("/staff/cases");
    await page.goto("/staff/cases?score=9");
    await expect(panel).toHaveAttribute("open");
    await expect(page.getByRole("alert")).toBeVisible();
    await expect(page.getByLabel("A vetting record scores")).toBeVisible();
  });
});

/** A case of its own for a viewer test, with its details to compare a document with. */
async function seedViewerCase(label: string): Promise<string> {
  const vettingCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state: "IN_REVIEW",
      fullName: `${label} ${marker}`,
      email: `viewer-${label.toLowerCase()}-${marker}@example.org`,
      statement: "I met the organisers at the spring meetup.",
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
      assignedToId: adminId,
    },
    select: { id: true },
  });
  return vettingCase.id;
}

const imageName = `id-card-${marker}.png`;
const pdfName = `reference-${marker}.pdf`;

/** Uploads an image and a PDF through the case's evidence page (the enhanced form), as an agent would. */
async function uploadEvidence(page: Page, caseId: string): Promise<void> {
  await page.goto(`/staff/cases/${caseId}/evidence`);
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Choose files or drop them here" }).click();
  await (await chooser).setFiles([
    { name: imageName, mimeType: "image/png", buffer: pngImage(400, 240) },
    { name: pdfName, mimeType: "application/pdf", buffer: pdfDocument(`Reference ${marker}`) },
  ]);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/staff/cases/${caseId}(\\?|$)`));
}

/** The image's computed transform (a matrix), as the browser draws it. */
function imageTransform(page: Page): Promise<string> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { querySelector(selector: string): object | null };
      getComputedStyle(element: object): { transform: string };
    };
    const image = browser.document.querySelector(".evidence-viewer__image");
    if (!image) throw new Error("no image in the viewer");
    return browser.getComputedStyle(image).transform;
  });
}

/** The numbers of a computed `matrix(a, b, c, d, e, f)`. */
function matrixOf(transform: string): number[] {
  return (transform.match(/-?[\d.]+(e-?\d+)?/g) ?? []).map(Number);
}

test.describe("the evidence viewer", () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("shows an image beside the case's details, zooms and turns it; a PDF as pages drawn by the server", async ({
    page,
  }, testInfo) => {
    const caseId = await seedViewerCase("Viona");
    await uploadEvidence(page, caseId);
    const image = await db.evidenceFile.findFirstOrThrow({
      where: { caseId, displayName: imageName },
      select: { id: true },
    });

    await page.getByRole("link", { name: `Open in the viewer ${imageName}` }).click();
    await expect(page).toHaveURL(`${e2eBaseUrl}/staff/cases/${caseId}/evidence/${image.id}/view`);
    await expect(page.getByRole("heading", { level: 1, name: imageName })).toBeVisible();
    const picture = page.getByRole("img", { name: imageName });
    await expect
      .poll(() => picture.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
      .toBe(400);
    // The case's details sit beside the document, not under it.
    const documentBox = await boxOf(page, ".evidence-viewer__document");
    const factsBox = await boxOf(page, ".evidence-viewer__facts");
    expect(factsBox.left).toBeGreaterThanOrEqual(documentBox.right);
    const facts = page.getByRole("complementary", { name: /^Case VC-/ });
    await expect(facts).toContainText(`Viona ${marker}`);
    await expect(facts).toContainText(`viewer-viona-${marker}@example.org`);

    // Fetching the image was the audited view of the file.
    await expect
      .poll(() =>
        db.auditEvent.count({
          where: {
            action: "evidence.viewed",
            actorId: adminId,
            subjectId: caseId,
            details: { path: ["evidenceFileId"], equals: image.id },
          },
        }),
      )
      .toBe(1);

    const atRest = await imageTransform(page);
    expect(matrixOf(atRest).slice(0, 4)).toEqual([1, 0, 0, 1]);
    await page.getByRole("button", { name: "Zoom in" }).click();
    await expect(page.getByRole("status")).toHaveText("125%");
    const zoomed = matrixOf(await imageTransform(page));
    expect(zoomed[0]).toBeCloseTo(1.25);
    expect(zoomed[3]).toBeCloseTo(1.25);
    await page.getByRole("button", { name: "Rotate right" }).click();
    await expect(page.getByRole("status")).toHaveText("125%, turned 90°");
    const turned = matrixOf(await imageTransform(page));
    // rotate(90deg) scale(1.25): matrix(0, 1.25, -1.25, 0, …)
    expect(turned[0]).toBeCloseTo(0);
    expect(turned[1]).toBeCloseTo(1.25);
    expect(turned[2]).toBeCloseTo(-1.25);
    await keepScreenshot(page, testInfo, "viewer-zoomed-turned-1280x800", false);
    // The turned image's box is what the stage scrolls over: taller than wide, as the image now stands.
    const canvas = await boxOf(page, ".evidence-viewer__canvas");
    const drawn = await boxOf(page, ".evidence-viewer__image");
    expect(canvas.width).toBeCloseTo(drawn.width, 0);
    await page.getByRole("button", { name: "Fit to the column" }).click();
    expect(matrixOf(await imageTransform(page)).slice(0, 4)).toEqual([1, 0, 0, 1]);
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByRole("link", { name: pdfName }).click();
    await expect(page.getByRole("heading", { level: 1, name: pdfName })).toBeVisible();
    // A PDF is shown a page at a time, each page drawn by the server; zoom and rotation work on it too.
    const pageImage = page.locator("img.evidence-viewer__image");
    await expect(pageImage).toHaveAttribute("src", /\/pages\/1$/);
    await expect
      .poll(() =>
        pageImage.evaluate((element) => {
          const image = element as { naturalWidth: number; naturalHeight: number };
          return Math.max(image.naturalWidth, image.naturalHeight);
        }),
      )
      .toBe(1600);
    await expect(page.getByText("Page 1 of 1")).toBeVisible();
    await page.getByRole("button", { name: "Zoom in" }).click();
    expect(matrixOf(await imageTransform(page))[0]).toBeCloseTo(1.25);
    await keepScreenshot(page, testInfo, "viewer-pdf-1280x800", false);
    await expectAccessibleInLightAndDarkThemes(page);
  });

  test("without JavaScript the viewer is a plain link to a page with the image fitted to its column", async ({
    browser,
  }, testInfo) => {
    const context = await (browser as Browser).newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 800 },
      baseURL: e2eBaseUrl,
    });
    try {
      await context.addCookies([await signedInSessionCookie(db, config, adminId)]);
      const page = await context.newPage();
      const caseId = await seedViewerCase("Nola");
      // The plain upload form, as a browser without scripts sends it.
      await page.goto(`/staff/cases/${caseId}/evidence`);
      await page
        .getByLabel("Files", { exact: true })
        .setInputFiles({ name: imageName, mimeType: "image/png", buffer: pngImage(400, 240) });
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/staff/cases/${caseId}(\\?|$)`));
      await page.getByRole("link", { name: `Open in the viewer ${imageName}` }).click();
      await expect(page.getByRole("heading", { level: 1, name: imageName })).toBeVisible();
      const picture = page.getByRole("img", { name: imageName });
      await expect(picture).toBeVisible();
      await expect
        .poll(() => picture.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
        .toBe(400);
      // No script ran: no toolbar, and the image is as the stylesheet alone draws it.
      await expect(page.getByRole("button", { name: "Zoom in" })).toBeHidden();
      expect(await imageTransform(page)).toBe("none");
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
      await keepScreenshot(page, testInfo, "viewer-without-javascript-1280x800", false);
    } finally {
      await context.close();
    }
  });
});

test.describe("the case page", () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("is accessible in the light and the dark theme", async ({ page }) => {
    await page.goto(`/staff/cases/${longCaseId}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`Long Case ${marker}`);
    await expectAccessibleInLightAndDarkThemes(page);
  });
});
