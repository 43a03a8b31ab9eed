// The applicant's main pages on a 360-pixel-wide phone in the pseudo-language (English accented and made
// about 40 % longer: the longest text the layout must hold) and in German (long compound words): no page
// may need horizontal scrolling, and no box that hides its overflow (buttons, the switcher, labels, tags)
// may cut its text off. Each page is also checked with axe in every offered language, in the light and
// the dark theme. A screenshot of each page in en-XA and German is kept with the test's results, for a
// person to look at the layout. On the evidence page the upload script, which writes its own texts in
// the browser, is made to show its queue, a refusal, progress and the end of an upload in en-XA, and
// every word of it must be accented; in German a size is written with a decimal comma.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "@playwright/test";
import { EVIDENCE_TYPES } from "../src/domain/evidenceTypes.js";
import type { Language } from "../src/i18n/languages.js";
import { loadTranslators } from "../src/i18n/translator.js";
import { pngImage } from "../src/test/evidenceFixtures.js";
import { plainWordsIn } from "../src/test/pseudoLanguage.js";
import { issueLinkToken } from "../src/tokens.js";
import { appConfig, applicantSessionCookie, openAppDatabase, portalCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

const config = appConfig();
const db = openAppDatabase();
test.afterAll(async () => {
  await db.$disconnect();
});

// A long German name and a long address, as people have them.
const APPLICANT_NAME = "Maximiliane Wolkenstein-Rodenegg";

async function seedCase(state: "DRAFT" | "MORE_INFORMATION_REQUESTED"): Promise<string> {
  const vettingCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state,
      fullName: APPLICANT_NAME,
      email: `sprachen-${randomUUID().slice(0, 8)}@beispiel-gemeinschaft.example.org`,
      matrixId: "@maximiliane.wolkenstein:beispiel-gemeinschaft.example.org",
      statement: "Ich kenne die Organisatorinnen vom Frühjahrstreffen.",
      emailConfirmedAt: new Date(),
      ...(state === "DRAFT" ? {} : { submittedAt: new Date(), lastSubmittedAt: new Date() }),
    },
    select: { id: true },
  });
  return vettingCase.id;
}

/** The switcher's choice, as the cookie it leaves. */
async function chooseLanguage(context: BrowserContext, language: Language): Promise<void> {
  await context.addCookies([portalCookie("language", language)]);
}

async function signInAsApplicant(context: BrowserContext, caseId: string): Promise<void> {
  await context.addCookies([await applicantSessionCookie(db, config, caseId)]);
}

interface ApplicantPage {
  name: string;
  status?: number;
  /** Seeds what the page needs and returns its address. */
  open(context: BrowserContext): Promise<string>;
}

const PAGES: ApplicantPage[] = [
  { name: "home", open: async () => "/" },
  { name: "apply", open: async () => "/apply" },
  { name: "email me a link", open: async () => "/apply/sign-in?expired=1" },
  { name: "privacy notice", open: async () => "/privacy" },
  { name: "not found", status: 404, open: async () => "/das-gibt-es-nicht" },
  {
    name: "emailed sign-in link",
    open: async () => {
      const caseId = await seedCase("DRAFT");
      const { token } = await db.$transaction((tx) =>
        issueLinkToken(tx, {
          purpose: "sign_in",
          subject: { type: "vetting_case", id: caseId },
          lifetimeMs: 15 * 60_000,
        }),
      );
      return `/apply/sign-in/${token}`;
    },
  },
  {
    name: "workspace (draft)",
    open: async (context) => {
      await signInAsApplicant(context, await seedCase("DRAFT"));
      return "/application";
    },
  },
  {
    name: "workspace (more information requested)",
    open: async (context) => {
      await signInAsApplicant(context, await seedCase("MORE_INFORMATION_REQUESTED"));
      return "/application";
    },
  },
  {
    name: "evidence",
    open: async (context) => {
      await signInAsApplicant(context, await seedCase("DRAFT"));
      return "/application/evidence";
    },
  },
  {
    name: "referees",
    open: async (context) => {
      await signInAsApplicant(context, await seedCase("MORE_INFORMATION_REQUESTED"));
      return "/application/referees";
    },
  },
  {
    name: "withdraw",
    open: async (context) => {
      await signInAsApplicant(context, await seedCase("DRAFT"));
      return "/application/withdraw";
    },
  },
];

/**
 * How far the page is wider than the phone's screen: against the root element's client width (the 360
 * pixels), not innerWidth, which a mobile browser widens to take in content that is too wide.
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

/**
 * Every element that hides what does not fit (overflow hidden or clip) and holds more than it shows: text
 * cut off. Visually hidden text (a 1-pixel box on purpose, read by screen readers) is not shown at all,
 * and a form field's value (a long address typed by the person) scrolls inside its field by design.
 */
function textCutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Element = {
      tagName: string;
      className: unknown;
      textContent: string | null;
      scrollWidth: number;
      clientWidth: number;
      scrollHeight: number;
      clientHeight: number;
      closest(selector: string): Element | null;
    };
    const browser = globalThis as unknown as {
      document: { body: { querySelectorAll(selector: string): Element[] } };
      getComputedStyle(element: Element): { overflowX: string; overflowY: string; display: string };
    };
    const hides = (value: string) => value === "hidden" || value === "clip";
    const cut: string[] = [];
    for (const element of browser.document.body.querySelectorAll("*")) {
      if (element.closest(".visually-hidden, .skip-link, input, textarea, select")) continue;
      const style = browser.getComputedStyle(element);
      if (style.display === "none" || element.clientWidth === 0) continue;
      const isCutAcross = hides(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
      const isCutDown = hides(style.overflowY) && element.scrollHeight > element.clientHeight + 1;
      if (isCutAcross || isCutDown) {
        const text = (element.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 60);
        cut.push(`<${element.tagName.toLowerCase()} class="${String(element.className)}"> “${text}”`);
      }
    }
    return cut;
  });
}

async function openPage(
  page: Page,
  context: BrowserContext,
  applicantPage: ApplicantPage,
  language: Language,
  browserProblems: { allowErrorStatusFor(pathname: string): void },
): Promise<void> {
  await chooseLanguage(context, language);
  const address = await applicantPage.open(context);
  if (applicantPage.status) browserProblems.allowErrorStatusFor(new URL(address, "http://x").pathname);
  const response = await page.goto(address);
  expect(response?.status()).toBe(applicantPage.status ?? 200);
  await expect(page.locator("html")).toHaveAttribute("lang", language);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
}

test.describe("applicant pages at phone width, with the longest words", () => {
  for (const language of ["en-XA", "de"] as const) {
    for (const applicantPage of PAGES) {
      test(`${applicantPage.name} in ${language}: nothing overflows or is cut off`, async ({
        page,
        context,
        browserProblems,
      }, testInfo) => {
        await openPage(page, context, applicantPage, language, browserProblems);
        // Kept in the test's output folder (and attached for the HTML report) whether it passes or not.
        const screenshot = testInfo.outputPath(`${applicantPage.name.replace(/\W+/g, "-")}-${language}.png`);
        await page.screenshot({ path: screenshot, fullPage: true });
        await testInfo.attach(`${applicantPage.name} (${language}, 360 px)`, {
          path: screenshot,
          contentType: "image/png",
        });
        expect(await horizontalOverflow(page), "the page is no wider than the phone").toBeLessThanOrEqual(0);
        expect(await textCutOff(page), "no text is cut off").toEqual([]);
      });
    }
  }
});

test.describe("applicant pages are accessible in every language", () => {
  for (const language of ["en", "de", "fr", "en-XA"] as const) {
    for (const applicantPage of PAGES) {
      test(`${applicantPage.name} in ${language}, light and dark`, async ({
        page,
        context,
        browserProblems,
      }) => {
        await openPage(page, context, applicantPage, language, browserProblems);
        await expectAccessibleInLightAndDarkThemes(page);
      });
    }
  }
});

/**
 * Every text the upload form shows or speaks, each time the script changes it (a MutationObserver in the
 * page reporting to the test), so the statuses of a quick upload are seen though the page moves on.
 */
async function recordUploadFormTexts(page: Page): Promise<Set<string>> {
  const texts = new Set<string>();
  await page.exposeFunction("__reportUploadFormTexts", (reported: string[]) => {
    for (const text of reported) if (text.trim() !== "") texts.add(text.trim());
  });
  await page.evaluate(() => {
    type Node = { textContent: string | null; getAttribute(name: string): string | null };
    type Browser = {
      __reportUploadFormTexts(texts: string[]): void;
      MutationObserver: new (
        callback: () => void,
      ) => { observe(target: object, options: Record<string, boolean>): void };
      document: {
        querySelector(selector: string): { querySelectorAll(selector: string): Iterable<Node> } | null;
      };
    };
    const browser = globalThis as unknown as Browser;
    const form = browser.document.querySelector("form[data-evidence-upload]");
    if (!form) throw new Error("no upload form on the page");
    const report = () =>
      browser.__reportUploadFormTexts([
        // The drop zone, the queue (names, sizes, problems, states, the remove buttons' spoken names),
        // the status line (the live region) and the link to the files uploaded so far.
        ...[
          ...form.querySelectorAll(
            ".evidence-drop-zone, .evidence-queue__item, .evidence-upload__status, .evidence-upload__continue",
          ),
        ].map((node) => node.textContent ?? ""),
        ...[...form.querySelectorAll("[aria-label]")].map((node) => node.getAttribute("aria-label") ?? ""),
      ]);
    new browser.MutationObserver(report).observe(form, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
    report();
  });
  return texts;
}

/** The evidence page, where the upload script runs. */
const EVIDENCE_PAGE = PAGES.find((each) => each.name === "evidence") as ApplicantPage;

test.describe("the upload script speaks the page's language", () => {
  test("in en-XA every word the script shows, from choosing files to the end of an upload, is accented", async ({
    page,
    context,
    browserProblems,
  }) => {
    const pseudo = (await loadTranslators(["en", "en-XA"])).for("en-XA");
    await openPage(page, context, EVIDENCE_PAGE, "en-XA", browserProblems);
    const texts = await recordUploadFormTexts(page);
    const dropZone = page.getByRole("button", {
      name: `${pseudo.t("upload.script.dropZoneChoose")} ${pseudo.t("upload.script.dropZoneOrDrop")}`,
    });
    const chooser = page.waitForEvent("filechooser");
    await dropZone.click();
    await (await chooser).setFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.alloc(1536, "a") },
      { name: "scan.png", mimeType: "image/png", buffer: pngImage(40, 30) },
    ]);
    const chosen = page.getByRole("list", { name: pseudo.t("upload.script.chosenFiles") });
    await expect(chosen.getByRole("listitem")).toHaveCount(2);
    const notAccepted = pseudo.t("upload.script.notAccepted", {
      types: pseudo.orList(EVIDENCE_TYPES.map((type) => type.label)),
    });
    await expect(chosen.getByRole("listitem").filter({ hasText: "notes.txt" })).toContainText(notAccepted);
    await expect(chosen.getByRole("listitem").filter({ hasText: "notes.txt" })).toContainText(
      pseudo.fileSize(1536),
    );

    // Nothing is sent while a file has a problem; removing it is announced; then the other one goes.
    const upload = page.getByRole("button", { name: pseudo.t("upload.submit"), exact: true });
    await upload.click();
    await expect(page.getByRole("status")).toHaveText(
      pseudo.t("upload.script.removeMarkedOne", { name: "notes.txt" }),
    );
    await page
      .getByRole("button", { name: pseudo.t("upload.script.removeFile", { name: "notes.txt" }) })
      .click();
    await expect(page.getByRole("status")).toHaveText(
      pseudo.t("upload.script.removed", { name: "notes.txt" }),
    );
    await upload.click();
    await expect(page.getByRole("heading", { level: 3, name: "scan.png" })).toBeVisible();

    // What was seen on the way: the progress bar's name, the file's state, the announcements.
    const expectedTexts = [
      pseudo.t("upload.script.progress", { name: "scan.png" }),
      pseudo.t("upload.script.uploaded"),
      pseudo.t("upload.script.uploading", { names: "scan.png" }),
      pseudo.t("upload.script.oneUploaded", { name: "scan.png" }),
    ];
    await expect
      .poll(() => expectedTexts.filter((expected) => ![...texts].some((text) => text.includes(expected))))
      .toEqual([]);
    const seen = [...texts];
    // Every word accented but the files' names, the formats' names and the words Intl puts in lists.
    const intlListWords = ["conjunction", "disjunction"].flatMap((type) =>
      new Intl.ListFormat("en-GB", { type: type as Intl.ListFormatType })
        .formatToParts(["a", "b"])
        .filter((part) => part.type === "literal")
        .map((part) => part.value.trim()),
    );
    const known = [
      "notes.txt",
      "scan.png",
      pseudo.orList(EVIDENCE_TYPES.map((type) => type.label)),
      ...EVIDENCE_TYPES.map((type) => type.label),
      ...intlListWords.map((word) => new RegExp(`(?<![\\p{L}])${word}(?![\\p{L}])`, "gu")),
    ];
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.flatMap((text) => plainWordsIn(text, known).map((word) => `${word} in “${text}”`))).toEqual(
      [],
    );
    // (The check can fail: the script's English of old would be plain words.)
    expect(plainWordsIn("Uploading scan.png.", known)).toEqual(["Uploading"]);
  });

  test("in German the script writes sizes with a decimal comma and says why a file is refused", async ({
    page,
    context,
    browserProblems,
  }) => {
    await openPage(page, context, EVIDENCE_PAGE, "de", browserProblems);
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Dateien auswählen oder hierher ziehen" }).click();
    await (await chooser).setFiles([
      { name: "notizen.txt", mimeType: "text/plain", buffer: Buffer.alloc(1536, "a") },
      // Half a megabyte over the 20 MB limit.
      { name: "scan.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(20.5 * 1024 * 1024) },
    ]);
    const chosen = page.getByRole("list", { name: "Ausgewählte Dateien" }).getByRole("listitem");
    await expect(chosen.filter({ hasText: "notizen.txt" })).toContainText("1,5 KB");
    await expect(chosen.filter({ hasText: "notizen.txt" })).toContainText(
      "Dies ist keine Datei vom Typ PDF, PNG, JPEG, GIF oder WebP.",
    );
    await expect(chosen.filter({ hasText: "scan.pdf" })).toContainText(
      "Diese Datei ist 20,5 MB groß: Die Grenze liegt bei 20 MB je Datei.",
    );
    await expect(page.getByRole("status")).toContainText(
      "Ausgewählt: notizen.txt (1,5 KB) und scan.pdf (20,5 MB).",
    );
    await expect(page.getByRole("button", { name: "notizen.txt entfernen" })).toBeVisible();
  });
});
