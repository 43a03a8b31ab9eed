// A registration token for someone without a case, with four eyes, in Chromium: an inviting admin asks
// for one on the standalone form; the tokens page shows the request waiting, with no way for them to
// approve it; a second admin approves it there; the app's worker creates the token on the fake Synapse
// and emails the person a one-time link (e2e/fakeSynapseServer.ts, started by playwright.config.ts). The
// admins and their sessions are seeded through Prisma; axe checks the pages on the way.
import { randomUUID } from "node:crypto";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
const personName = `Grace Guest ${marker}`;
const personEmail = `grace-${marker}@example.org`;

test("a token for someone without a case is made only when a second admin approves the request", async ({
  page,
  context,
}) => {
  test.setTimeout(60_000);
  const config = appConfig();
  const db = openAppDatabase();
  try {
    const requester = await createStaffMember(db, config, {
      role: "INVITING_ADMIN",
      name: `Rhea Requester ${marker}`,
    });
    const approver = await createStaffMember(db, config, {
      role: "SERVER_ADMIN",
      name: `Ira Approver ${marker}`,
    });

    // The requester asks on the form.
    await context.addCookies([await signedInSessionCookie(db, config, requester.id)]);
    await page.goto("/staff/registration-tokens");
    await page.getByRole("link", { name: "Ask for a token for someone without a case" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Ask for a registration token" })).toBeVisible();
    await page.getByLabel("Full name").fill(personName);
    await page.getByLabel("Email address").fill(personEmail);
    await page.getByLabel("Note (optional)").fill("Speaker at the spring meetup.");
    await page.getByRole("button", { name: "Ask a second admin to approve" }).click();
    await expect(
      page.getByRole("status").filter({ hasText: "Your request waits for a second admin." }),
    ).toBeVisible();

    // Nothing is made yet; the request waits, and its requester may only withdraw it.
    expect(await db.registrationToken.count({ where: { personEmail } })).toBe(0);
    await page.goto("/staff/registration-tokens");
    const waiting = page.getByRole("listitem").filter({ hasText: personName });
    await expect(waiting).toContainText("it waits for another inviting admin (or above) to approve it");
    await expect(waiting.getByRole("button", { name: /Withdraw the request/ })).toBeVisible();
    await expect(waiting.getByRole("button", { name: /Approve/ })).toHaveCount(0);
    await expectAccessibleInLightAndDarkThemes(page);

    // A second admin approves it on the tokens page.
    await context.clearCookies();
    await context.addCookies([await signedInSessionCookie(db, config, approver.id)]);
    await page.goto("/staff/registration-tokens");
    const toDecide = page.getByRole("listitem").filter({ hasText: personName });
    await expect(toDecide).toContainText(`Rhea Requester ${marker}`);
    await expectAccessibleInLightAndDarkThemes(page);
    await toDecide.getByLabel("Your note (optional)").fill("I know her from the meetup.");
    await toDecide.getByRole("button", { name: /Approve and issue the token/ }).click();
    await expect(page.getByRole("status").filter({ hasText: "The request was approved." })).toBeVisible();
    await expect(page.getByRole("listitem").filter({ hasText: personName })).toHaveCount(0);
    await expect(page.getByRole("row").filter({ hasText: personName })).toContainText(
      `asked by Rhea Requester ${marker}`,
    );

    // The worker creates the token on the homeserver and emails the person the link to it.
    await expect
      .poll(
        async () =>
          (await db.registrationToken.findFirst({ where: { personEmail }, select: { state: true } }))?.state,
        { timeout: 20_000 },
      )
      .toBe("CREATED");
    await expect
      .poll(
        async () =>
          (
            await db.outboxMessage.findFirst({
              where: { recipient: personEmail, kind: "registration_token_ready" },
              select: { status: true },
            })
          )?.status,
        { timeout: 20_000 },
      )
      .toBe("SENT");
  } finally {
    await db.$disconnect();
  }
});
