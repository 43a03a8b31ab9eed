// Reliability drill: the uploads volume is full. The uploads folder is a small tmpfs of its own (evidence/
// and .incoming/ on the same filesystem, as in production, so placement stays a rename), and a file
// larger than the free space is sent: the disk fills while the file streams into .incoming. The person
// gets a clear answer (the upload page saying what happened and what to do, or the JSON error the
// drop zone shows), and nothing is half-written: no evidence row, no audit row for it, no upload lease,
// nothing in uploads/evidence or uploads/.incoming, and the space the partial file took is free again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { promisify } from "node:util";
import { applicantCookieName, startApplicantSession } from "../applicantSessions.js";
import type { CaseState } from "../domain/caseStates.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { clearUploads, postEvidence, sha256Of, uploadsOnDisk } from "../test/evidenceFiles.js";
import { pdfDocument, pngOfSize } from "../test/evidenceFixtures.js";
import { truncateTables } from "../test/reset.js";
import { signedInStaffBrowser } from "../test/staff.js";

const execFileAsync = promisify(execFile);

const VOLUME_BYTES = 2 * 1024 * 1024;
/** Larger than the whole volume: the disk fills while it streams. */
const OVERSIZED_BYTES = 3 * 1024 * 1024;

interface SmallVolume {
  path: string;
  unmount(): Promise<void>;
}

/** A tmpfs of its own (we are root), in a fresh temporary folder; unmount() also removes the folder. */
async function mountSmallVolume(options: { bytes: number; inodes?: number }): Promise<SmallVolume> {
  const mountPoint = await mkdtemp(path.join(tmpdir(), "vp-drill-full-"));
  const settings = [`size=${options.bytes}`, "mode=0750"];
  if (options.inodes !== undefined) settings.push(`nr_inodes=${options.inodes}`);
  try {
    await execFileAsync("mount", ["-t", "tmpfs", "-o", settings.join(","), "tmpfs", mountPoint]);
  } catch (error) {
    await rm(mountPoint, { recursive: true, force: true });
    throw error;
  }
  await chmod(mountPoint, 0o750);
  return {
    path: mountPoint,
    async unmount() {
      await execFileAsync("umount", [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    },
  };
}

/** The per-file and per-case limits let every file here through: only the disk can stop it. */
const appSettings = (uploadsDir: string) => ({
  UPLOADS_DIR: uploadsDir,
  NEW_CASE_NOTIFICATIONS: "off",
  EVIDENCE_MAX_FILE_MB: "20",
  EVIDENCE_MAX_CASE_MB: "100",
});

let volume: SmallVolume | undefined;
let testApp: TestApp;

before(async () => {
  volume = await mountSmallVolume({ bytes: VOLUME_BYTES });
  testApp = await startTestApp({ env: appSettings(volume.path) });
});

after(async () => {
  await testApp?.close();
  await volume?.unmount();
});

beforeEach(async () => {
  await truncateTables(testApp.db, [
    "evidence_files",
    "upload_leases",
    "vetting_cases",
    "applicant_sessions",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
  ]);
  await clearUploads(testApp);
});

async function createCase(state: CaseState, app = testApp) {
  return app.db.vettingCase.create({
    data: {
      state,
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
}

/** A browser holding an applicant session for a draft case, on the evidence page. */
async function applicantOnEvidencePage(app = testApp): Promise<{ caseId: string; browser: TestBrowser }> {
  const { id: caseId } = await createCase("DRAFT", app);
  const { token } = await app.db.$transaction((tx) =>
    startApplicantSession(tx, { config: app.config, caseId }),
  );
  const browser = new TestBrowser(app.baseUrl);
  browser.cookies.set(applicantCookieName(app.config), token);
  const page = await browser.get("/application/evidence");
  assert.equal(page.response.status, 200);
  return { caseId, browser };
}

const oversizedImage = () => ({
  name: "scan.png",
  type: "image/png",
  bytes: pngOfSize(OVERSIZED_BYTES),
});

async function freeBytes(app = testApp): Promise<number> {
  const stats = await statfs(app.config.uploadsDir);
  return stats.bavail * stats.bsize;
}

async function expectNothingHalfWritten(caseId: string, freeBefore: number, app = testApp): Promise<void> {
  assert.equal(await app.db.evidenceFile.count(), 0, "no evidence row");
  assert.equal(await app.db.uploadLease.count(), 0, "no upload lease left");
  const audit = await app.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    select: { action: true },
  });
  assert.deepEqual(
    audit.filter((row) => row.action.startsWith("evidence.")),
    [],
    "no evidence audit row",
  );
  assert.deepEqual(await uploadsOnDisk(app), { stored: [], incoming: [] }, "no file on the volume");
  assert.equal(await freeBytes(app), freeBefore, "the partial file's space is free again");
}

/** The volume is usable again: a small file goes in, and its bytes are what was sent. */
async function expectSmallUploadWorks(
  upload: (file: Parameters<typeof postEvidence>[1]["files"][number]) => Promise<Response>,
) {
  const bytes = pdfDocument("Passport");
  const answer = await upload({ name: "passport.pdf", type: "application/pdf", bytes });
  assert.ok(answer.status === 201 || answer.status === 303, `small upload: ${answer.status}`);
  const [row] = await testApp.db.evidenceFile.findMany({ select: { sha256: true } });
  assert.equal(row?.sha256, sha256Of(bytes));
  assert.equal((await uploadsOnDisk(testApp)).stored.length, 1);
}

describe("the uploads volume is full", () => {
  test("the upload form: the page says no room was left and nothing was kept; nothing is half-written", async () => {
    const { caseId, browser } = await applicantOnEvidencePage();
    const freeBefore = await freeBytes();
    assert.ok(freeBefore < OVERSIZED_BYTES, "the file is larger than the free space");

    const answer = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
      cookie: browser.cookieHeader(),
      csrfToken: browser.csrfToken,
      files: [oversizedImage()],
    });
    const html = await answer.text();

    assert.equal(
      answer.status,
      507,
      JSON.stringify(testApp.logLines().filter((l) => (l.level as number) >= 40)).slice(0, 3000),
    );
    assert.match(answer.headers.get("content-type") ?? "", /^text\/html/);
    // The upload page again, with its error summary: what happened, that nothing was kept, what to do.
    assert.match(
      html,
      /<h3 class="error-summary__title" id="evidence-error-title">Nothing was uploaded<\/h3>/,
    );
    const message = /<div class="error-summary"[\s\S]*?<p>([^<]+)<\/p>/.exec(html)?.[1] ?? "";
    assert.match(message, /no room/i);
    assert.match(message, /nothing was kept/i);
    assert.match(message, /try again later/i);
    assert.doesNotMatch(html, /ENOSPC|no space left on device|\/tmp\//i, "no internals on the page");
    assert.match(html, /<form class="form evidence-upload"/, "the form is there to try again");

    await expectNothingHalfWritten(caseId, freeBefore);
    const logged = testApp
      .logLines()
      .find((line) => line.msg === "evidence upload: the uploads volume is full");
    assert.ok(logged, "the operator is told, in the log");
    assert.equal(logged.level, 50);

    await expectSmallUploadWorks((file) =>
      postEvidence(`${testApp.baseUrl}/application/evidence`, {
        cookie: browser.cookieHeader(),
        csrfToken: browser.csrfToken,
        files: [file],
      }),
    );
  });

  test("the drop zone's JSON answer: 507 insufficient_storage with the same message; nothing is half-written", async () => {
    const { id: caseId } = await createCase("SUBMITTED");
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const freeBefore = await freeBytes();
    const uploadUrl = `${testApp.baseUrl}/staff/cases/${caseId}/evidence`;

    const answer = await postEvidence(uploadUrl, {
      cookie: agent.cookie,
      csrfToken: agent.csrfToken,
      files: [oversizedImage()],
      json: true,
    });
    const body = (await answer.json()) as {
      error: { status: number; id: string; message: string; requestId: string; files: unknown[] };
    };

    assert.equal(
      answer.status,
      507,
      JSON.stringify(
        testApp.logLines().filter((l) => (l.level as number) >= 40 || String(l.msg).includes("refused")),
      ).slice(-3000),
    );
    assert.equal(body.error.status, 507);
    assert.equal(body.error.id, "insufficient_storage");
    assert.match(body.error.message, /no room/i);
    assert.match(body.error.message, /nothing was kept/i);
    assert.doesNotMatch(body.error.message, /ENOSPC|no space left on device/i);
    assert.ok(body.error.requestId);
    await expectNothingHalfWritten(caseId, freeBefore);

    await expectSmallUploadWorks((file) =>
      postEvidence(uploadUrl, {
        cookie: agent.cookie,
        csrfToken: agent.csrfToken,
        files: [file],
        json: true,
      }),
    );
  });

  test("the rest of the portal: /readyz says the uploads volume is degraded (still 200), pages work, metrics count the refusals", async () => {
    const ready = await fetch(`${testApp.baseUrl}/readyz`);
    const body = (await ready.json()) as {
      status: string;
      degraded: string[];
      checks: Record<string, string>;
    };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.equal(body.status, "degraded");
    assert.ok(body.degraded.includes("uploads"), JSON.stringify(body));
    assert.match(body.checks.uploads ?? "", /^degraded: /);
    assert.equal((await fetch(`${testApp.baseUrl}/apply`)).status, 200);
    // Refusals for want of room are counted under their own reason (a per-process counter).
    const refusedSoFar = async () => {
      const metrics = await (await fetch(`${testApp.baseUrl}/metrics`)).text();
      const line = /_evidence_uploads_refused_total\{reason="insufficient_storage"\} (\d+)/.exec(metrics);
      return Number(line?.[1] ?? 0);
    };
    const refusedBefore = await refusedSoFar();
    const { browser } = await applicantOnEvidencePage();
    const answer = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
      cookie: browser.cookieHeader(),
      csrfToken: browser.csrfToken,
      files: [oversizedImage()],
      json: true,
    });
    assert.equal(answer.status, 507);
    assert.equal(await refusedSoFar(), refusedBefore + 1);
  });
});

describe("no room for a folder on the uploads volume (its inodes used up)", () => {
  /** Uploads one small file as the applicant on a volume with this many inodes, and checks the refusal. */
  async function uploadOnVolumeWithInodes(inodes: number, failedFolder: RegExp): Promise<void> {
    const small = await mountSmallVolume({ bytes: VOLUME_BYTES, inodes });
    let app: TestApp | undefined;
    try {
      app = await startTestApp({ env: appSettings(small.path) });
      const { caseId, browser } = await applicantOnEvidencePage(app);
      const freeBefore = await freeBytes(app);
      const answer = await postEvidence(`${app.baseUrl}/application/evidence`, {
        cookie: browser.cookieHeader(),
        csrfToken: browser.csrfToken,
        files: [{ name: "passport.pdf", type: "application/pdf", bytes: pdfDocument("Passport") }],
        json: true,
      });
      const body = (await answer.json()) as { error: { id: string; message: string } };
      assert.equal(answer.status, 507, JSON.stringify(body));
      assert.equal(body.error.id, "insufficient_storage");
      assert.match(body.error.message, /nothing was kept/i);
      await expectNothingHalfWritten(caseId, freeBefore, app);
      // Where it struck, as the operator reads it in the log.
      const logged = app
        .logLines()
        .find((line) => line.msg === "evidence upload: the uploads volume is full");
      const cause = logged?.err as { code?: string; syscall?: string; path?: string } | undefined;
      assert.equal(cause?.code, "ENOSPC");
      assert.equal(cause?.syscall, "mkdir");
      assert.match(path.relative(small.path, cause?.path ?? ""), failedFolder);
    } finally {
      await app?.close();
      await small.unmount();
    }
  }

  // The volume's root, evidence/ and .incoming/ take the three inodes: the lease's folder finds none.
  test("for the upload's own folder in .incoming: 507, nothing kept, no lease left", async () => {
    await uploadOnVolumeWithInodes(3, /^\.incoming\/[0-9a-f-]{36}$/);
  });

  // Root, evidence/, .incoming/, the lease's folder and the temporary file take the five inodes: the
  // file arrives whole, but the folder it is to be placed in (evidence/<ab>/) cannot be made.
  test("for the folder the file is placed in: 507, no row, no audit row, no file", async () => {
    await uploadOnVolumeWithInodes(5, /^evidence\/[0-9a-f]{2}$/);
  });
});
