// Bulk work in the browser: a reviewer ticks two cases in the queue, chooses a colleague and assigns
// them; the confirmation page lists what will change and nothing changes until they confirm (it and the
// result page are checked by axe in both themes). The "select every case on this page" box (a small script) ticks them all.
import { randomUUID } from "node:crypto";
import type { Database } from "../src/db.js";
import { formatCaseNumber } from "../src/domain/caseNumber.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
let db: Database;

test.beforeAll(() => {
  db = openAppDatabase();
});
test.afterAll(async () => {
  await db?.$disconnect();
});

async function createCases(count: number) {
  const cases = [];
  for (let index = 0; index < count; index++) {
    const submittedAt = new Date(Date.UTC(2026, 9, 1 + index, 12));
    cases.push(
      await db.vettingCase.create({
        data: {
          origin: "APPLICANT",
          state: "SUBMITTED",
          fullName: `Bulk ${marker} ${index}`,
          email: `bulk-${marker}-${index}@example.org`,
          statement: "I would like to join.",
          submittedAt,
          lastSubmittedAt: submittedAt,
        },
      }),
    );
  }
  return cases;
}

test("ticking two cases in the queue and assigning them to a colleague", async ({
  page,
  context,
}, testInfo) => {
  // axe runs twice (both themes) on a machine the other tests share.
  test.setTimeout(90_000);
  const config = appConfig();
  const reviewer = await createStaffMember(db, config, { role: "VETTING_AGENT", name: `Rae ${marker}` });
  const colleague = await createStaffMember(db, config, { role: "VETTING_AGENT", name: `Colm ${marker}` });
  const [first, second, third] = await createCases(3);
  if (!first || !second || !third) throw new Error("three cases were created");
  await context.addCookies([await signedInSessionCookie(db, config, reviewer.id)]);

  await page.goto(`/staff/cases?q=${marker}`);
  await page.getByLabel(`Select ${formatCaseNumber(first.number)}`).check();
  await page.getByLabel(`Select ${formatCaseNumber(third.number)}`).check();
  await page.getByLabel("Assign to").selectOption({ label: `Colm ${marker}` });
  await page.screenshot({ path: testInfo.outputPath("queue-with-two-cases-ticked.png"), fullPage: true });
  await page.getByRole("button", { name: "Assign…" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Assign cases" })).toBeVisible();
  await expect(page.getByText(`2 cases will be assigned to Colm ${marker}.`)).toBeVisible();
  const rows = page
    .getByRole("table", { name: "The selected cases and what happens to each" })
    .getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText(`Bulk ${marker} 0`);
  await expect(rows.nth(2)).toContainText(`Bulk ${marker} 2`);
  await expectAccessibleInLightAndDarkThemes(page);
  await page.screenshot({ path: testInfo.outputPath("bulk-assign-confirmation.png"), fullPage: true });
  expect((await db.vettingCase.findUniqueOrThrow({ where: { id: first.id } })).assignedToId).toBeNull();

  await page.getByRole("button", { name: "Assign 2 cases" }).click();
  await expect(page.getByText(`2 cases assigned to Colm ${marker}.`)).toBeVisible();
  // The page that says what was done is checked too.
  await expectAccessibleInLightAndDarkThemes(page);
  const assigned = await db.vettingCase.findMany({
    where: { id: { in: [first.id, second.id, third.id] } },
    select: { id: true, assignedToId: true },
  });
  expect(Object.fromEntries(assigned.map((row) => [row.id, row.assignedToId]))).toEqual({
    [first.id]: colleague.id,
    [second.id]: null,
    [third.id]: colleague.id,
  });
});

test("the header box ticks every case on the page", async ({ page, context }) => {
  const config = appConfig();
  const reviewer = await createStaffMember(db, config, { role: "VETTING_AGENT", name: `Sam ${marker}` });
  await createCases(2);
  await context.addCookies([await signedInSessionCookie(db, config, reviewer.id)]);
  await page.goto(`/staff/cases?q=${marker}`);
  const boxes = page.getByRole("checkbox", { name: /^Select VC-/ });
  await expect(boxes).not.toHaveCount(0);
  await page.getByLabel("Select every case on this page").check();
  for (const box of await boxes.all()) await expect(box).toBeChecked();
});
