// An upload is encrypted and scanned while it arrives, over HTTP with a real clamd (our own signatures,
// reached through a TCP proxy that counts what it is sent), real Postgres, real SMTP and a real uploads
// folder with EVIDENCE_ENCRYPTION_KEY set. Each test sends part of the body, looks at what the server has
// done with it so far, then sends the rest (or goes away): clamd has the bytes before the upload ends,
// the stored form is written beside the plaintext while it arrives and is the file kept, and whatever
// ends the upload (malware, the client leaving, clamd gone), nothing is left behind, not even clamd's
// connection.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { EICAR_TEST_FILE, startTestClamd, TEST_SIGNATURES, type TestClamd } from "../../test/clamd.js";
import { jpegWithLocation, metadataOf } from "../../test/evidenceContent.js";
import { clearUploads, sha256Of, testStore, uploadsOnDisk } from "../../test/evidenceFiles.js";
import { pdfDocument } from "../../test/evidenceFixtures.js";
import { freePort } from "../../test/ports.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";
import { startTcpProxy, type TcpProxy } from "../../test/tcpProxy.js";

const TABLES = [
  "evidence_files",
  "upload_leases",
  "vetting_cases",
  "outbox_messages",
  "audit_events",
  "staff_sessions",
  "staff_users",
  "rate_limits",
  "graphile_worker._private_jobs",
];
/** A PDF of about 1.5 MB: many socket reads, so that "while it arrives" means something. */
const FILLER = "A".repeat(1_500_000);
/** For tests whose regression would be an upload that never settles: fail then, never hang the run. */
const FAILS_RATHER_THAN_HANGS = { timeout: 30_000 };

let clamd: TestClamd;
let clamdProxy: TcpProxy;
let smtp: TestSmtpServer;
let testApp: TestApp;
let staff: SignedInStaffBrowser;
let admin: SignedInStaffBrowser;
let caseId: string;

before(async () => {
  const clamdPort = await freePort();
  [clamd, smtp] = await Promise.all([
    startTestClamd({ tcpPort: clamdPort }),
    startTestSmtpServer({ tls: "none" }),
  ]);
  clamdProxy = await startTcpProxy({ host: "127.0.0.1", port: clamdPort });
  testApp = await startTestApp({
    env: {
      NEW_CASE_NOTIFICATIONS: "off",
      SMTP_PORTS: String(smtp.port),
      EVIDENCE_SCAN: "required",
      CLAMAV_HOST: "127.0.0.1",
      CLAMAV_PORT: String(clamdProxy.port),
      CLAMAV_TIMEOUT_SECONDS: "5",
      EVIDENCE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    },
  });
});
after(async () => {
  await testApp.close();
  await clamdProxy.close();
  await clamd.close();
  await smtp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, TABLES);
  await clearUploads(testApp);
  smtp.messages.length = 0;
  staff = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vera Agent");
  admin = await signedInStaffBrowser(testApp, "SERVER_ADMIN", "Sam Admin");
  caseId = (
    await testApp.db.vettingCase.create({
      data: {
        origin: "APPLICANT",
        fullName: "Ada Applicant",
        email: "ada@example.org",
        statement: "I organise the local meetup.",
        state: "IN_REVIEW",
      },
      select: { id: true },
    })
  ).id;
});

interface UploadInFlight {
  /** Sends the rest of the body; resolves with the answer. */
  finish(): Promise<{ status: number; text: string }>;
  /** The client goes away. */
  abort(): void;
}

/**
 * Starts a staff upload of one file and sends the first `fraction` of its body, then waits for more. The
 * body is built by hand (not by fetch), so that it can stop in the middle.
 */
function startUpload(file: { name: string; type: string; bytes: Buffer }, fraction: number): UploadInFlight {
  const boundary = `test-boundary-${randomUUID()}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${staff.csrfToken}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const request = http.request(`${testApp.baseUrl}/staff/cases/${caseId}/evidence`, {
    method: "POST",
    headers: {
      cookie: staff.cookie,
      accept: "text/html",
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": body.length,
    },
  });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    request.on("error", reject);
  });
  answer.catch(() => {}); // an aborted upload has no answer
  const splitAt = Math.floor(body.length * fraction);
  request.write(body.subarray(0, splitAt));
  return {
    finish() {
      request.end(body.subarray(splitAt));
      return answer;
    },
    abort() {
      request.destroy();
    },
  };
}

/** Waits for a condition of the server's making (no fixed sleep stands in for it). */
async function waitUntil(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The lease folder's files while an upload is in flight, by name ("<uuid>", "<uuid>.sealed"). */
async function incomingFiles(): Promise<string[]> {
  return (await uploadsOnDisk(testApp)).incoming.map((file) => path.basename(file)).sort();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The plaintext (0600) and its stored form beside it, both being written, before the upload has ended. */
async function waitForBothFilesWritten(): Promise<string> {
  let storageKey = "";
  await waitUntil(async () => {
    const files = await incomingFiles();
    storageKey = files[0] ?? "";
    return files.length === 2 && files[1] === `${storageKey}.sealed`;
  });
  assert.match(storageKey, UUID);
  const [leaseFolder] = (await uploadsOnDisk(testApp)).incoming.map((file) => path.dirname(file));
  const incomingRoot = path.join(testStore(testApp).root, ".incoming", leaseFolder ?? "");
  const plaintext = await stat(path.join(incomingRoot, storageKey));
  assert.equal(plaintext.mode & 0o777, 0o600, "the plaintext being checked is the portal's user's alone");
  await waitUntil(async () => (await stat(path.join(incomingRoot, `${storageKey}.sealed`))).size > 0);
  return storageKey;
}

/** Nothing of the upload anywhere: no row, no stored or temporary file, no lease, no clamd connection. */
async function assertNothingKept() {
  assert.equal(await testApp.db.evidenceFile.count(), 0, "no row");
  assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] }, "no file on disk");
  assert.equal(await testApp.db.uploadLease.count(), 0, "no lease");
  await waitUntil(() => clamdProxy.openConnections() === 0);
}

describe("an upload is encrypted and scanned while it arrives", () => {
  test(
    "the file kept is the one sealed while it arrived, and decrypts to exactly the bytes sent",
    FAILS_RATHER_THAN_HANGS,
    async () => {
      const sent = pdfDocument(`Letter ${FILLER}`);
      const sentToClamd = clamdProxy.bytesFromClients();
      const upload = startUpload({ name: "letter.pdf", type: "application/pdf", bytes: sent }, 0.6);
      const storageKey = await waitForBothFilesWritten();
      // clamd has most of the file before the upload has ended, not only once it is whole.
      await waitUntil(() => clamdProxy.bytesFromClients() - sentToClamd > sent.length / 2);
      assert.equal(await testApp.db.evidenceFile.count(), 0, "nothing is kept before the checks pass");

      const answer = await upload.finish();
      assert.equal(
        answer.status,
        303,
        answer.text
          .match(/<main[\s\S]*?<\/main>/)?.[0]
          ?.replace(/\s+/g, " ")
          .slice(0, 800),
      );
      const row = await testApp.db.evidenceFile.findFirstOrThrow({
        select: {
          storageKey: true,
          sha256: true,
          sizeBytes: true,
          encryptionKeyId: true,
          wrappedDataKey: true,
        },
      });
      assert.equal(row.storageKey, storageKey, "stored under the name it was sealed with while arriving");
      assert.deepEqual([row.sha256, row.sizeBytes], [sha256Of(sent), sent.length]);
      const store = testStore(testApp);
      const onDisk = await readFile(store.pathOf(storageKey));
      assert.equal(
        onDisk.includes(Buffer.from("Letter AAAA")),
        false,
        "the stored bytes are not the plaintext",
      );
      const content = await store.open(row);
      const chunks: Buffer[] = [];
      for await (const chunk of content) chunks.push(chunk as Buffer);
      assert.equal(sha256Of(Buffer.concat(chunks)), sha256Of(sent), "decrypts to the bytes sent");
      assert.deepEqual(
        await uploadsOnDisk(testApp),
        { stored: [store.relativePathOf(storageKey)], incoming: [] },
        "the plaintext is gone; only the stored form is left",
      );
    },
  );

  test(
    "EICAR found in the stream: refused, audited, the admins emailed, nothing kept",
    FAILS_RATHER_THAN_HANGS,
    async () => {
      const infected = pdfDocument(`${EICAR_TEST_FILE.toString("latin1")} ${FILLER}`);
      const sentToClamd = clamdProxy.bytesFromClients();
      const upload = startUpload({ name: "passport.pdf", type: "application/pdf", bytes: infected }, 0.6);
      await waitForBothFilesWritten();
      await waitUntil(() => clamdProxy.bytesFromClients() - sentToClamd > infected.length / 2);

      const answer = await upload.finish();
      assert.equal(answer.status, 400);
      assert.match(
        answer.text,
        /&quot;passport.pdf&quot; cannot be accepted. The virus scanner found malware in the file, so it was not kept./,
      );
      await assertNothingKept();
      const audit = await testApp.db.auditEvent.findMany({
        where: { action: "evidence.malware_refused" },
        select: { actorId: true, subjectId: true, details: true },
      });
      assert.deepEqual(audit, [
        {
          actorId: staff.id,
          subjectId: caseId,
          details: { signatures: [`${TEST_SIGNATURES.eicar}.UNOFFICIAL`], uploaderKind: "STAFF" },
        },
      ]);
      const delivered = await deliverQueuedEmails(testApp, smtp);
      assert.deepEqual(
        delivered.map((message) => message.to),
        [[admin.email]],
      );
    },
  );

  test(
    "a client that goes away mid-file leaves no plaintext, no sealed file and no clamd session",
    FAILS_RATHER_THAN_HANGS,
    async () => {
      const upload = startUpload(
        { name: "letter.pdf", type: "application/pdf", bytes: pdfDocument(`Letter ${FILLER}`) },
        0.5,
      );
      await waitForBothFilesWritten();
      await waitUntil(() => clamdProxy.openConnections() === 1);
      upload.abort();
      await waitUntil(async () => (await testApp.db.uploadLease.count()) === 0);
      await assertNothingKept();
    },
  );

  test(
    "clamd restarted while the upload paused: the file is scanned again from disk and kept",
    FAILS_RATHER_THAN_HANGS,
    async () => {
      const sent = pdfDocument(`Letter ${FILLER}`);
      const upload = startUpload({ name: "letter.pdf", type: "application/pdf", bytes: sent }, 0.5);
      await waitForBothFilesWritten();
      await waitUntil(() => clamdProxy.openConnections() === 1);
      await clamd.stop(); // the session that had the first half is gone
      await clamd.start();
      const answer = await upload.finish();
      assert.equal(
        answer.status,
        303,
        answer.text
          .match(/<main[\s\S]*?<\/main>/)?.[0]
          ?.replace(/\s+/g, " ")
          .slice(0, 800),
      );
      const row = await testApp.db.evidenceFile.findFirstOrThrow({ select: { sha256: true } });
      assert.equal(row.sha256, sha256Of(sent));
    },
  );

  test("clamd gone before the upload ends: 503, nothing kept", FAILS_RATHER_THAN_HANGS, async () => {
    const upload = startUpload(
      { name: "letter.pdf", type: "application/pdf", bytes: pdfDocument(`Letter ${FILLER}`) },
      0.5,
    );
    await waitForBothFilesWritten();
    await clamd.stop();
    try {
      const answer = await upload.finish();
      assert.equal(answer.status, 503);
      assert.match(answer.text, /The virus scanner is not answering at the moment, so nothing was kept./);
      await assertNothingKept();
    } finally {
      await clamd.start();
    }
  });

  test(
    "a photo whose location is removed is sealed again from the cleaned file",
    FAILS_RATHER_THAN_HANGS,
    async () => {
      const photo = await jpegWithLocation();
      const upload = startUpload({ name: "photo.jpg", type: "image/jpeg", bytes: photo }, 1);
      const answer = await upload.finish();
      assert.equal(
        answer.status,
        303,
        answer.text
          .match(/<main[\s\S]*?<\/main>/)?.[0]
          ?.replace(/\s+/g, " ")
          .slice(0, 800),
      );
      const row = await testApp.db.evidenceFile.findFirstOrThrow({
        select: {
          storageKey: true,
          sha256: true,
          sizeBytes: true,
          encryptionKeyId: true,
          wrappedDataKey: true,
        },
      });
      assert.notEqual(row.sha256, sha256Of(photo), "the row describes the cleaned file");
      const chunks: Buffer[] = [];
      for await (const chunk of await testStore(testApp).open(row)) chunks.push(chunk as Buffer);
      const stored = Buffer.concat(chunks);
      assert.deepEqual([sha256Of(stored), stored.length], [row.sha256, row.sizeBytes]);
      const gpsTags = async (bytes: Buffer) =>
        Object.keys(await metadataOf(bytes)).filter((tag) => /GPS/.test(tag));
      assert.notDeepEqual(await gpsTags(photo), [], "the photo as sent says where it was taken");
      assert.deepEqual(await gpsTags(stored), [], "what is stored does not");
      assert.deepEqual((await uploadsOnDisk(testApp)).incoming, []);
    },
  );
});
