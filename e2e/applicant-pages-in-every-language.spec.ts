// The applicant's main pages on a 360-pixel-wide phone in the pseudo-language (English accented and made
// about 40 % longer: the longest text the layout must hold) and in German (long compound words): no page
// may need horizontal scrolling, and no box that hides its overflow (buttons, the switcher, labels, tags)
// may cut its text off. Each page is also checked with axe in every offered language, in the light and
// the dark theme. A screenshot of each page in en-XA and German is kept with the test's results, for a
// person to look at the layout.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Cookie, Page } from "@playwright/test";
import { applicantCookieName, startApplicantSession } from "../src/applicantSessions.js";
import type { Language } from "../src/i18n/languages.js";
import { issueLinkToken } from "../src/tokens.js";
import { appConfig, openAppDatabase } from "./appDatabase.js";
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

const cookie = (name: string, value: string): Cookie => ({
  name,
  value,
  domain: "127.0.0.1",
  path: "/",
  expires: -1,
  httpOnly: true,
  secure: false,
  sameSite: "Lax",
});

/** The switcher's choice, as the cookie it leaves. */
async function chooseLanguage(context: BrowserContext, language: Language): Promise<void> {
  await context.addCookies([cookie("language", language)]);
}

async function signInAsApplicant(context: BrowserContext, caseId: string): Promise<void> {
  const { token } = await db.$transaction((tx) => startApplicantSession(tx, { config, caseId }));
  await context.addCookies([cookie(applicantCookieName(config), token)]);
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
