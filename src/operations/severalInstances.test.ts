// Several instances as one, as a deployment runs them: two web processes (`--web`) and one job worker
// (`--worker`) behind the real nginx running the shipped site config, all sharing one Postgres and one
// uploads folder. What one instance did, the other sees: a session, a rate limit, a queued email (sent
// once, by the worker), an uploaded file. And stopping one instance (SIGTERM) while an upload streams
// through it lets that upload finish while nginx sends everything new to the other one.
//
// Which instance answered is never assumed from nginx's balancing: nginx passes its $request_id to the
// app as X-Request-Id, the app echoes it in its answer and writes it in its request log line, so every
// answer is traced to the process that logged it. (An evidence download loses the app's headers in
// nginx's X-Accel-Redirect, so there it is the instance whose log gained the download's line.) The
// instance holding an upload in flight is the one with its temporary file open (/proc/<pid>/fd).
import assert from "node:assert/strict";
import { readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { type Config, loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { totpCodeAt } from "../domain/totp.js";
import { redactUrl } from "../logger.js";
import { evidenceStore } from "../storage/evidenceStore.js";
import { sha256Of } from "../test/evidenceFiles.js";
import { pdfDocument, pngOfSize } from "../test/evidenceFixtures.js";
import {
  randomLoopbackHost,
  type SiteResponse,
  siteRequest,
  startTestNginx,
  type TestNginx,
} from "../test/nginx.js";
import { type PortalCluster, startPortalCluster } from "../test/portalCluster.js";
import type { PortalProcess } from "../test/portalProcess.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { createStaffMember, signedInCookie } from "../test/staff.js";
import { waitUntil } from "../test/waitFor.js";
import { urls } from "../urls.js";

/** The small limit shared by both instances: CSP reports per client address per hour. */
const CSP_REPORTS_PER_HOUR = 5;

let database: TestDatabase;
let relay: TestSmtpServer;
let relayCa: { path: string; remove(): Promise<void> };
let cluster: PortalCluster;
let nginx: TestNginx;
let db: Database;
let config: Config;

before(async () => {
  database = await createTestDatabase();
  relay = await startTestSmtpServer({ tls: "starttls" });
  relayCa = await writeCertificateFile((await createTestCertificate()).cert);
  // The portal's public address is nginx's, so the host comes first.
  const host = randomLoopbackHost();
  cluster = await startPortalCluster({
    databaseUrl: database.url,
    publicUrl: `https://${host}`,
    webInstances: 2,
    worker: true,
    env: {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORTS: String(relay.port),
      SMTP_CA_FILE: relayCa.path,
      // As deployed behind nginx: the app checks who asks and the file's hash, nginx sends the bytes.
      EVIDENCE_ACCEL_REDIRECT_LOCATION: "/internal/evidence/",
      RATE_LIMIT_CSP_REPORTS: `${CSP_REPORTS_PER_HOUR}/hour`,
      // An upload in flight at SIGTERM must be allowed to finish, however slow this machine is today.
      SHUTDOWN_TIMEOUT_MS: "120000",
    },
  });
  nginx = await startTestNginx({
    upstreamPorts: cluster.web.map((instance) => instance.port),
    uploadsDir: cluster.uploadsDir,
    host,
  });
  config = loadConfig(cluster.env);
  db = createDatabase(database.url, { poolMax: 3, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
});

after(async () => {
  // Each step on its own: a failure to start one part must not leave the others running.
  await nginx?.stop();
  await cluster?.close();
  await db?.$disconnect();
  await relay?.close();
  await relayCa?.remove();
  await database?.drop();
});

// ---------- requests as a browser sends them, through nginx or straight to one instance ----------

interface Answer extends SiteResponse {
  html: string;
  /** The X-Request-Id the app echoed (nginx's $request_id when it came through nginx). */
  requestId: string;
}

/**
 * A browser's cookie jar and CSRF token, sending to any base URL: nginx's https address, or one
 * instance's http://127.0.0.1:<port>. Straight to an instance, the request carries what nginx would add
 * (X-Forwarded-Proto), which the app believes from loopback (TRUSTED_PROXIES=loopback). The cookies are
 * `__Host-` and Secure: they are sent by hand here, also over plain http to an instance.
 */
class Visitor {
  readonly cookies = new Map<string, string>();
  csrfToken = "";

  async send(
    url: string,
    options: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      body?: Buffer;
    } = {},
  ): Promise<Answer> {
    const isDirect = new URL(url).protocol === "http:";
    const headers: Record<string, string> = {
      "user-agent": "SeveralInstancesTest/1.0",
      accept: "text/html",
      ...(this.cookies.size > 0 ? { cookie: this.cookieHeader() } : {}),
      ...(isDirect ? { "x-forwarded-proto": "https" } : {}),
      ...(options.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      ...options.headers,
    };
    const body = options.form
      ? new URLSearchParams({ _csrf: this.csrfToken, ...options.form }).toString()
      : options.body;
    const response = await siteRequest(url, {
      caCertificateFile: nginx.caCertificateFile,
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    this.remember(response);
    const html = response.body.toString("utf8");
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrfToken = token;
    return { ...response, html, requestId: String(response.headers["x-request-id"] ?? "") };
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(response: SiteResponse): void {
    for (const line of response.headers["set-cookie"] ?? []) {
      const [pair = ""] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value && !/expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
  }
}

const viaNginx = (pathname: string) => `${nginx.httpsUrl}${pathname}`;
const viaInstance = (index: number, pathname: string) => `${cluster.web[index]?.url}${pathname}`;

/** The JSON log lines a process has written so far. */
function logLines(portal: PortalProcess): Record<string, unknown>[] {
  return portal
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** The request log line with this request id, in this instance's log. */
function requestLine(index: number, requestId: string): Record<string, unknown> | undefined {
  const instance = cluster.web[index];
  if (!instance) throw new Error(`no web instance ${index}`);
  return logLines(instance.process).find((line) => line.msg === "request" && line.requestId === requestId);
}

/**
 * The web instance that logged this request. The log line is written before the answer leaves, but it
 * reaches us through a pipe, so it may arrive a moment after the answer.
 */
async function servedBy(answer: Answer): Promise<number> {
  assert.ok(answer.requestId, "the app echoes a request id");
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const found = cluster.web.flatMap((_, index) => (requestLine(index, answer.requestId) ? [index] : []));
    assert.ok(found.length <= 1, `request ${answer.requestId} logged by more than one instance`);
    if (found[0] !== undefined) return found[0];
    await delay(50);
  }
  throw new Error(`no instance logged request ${answer.requestId}`);
}

/**
 * A download through nginx, and the instance that authorised it. An X-Accel-Redirect answer loses the
 * app's headers in nginx (X-Request-Id too), so the instance is the one whose log gained a line for it.
 */
async function downloadThroughNginx(
  visitor: Visitor,
  pathname: string,
): Promise<{ answer: Answer; by: number }> {
  // The log writes the address with its ids redacted, as redactUrl does.
  const logged = redactUrl(pathname);
  const linesFor = () =>
    cluster.web.map(
      (instance) =>
        logLines(instance.process).filter((line) => line.msg === "request" && line.url === logged).length,
    );
  const before = linesFor();
  const answer = await visitor.send(viaNginx(pathname));
  let by = -1;
  await waitUntil(`an instance logged ${pathname}`, () => {
    const now = linesFor();
    const grown = now.flatMap((count, index) => (count > (before[index] ?? 0) ? [index] : []));
    assert.ok(grown.length <= 1 && (now[grown[0] ?? 0] ?? 0) - (before[grown[0] ?? 0] ?? 0) <= 1);
    by = grown[0] ?? -1;
    return by !== -1;
  });
  return { answer, by };
}

/** A signed-in staff member (a real session row) and the CSRF token of their session, read from a page. */
async function signedInStaff(name: string): Promise<Visitor> {
  const member = await createStaffMember(db, config, { role: "VETTING_AGENT", name });
  const visitor = new Visitor();
  const [cookieName = "", token = ""] = (await signedInCookie(db, config, member.id)).split("=");
  visitor.cookies.set(cookieName, token);
  const profile = await visitor.send(viaNginx(urls.staffProfile()));
  assert.equal(profile.status, 200);
  assert.ok(visitor.csrfToken, "the profile page carries the session's CSRF token");
  return visitor;
}

async function openCase(): Promise<string> {
  const row = await db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ines Instance",
      email: "ines@example.org",
      statement: "We run the local radio club together.",
      state: "IN_REVIEW",
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
    },
    select: { id: true },
  });
  return row.id;
}

/** A multipart upload body as a browser's FormData encodes it (the platform's encoder, not ours). */
async function evidenceForm(
  csrfToken: string,
  file: { name: string; type: string; bytes: Buffer },
  note: string,
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append("_csrf", csrfToken);
  form.append("files", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  form.append("note", note);
  const encoded = new Request("http://encoder.invalid/", { method: "POST", body: form });
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get("content-type") ?? "",
  };
}

async function uploadEvidence(
  visitor: Visitor,
  url: string,
  file: { name: string; type: string; bytes: Buffer },
): Promise<Answer> {
  const form = await evidenceForm(visitor.csrfToken, file, "Uploaded in the several-instances test.");
  return visitor.send(url, {
    method: "POST",
    body: form.body,
    headers: { "content-type": form.contentType, accept: "application/json" },
  });
}

/** What is on the uploads volume for a stored file: mode and SHA-256. */
async function storedFile(storageKey: string): Promise<{ mode: number; sha256: string }> {
  const file = evidenceStore(cluster.uploadsDir).pathOf(storageKey);
  return { mode: (await stat(file)).mode & 0o777, sha256: sha256Of(await readFile(file)) };
}

// ---------- the tests ----------

describe("two web instances and a worker behind nginx, sharing Postgres and the uploads folder", () => {
  test("a session made through one instance works through the other, and ends for both", async () => {
    const member = await createStaffMember(db, config, { role: "VETTING_AGENT", name: "Selma Sessionshare" });
    const visitor = new Visitor();

    // The password on instance 0, the code on instance 1: the pending session crosses over too.
    assert.equal((await visitor.send(viaInstance(0, urls.staffSignIn()))).status, 200);
    const password = await visitor.send(viaInstance(0, urls.staffSignIn()), {
      form: { email: member.email, password: member.password },
    });
    assert.equal(password.status, 303, password.html);
    assert.equal(password.headers.location, urls.staffSignInVerify());
    const verifyPage = await visitor.send(viaInstance(1, urls.staffSignInVerify()));
    assert.equal(verifyPage.status, 200, "instance 1 knows the pending session instance 0 started");
    const code = await visitor.send(viaInstance(1, urls.staffSignInVerify()), {
      form: { code: totpCodeAt(member.totpSecret, new Date()) },
    });
    assert.equal(code.status, 303, code.html);
    assert.equal(code.headers.location, urls.staffHome());
    assert.ok(visitor.cookies.has("__Host-session"), "signed in with the production cookie");

    for (const index of [0, 1]) {
      const home = await visitor.send(viaInstance(index, urls.staffHome()));
      assert.equal(home.status, 200, `instance ${index}`);
      assert.match(home.html, /Selma Sessionshare/);
    }
    // Through nginx, until each instance has answered once for this session.
    const answeredBy = new Set<number>();
    for (let attempt = 0; attempt < 10 && answeredBy.size < 2; attempt += 1) {
      const home = await visitor.send(viaNginx(urls.staffHome()));
      assert.equal(home.status, 200);
      assert.match(home.requestId, /^[0-9a-f]{32}$/, "nginx's $request_id comes back as X-Request-Id");
      assert.match(home.html, /Selma Sessionshare/);
      answeredBy.add(await servedBy(home));
    }
    assert.deepEqual([...answeredBy].sort(), [0, 1], "both instances served the signed-in pages");

    // Signing out on one instance ends the session on the other: nothing is cached per process.
    const sessionCookie = visitor.cookieHeader();
    const signOut = await visitor.send(viaInstance(0, urls.staffSignOut()), { form: {} });
    assert.equal(signOut.status, 303, signOut.html);
    const stale = await new Visitor().send(viaInstance(1, urls.staffHome()), {
      headers: { cookie: sessionCookie },
    });
    assert.equal(stale.status, 303, "the ended session opens nothing on instance 1");
    assert.match(String(stale.headers.location), /^\/staff\/sign-in/);
  });

  test(`a limit of ${CSP_REPORTS_PER_HOUR} holds across both instances`, async () => {
    const report = JSON.stringify({
      "csp-report": {
        "document-uri": `${nginx.httpsUrl}/apply`,
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        disposition: "enforce",
        "blocked-uri": "https://cdn.example/lib.js",
        "status-code": 200,
      },
    });
    const visitor = new Visitor();
    const statuses: number[] = [];
    const remaining: number[] = [];
    const answeredBy: number[] = [];
    for (let sent = 0; sent < CSP_REPORTS_PER_HOUR * 2; sent += 1) {
      const answer = await visitor.send(viaNginx(urls.cspReport()), {
        method: "POST",
        body: Buffer.from(report),
        headers: { "content-type": "application/csp-report", accept: "application/json" },
      });
      statuses.push(answer.status);
      if (answer.status === 204)
        remaining.push(Number(/r=(\d+)/.exec(String(answer.headers.ratelimit))?.[1]));
      answeredBy.push(await servedBy(answer));
    }
    assert.deepEqual(statuses, [
      ...Array<number>(CSP_REPORTS_PER_HOUR).fill(204),
      ...Array<number>(CSP_REPORTS_PER_HOUR).fill(429),
    ]);
    // One count for both: what is left goes down by one whichever instance answered.
    assert.deepEqual(
      remaining,
      Array.from({ length: CSP_REPORTS_PER_HOUR }, (_, index) => CSP_REPORTS_PER_HOUR - 1 - index),
    );
    for (const index of [0, 1]) {
      assert.ok(
        answeredBy.includes(index),
        `instance ${index} answered some of the reports (answered by: ${answeredBy.join(", ")})`,
      );
    }
    // Each instance's log agrees: the refusals it logged are the ones traced to it.
    for (const index of [0, 1]) {
      const refused = logLines(cluster.web[index]?.process as PortalProcess).filter(
        (line) => line.msg === "request" && line.url === urls.cspReport() && line.status === 429,
      );
      assert.equal(
        refused.length,
        answeredBy.filter((by, position) => by === index && statuses[position] === 429).length,
      );
    }
  });

  test("a mail enqueued through either instance is delivered once, by the worker", async () => {
    const people = [
      await createStaffMember(db, config, { role: "VETTING_AGENT", email: "reset-zero@example.org" }),
      await createStaffMember(db, config, { role: "VETTING_AGENT", email: "reset-one@example.org" }),
    ];
    for (const [index, person] of people.entries()) {
      const visitor = new Visitor();
      assert.equal((await visitor.send(viaInstance(index, urls.staffForgotPassword()))).status, 200);
      const asked = await visitor.send(viaInstance(index, urls.staffForgotPassword()), {
        form: { email: person.email },
      });
      assert.equal(asked.status, 200, asked.html);
    }

    const recipients = people.map((person) => person.email);
    await waitUntil("both reset emails are marked sent", async () => {
      const rows = await db.outboxMessage.findMany({ where: { recipient: { in: recipients } } });
      return rows.length === 2 && rows.every((row) => row.status === "SENT");
    });
    const rows = await db.outboxMessage.findMany({
      where: { recipient: { in: recipients } },
      orderBy: { recipient: "asc" },
    });
    assert.deepEqual(
      rows.map((row) => [row.recipient, row.kind, row.status, row.attempts]),
      [
        ["reset-one@example.org", "password_reset", "SENT", 1],
        ["reset-zero@example.org", "password_reset", "SENT", 1],
      ],
    );
    for (const row of rows) {
      assert.ok(row.messageId, "the row keeps the Message-ID it was sent with");
      assert.equal(relay.deliveriesOf(row.messageId), 1, `${row.recipient}: exactly one delivery`);
      assert.equal(
        relay.messages.filter((message) => message.to.includes(row.recipient)).length,
        1,
        `${row.recipient}: exactly one message`,
      );
    }
    // The web instances enqueue; only the worker talks to the relay.
    const worker = cluster.worker as PortalProcess;
    assert.match(worker.output(), /job worker started/);
    for (const instance of cluster.web) assert.doesNotMatch(instance.process.output(), /job worker started/);
  });

  test("a file uploaded through one instance is downloaded through the other, byte for byte", async () => {
    const caseId = await openCase();
    const visitor = await signedInStaff("Uma Uploader");
    const bytes = pdfDocument("Passport scan, shared between instances");

    const upload = await uploadEvidence(visitor, viaInstance(0, urls.staffCaseEvidence(caseId)), {
      name: "passport.pdf",
      type: "application/pdf",
      bytes,
    });
    assert.equal(upload.status, 201, upload.html);
    const [added] = (JSON.parse(upload.html) as { files: { id: string }[] }).files;
    assert.ok(added);
    const row = await db.evidenceFile.findUniqueOrThrow({ where: { id: added.id } });
    assert.equal(row.sha256, sha256Of(bytes));
    assert.deepEqual(await storedFile(row.storageKey), { mode: 0o640, sha256: sha256Of(bytes) });

    // Instance 1 checks the file instance 0 wrote (its hash against the row) and hands it to nginx.
    const direct = await visitor.send(viaInstance(1, urls.staffCaseEvidenceFile(caseId, added.id)));
    assert.equal(direct.status, 200, direct.html);
    assert.equal(
      direct.headers["x-accel-redirect"],
      `/internal/evidence/${row.storageKey.slice(0, 2)}/${row.storageKey}`,
    );
    // (Its log line is in before the downloads below count theirs.)
    assert.equal(await servedBy(direct), 1);

    // Through nginx, until each instance has authorised one download: the same bytes every time.
    const answeredBy = new Set<number>();
    for (let attempt = 0; attempt < 10 && answeredBy.size < 2; attempt += 1) {
      const download = await downloadThroughNginx(visitor, urls.staffCaseEvidenceFile(caseId, added.id));
      assert.equal(download.answer.status, 200);
      assert.equal(sha256Of(download.answer.body), sha256Of(bytes));
      assert.equal(download.answer.headers["content-type"], "application/pdf");
      answeredBy.add(download.by);
    }
    assert.deepEqual([...answeredBy].sort(), [0, 1]);
  });

  // Last: it stops the instance the upload went to.
  test("SIGTERM during an upload: the upload finishes, new requests go to the other instance", async () => {
    const caseId = await openCase();
    const visitor = await signedInStaff("Stella Streaming");
    const bytes = pngOfSize(3 * 1024 * 1024);
    const form = await evidenceForm(
      visitor.csrfToken,
      { name: "scan.png", type: "image/png", bytes },
      "Sent while its instance stopped.",
    );
    const firstPart = form.body.subarray(0, 1024 * 1024);
    const rest = form.body.subarray(firstPart.length);

    // The upload, streamed through nginx (proxy_request_buffering off at the upload address) in two parts.
    const ca = await readFile(nginx.caCertificateFile, "utf8");
    const request = https.request(viaNginx(urls.staffCaseEvidence(caseId)), {
      method: "POST",
      ca,
      agent: false,
      headers: {
        cookie: visitor.cookieHeader(),
        accept: "application/json",
        "content-type": form.contentType,
        "content-length": String(form.body.length),
      },
    });
    const answered = new Promise<Answer>((resolve, reject) => {
      request.once("error", reject);
      request.once("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.once("error", reject);
        response.once("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            rawHeaders: response.rawHeaders,
            body,
            html: body.toString("utf8"),
            requestId: String(response.headers["x-request-id"] ?? ""),
          });
        });
      });
    });
    let isAnswered = false;
    void answered.then(
      () => {
        isAnswered = true;
      },
      () => {
        isAnswered = true;
      },
    );
    request.write(firstPart);

    // The instance receiving it holds its temporary file open in uploads/.incoming/.
    const incoming = path.join(await realpath(cluster.uploadsDir), ".incoming");
    let holder = -1;
    await waitUntil("an instance is writing the upload to uploads/.incoming", async () => {
      for (const [index, instance] of cluster.web.entries()) {
        if (await holdsFileUnder(instance.process, incoming)) holder = index;
      }
      return holder !== -1;
    });
    const other = 1 - holder;
    const holderInstance = cluster.web[holder];
    assert.ok(holderInstance);

    // Another person keeps using the site all along, one request after another (a page, then a form
    // post), until the stopping instance has exited: every answer must be a success.
    const steadyVisitor = await signedInStaff("Sam Steady");
    let isHolderGone = false;
    const steadyStatuses: string[] = [];
    const steadyClient = (async () => {
      for (let round = 0; !isHolderGone || round < 3; round += 1) {
        const page = await steadyVisitor.send(viaNginx(urls.staffProfile()));
        steadyStatuses.push(`GET ${page.status}`);
        const theme = await steadyVisitor.send(viaNginx(urls.staffProfileTheme()), {
          form: { theme: round % 2 === 0 ? "DARK" : "LIGHT" },
        });
        steadyStatuses.push(`POST ${theme.status}`);
      }
    })();

    try {
      const stopped = cluster.stopWeb(holder);
      await holderInstance.process.waitForOutput(/"msg":"shutting down"/);
      await waitUntil("the stopping instance no longer accepts connections", async () =>
        refusesConnections(holderInstance.port),
      );
      assert.equal(isAnswered, false, "the upload is still in flight");

      // Meanwhile every request through nginx succeeds: pages and another upload. New connections go to
      // the other instance; nginx may still use a connection it already had to the stopping one, which
      // answers and closes it (src/server.ts, IDLE_CONNECTION_GRACE_MS).
      for (let sent = 0; sent < 6; sent += 1) {
        const page = await visitor.send(viaNginx(urls.staffProfile()));
        assert.equal(page.status, 200, `request ${sent} during the drain`);
      }
      const second = await uploadEvidence(visitor, viaNginx(urls.staffCaseEvidence(caseId)), {
        name: "second.pdf",
        type: "application/pdf",
        bytes: pdfDocument("Sent during the drain"),
      });
      assert.equal(second.status, 201, second.html);
      assert.equal(isAnswered, false, "the first upload is still in flight");

      // The rest of the body: the stopping instance finishes the upload and answers it, then exits.
      request.end(rest);
      const upload = await answered;
      assert.equal(upload.status, 201, upload.html);
      assert.equal(await stopped, 0, holderInstance.process.output());
      isHolderGone = true;
      await steadyClient;
      assert.deepEqual(
        steadyStatuses.filter((status) => status !== "GET 200" && status !== "POST 303"),
        [],
        "every request of the steady client succeeded",
      );
      assert.match(holderInstance.process.output(), /"msg":"stopped"/);
      for (let sent = 0; sent < 4; sent += 1) {
        const page = await visitor.send(viaNginx(urls.staffProfile()));
        assert.equal(page.status, 200, `request ${sent} after the stop`);
        assert.equal(await servedBy(page), other);
      }
      const logged = requestLine(holder, upload.requestId);
      assert.equal(logged?.status, 201, "the stopping instance is the one that answered the upload");
      assert.doesNotMatch(holderInstance.process.output(), /shutdown deadline reached/);

      const [added] = (JSON.parse(upload.html) as { files: { id: string }[] }).files;
      assert.ok(added);
      const row = await db.evidenceFile.findUniqueOrThrow({ where: { id: added.id } });
      assert.equal(row.sha256, sha256Of(bytes));
      assert.equal(row.sizeBytes, bytes.length);
      assert.deepEqual(await storedFile(row.storageKey), { mode: 0o640, sha256: sha256Of(bytes) });
      assert.equal(await db.uploadLease.count(), 0, "no lease left behind");
      assert.deepEqual(await readdir(incoming), [], "no temporary files left behind");

      // Afterwards: the other instance serves it, through nginx, byte for byte.
      const download = await downloadThroughNginx(visitor, urls.staffCaseEvidenceFile(caseId, added.id));
      assert.equal(download.answer.status, 200);
      assert.equal(sha256Of(download.answer.body), sha256Of(bytes));
      assert.equal(download.by, other);

      // nginx did meet the stopped instance's closed port, and passed those requests on to the other.
      assert.match(
        await nginx.errorLog(),
        new RegExp(
          `connect\\(\\) failed \\(111: Connection refused\\).*upstream: "http://127\\.0\\.0\\.1:${holderInstance.port}/`,
        ),
      );
      // No client was answered 502 (or any 5xx) by nginx at any point.
      const statuses = accessLogStatuses(await nginx.accessLog());
      assert.ok(statuses.length > 0);
      assert.deepEqual(
        statuses.filter((status) => status >= 500),
        [],
      );
    } finally {
      // Also when an assertion above failed: nothing of this test keeps sending into the next one.
      isHolderGone = true;
      request.destroy();
      await steadyClient.catch(() => {});
    }
  });
});

/**
 * The status of every request in nginx's access log, in the shipped site's JSON format or nginx's
 * "combined" one. A line of neither shape fails the test rather than being skipped.
 */
function accessLogStatuses(log: string): number[] {
  return log
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const status = line.startsWith("{")
        ? Number((JSON.parse(line) as { status?: unknown }).status)
        : Number(/^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" (\d{3}) /.exec(line)?.[1]);
      assert.ok(Number.isInteger(status), `no status in the access log line: ${line}`);
      return status;
    });
}

/** Whether the process has a file open under this folder (Linux: /proc/<pid>/fd). */
async function holdsFileUnder(portal: PortalProcess, folder: string): Promise<boolean> {
  const descriptors = path.join("/proc", String(portal.child.pid), "fd");
  let entries: string[];
  try {
    entries = await readdir(descriptors);
  } catch {
    return false;
  }
  for (const entry of entries) {
    const target = await readlink(path.join(descriptors, entry)).catch(() => "");
    if (target.startsWith(`${folder}/`)) return true;
  }
  return false;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}
