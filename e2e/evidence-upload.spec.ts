// Evidence uploads in Chromium, as people use them: a vetting agent drops a file on the case's upload
// page and watches it go; files the browser or the server refuses say why, next to the file, without
// leaving the page; the form still works with JavaScript off; and on the case page staff preview an
// image inline and a PDF's first page drawn by the server. Staff, applicants and cases are seeded through Prisma;
// every file travels through the real upload route into the app's uploads folder. axe checks the pages.
import { createHash, randomUUID } from "node:crypto";
import type { BrowserContext, Cookie, JSHandle, Locator, Page } from "@playwright/test";
import type { Config } from "../src/config.js";
import type { Database } from "../src/db.js";
import { EICAR_TEST_FILE } from "../src/test/clamd.js";
import { jpegWithLocation } from "../src/test/evidenceContent.js";
import { htmlPage, pdfDocument, pngImage } from "../src/test/evidenceFixtures.js";
import { createStaffMember } from "../src/test/staff.js";
import { appConfig, applicantSessionCookie, openAppDatabase, signedInSessionCookie } from "./appDatabase.js";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

const marker = randomUUID().slice(0, 8);
let db: Database;
let config: Config;
let agentCookie: Cookie;

test.beforeAll(async () => {
  config = appConfig();
  db = openAppDatabase();
  const agent = await createStaffMember(db, config, {
    role: "VETTING_AGENT",
    name: `Eve Evidence ${marker}`,
    email: `evidence-agent-${marker}@example.org`,
  });
  agentCookie = await signedInSessionCookie(db, config, agent.id);
  // Every run uploads from 127.0.0.1, which has an hourly upload limit of its own (per person the
  // count starts afresh: each run seeds new people). Runs repeated within the hour start it again.
  await db.rateLimit.deleteMany({ where: { key: { startsWith: "evidence_upload_ip" } } });
});

test.afterAll(async () => {
  await db?.$disconnect();
});

async function seedCase(state: "DRAFT" | "SUBMITTED", name: string): Promise<string> {
  const vettingCase = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      state,
      fullName: name,
      email: `evidence-${randomUUID().slice(0, 8)}@example.org`,
      statement: "I met the organisers at the spring meetup.",
      emailConfirmedAt: new Date(),
      ...(state === "SUBMITTED" ? { submittedAt: new Date(), lastSubmittedAt: new Date() } : {}),
    },
    select: { id: true },
  });
  return vettingCase.id;
}

async function signInAsApplicant(context: BrowserContext, caseId: string): Promise<void> {
  const cookie = await applicantSessionCookie(db, config, caseId);
  await context.clearCookies();
  await context.addCookies([cookie]);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

// The e2e files are type-checked without the DOM library: the browser globals used below, described.
type BrowserFiles = {
  DataTransfer: new () => { items: { add(file: object): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => object;
};

/** A DataTransfer in the page holding these files, as the browser builds one for a drag from the desktop. */
function dataTransferWith(
  page: Page,
  files: { name: string; type: string; bytes: Buffer }[],
): Promise<JSHandle> {
  return page.evaluateHandle(
    (list) => {
      const browser = globalThis as unknown as BrowserFiles;
      const transfer = new browser.DataTransfer();
      for (const file of list) {
        transfer.items.add(new browser.File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
      }
      return transfer;
    },
    files.map((file) => ({ name: file.name, type: file.type, bytes: [...file.bytes] })),
  );
}

/**
 * Drags these files onto the drop zone as a browser does: dragenter and dragover, which the zone must
 * cancel to accept the drop (else a browser would not drop there), then drop. Says whether it accepted.
 */
function dropFiles(dropZone: Locator, dataTransfer: JSHandle): Promise<{ isDragAccepted: boolean }> {
  return dropZone.evaluate((zone, transfer) => {
    type Browser = { DragEvent: new (type: string, init: object) => object };
    const browser = globalThis as unknown as Browser;
    const target = zone as unknown as { dispatchEvent(event: object): boolean };
    const fire = (type: string) =>
      target.dispatchEvent(
        new browser.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
    const isEnterAccepted = !fire("dragenter");
    const isOverAccepted = !fire("dragover");
    fire("drop");
    return { isDragAccepted: isEnterAccepted && isOverAccepted };
  }, dataTransfer);
}

type UploadSnapshot = {
  status: string;
  progress: { label: string; value: number; max: number; isVisible: boolean }[];
};

/**
 * Records every state of the upload form's progress bars and status line as the page changes them
 * (a MutationObserver in the page reporting to the test), so a quick upload's progress is seen even
 * though the page moves on as soon as it is done.
 */
async function recordUploadStates(page: Page): Promise<UploadSnapshot[]> {
  const snapshots: UploadSnapshot[] = [];
  await page.exposeFunction("__reportUploadSnapshot", (snapshot: UploadSnapshot) => snapshots.push(snapshot));
  await page.evaluate(() => {
    type ProgressElement = {
      value: number;
      max: number;
      getAttribute(name: string): string | null;
      checkVisibility(): boolean;
    };
    type Browser = {
      __reportUploadSnapshot(snapshot: unknown): void;
      MutationObserver: new (
        callback: () => void,
      ) => { observe(target: object, options: Record<string, boolean>): void };
      document: {
        querySelector(selector: string): {
          textContent: string | null;
          querySelectorAll(selector: string): Iterable<ProgressElement>;
        } | null;
      };
    };
    const browser = globalThis as unknown as Browser;
    const form = browser.document.querySelector("form[data-evidence-upload]");
    if (!form) throw new Error("no upload form on the page");
    let last = "";
    const report = () => {
      const snapshot = {
        status: browser.document.querySelector(".evidence-upload__status")?.textContent ?? "",
        progress: [...form.querySelectorAll("progress")].map((progress) => ({
          label: progress.getAttribute("aria-label") ?? "",
          value: progress.value,
          max: progress.max,
          isVisible: progress.checkVisibility(),
        })),
      };
      const serialised = JSON.stringify(snapshot);
      if (serialised !== last) browser.__reportUploadSnapshot(snapshot);
      last = serialised;
    };
    new browser.MutationObserver(report).observe(form, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  return snapshots;
}

test.describe("uploading evidence", () => {
  test("an agent drops a file on the upload page, sees its progress, and finds it on the case page", async ({
    page,
    context,
  }) => {
    const caseId = await seedCase("SUBMITTED", `Dora Dropped ${marker}`);
    await context.addCookies([agentCookie]);
    await page.goto(`/staff/cases/${caseId}/evidence`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Add evidence");
    const dropZone = page.getByRole("button", { name: "Choose files or drop them here" });
    await expect(dropZone).toBeVisible();
    await expect(dropZone).toHaveAccessibleDescription(/PDF, PNG, JPEG, GIF or WebP; up to 20 MB each/);
    await expectAccessibleInLightAndDarkThemes(page);

    const snapshots = await recordUploadStates(page);
    const scan = pngImage(64, 48);
    const dropped = await dropFiles(
      dropZone,
      await dataTransferWith(page, [{ name: "passport-scan.png", type: "image/png", bytes: scan }]),
    );
    expect(dropped, "the drop zone accepts a drag of files").toEqual({ isDragAccepted: true });

    const chosen = page.getByRole("list", { name: "Chosen files" }).getByRole("listitem");
    await expect(chosen).toHaveCount(1);
    await expect(chosen).toContainText("passport-scan.png");
    await expect(page.getByRole("status")).toContainText("Chosen: passport-scan.png");
    await page.getByLabel("Note for passport-scan.png (optional)").fill(`Front page ${marker}`);
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("button", { name: "Upload", exact: true }).click();

    // The script moves on to the case page once every file is in.
    await expect(page).toHaveURL(new RegExp(`/staff/cases/${caseId}(\\?|$)`));
    const listed = page
      .getByRole("listitem")
      .filter({ has: page.getByRole("heading", { name: "passport-scan.png" }) });
    await expect(listed).toContainText(`Front page ${marker}`);
    await expect(listed).toContainText(sha256(scan));

    // On the way, the file's progress bar was shown, named for the file, and reached its end, and the
    // status line said what was happening.
    await expect
      .poll(() => snapshots.some((snapshot) => snapshot.status.includes("passport-scan.png uploaded")))
      .toBe(true);
    const bars = snapshots.flatMap((snapshot) => snapshot.progress);
    expect(bars.length).toBeGreaterThan(0);
    expect(new Set(bars.map((bar) => bar.label))).toEqual(new Set(["Upload progress for passport-scan.png"]));
    expect(bars.some((bar) => bar.isVisible)).toBe(true);
    expect(bars.some((bar) => bar.isVisible && bar.value === bar.max)).toBe(true);
    expect(snapshots.map((snapshot) => snapshot.status)).toContain("Uploading passport-scan.png.");

    const stored = await db.evidenceFile.findMany({ where: { caseId } });
    expect(stored).toEqual([
      expect.objectContaining({
        displayName: "passport-scan.png",
        mediaType: "image/png",
        sizeBytes: scan.length,
        sha256: sha256(scan),
        note: `Front page ${marker}`,
        uploaderKind: "STAFF",
      }),
    ]);
  });

  test("files refused in the browser or by the server say why, next to each file, and the page stays", async ({
    page,
    context,
    browserProblems,
  }) => {
    // The server's refusal is a 400 answer to the script's request, which Chromium logs.
    browserProblems.allowErrorStatusFor("/application/evidence");
    const caseId = await seedCase("DRAFT", `Rhea Refused ${marker}`);
    await signInAsApplicant(context, caseId);
    await page.goto("/application/evidence");
    await expect(page.getByRole("heading", { level: 1, name: "Your evidence" })).toBeVisible();

    const dropZone = page.getByRole("button", { name: "Choose files or drop them here" });
    const dropped = await dropFiles(
      dropZone,
      await dataTransferWith(page, [
        { name: "notes.txt", type: "text/plain", bytes: Buffer.from("just some text\n") },
        // A web page renamed to look like a picture: the browser cannot tell, the server sniffs it.
        { name: "holiday.png", type: "image/png", bytes: htmlPage() },
      ]),
    );
    expect(dropped).toEqual({ isDragAccepted: true });
    const chosen = page.getByRole("list", { name: "Chosen files" });
    const textFile = chosen.getByRole("listitem").filter({ hasText: "notes.txt" });
    const disguised = chosen.getByRole("listitem").filter({ hasText: "holiday.png" });
    await expect(textFile).toContainText("This is not a PDF, PNG, JPEG, GIF or WebP file.");
    await expect(disguised.locator(".evidence-queue__problem")).toBeHidden();

    // Nothing is sent while a chosen file has a problem; the remove button says which file it removes.
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByRole("status")).toContainText("Remove the file marked with a problem");
    await expect(page.getByRole("button", { name: "Remove notes.txt" })).toBeFocused();
    await page.getByRole("button", { name: "Remove notes.txt" }).click();
    await expect(textFile).toHaveCount(0);

    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByRole("status")).toContainText("holiday.png was not uploaded");
    const problem = disguised.locator(".evidence-queue__problem");
    await expect(problem).toBeVisible();
    await expect(problem).not.toBeEmpty();
    await expect(page).toHaveURL(/\/application\/evidence$/);
    await expect(page.getByRole("button", { name: "Remove holiday.png" })).toBeFocused();
    expect(await db.evidenceFile.count({ where: { caseId } })).toBe(0);
    await expectAccessibleInLightAndDarkThemes(page);
  });

  test("a name with a direction override or a line break is shown and checked as the server keeps it", async ({
    page,
    context,
  }) => {
    const caseId = await seedCase("DRAFT", `Bidi Bea ${marker}`);
    await signInAsApplicant(context, caseId);
    await page.goto("/application/evidence");
    const letter = pdfDocument(`Signed letter ${marker}`);
    await dropFiles(
      page.getByRole("button", { name: "Choose files or drop them here" }),
      await dataTransferWith(page, [
        // Shows as "report.pdf" in a right-to-left override; its name really ends in "fdp".
        { name: "report.\u202Efdp", type: "application/pdf", bytes: pdfDocument() },
        // The name ends at the line break: "letter.pdf", as the server keeps it.
        { name: "letter.pdf\nsigned", type: "application/pdf", bytes: letter },
      ]),
    );
    const chosen = page.getByRole("list", { name: "Chosen files" });
    const disguised = chosen.getByRole("listitem").filter({ hasText: "report.fdp" });
    await expect(disguised).toContainText("This is not a PDF, PNG, JPEG, GIF or WebP file.");
    await expect(page.getByRole("status")).not.toContainText("\u202E");
    await page.getByRole("button", { name: "Remove report.fdp" }).click();

    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByRole("heading", { level: 3, name: "letter.pdf" })).toBeVisible();
    const stored = await db.evidenceFile.findMany({
      where: { caseId },
      select: { displayName: true, sha256: true },
    });
    expect(stored).toEqual([{ displayName: "letter.pdf", sha256: sha256(letter) }]);
  });
});

test.describe("uploading evidence without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the plain form lists a refused file by name, and an accepted one on the page", async ({
    page,
    context,
    browserProblems,
  }) => {
    browserProblems.allowErrorStatusFor("/application/evidence");
    const caseId = await seedCase("DRAFT", `Nia NoScript ${marker}`);
    await signInAsApplicant(context, caseId);
    await page.goto("/application/evidence");
    await expect(page.getByRole("button", { name: "Choose files or drop them here" })).toHaveCount(0);

    await page
      .getByLabel("Files", { exact: true })
      .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("text") });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const summary = page.getByRole("alert");
    await expect(summary).toContainText("Nothing was uploaded");
    await expect(summary.getByRole("link", { name: /^notes\.txt: / })).toBeVisible();
    await expect(page.getByLabel("Files", { exact: true })).toHaveAttribute("aria-invalid", "true");
    expect(await db.evidenceFile.count({ where: { caseId } })).toBe(0);
    // (axe needs JavaScript in the page: the enhanced form's refusals are checked above.)

    const letter = pdfDocument(`Letter ${marker}`);
    await page
      .getByLabel("Files", { exact: true })
      .setInputFiles({ name: "letter.pdf", mimeType: "application/pdf", buffer: letter });
    await page.getByLabel("Note (optional)").fill("From my landlord");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByRole("status")).toBeVisible();
    await expect(page.getByRole("heading", { level: 3, name: "letter.pdf" })).toBeVisible();
    const stored = await db.evidenceFile.findMany({ where: { caseId } });
    expect(stored.map((file) => [file.displayName, file.note, file.sha256, file.uploaderKind])).toEqual([
      ["letter.pdf", "From my landlord", sha256(letter), "APPLICANT"],
    ]);
  });
});

test.describe("the portal's checks in the browser", () => {
  test("malware is refused with the scanner's reason; a photo is kept without its location, and the page says so", async ({
    page,
    context,
    browserProblems,
  }) => {
    browserProblems.allowErrorStatusFor("/application/evidence");
    const caseId = await seedCase("DRAFT", `Mo Malware ${marker}`);
    await signInAsApplicant(context, caseId);
    await page.goto("/application/evidence");

    // The app runs with EVIDENCE_SCAN=required against the tests' clamd (playwright.config.ts).
    const infected = pdfDocument(EICAR_TEST_FILE.toString("latin1"));
    await page
      .getByLabel("Files", { exact: true })
      .setInputFiles({ name: "scan.pdf", mimeType: "application/pdf", buffer: infected });
    await page
      .getByRole("button", { name: /^Upload/ })
      .first()
      .click();
    await expect(
      page.getByText(/The virus scanner found malware in the file, so it was not kept\./).first(),
    ).toBeVisible();
    expect(await db.evidenceFile.count({ where: { caseId } })).toBe(0);

    await page.goto("/application/evidence");
    await page
      .getByLabel("Files", { exact: true })
      .setInputFiles({ name: "id-card.jpg", mimeType: "image/jpeg", buffer: await jpegWithLocation() });
    await page
      .getByRole("button", { name: /^Upload/ })
      .first()
      .click();
    await expect(
      page.getByText("Location and camera data were removed from your photos before they were kept."),
    ).toBeVisible();
    expect(await db.evidenceFile.count({ where: { caseId } })).toBe(1);
  });
});

test.describe("previewing evidence on the staff case page", () => {
  test("an image shows inline and a PDF shows its first page drawn by the server", async ({
    page,
    context,
  }) => {
    const caseId = await seedCase("SUBMITTED", `Pia Preview ${marker}`);
    await context.addCookies([agentCookie]);
    await page.goto(`/staff/cases/${caseId}/evidence`);

    // Keyboard: the drop zone is a button; Enter opens the file picker.
    const dropZone = page.getByRole("button", { name: "Choose files or drop them here" });
    await dropZone.focus();
    const chooser = page.waitForEvent("filechooser");
    await page.keyboard.press("Enter");
    await (await chooser).setFiles([
      { name: "id-photo.png", mimeType: "image/png", buffer: pngImage(120, 80) },
      {
        name: "reference-letter.pdf",
        mimeType: "application/pdf",
        buffer: pdfDocument(`Reference ${marker}`),
      },
    ]);
    await expect(page.getByRole("list", { name: "Chosen files" }).getByRole("listitem")).toHaveCount(2);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/staff/cases/${caseId}(\\?|$)`));

    const files = await db.evidenceFile.findMany({
      where: { caseId },
      select: { id: true, displayName: true },
    });
    const idOf = (name: string) => files.find((file) => file.displayName === name)?.id ?? "missing";

    await page.locator("summary", { hasText: "Preview of id-photo.png" }).click();
    const image = page.getByRole("img", { name: "Preview of id-photo.png" });
    await expect(image).toBeVisible();
    await expect(image).toHaveAttribute(
      "src",
      `/staff/cases/${caseId}/evidence/${idOf("id-photo.png")}/preview`,
    );
    await expect
      .poll(() => image.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
      .toBe(120);

    await page.locator("summary", { hasText: "Preview of reference-letter.pdf" }).click();
    // The PDF is shown as its first page drawn by the server (browsers refuse PDFs in sandboxed frames).
    const firstPage = page.getByRole("img", { name: "First page of reference-letter.pdf" });
    await expect(firstPage).toHaveAttribute(
      "src",
      `/staff/cases/${caseId}/evidence/${idOf("reference-letter.pdf")}/pages/1`,
    );
    await expect
      .poll(() => firstPage.evaluate((element) => (element as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    await expectAccessibleInLightAndDarkThemes(page);
  });
});
