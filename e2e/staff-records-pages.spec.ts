// A server admin reads the audit log and the outbox. The person, the session and the records are
// seeded through Prisma in the app's own database; the browser holds the session cookie.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Cookie } from "@playwright/test";
import type { Database } from "../src/db.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

let db: Database;
let sessionCookie: Cookie;
const marker = randomUUID().slice(0, 8);
let failedMessageId: string;

test.beforeAll(async () => {
  const config = appConfig();
  db = openAppDatabase();
  const admin = await createStaffMember(db, config, {
    role: "SERVER_ADMIN",
    name: `Riley Records ${marker}`,
    email: `records-${marker}@example.org`,
  });
  sessionCookie = await signedInSessionCookie(db, config, admin.id);
  await db.auditEvent.createMany({
    data: [
      {
        actorId: admin.id,
        actorLabel: admin.email,
        action: "staff.invited",
        subjectType: "staff_user",
        subjectId: `invitee-${marker}`,
        details: { note: "<b>not markup</b>" },
        ipAddress: "203.0.113.5",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
      },
      {
        actorLabel: "system",
        action: "setup.link_issued",
        subjectType: "link_token",
        subjectId: `link-${marker}`,
      },
    ],
  });
  const failed = await db.outboxMessage.create({
    data: {
      kind: "test_message",
      recipient: `failed-${marker}@example.org`,
      status: "FAILED",
      attempts: 5,
      lastError: "ECONNECTION: the relay could not be reached",
      failedAt: new Date(),
    },
    select: { id: true },
  });
  failedMessageId = failed.id;
  await db.outboxMessage.create({
    data: {
      kind: "staff_invitation",
      recipient: `invitee-${marker}@example.org`,
      status: "SENT",
      attempts: 1,
      payload: { inviteeName: "Ina Invitee", inviterName: "Riley", roleLabel: "Vetting agent" },
      sentAt: new Date(),
      acceptedBy: "127.0.0.1:2525",
    },
  });
});

test.afterAll(async () => {
  await db?.$disconnect();
});

test.beforeEach(async ({ context }) => {
  await context.addCookies([sessionCookie]);
});

test.describe("staff records pages", () => {
  test("a server admin reads the audit log and narrows it with the filter", async ({ page }) => {
    await page.goto("/staff/audit");
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    const table = page.getByRole("table", { name: "Audit events, newest first" });
    await expect(table).toContainText(`staff_user invitee-${marker}`);
    await expect(table).toContainText('{"note":"<b>not markup</b>"}');
    await expect(page.getByRole("button", { name: "Download these events as CSV" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByLabel("Action").selectOption("setup.link_issued");
    await page.getByLabel("Target id").fill(`link-${marker}`);
    await page.getByRole("button", { name: "Show events" }).click();
    await expect(page).toHaveURL(/action=setup\.link_issued/);
    await expect(table.getByRole("row")).toHaveCount(2);
    await expect(table).toContainText("system (no account)");

    // The export is a form (it writes its own audit row): the download carries the filter shown.
    const downloading = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download these events as CSV" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^audit-log-.*Z\.csv$/);
    const csv = await readFile(await download.path(), "utf8");
    expect(csv).toContain(`setup.link_issued,link_token,link-${marker}`);
    expect(csv).not.toContain(`invitee-${marker}`);
    await expect(page).toHaveURL(/action=setup\.link_issued/);
  });

  test("a filter with a mistake comes back with a message linked to the field", async ({
    page,
    browserProblems,
  }) => {
    browserProblems.allowErrorStatusFor("/staff/audit");
    await page.goto("/staff/audit?from=yesterday");
    await expect(page.getByRole("alert")).toContainText("Enter a date like 2026-03-31.");
    await expect(page.getByLabel("From (UTC)")).toHaveAttribute("aria-invalid", "true");
    await expectAccessibleInLightAndDarkThemes(page);
  });

  test("a server admin opens the outbox, reads a failed message and sends it again", async ({ page }) => {
    await page.goto("/staff/outbox");
    await expect(page.getByRole("heading", { level: 1, name: "Outbox" })).toBeVisible();
    const table = page.getByRole("table", { name: "Outbox messages, newest first" });
    await expect(table).toContainText(`failed-${marker}@example.org`);
    await expect(table).toContainText("ECONNECTION: the relay could not be reached");
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByLabel("Status").selectOption("FAILED");
    await page.getByRole("button", { name: "Show messages" }).click();
    await expect(page).toHaveURL(/status=FAILED/);
    await table
      .getByRole("row")
      .filter({ hasText: `failed-${marker}@example.org` })
      .getByRole("link")
      .click();

    await expect(page).toHaveURL(`/staff/outbox/${failedMessageId}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Test message");
    await expect(page.getByRole("main").locator("pre")).toContainText("test message");
    await expectAccessibleInLightAndDarkThemes(page);

    await page.getByRole("button", { name: "Send again" }).click();
    await expect(page.getByRole("status")).toContainText("The message was queued again");
  });

  test("a server admin queues a test message from the outbox page", async ({ page }) => {
    await page.goto("/staff/outbox");
    await page.getByLabel("Email address").fill(`ops-${marker}@example.org`);
    await page.getByRole("button", { name: "Send test message" }).click();
    await expect(page.getByRole("status")).toContainText("A test message was queued.");
    await expect(page.getByRole("table", { name: "Outbox messages, newest first" })).toContainText(
      `ops-${marker}@example.org`,
    );
  });
});
