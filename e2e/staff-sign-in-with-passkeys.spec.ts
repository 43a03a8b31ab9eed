// Passkeys, end to end in Chromium with a virtual authenticator (the DevTools WebAuthn domain): a
// staff member adds a passkey on their profile page, signs in with it alone, signs in with the password
// and the passkey in place of the code, and removes it after a step-up. An authenticator that presents
// a copy of the passkey with a counter that did not grow is refused, and so is an answer sent again.
// People and sessions are seeded through Prisma in the app's own database.
//
// A WebAuthn relying party is a domain name: browsers refuse an IP address such as the 127.0.0.1 the
// e2e app is published at. So these tests run against a second instance of the portal, on the same
// database, published as http://localhost:<E2E_PORT + 2> (web only; the first instance's worker sends
// the mail).
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext, CDPSession, Page } from "@playwright/test";
import { totpCodeAt } from "../src/domain/totp.js";
import { type PortalProcess, startPortal } from "../src/test/portalProcess.js";
import { createStaffMember, type TestStaffMember } from "../src/test/staff.js";
import { waitUntil } from "../src/test/waitFor.js";
import { appConfig, appDatabaseUrl, e2ePort, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const passkeyPort = e2ePort + 2;
const passkeyOrigin = `http://localhost:${passkeyPort}`;
let portal: PortalProcess | undefined;

test.use({ baseURL: passkeyOrigin });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const workDirectory = path.join(tmpdir(), `vetting-portal-e2e-${e2ePort}`, "passkeys");
  portal = startPortal(
    {
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: String(passkeyPort),
      PUBLIC_URL: passkeyOrigin,
      DATABASE_URL: appDatabaseUrl(),
      UPLOADS_DIR: path.join(workDirectory, "uploads"),
      DEV_MAILBOX_DIR: path.join(workDirectory, "mailbox"),
      DEV_MAILBOX_SMTP_PORT: String(e2ePort + 3),
      LOG_LEVEL: "warn",
    },
    [process.execPath, "--import", "tsx", "src/main.ts", "--web"],
  );
  await waitUntil(
    "the passkey portal to answer",
    async () => (await fetch(`http://127.0.0.1:${passkeyPort}/readyz`).catch(() => null))?.ok === true,
    100_000,
  );
});

test.afterAll(async () => {
  await portal?.stop();
});

type VirtualCredential = {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
};

/** A platform authenticator with user verification, answering without a person (presence simulated). */
async function addVirtualAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

async function credentialsOf(cdp: CDPSession, authenticatorId: string): Promise<VirtualCredential[]> {
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  return credentials as VirtualCredential[];
}

async function seedSignedInMember(context: BrowserContext, name: string): Promise<TestStaffMember> {
  const config = appConfig();
  const db = openAppDatabase();
  try {
    const member = await createStaffMember(db, config, {
      role: "VETTING_AGENT",
      name: `${name} ${randomUUID().slice(0, 8)}`,
    });
    const cookie = await signedInSessionCookie(db, config, member.id);
    await context.addCookies([{ ...cookie, domain: "localhost" }]);
    return member;
  } finally {
    await db.$disconnect();
  }
}

async function addPasskeyOnProfile(page: Page, passkeyName: string): Promise<void> {
  await page.goto("/staff/profile");
  await page.getByLabel("Name for a new passkey").fill(passkeyName);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Add a passkey" })).toBeVisible();
  await page.getByRole("button", { name: "Create the passkey" }).click();
  await expect(page).toHaveURL("/staff/profile?done=passkey_added");
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL("/staff/sign-in");
}

async function signInWithPasskeyAlone(page: Page): Promise<void> {
  await page.goto("/staff/sign-in");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in with a passkey" })).toBeVisible();
  await page.getByRole("button", { name: "Use a passkey" }).click();
}

async function auditActionsOf(staffUserId: string) {
  const db = openAppDatabase();
  try {
    return await db.auditEvent.findMany({
      where: { subjectId: staffUserId, action: { in: ["staff.signed_in", "staff.sign_in_failed"] } },
      orderBy: { id: "asc" },
      select: { action: true, details: true },
    });
  } finally {
    await db.$disconnect();
  }
}

test("a staff member adds a passkey, signs in with it alone and after the password, then removes it", async ({
  page,
  context,
  browserProblems,
}) => {
  const cdp = await context.newCDPSession(page);
  const authenticatorId = await addVirtualAuthenticator(cdp);
  const member = await seedSignedInMember(context, "Pat Passkey");
  const db = openAppDatabase();
  try {
    await page.goto("/staff/profile");
    await expect(page.getByRole("heading", { level: 2, name: "Passkeys" })).toBeVisible();
    await expect(page.getByText("You have no passkeys yet.")).toBeVisible();
    await page.getByLabel("Name for a new passkey").fill("Work laptop");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Add a passkey" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("button", { name: "Create the passkey" }).click();

    await expect(page).toHaveURL("/staff/profile?done=passkey_added");
    await expect(page.getByRole("status")).toContainText("The passkey was added.");
    const passkeyRow = page.getByRole("row", { name: /Work laptop/ });
    await expect(passkeyRow).toBeVisible();
    await expect(passkeyRow.getByRole("cell").nth(2)).toHaveText("Never");
    await expectAccessibleInLightAndDarkThemes(page);

    const [stored] = await db.staffPasskey.findMany({ where: { staffUserId: member.id } });
    const [credential] = await credentialsOf(cdp, authenticatorId);
    expect(credential?.isResidentCredential).toBe(true);
    expect(stored?.name).toBe("Work laptop");
    expect(stored?.credentialId).toBe(
      Buffer.from(credential?.credentialId ?? "", "base64").toString("base64url"),
    );
    expect(stored?.deviceType).toBe("singleDevice");
    expect(stored?.isBackedUp).toBe(false);
    const addedEmail = await db.outboxMessage.findFirst({
      where: { recipient: member.email, kind: "credentials_changed" },
      select: { payload: true },
    });
    expect(addedEmail?.payload).toMatchObject({ change: "passkey_added" });

    // A passkey alone: no address, no password, no code.
    await signOut(page);
    await signInWithPasskeyAlone(page);
    await expect(page).toHaveURL("/staff");
    const afterFirstUse = await db.staffPasskey.findUniqueOrThrow({ where: { id: stored?.id ?? "" } });
    expect(afterFirstUse.lastUsedAt).not.toBeNull();
    expect(afterFirstUse.signCount).toBeGreaterThan(stored?.signCount ?? 0n);

    // The password, then the passkey in place of the code.
    await signOut(page);
    await page.getByLabel("Email address").fill(member.email);
    await page.getByLabel("Password").fill(member.password);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Enter your sign-in code" })).toBeVisible();
    await page.getByRole("button", { name: "Use a passkey instead" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Confirm with your passkey" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await expect(page).toHaveURL("/staff");

    expect(
      (await auditActionsOf(member.id)).map((event) => [
        event.action,
        (event.details as { method?: string }).method,
      ]),
    ).toEqual([
      ["staff.signed_in", "passkey"],
      ["staff.signed_in", "password_and_passkey"],
    ]);

    // Removing asks for a fresh code once the last one is older than STEP_UP_MINUTES.
    await db.staffSession.updateMany({
      where: { staffUserId: member.id },
      data: { secondFactorAt: new Date(Date.now() - 60 * 60_000) },
    });
    await page.goto("/staff/profile");
    await expect(
      page
        .getByRole("row", { name: /Work laptop/ })
        .getByRole("cell")
        .nth(2),
    ).not.toHaveText("Never");
    browserProblems.allowErrorStatusFor(`/staff/profile/passkeys/${stored?.id}/remove`);
    await page.getByRole("button", { name: "Remove the passkey Work laptop" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Confirm it is you" })).toBeVisible();
    expect(await db.staffPasskey.count({ where: { staffUserId: member.id } })).toBe(1);
    await page.getByLabel("Code").fill(totpCodeAt(member.totpSecret, new Date()));
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await expect(page).toHaveURL("/staff/profile?done=passkey_removed");
    await expect(page.getByText("You have no passkeys yet.")).toBeVisible();
    expect(await db.staffPasskey.count({ where: { staffUserId: member.id } })).toBe(0);
    const removal = await db.auditEvent.findFirst({
      where: { subjectId: member.id, action: "staff.passkey_removed" },
      select: { details: true },
    });
    expect(removal?.details).toEqual({ passkeyId: stored?.id });

    // The removed passkey no longer signs in (the page answers 422, which Chromium logs).
    browserProblems.allowErrorStatusFor("/staff/sign-in/passkey/check");
    await signOut(page);
    await signInWithPasskeyAlone(page);
    await expect(page.getByRole("alert")).toContainText("That passkey was not accepted");
  } finally {
    await db.$disconnect();
  }
});

test("a copy of a passkey whose counter did not grow is refused", async ({
  page,
  context,
  browserProblems,
}) => {
  const cdp = await context.newCDPSession(page);
  const original = await addVirtualAuthenticator(cdp);
  const member = await seedSignedInMember(context, "Cleo Clone");
  const db = openAppDatabase();
  try {
    await addPasskeyOnProfile(page, "Security key");
    // The key as it was at registration, before any sign-in moved its counter on.
    const [copy] = await credentialsOf(cdp, original);
    if (!copy) throw new Error("the virtual authenticator holds no credential");
    await signOut(page);
    await signInWithPasskeyAlone(page);
    await expect(page).toHaveURL("/staff");
    const { signCount: countAfterSignIn } = await db.staffPasskey.findFirstOrThrow({
      where: { staffUserId: member.id },
    });

    // Another authenticator holding the same private key, its counter where the original's was.
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: original });
    const clone = await addVirtualAuthenticator(cdp);
    await cdp.send("WebAuthn.addCredential", { authenticatorId: clone, credential: copy });
    browserProblems.allowErrorStatusFor("/staff/sign-in/passkey/check");
    await signOut(page);
    await signInWithPasskeyAlone(page);

    await expect(page).toHaveURL("/staff/sign-in/passkey/check");
    await expect(page.getByRole("alert")).toContainText("That passkey was not accepted");
    const passkey = await db.staffPasskey.findFirstOrThrow({ where: { staffUserId: member.id } });
    expect(passkey.signCount).toBe(countAfterSignIn);
    const failures = (await auditActionsOf(member.id)).filter(
      (event) => event.action === "staff.sign_in_failed",
    );
    expect(failures.map((event) => event.details)).toEqual([{ reason: "passkey_counter", stage: "passkey" }]);
  } finally {
    await db.$disconnect();
  }
});

test("an answer to a challenge that was already used is refused", async ({ page, context }) => {
  const cdp = await context.newCDPSession(page);
  await addVirtualAuthenticator(cdp);
  const member = await seedSignedInMember(context, "Rory Replay");
  const db = openAppDatabase();
  try {
    await addPasskeyOnProfile(page, "Phone");
    await signOut(page);

    // The answer and the challenge cookie of a sign-in, as they were sent.
    let sentAnswer = "";
    await page.route("**/staff/sign-in/passkey/check", async (route) => {
      sentAnswer = route.request().postData() ?? "";
      await route.continue();
    });
    await page.goto("/staff/sign-in");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Sign in with a passkey" })).toBeVisible();
    const challengeCookie = (await context.cookies()).find((cookie) => cookie.name === "passkey-challenge");
    if (!challengeCookie) throw new Error("no challenge cookie was set");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await expect(page).toHaveURL("/staff");
    expect(sentAnswer).toContain("response=");

    // Sent again, with the same cookie, after signing out.
    await signOut(page);
    await context.addCookies([challengeCookie]);
    const replayed = await page.request.post("/staff/sign-in/passkey/check", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      data: sentAnswer,
      maxRedirects: 0,
    });
    expect(replayed.status()).toBe(422);
    expect(await replayed.text()).toContain("That passkey was not accepted");
    expect((await auditActionsOf(member.id)).map((event) => [event.action, event.details])).toEqual([
      ["staff.signed_in", expect.objectContaining({ method: "passkey" })],
      ["staff.sign_in_failed", { reason: "challenge_invalid", stage: "passkey" }],
    ]);
    expect(await db.staffSession.count({ where: { staffUserId: member.id } })).toBe(0);
  } finally {
    await db.$disconnect();
  }
});
