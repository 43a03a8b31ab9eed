// MAINTENANCE_READ_ONLY over HTTP against the real app: every change is refused with 503 and
// Retry-After before anything is written (rows counted), pages and probes keep answering.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { createStaffMember, signedInStaffBrowser } from "../test/staff.js";

const HOUR = 3_600_000;
let testApp: TestApp;
let until: Date;

before(async () => {
  until = new Date(Date.now() + 2 * HOUR);
  testApp = await startTestApp({
    env: {
      MAINTENANCE_FROM: new Date(Date.now() - HOUR).toISOString(),
      MAINTENANCE_UNTIL: until.toISOString(),
      MAINTENANCE_READ_ONLY: "true",
    },
  });
});
after(() => testApp.close());

/** Rows of every table a refused request could have written. */
async function rowCounts() {
  const db = testApp.db;
  return {
    cases: await db.vettingCase.count(),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxMessage.count(),
    staffSessions: await db.staffSession.count(),
    cspViolations: await db.cspViolation.count(),
  };
}

/** Retry-After is the time left until MAINTENANCE_UNTIL, give or take the test's own seconds. */
function assertRetryAfterUntilTheEnd(response: Response) {
  const retryAfter = Number(response.headers.get("retry-after"));
  const secondsLeft = (until.getTime() - Date.now()) / 1000;
  assert.ok(Math.abs(retryAfter - secondsLeft) < 30, `Retry-After ${retryAfter}, ${secondsLeft} s left`);
}

describe("read-only maintenance", () => {
  test("an application is refused with 503, Retry-After and a page that says until when; nothing is written", async () => {
    const browser = new TestBrowser(testApp.baseUrl);
    const form = await browser.get("/apply");
    assert.equal(form.response.status, 200, "the form itself still shows");
    assert.match(form.html, /<section class="maintenance-banner maintenance-banner--read-only"/);
    const before = await rowCounts();

    const { response, html } = await browser.post("/apply", {
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the reading group.",
      consent: "yes",
    });

    assert.equal(response.status, 503);
    assertRetryAfterUntilTheEnd(response);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(html, /<h1>Read-only during maintenance<\/h1>/);
    assert.match(
      html,
      /<p class="lead">The portal is read-only for maintenance until about \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2} UTC\. Nothing you sent was saved\.<\/p>/,
    );
    assert.deepEqual(await rowCounts(), before);
  });

  test("staff changes and signing in are refused alike; staff pages still read", async () => {
    const staff = await signedInStaffBrowser(testApp, "SUPERADMIN");
    const home = await staff.get("/staff");
    assert.equal(home.status, 200);
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const before = await rowCounts();

    const theme = await staff.post("/staff/profile/theme", { theme: "DARK" });
    assert.equal(theme.status, 503);
    assertRetryAfterUntilTheEnd(theme);
    const signIn = await new TestBrowser(testApp.baseUrl).post("/staff/sign-in", {
      email: member.email,
      password: member.password,
    });
    assert.equal(signIn.response.status, 503);
    const signOut = await staff.post("/staff/sign-out");
    assert.equal(signOut.status, 503, "a session is a row too: signing out waits as well");

    assert.deepEqual(await rowCounts(), before);
    const row = await testApp.db.staffUser.findUniqueOrThrow({
      where: { id: staff.id },
      select: { themePreference: true },
    });
    assert.equal(row.themePreference, "SYSTEM");
  });

  test("a JSON client (the CSP report endpoint) gets JSON", async () => {
    const response = await fetch(`${testApp.baseUrl}/csp-report`, {
      method: "POST",
      headers: { "content-type": "application/csp-report" },
      body: JSON.stringify({ "csp-report": { "document-uri": "https://portal.example/" } }),
    });
    assert.equal(response.status, 503);
    assertRetryAfterUntilTheEnd(response);
    const body = (await response.json()) as { error: { id: string; message: string } };
    assert.equal(body.error.id, "read_only_maintenance");
    assert.match(body.error.message, /^The portal is read-only for maintenance until about .* UTC\./);
    assert.equal(await testApp.db.cspViolation.count(), 0);
  });

  test("probes: /healthz 200, /readyz 200 saying maintenance", async () => {
    const health = await fetch(`${testApp.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${testApp.baseUrl}/readyz`);
    assert.equal(ready.status, 200, "balancers keep sending people to the pages they can read");
    assert.equal(((await ready.json()) as { status: string }).status, "maintenance");
  });
});

test("without the switch, nothing is refused", async () => {
  const open = await startTestApp();
  try {
    const response = await fetch(`${open.baseUrl}/csp-report`, {
      method: "POST",
      headers: { "content-type": "application/csp-report" },
      body: JSON.stringify({ "csp-report": { "document-uri": "https://portal.example/" } }),
    });
    assert.notEqual(response.status, 503);
    const ready = (await (await fetch(`${open.baseUrl}/readyz`)).json()) as { status: string };
    assert.notEqual(ready.status, "maintenance");
  } finally {
    await open.close();
  }
});
