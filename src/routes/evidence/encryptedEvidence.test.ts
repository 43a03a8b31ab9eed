// Evidence encrypted at rest, over HTTP against real Postgres and a real uploads folder: an upload is
// stored as ciphertext with its wrapped key in the row and downloads as the plaintext; a chunk altered
// on disk is refused before anything is sent, or, when it changes while being sent, the download is cut
// short; nginx's X-Accel-Redirect is never used for an encrypted file; and the keys rotate with files
// and sessions alive (three portals on one database and one uploads folder: before, during and after).
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { rotateKeys } from "../../commands/operations/rotateKeys.js";
import type { Prisma } from "../../generated/prisma/client.js";
import {
  generateRegistrationToken,
  openRegistrationToken,
  registrationTokenLookup,
  sealRegistrationToken,
} from "../../matrix/tokenSecrets.js";
import { openSecret, sessionSecretRing } from "../../secrets.js";
import { issueDeviceCookie, trustedDeviceNonce } from "../../security/deviceCookies.js";
import { CHUNK_BYTES, HEADER_BYTES } from "../../storage/evidenceEncryption.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { postEvidence, seedEvidenceFile, sha256Of, testStore } from "../../test/evidenceFiles.js";
import { pdfDocument } from "../../test/evidenceFixtures.js";
import { signedInStaffBrowser } from "../../test/staff.js";

const key = () => randomBytes(32).toString("base64");
const secret = () => randomBytes(48).toString("base64url");

async function createCase(testApp: TestApp, data: Partial<Prisma.VettingCaseUncheckedCreateInput> = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the local meetup.",
      state: "IN_REVIEW",
      submittedAt: new Date("2026-11-01T10:00:00Z"),
      lastSubmittedAt: new Date("2026-11-01T10:00:00Z"),
      ...data,
    },
  });
}

const body = async (response: Response) => Buffer.from(await response.arrayBuffer());

describe("with EVIDENCE_ENCRYPTION_KEY set", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp({
      env: {
        NEW_CASE_NOTIFICATIONS: "off",
        EVIDENCE_ENCRYPTION_KEY: key(),
        EVIDENCE_ACCEL_REDIRECT_LOCATION: "/internal/evidence/",
      },
    });
  });
  after(() => testApp.close());

  test("an upload is stored as ciphertext with its wrapped key in the row, and downloads as the plaintext", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const document = pdfDocument("Passport of Ada Applicant");
    const response = await postEvidence(`${testApp.baseUrl}/staff/cases/${vettingCase.id}/evidence`, {
      cookie: agent.cookie,
      csrfToken: agent.csrfToken,
      files: [{ name: "passport.pdf", type: "application/pdf", bytes: document }],
    });
    assert.equal(response.status, 303);
    const row = await testApp.db.evidenceFile.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(row.sha256, sha256Of(document), "the hash is of the plaintext");
    assert.equal(row.sizeBytes, document.length);
    assert.equal(row.encryptionKeyId, testApp.config.evidence.encryption?.current.id);
    assert.match(row.wrappedDataKey ?? "", /^w1\./);

    const store = testStore(testApp);
    const stored = await readFile(store.pathOf(row.storageKey));
    assert.equal(stored.indexOf("Passport"), -1);
    assert.equal(stored.indexOf("%PDF"), -1);
    assert.notEqual(sha256Of(stored), row.sha256);
    const leftInFlight = await readdirOrNothing(store.incomingRoot);
    assert.deepEqual(leftInFlight, [], "neither the plaintext nor the sealed copy stays in .incoming");

    // Encrypted: the portal decrypts and sends it itself, never nginx (which would send ciphertext).
    const download = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${row.id}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("x-accel-redirect"), null);
    assert.equal(download.headers.get("content-length"), String(document.length));
    assert.equal(download.headers.get("content-type"), "application/pdf");
    assert.deepEqual(await body(download), document);
  });

  test("a file stored in the clear before encryption was turned on is still handed to nginx", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const store = testStore(testApp);
    const document = pdfDocument("Older letter");
    const storageKey = randomUUID();
    const tempPath = path.join(store.root, `legacy-${storageKey}`);
    await writeFile(tempPath, document);
    await store.place({ storageKey, stagedPath: tempPath, encryption: null });
    const row = await testApp.db.evidenceFile.create({
      data: {
        caseId: vettingCase.id,
        storageKey,
        displayName: "letter.pdf",
        mediaType: "application/pdf",
        sizeBytes: document.length,
        sha256: sha256Of(document),
        uploaderKind: "APPLICANT",
      },
    });
    const download = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${row.id}`);
    assert.equal(download.status, 200);
    assert.equal(
      download.headers.get("x-accel-redirect"),
      `/internal/evidence/${store.relativePathOf(storageKey)}`,
    );
    assert.equal((await body(download)).length, 0);
  });

  test("a chunk altered on disk: 500 page, nothing of the file sent, an integrity audit row and log line", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const content = Buffer.concat([pdfDocument("Passport"), randomBytes(3 * CHUNK_BYTES)]);
    const file = await seedEvidenceFile(testApp, {
      caseId: vettingCase.id,
      bytes: content,
      displayName: "passport.pdf",
      mediaType: "application/pdf",
    });
    const storedPath = testStore(testApp).pathOf(file.storageKey);
    const stored = await readFile(storedPath);
    const inChunkTwo = HEADER_BYTES + 2 * (CHUNK_BYTES + 16) + 100;
    stored.writeUInt8(stored.readUInt8(inChunkTwo) ^ 0x80, inChunkTwo);
    await writeFile(storedPath, stored);

    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.get("content-disposition"), null);
    const html = await response.text();
    assert.match(html, /This file failed its integrity check and was not sent; staff have been alerted\./);
    assert.doesNotMatch(html, /%PDF|Passport/);
    const audit = await testApp.db.auditEvent.findMany({
      where: { subjectId: vettingCase.id, action: { startsWith: "evidence." } },
      select: { action: true },
    });
    assert.deepEqual(
      audit.map((row) => row.action),
      ["evidence.integrity_failed"],
    );
    const line = testApp
      .logLines()
      .find((entry) => entry.category === "integrity" && entry.evidenceFileId === file.id);
    assert.match(String(line?.decryptionProblem), /chunk 2 of the stored file failed its check/);
  });

  test("a file that changes while it is being sent: the download is cut short, never completed with forged bytes", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    // Large enough that the portal is still reading it from disk when the client stops to read.
    const content = Buffer.concat([pdfDocument("Passport"), randomBytes(48 * 1024 * 1024)]);
    const file = await seedEvidenceFile(testApp, {
      caseId: vettingCase.id,
      bytes: content,
      displayName: "passport.pdf",
      mediaType: "application/pdf",
    });
    const storedPath = testStore(testApp).pathOf(file.storageKey);

    const outcome = await new Promise<{ received: Buffer; contentLength: number; isComplete: boolean }>(
      (resolve, reject) => {
        const url = new URL(`${testApp.baseUrl}/staff/cases/${vettingCase.id}/evidence/${file.id}`);
        const request = http.get(url, { headers: { cookie: agent.cookie } }, (response) => {
          assert.equal(response.statusCode, 200);
          const chunks: Buffer[] = [];
          let hasAltered = false;
          response.on("data", (chunk: Buffer) => {
            chunks.push(chunk);
            if (hasAltered) return;
            hasAltered = true;
            // The check has passed and bytes are flowing: now a chunk near the end changes on disk.
            response.pause();
            void alterLastChunk(storedPath).then(() => response.resume(), reject);
          });
          const finish = (isComplete: boolean) =>
            resolve({
              received: Buffer.concat(chunks),
              contentLength: Number(response.headers["content-length"]),
              isComplete,
            });
          response.on("end", () => finish(response.complete));
          response.on("aborted", () => finish(false));
          response.on("error", () => finish(false));
        });
        request.on("error", reject);
      },
    );
    assert.equal(outcome.contentLength, content.length);
    assert.equal(outcome.isComplete, false);
    assert.ok(outcome.received.length < content.length, "fewer bytes than Content-Length promised");
    assert.deepEqual(outcome.received, content.subarray(0, outcome.received.length), "only genuine bytes");
    const line = testApp
      .logLines()
      .find((entry) => entry.category === "integrity" && entry.evidenceFileId === file.id);
    assert.match(String(line?.msg), /cut short/);
  });
});

async function alterLastChunk(storedPath: string): Promise<void> {
  const handle = await open(storedPath, "r+");
  try {
    const { size } = await handle.stat();
    await handle.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, size - 40);
  } finally {
    await handle.close();
  }
}

async function readdirOrNothing(folder: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const found: string[] = [];
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) found.push(entry.name);
  }
  return found;
}

describe("keys rotate with files and sessions alive", () => {
  const oldKeys = { evidence: key(), session: secret(), totp: key() };
  const newKeys = { evidence: key(), session: secret(), totp: key() };
  let uploadsDir: string;
  let beforeRotation: TestApp;
  before(async () => {
    uploadsDir = await mkdtemp(path.join(tmpdir(), "vp-rotation-"));
    beforeRotation = await startTestApp({
      env: {
        NEW_CASE_NOTIFICATIONS: "off",
        UPLOADS_DIR: uploadsDir,
        EVIDENCE_ENCRYPTION_KEY: oldKeys.evidence,
        SESSION_SECRET: oldKeys.session,
        TOTP_ENCRYPTION_KEY: oldKeys.totp,
      },
    });
  });
  after(async () => {
    await beforeRotation.close();
    await rm(uploadsDir, { recursive: true, force: true });
  });

  test("old files, open forms, remembered browsers, TOTP secrets and Matrix tokens survive; the old keys then retire", async () => {
    // Before: a file uploaded, a signed-in agent with a form open, a remembered browser, a token.
    const vettingCase = await createCase(beforeRotation);
    const agent = await signedInStaffBrowser(beforeRotation, "VETTING_AGENT");
    const oldDocument = pdfDocument("Uploaded before the rotation");
    const uploadUrl = (app: TestApp) => `${app.baseUrl}/staff/cases/${vettingCase.id}/evidence`;
    assert.equal(
      (
        await postEvidence(uploadUrl(beforeRotation), {
          cookie: agent.cookie,
          csrfToken: agent.csrfToken,
          files: [{ name: "before.pdf", type: "application/pdf", bytes: oldDocument }],
        })
      ).status,
      303,
    );
    const oldRow = await beforeRotation.db.evidenceFile.findFirstOrThrow({
      where: { caseId: vettingCase.id },
    });
    const oldCiphertext = await readFile(testStore(beforeRotation).pathOf(oldRow.storageKey));
    const deviceCookie = issueDeviceCookie(oldKeys.session, agent.id);
    const tokenString = generateRegistrationToken();
    const oldTotpKey = Buffer.from(oldKeys.totp, "base64");
    const token = await beforeRotation.db.registrationToken.create({
      data: {
        caseId: vettingCase.id,
        personName: "Ada Applicant",
        personEmail: "ada@example.org",
        tokenSealed: sealRegistrationToken(oldTotpKey, tokenString),
        tokenLookup: registrationTokenLookup(oldTotpKey, tokenString),
        expiresAt: new Date(Date.now() + 86_400_000),
        createdById: agent.id,
      },
    });

    // During: new keys current, old ones previous.
    const during = await startTestApp({
      databaseUrl: beforeRotation.databaseUrl,
      env: {
        NEW_CASE_NOTIFICATIONS: "off",
        UPLOADS_DIR: uploadsDir,
        EVIDENCE_ENCRYPTION_KEY: newKeys.evidence,
        EVIDENCE_ENCRYPTION_KEY_PREVIOUS: oldKeys.evidence,
        SESSION_SECRET: newKeys.session,
        SESSION_SECRET_PREVIOUS: oldKeys.session,
        TOTP_ENCRYPTION_KEY: newKeys.totp,
        TOTP_ENCRYPTION_KEY_PREVIOUS: oldKeys.totp,
      },
    });
    const newDocument = pdfDocument("Uploaded during the rotation");
    try {
      const download = await fetch(`${during.baseUrl}/staff/cases/${vettingCase.id}/evidence/${oldRow.id}`, {
        headers: { cookie: agent.cookie },
      });
      assert.equal(download.status, 200, "the session (a row) and the old file both still work");
      assert.deepEqual(await body(download), oldDocument);
      // The form the agent had open, its token signed with the old secret, still posts.
      const posted = await postEvidence(uploadUrl(during), {
        cookie: agent.cookie,
        csrfToken: agent.csrfToken,
        files: [{ name: "during.pdf", type: "application/pdf", bytes: newDocument }],
      });
      assert.equal(posted.status, 303);
      assert.ok(trustedDeviceNonce(sessionSecretRing(during.config), deviceCookie, agent.id));

      const outcome = await rotateKeys(during.db, during.config);
      assert.deepEqual(outcome, {
        evidenceKeysRewrapped: 1,
        evidenceKeysUnderUnknownKey: 0,
        totpSecretsResealed: 1,
        registrationTokensResealed: 1,
        secretsNotOpened: 0,
      });
      assert.deepEqual(await rotateKeys(during.db, during.config), {
        evidenceKeysRewrapped: 0,
        evidenceKeysUnderUnknownKey: 0,
        totpSecretsResealed: 0,
        registrationTokensResealed: 0,
        secretsNotOpened: 0,
      });
      const audit = await during.db.auditEvent.findMany({ where: { action: "keys.rotated" } });
      assert.equal(audit.length, 2);
      assert.equal(audit[0]?.actorLabel, "terminal");
    } finally {
      await during.close();
    }

    const rewrapped = await beforeRotation.db.evidenceFile.findUniqueOrThrow({ where: { id: oldRow.id } });
    assert.notEqual(rewrapped.wrappedDataKey, oldRow.wrappedDataKey);
    assert.deepEqual(
      await readFile(testStore(beforeRotation).pathOf(oldRow.storageKey)),
      oldCiphertext,
      "the file itself was not rewritten",
    );

    // After: the old keys removed.
    const afterwards = await startTestApp({
      databaseUrl: beforeRotation.databaseUrl,
      env: {
        NEW_CASE_NOTIFICATIONS: "off",
        UPLOADS_DIR: uploadsDir,
        EVIDENCE_ENCRYPTION_KEY: newKeys.evidence,
        SESSION_SECRET: newKeys.session,
        TOTP_ENCRYPTION_KEY: newKeys.totp,
      },
    });
    try {
      const rows = await afterwards.db.evidenceFile.findMany({ where: { caseId: vettingCase.id } });
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.equal(row.encryptionKeyId, afterwards.config.evidence.encryption?.current.id);
        const download = await fetch(
          `${afterwards.baseUrl}/staff/cases/${vettingCase.id}/evidence/${row.id}`,
          {
            headers: { cookie: agent.cookie },
          },
        );
        assert.equal(download.status, 200);
        assert.deepEqual(await body(download), row.displayName === "before.pdf" ? oldDocument : newDocument);
      }
      const newTotpKey = Buffer.from(newKeys.totp, "base64");
      const staffRow = await afterwards.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } });
      assert.equal(openSecret(newTotpKey, staffRow.totpSecretSealed ?? ""), agent.totpSecret);
      const tokenRow = await afterwards.db.registrationToken.findUniqueOrThrow({ where: { id: token.id } });
      assert.equal(openRegistrationToken(newTotpKey, tokenRow.tokenSealed), tokenString);
      assert.equal(tokenRow.tokenLookup, registrationTokenLookup(newTotpKey, tokenString));

      // What only the retired secret signed is no longer accepted.
      assert.equal(trustedDeviceNonce(sessionSecretRing(afterwards.config), deviceCookie, agent.id), null);
      const stale = await postEvidence(uploadUrl(afterwards), {
        cookie: agent.cookie,
        csrfToken: agent.csrfToken,
        files: [{ name: "late.pdf", type: "application/pdf", bytes: newDocument }],
      });
      assert.equal(stale.status, 403);
    } finally {
      await afterwards.close();
    }
  });
});
