// Shared fixtures for every spec: import { test, expect } from "./fixtures.js".
//
// Every page a test visits is watched, and the test fails at teardown when the browser recorded
//   - a Content Security Policy violation (the `securitypolicyviolation` event, or a console
//     message about the policy: either means a template broke the CSP contract),
//   - a console error (a missing asset, a failed request, a script error logged by the browser),
//   - an uncaught page error.
// A test that provokes an error on purpose declares it with browserProblems.allowErrorStatusFor()
// or browserProblems.allowConsoleError().
//
// The e2e files are type-checked without the DOM library (tsconfig is shared with the server), so
// the few browser-side functions below describe the globals they touch with small local types.
import { AxeBuilder } from "@axe-core/playwright";
import { test as base, expect, type Page } from "@playwright/test";

export { expect };

type CspViolation = { directive: string; blockedUri: string; source: string };

type BrowserGlobals = {
  __cspViolations?: CspViolation[];
  __reportCspViolation?: (violation: CspViolation) => void;
  document: {
    addEventListener(
      type: "securitypolicyviolation",
      listener: (event: {
        effectiveDirective: string;
        blockedURI: string;
        sourceFile: string;
        lineNumber: number;
      }) => void,
    ): void;
  };
};

/** Runs in the page before any of its own content: records CSP violations into window. */
function collectCspViolations(): void {
  const browser = globalThis as unknown as BrowserGlobals;
  browser.__cspViolations = [];
  browser.document.addEventListener("securitypolicyviolation", (event) => {
    const violation = {
      directive: event.effectiveDirective,
      blockedUri: event.blockedURI,
      source: event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : "",
    };
    browser.__cspViolations?.push(violation);
    // Also reported straight to the test, so violations on pages navigated away from are kept.
    browser.__reportCspViolation?.(violation);
  });
}

const mentionsContentSecurityPolicy = /content[ -]security[ -]policy/i;

export class BrowserProblems {
  readonly cspViolations = new Set<string>();
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  private readonly allowedConsoleErrors: { pattern: RegExp; atUrl: ((url: URL) => boolean) | undefined }[] =
    [];

  /** For a test that provokes a console error on purpose. */
  allowConsoleError(pattern: RegExp, atUrl?: (url: URL) => boolean): void {
    this.allowedConsoleErrors.push({ pattern, atUrl });
  }

  /**
   * For a test that visits a page answered with an error status on purpose: Chromium logs that answer
   * as a console error. Only the page itself is excused, not the assets it loads.
   */
  allowErrorStatusFor(pathname: string): void {
    this.allowConsoleError(
      /^Failed to load resource: the server responded with a status of \d{3}\b/,
      (url) => url.pathname === pathname,
    );
  }

  recordConsoleError(text: string, location: string): void {
    const locationUrl = URL.canParse(location) ? new URL(location) : undefined;
    const isAllowed = this.allowedConsoleErrors.some(
      ({ pattern, atUrl }) =>
        pattern.test(text) && (atUrl === undefined || (locationUrl !== undefined && atUrl(locationUrl))),
    );
    if (isAllowed) return;
    this.consoleErrors.push(location ? `${text} (at ${location})` : text);
  }

  recordCspViolation(violation: CspViolation | string): void {
    this.cspViolations.add(typeof violation === "string" ? violation : JSON.stringify(violation));
  }

  summary() {
    return {
      cspViolations: [...this.cspViolations],
      consoleErrors: this.consoleErrors,
      pageErrors: this.pageErrors,
    };
  }
}

/**
 * How Chromium reports a script refused by a frame that may not run scripts. Our own init scripts (the
 * watch above) are refused in every such frame, the sandboxed previews: that is their sandbox at work.
 */
const SCRIPT_REFUSED_BY_SANDBOX =
  /^Blocked script execution in '[^']*' because the document's frame is sandboxed and the 'allow-scripts' permission is not set\.$/;

async function watchPage(page: Page, problems: BrowserProblems): Promise<void> {
  problems.allowConsoleError(SCRIPT_REFUSED_BY_SANDBOX);
  await page.exposeFunction("__reportCspViolation", (violation: CspViolation) => {
    problems.recordCspViolation(violation);
  });
  await page.addInitScript(collectCspViolations);
  page.on("console", (message) => {
    const location = message.location().url;
    if (mentionsContentSecurityPolicy.test(message.text())) {
      problems.recordCspViolation(`console ${message.type()}: ${message.text()}`);
    } else if (message.type() === "error") {
      problems.recordConsoleError(message.text(), location);
    }
  });
  page.on("pageerror", (error) => problems.pageErrors.push(error.stack ?? error.message));
  page.on("crash", () => problems.pageErrors.push("the page crashed"));
}

/** The violations still held by the page on screen (the exposed function may not have delivered them yet). */
async function cspViolationsOnCurrentPage(page: Page): Promise<CspViolation[]> {
  if (page.isClosed()) return [];
  try {
    return await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__cspViolations ?? []);
  } catch {
    // The page was mid-navigation or crashed; what it reported earlier is already recorded.
    return [];
  }
}

export const test = base.extend<{ browserProblems: BrowserProblems }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
  browserProblems: async ({}, use) => {
    await use(new BrowserProblems());
  },
  page: async ({ page, browserProblems }, use) => {
    await watchPage(page, browserProblems);
    await use(page);
    for (const violation of await cspViolationsOnCurrentPage(page))
      browserProblems.recordCspViolation(violation);
    expect(
      browserProblems.summary(),
      "the browser recorded CSP violations, console errors or page errors",
    ).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  },
});

const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * Frames that may not run scripts (the sandboxed previews of evidence and of an email's HTML): axe runs
 * inside a frame to check it, which their sandbox forbids (each try is a console error, and axe stalls).
 * What they show is the file's or the email's own content, not a page of ours.
 */
const SCRIPTLESS_FRAMES = 'iframe[sandbox]:not([sandbox~="allow-scripts"])';

/** Runs axe on the page as it is now, failing with one readable line per violation. */
export async function expectNoAccessibilityViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).exclude(SCRIPTLESS_FRAMES).analyze();
  const violations = results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
        .map((node) => node.target.join(" "))
        .join(", ")}`,
  );
  expect(violations, `axe found WCAG 2.1 AA violations (${label})`).toEqual([]);
}

function pageBackground(page: Page): Promise<string> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { body: object };
      getComputedStyle(element: object): { backgroundColor: string };
    };
    return browser.getComputedStyle(browser.document.body).backgroundColor;
  });
}

/**
 * Checks the page with axe in the light and in the dark colour scheme, and that the dark theme
 * really applies (otherwise the second check would only repeat the first).
 */
export async function expectAccessibleInLightAndDarkThemes(page: Page): Promise<void> {
  await page.emulateMedia({ colorScheme: "light" });
  const lightBackground = await pageBackground(page);
  await expectNoAccessibilityViolations(page, "light theme");

  await page.emulateMedia({ colorScheme: "dark" });
  const darkBackground = await pageBackground(page);
  expect(darkBackground, "the dark theme changes the page background").not.toBe(lightBackground);
  await expectNoAccessibilityViolations(page, "dark theme");
}
