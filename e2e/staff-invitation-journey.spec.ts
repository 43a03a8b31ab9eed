// A superadmin invites a vetting agent; the email arrives in the development mailbox; the agent opens
// the link, chooses a password, enrols an authenticator (the code is computed here from the key the
// page shows), saves the recovery codes and lands on the staff home. A server admin's invitation waits
// for a second admin. The admins and their sessions are seeded through Prisma in the app's database.
import { randomUUID } from "node:crypto";
import type { BrowserContext, Cookie } from "@playwright/test";
import type { Database } from "../src/db.js";
import { totpCodeAt } from "../src/domain/totp.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

test.describe.configure({ mode: "serial" });

const marker = randomUUID().slice(0, 8);
let db: Database;
const sessionCookies: Partial<Record<"superadmin" | "serverAdmin", Cookie>> = {};

test.beforeAll(async () => {
  const config = appConfig();
  db = openAppDatabase();
  for (const [key, role] of [
    ["superadmin", "SUPERADMIN"],
    ["serverAdmin", "SERVER_ADMIN"],
  ] as const) {
    const member = await createStaffMember(db, config, {
      role,
      name: `${role === "SUPERADMIN" ? "Sue Super" : "Sam Server"} ${marker}`,
      email: `${key.toLowerCase()}-${marker}@example.org`,
    });
    sessionCookies[key] = await signedInSessionCookie(db, config, member.id);
  }
});

test.afterAll(async () => {
  await db?.$disconnect();
});

async function signInAs(context: BrowserContext, who: "superadmin" | "serverAdmin"): Promise<void> {
  await context.clearCookies();
  const cookie = sessionCookies[who];
  if (!cookie) throw new Error(`no session seeded for ${who}`);
  await context.addCookies([cookie]);
}

test.describe("a staff invitation", () => {
  test("sent by a superadmin reaches the invitee, who sets up the account, signs out and signs in with a code", async ({
    page,
    context,
  }) => {
    const inviteeName = `Alex Agent ${marker}`;
    const inviteeEmail = `agent-${marker}@example.org`;
    await signInAs(context, "superadmin");

    await page.goto("/staff/invitations");
    await expect(page.getByRole("heading", { level: 1, name: "Invitations" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByLabel("Full name").fill(inviteeName);
    await page.getByLabel("Email address").fill(inviteeEmail);
    await page.getByLabel("Role", { exact: true }).selectOption({ label: "Vetting agent" });
    await page.getByRole("button", { name: "Send invitation" }).click();
    await expect(page.getByRole("status")).toHaveText("The invitation was sent.");
    await expect(page.getByRole("row").filter({ hasText: inviteeEmail })).toContainText("Sent");

    // The app's worker delivers the email to the development mailbox.
    await expect
      .poll(
        async () =>
          (await db.outboxMessage.findFirst({ where: { recipient: inviteeEmail }, select: { status: true } }))
            ?.status,
        { timeout: 15_000 },
      )
      .toBe("SENT");
    await page.goto("/dev/mailbox");
    await page
      .getByRole("listitem")
      .filter({ hasText: inviteeEmail })
      .getByRole("link", { name: /You are invited to join the staff/ })
      .click();
    const invitationLink = page
      .getByRole("main")
      .getByRole("link", { name: /\/staff\/invitation\// })
      .first();
    const href = await invitationLink.getAttribute("href");
    expect(href).toMatch(/\/staff\/invitation\/[A-Za-z0-9_-]{43}$/);

    // The invitee's own browser: nobody signed in.
    await context.clearCookies();
    await page.goto(href ?? "");
    await expect(page.getByRole("heading", { level: 1, name: "Set up your staff account" })).toBeVisible();
    await expect(page.getByRole("img", { name: /QR code for your authenticator app/ })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    const secret = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    const password = "maple rivers hum at dusk";
    await page.getByLabel("New password").fill(password);
    await expect(page.locator("#password-strength")).not.toBeEmpty();
    await page.getByLabel("Repeat the password").fill(password);
    await page.getByLabel("The 6-digit code your app shows").fill(totpCodeAt(secret, new Date()));
    await page.getByRole("button", { name: "Create my account" }).click();

    await expect(page.getByRole("heading", { level: 1, name: "Your account is ready" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Your recovery codes" })).toBeVisible();
    await expect(page.locator(".recovery-codes__list li")).toHaveCount(10);
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("link", { name: /go to the staff home/ }).click();
    await expect(page).toHaveURL("/staff");
    await expect(page.getByRole("main")).toContainText(`Signed in as ${inviteeName} (Vetting agent)`);

    // Signs out, and back in with a code from the authenticator just enrolled.
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Staff sign-in" })).toBeVisible();
    await page.getByLabel("Email address").fill(inviteeEmail);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Enter your sign-in code" })).toBeVisible();
    // The enrolment code's 30-second step is spent (a code works once): the app's next code.
    await page.getByLabel("Code").fill(totpCodeAt(secret, new Date(Date.now() + 30_000)));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL("/staff");
    await expect(page.getByRole("heading", { level: 1, name: "Staff home" })).toBeVisible();
    await expect(page.getByRole("main")).toContainText(`Signed in as ${inviteeName} (Vetting agent)`);
    await expectAccessibleInLightAndDarkThemes(page);
  });

  test("written by a server admin waits for a second admin's approval", async ({ page, context }) => {
    const inviteeEmail = `pending-${marker}@example.org`;
    await signInAs(context, "serverAdmin");
    await page.goto("/staff/invitations");
    await expect(page.getByLabel("Role", { exact: true }).locator("option")).toHaveText([
      "Vetting agent",
      "Inviting admin",
    ]);
    await page.getByLabel("Full name").fill(`Pat Pending ${marker}`);
    await page.getByLabel("Email address").fill(inviteeEmail);
    await page.getByLabel("Role", { exact: true }).selectOption({ label: "Inviting admin" });
    await page.getByRole("button", { name: "Send invitation" }).click();
    await expect(page.getByRole("status")).toHaveText(
      "The invitation is waiting for a second admin’s approval.",
    );
    const row = page.getByRole("row").filter({ hasText: inviteeEmail });
    await expect(row).toContainText("Waiting for approval");

    await row.getByRole("link", { name: `Pat Pending ${marker}` }).click();
    await expect(page.getByRole("main")).toContainText(
      "You wrote this invitation, so a different admin has to approve it.",
    );
    await expect(page.getByRole("button", { name: "Approve and send" })).toHaveCount(0);
    await expectAccessibleInLightAndDarkThemes(page);

    // The superadmin sees it, and may approve it.
    await signInAs(context, "superadmin");
    await page.reload();
    await expect(page.getByRole("button", { name: "Approve and send" })).toBeVisible();
    await page.getByLabel("Note (optional)").fill("Known to the team.");
    await page.getByRole("button", { name: "Approve and send" }).click();
    await expect(page.getByRole("status")).toHaveText("The invitation was approved and sent.");
  });

  test("the staff list, a person's page and the profile page are accessible", async ({ page, context }) => {
    await signInAs(context, "superadmin");
    await page.goto("/staff/people");
    await expect(page.getByRole("heading", { level: 1, name: "Staff accounts" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("link", { name: `Sam Server ${marker}` }).click();
    await expect(page.getByRole("button", { name: "Disable the account" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.goto("/staff/profile");
    await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
  });
});
