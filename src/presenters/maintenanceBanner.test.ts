// The planned-maintenance banner: when it shows (the lead time before the window, the window, the
// read-only switch), what it says, and that every kind of page shows it, over HTTP against the real app.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../applicantSessions.js";
import type { MaintenanceSettings } from "../domain/maintenance.js";
import { catalogTranslator } from "../i18n/translator.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { signedInStaffBrowser } from "../test/staff.js";
import { formatDuration, presentMaintenanceBanner } from "./maintenanceBanner.js";

const HOUR = 3_600_000;
const from = new Date("2026-12-01T22:00:00Z");
const until = new Date("2026-12-02T00:30:00Z");
const announced: MaintenanceSettings = {
  window: { from, until },
  announceMs: 72 * HOUR,
  note: null,
  isReadOnly: false,
};
const at = (offsetHours: number) => new Date(from.getTime() + offsetHours * HOUR);

describe("presentMaintenanceBanner", () => {
  test("shows nothing before the lead time, nor once the window is over", () => {
    assert.equal(presentMaintenanceBanner(announced, at(-72.01)), null);
    assert.equal(presentMaintenanceBanner(announced, at(2.5)), null);
    assert.equal(presentMaintenanceBanner({ ...announced, window: null }, at(0)), null);
  });

  test("announces the window from the lead time on, in UTC, with its length", () => {
    const expected = {
      isReadOnly: false,
      title: "Planned maintenance",
      text: "Planned maintenance on 1 December 2026 at 22:00 UTC for about 2 hours and 30 minutes: the portal will be read-only.",
      note: null,
    };
    assert.deepEqual(presentMaintenanceBanner(announced, at(-72)), expected);
    assert.deepEqual(presentMaintenanceBanner(announced, at(1)), expected, "still shown while it runs");
    assert.equal(presentMaintenanceBanner({ ...announced, announceMs: 0 }, at(-0.01)), null);
  });

  test("says the portal is read-only, until when, whenever the switch is on", () => {
    const readOnly = { ...announced, isReadOnly: true, note: "Moving to a new database server." };
    assert.deepEqual(presentMaintenanceBanner(readOnly, at(1)), {
      isReadOnly: true,
      title: "Maintenance under way",
      text: "The portal is read-only for maintenance until about 2 December 2026 at 00:30 UTC. You can read pages, but forms cannot be sent until then.",
      note: "Moving to a new database server.",
    });
    // The work ran over, or was never announced: no end is promised.
    for (const settings of [readOnly, { ...readOnly, window: null }]) {
      assert.equal(
        presentMaintenanceBanner(settings, at(3))?.text,
        "The portal is read-only for maintenance for now. You can read pages, but forms cannot be sent until then.",
      );
    }
  });

  test("speaks the page's language", () => {
    const german = catalogTranslator("de");
    assert.deepEqual(presentMaintenanceBanner(announced, at(-1), german), {
      isReadOnly: false,
      title: "Geplante Wartungsarbeiten",
      text: "Geplante Wartungsarbeiten am 1. Dezember 2026 um 22:00 UTC für etwa 2 Stunden und 30 Minuten: Das Portal ist dann schreibgeschützt.",
      note: null,
    });
    assert.equal(formatDuration(26 * HOUR + 60_000, catalogTranslator("fr")), "1 jour, 2 heures et 1 minute");
  });

  test("formats lengths in words", () => {
    assert.equal(formatDuration(45 * 60_000), "45 minutes");
    assert.equal(formatDuration(HOUR), "1 hour");
    assert.equal(formatDuration(26 * HOUR + 60_000), "1 day, 2 hours and 1 minute");
  });
});

describe("the banner on every page", () => {
  let announcedApp: TestApp;
  let laterApp: TestApp;
  const note = 'New <b>server</b> & "faster" uploads';

  before(async () => {
    const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();
    announcedApp = await startTestApp({
      env: { MAINTENANCE_FROM: inHours(48), MAINTENANCE_UNTIL: inHours(50), MAINTENANCE_NOTE: note },
    });
    laterApp = await startTestApp({
      env: { MAINTENANCE_FROM: inHours(100), MAINTENANCE_UNTIL: inHours(102) },
    });
  });
  after(async () => {
    await announcedApp.close();
    await laterApp.close();
  });

  /** The banner's section, or null. */
  const bannerIn = (html: string) =>
    /<section class="maintenance-banner"[^>]*>[\s\S]*?<\/section>/.exec(html)?.[0] ?? null;

  test("a public, an applicant and a staff page announce it within the lead time, the note escaped", async () => {
    const publicPage = await new TestBrowser(announcedApp.baseUrl).get("/apply");

    const vettingCase = await announcedApp.db.vettingCase.create({
      data: {
        state: "DRAFT",
        origin: "APPLICANT",
        fullName: "Wren Applicant",
        email: "wren@example.org",
        statement: "I know Mara from birdwatching.",
        privacyNoticeVersion: "built-in-1",
        privacyConsentAt: new Date(),
        emailConfirmedAt: new Date(),
      },
      select: { id: true },
    });
    const { token } = await announcedApp.db.$transaction((tx) =>
      startApplicantSession(tx, { config: announcedApp.config, caseId: vettingCase.id }),
    );
    const applicant = new TestBrowser(announcedApp.baseUrl);
    applicant.cookies.set(applicantCookieName(announcedApp.config), token);
    const applicantPage = await applicant.get("/application");

    const staff = await signedInStaffBrowser(announcedApp, "VETTING_AGENT");
    const staffPage = await staff.get("/staff");

    for (const [name, response, html] of [
      ["public", publicPage.response, publicPage.html],
      ["applicant", applicantPage.response, applicantPage.html],
      ["staff", staffPage, await staffPage.text()],
    ] as const) {
      assert.equal(response.status, 200, name);
      const banner = bannerIn(html);
      assert.ok(banner, `${name} page shows the banner`);
      assert.match(banner, /aria-labelledby="maintenance-banner-title"/);
      assert.match(
        banner,
        /<h2 class="maintenance-banner__title" id="maintenance-banner-title">Planned maintenance<\/h2>/,
      );
      assert.match(
        banner,
        /Planned maintenance on \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2} UTC for about 2 hours: the portal will be read-only\./,
      );
      assert.ok(
        banner.includes(
          '<p class="maintenance-banner__note">New &lt;b&gt;server&lt;/b&gt; &amp; &quot;faster&quot; uploads</p>',
        ),
        `${name} page escapes the note`,
      );
    }
  });

  test("nothing is shown before the lead time begins", async () => {
    const { response, html } = await new TestBrowser(laterApp.baseUrl).get("/");
    assert.equal(response.status, 200);
    assert.equal(bannerIn(html), null);
    assert.doesNotMatch(html, /maintenance/i);
  });
});
