// The privacy notice in the visitor's language, in Chromium: a German browser reads it in German, the
// switcher turns it into French, and an application sent from the French form records consent to the
// French text (its version and its language, in Postgres). axe checks each language's page.
import { randomUUID } from "node:crypto";
import type { Database } from "../src/db.js";
import { readCatalog } from "../src/i18n/translator.js";
import { openAppDatabase } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const german = readCatalog("de");
const french = readCatalog("fr");
const email = `notice-${randomUUID().slice(0, 8)}@example.org`;
let db: Database;

test.beforeAll(() => {
  db = openAppDatabase();
});
test.afterAll(async () => {
  await db.$disconnect();
});

test.use({ locale: "de-DE" });

test("the notice speaks the visitor's language, and a consent records the language of the text read", async ({
  page,
  context,
}) => {
  await context.clearCookies();
  await page.goto("/privacy");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByRole("heading", { level: 1, name: german["privacy.title"] })).toBeVisible();
  await expect(page.getByText(german["privacy.builtIn.p1"] ?? "")).toBeVisible();
  await expect(page.getByText(/We use what you give us/)).toHaveCount(0);
  await expectAccessibleInLightAndDarkThemes(page);

  await page
    .getByRole("group", { name: german["language.switcherLabel"] })
    .getByRole("button", { name: "Français" })
    .click();
  await expect(page).toHaveURL(/\/privacy$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByRole("heading", { level: 1, name: french["privacy.title"] })).toBeVisible();
  await expect(page.getByText(french["privacy.builtIn.p1"] ?? "")).toBeVisible();
  await expectAccessibleInLightAndDarkThemes(page);

  await page.goto("/apply");
  await page.getByLabel(french["fields.fullName.label"] ?? "").fill("Noémie Notice");
  await page.getByLabel(french["fields.email.label"] ?? "").fill(email);
  await page
    .getByLabel(french["fields.statement.label"] ?? "")
    .fill("Je connais l’équipe du jardin partagé.");
  await page.getByLabel(/J’ai lu la politique de confidentialité \(version built-in-1\)/).check();
  await page.getByRole("button", { name: french["apply.submit"] }).click();
  await expect(page).toHaveURL(/\/apply\/sent$/);

  const stored = await db.vettingCase.findFirstOrThrow({
    where: { email },
    select: {
      language: true,
      privacyNoticeVersion: true,
      privacyNoticeLanguage: true,
      privacyConsentAt: true,
    },
  });
  expect(stored).toEqual({
    language: "fr",
    privacyNoticeVersion: "built-in-1",
    privacyNoticeLanguage: "fr",
    privacyConsentAt: expect.any(Date),
  });
});
