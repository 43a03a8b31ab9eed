// deploy/nginx/vetting-portal.conf as a production host runs it: Debian's nginx, started from a prefix
// folder with a certificate made for this run, in front of two portal instances (`--web`, configured as
// production) sharing one Postgres and one uploads folder. Every answer below crossed the real nginx:
// the redirect, TLS, the app's headers (each exactly once), static files nginx serves itself, evidence
// downloads (encrypted ones streamed by the instances, files stored in the clear through
// X-Accel-Redirect), the limits nginx enforces before the app sees a byte, the client address the app
// believes, the access log, and the MDN HTTP Observatory's grade.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { hashedAssets, staticDir, writeHashedAssets } from "../assets.js";
import { type Config, loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { CSP_REPORT_BODY_LIMIT_BYTES } from "../domain/cspReports.js";
import { IMMUTABLE_CACHE_CONTROL } from "../middleware/staticAssets.js";
import { evidenceStore } from "../storage/evidenceStore.js";
import { createEvidenceCase, pdfDocument } from "../test/evidenceFixtures.js";
import {
  randomLoopbackHost,
  SHIPPED_SITE_CONFIG,
  type SiteResponse,
  siteRequest,
  startTestNginx,
  type TestNginx,
} from "../test/nginx.js";
import { type PortalCluster, startPortalCluster } from "../test/portalCluster.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { scanWithObservatory } from "../test/securityScanners.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { createStaffMember, signedInCookie } from "../test/staff.js";

/** The headers the app sets on every answer, which must reach the browser as the app wrote them. */
const APP_SECURITY_HEADERS = [
  "content-security-policy",
  "strict-transport-security",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "permissions-policy",
  "reporting-endpoints",
];

/** What nginx itself must send with the static files and evidence it serves from disk. */
const FILE_SECURITY_HEADERS = [
  "strict-transport-security",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-resource-policy",
  "content-security-policy",
  "cache-control",
];

/** How many times a header was sent (rawHeaders keeps repeated headers apart). */
function timesSent(response: SiteResponse, name: string): number {
  return response.rawHeaders.filter((value, index) => index % 2 === 0 && value.toLowerCase() === name).length;
}

function assertEachSentOnce(response: SiteResponse, names: string[], what: string): void {
  const counts = Object.fromEntries(names.map((name) => [name, timesSent(response, name)]));
  assert.deepEqual(counts, Object.fromEntries(names.map((name) => [name, 1])), `${what}: each header once`);
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A loopback address other than nginx's and 127.0.0.1: a client nobody trusts. */
function otherLoopbackAddress(nginxHost: string): string {
  for (;;) {
    const candidate = randomLoopbackHost();
    if (candidate !== nginxHost && candidate !== "127.0.0.1") return candidate;
  }
}

interface RequestLogLine {
  msg: string;
  requestId: string;
  ip: string;
  url: string;
  status: number;
  userAgent?: string;
}

let database: TestDatabase;
let relay: TestSmtpServer;
let relayCa: { path: string; remove(): Promise<void> };
let buildDir: string;
let host: string;
let cluster: PortalCluster;
let nginx: TestNginx;
let db: Database;
let config: Config;

/** Every request line both instances logged so far (LOG_LEVEL info: one JSON line per request). */
function appRequestLogs(): RequestLogLine[] {
  return cluster.web.flatMap((instance) =>
    instance.process
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as RequestLogLine)
      .filter((line) => line.msg === "request"),
  );
}

/**
 * Waits for something to be written to a log: a line is written once the answer has gone, so it may
 * arrive a moment after the answer did.
 */
async function eventually<T>(find: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const found = await find();
    if (found !== undefined) return found;
    if (attempt === 400) throw new Error(`never logged: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The request log line an instance wrote for this request id. */
function appLogLine(requestId: string): Promise<RequestLogLine> {
  return eventually(
    () => appRequestLogs().find((entry) => entry.requestId === requestId),
    `the app's line for request ${requestId}`,
  );
}

/** The app's log line for the request nginx gave this id (the app echoes it as X-Request-Id). */
async function appLogLineFor(response: SiteResponse): Promise<RequestLogLine> {
  const requestId = String(response.headers["x-request-id"] ?? "");
  assert.match(requestId, /^[0-9a-f]{32}$/, "nginx's $request_id, passed on and echoed by the app");
  return appLogLine(requestId);
}

interface AccessLogLine {
  requestId: string;
  client: string;
  path: string;
  status: number;
  upstream: string;
  userAgent: string;
}

/** The access log lines containing this text, once there is one. */
function accessLogLinesWith(text: string): Promise<AccessLogLine[]> {
  return eventually(async () => {
    const lines = (await nginx.accessLog()).split("\n").filter((line) => line.includes(text));
    return lines.length > 0 ? lines.map((line) => JSON.parse(line) as AccessLogLine) : undefined;
  }, `an access log line with ${text}`);
}

function get(
  pathAndQuery: string,
  options: Omit<Parameters<typeof siteRequest>[1], "caCertificateFile"> = {},
) {
  return siteRequest(`${nginx.httpsUrl}${pathAndQuery}`, {
    caCertificateFile: nginx.caCertificateFile,
    ...options,
  });
}

/** A request straight to one instance, bypassing nginx (plain http on 127.0.0.1:<port>). */
function direct(
  index: number,
  pathAndQuery: string,
  options: Omit<Parameters<typeof siteRequest>[1], "caCertificateFile"> = {},
) {
  const instance = cluster.web[index];
  if (!instance) throw new Error(`no instance ${index}`);
  return siteRequest(`${instance.url}${pathAndQuery}`, {
    caCertificateFile: nginx.caCertificateFile,
    ...options,
  });
}

before(async () => {
  database = await createTestDatabase();
  relay = await startTestSmtpServer({ tls: "starttls" });
  relayCa = await writeCertificateFile((await createTestCertificate()).cert);
  // nginx's static folder, written by the build's own code (as `npm run build` writes dist/static).
  buildDir = await mkdtemp(path.join(tmpdir(), "vp-nginx-build-"));
  await writeHashedAssets(path.join(buildDir, "static"));
  host = randomLoopbackHost();
  cluster = await startPortalCluster({
    databaseUrl: database.url,
    publicUrl: `https://${host}`,
    webInstances: 2,
    // Nothing here needs the job worker: two web instances and one Postgres, as the issue asks.
    worker: false,
    env: {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORTS: String(relay.port),
      SMTP_CA_FILE: relayCa.path,
      EVIDENCE_ACCEL_REDIRECT_LOCATION: "/internal/evidence/",
      // Evidence encrypted at rest, as production should run: nginx then sends only files stored in the
      // clear before encryption was turned on; the instances decrypt and stream the rest.
      EVIDENCE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      // The address nginx connects to the instances from, and nothing else (the shipped README's advice).
      TRUSTED_PROXIES: "127.0.0.1",
      NEW_CASE_NOTIFICATIONS: "off",
    },
  });
  nginx = await startTestNginx({
    host,
    upstreamPorts: cluster.web.map((instance) => instance.port),
    uploadsDir: cluster.uploadsDir,
    buildDir,
  });
  config = loadConfig(cluster.env);
  db = createDatabase(database.url, { poolMax: 2, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
});

after(async () => {
  await db?.$disconnect();
  await nginx?.stop();
  await cluster?.close();
  await relay?.close();
  await relayCa?.remove();
  await database?.drop();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

describe("port 80", () => {
  test("answers every request with a redirect to the same address on https, whatever Host the client sent", async () => {
    for (const headers of [{}, { host: "evil.example" }] as Record<string, string>[]) {
      const response = await siteRequest(`${nginx.httpUrl}/apply?from=mail`, {
        caCertificateFile: nginx.caCertificateFile,
        headers,
      });
      assert.equal(response.status, 301);
      assert.equal(response.headers.location, `${nginx.httpsUrl}/apply?from=mail`);
    }
  });
});

describe("TLS", () => {
  /** A handshake with nginx; `session` is what the server handed over for resuming (event before or after). */
  const connect = (options: tls.ConnectionOptions) =>
    new Promise<{ socket: tls.TLSSocket; session: Promise<Buffer> }>((resolve, reject) => {
      readFile(nginx.caCertificateFile, "utf8").then((ca) => {
        const socket = tls.connect({ host, port: 443, ca, ...options });
        const session = new Promise<Buffer>((resolveSession) => socket.once("session", resolveSession));
        socket.once("secureConnect", () => resolve({ socket, session }));
        socket.once("error", reject);
      }, reject);
    });

  test("TLS 1.3 and 1.2 are accepted; on 1.2 only forward-secret AEAD suites", async () => {
    const modern = await connect({ minVersion: "TLSv1.3" });
    assert.equal(modern.socket.getProtocol(), "TLSv1.3");
    modern.socket.destroy();
    const older = await connect({ maxVersion: "TLSv1.2" });
    assert.equal(older.socket.getProtocol(), "TLSv1.2");
    assert.match(older.socket.getCipher().name, /^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
    older.socket.destroy();
    // A forward-secret suite the certificate could serve, but CBC: the server refuses it.
    await assert.rejects(connect({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA" }), {
      code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
    });
  });

  test("TLS 1.1 is refused by the server (its protocol-version alert, not a client-side refusal)", async () => {
    await assert.rejects(
      connect({ minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }),
      { code: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" },
    );
  });

  // TLS 1.3 always hands out a ticket, but with tickets off OpenSSL's is only a session-cache id
  // (stateful), not the session encrypted under nginx's long-lived key, which is what weakens secrecy.
  test("issues no session ticket on TLS 1.2: resumption goes through the server's session cache", async () => {
    const first = await connect({ maxVersion: "TLSv1.2" });
    const session = await first.session;
    assert.equal(first.socket.getTLSTicket(), undefined);
    first.socket.destroy();
    const resumed = await connect({ maxVersion: "TLSv1.2", session });
    assert.equal(resumed.socket.isSessionReused(), true, "resumed from the session cache");
    resumed.socket.destroy();
  });
});

describe("pages through nginx", () => {
  test("carry the app's security headers as the app wrote them, each exactly once, and no nginx version", async () => {
    const throughNginx = await get("/apply");
    const fromApp = await direct(0, "/apply");
    assert.equal(throughNginx.status, 200);
    assert.equal(fromApp.status, 200);
    assertEachSentOnce(throughNginx, APP_SECURITY_HEADERS, "GET /apply through nginx");
    for (const name of APP_SECURITY_HEADERS) {
      // The CSP's nonce is new for every response.
      const withoutNonce = (value: unknown) => String(value).replace(/'nonce-[^']+'/, "'nonce-…'");
      assert.equal(withoutNonce(throughNginx.headers[name]), withoutNonce(fromApp.headers[name]), name);
    }
    assert.equal(throughNginx.headers["strict-transport-security"], "max-age=63072000; includeSubDomains");
    assert.equal(throughNginx.headers.server, "nginx", "server_tokens off: no version");
    // nginx's request id reached the app, which logged it and the page: the two logs join on it.
    assert.equal((await appLogLineFor(throughNginx)).url, "/apply");
  });

  test("both instances answer (the upstream has two servers)", async () => {
    const marker = `round-robin-${randomBytes(6).toString("hex")}`;
    for (let index = 0; index < 6; index += 1) await get("/healthz", { headers: { "user-agent": marker } });
    const upstreams = new Set((await accessLogLinesWith(marker)).map((line) => line.upstream));
    assert.deepEqual(
      [...upstreams].sort(),
      cluster.web.map((instance) => `127.0.0.1:${instance.port}`).sort(),
    );
  });
});

describe("static files", () => {
  const stylesheet = () => {
    const asset = hashedAssets().find((entry) => entry.logicalPath === "css/app.css");
    assert.ok(asset);
    return asset;
  };

  test("nginx serves the build's hashed copy itself, with the app's cache and security headers", async () => {
    const { url, logicalPath } = stylesheet();
    const page = await get("/apply");
    assert.ok(page.body.toString().includes(url), "the page links the name the build wrote");

    const marker = `static-${randomBytes(6).toString("hex")}`;
    const response = await get(url, { headers: { "user-agent": marker } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, await readFile(path.join(staticDir, logicalPath)));
    assert.match(String(response.headers["content-type"]), /^text\/css/);
    assertEachSentOnce(response, FILE_SECURITY_HEADERS, `GET ${url}`);
    assert.equal(response.headers["cache-control"], IMMUTABLE_CACHE_CONTROL);
    // nginx answered: no instance saw it (an answer of the app carries its request id).
    assert.equal(response.headers["x-request-id"], undefined);
    const [logged] = await accessLogLinesWith(marker);
    assert.equal(logged?.upstream, "", "no upstream was asked");
    assert.ok(!appRequestLogs().some((line) => line.userAgent === marker));

    // The same headers as the app sends with the same file.
    const fromApp = await direct(0, url);
    assert.equal(fromApp.status, 200);
    for (const name of ["cache-control", "strict-transport-security", "x-content-type-options"]) {
      assert.equal(response.headers[name], fromApp.headers[name], name);
    }
    assert.equal(
      response.headers["cross-origin-resource-policy"],
      fromApp.headers["cross-origin-resource-policy"],
    );
  });

  test("a name nginx does not have goes to the app: its own release's files are served, other hashes are 404", async () => {
    const { url } = stylesheet();
    // As during a deploy whose build is not in place yet: the folder lacks the file.
    await rm(path.join(buildDir, url));
    try {
      const fallback = await get(url);
      assert.equal(fallback.status, 200);
      assert.ok(fallback.headers["x-request-id"], "answered by an instance");
      assertEachSentOnce(fallback, APP_SECURITY_HEADERS, "the app's static answer through nginx");
      assert.equal(timesSent(fallback, "cache-control"), 1);
      assert.equal(fallback.headers["cache-control"], IMMUTABLE_CACHE_CONTROL);
    } finally {
      await writeHashedAssets(path.join(buildDir, "static"));
    }
    const otherRelease = await get(url.replace(/\.[0-9a-f]{12}\.css$/, ".000000000000.css"));
    assert.equal(otherRelease.status, 404);
    assert.ok(otherRelease.headers["x-request-id"], "the app's 404, never a file cached under a wrong name");
    assertEachSentOnce(otherRelease, APP_SECURITY_HEADERS, "the app's 404 through nginx");
  });
});

describe("evidence through nginx", () => {
  /** A signed-in agent's cookie, and the CSRF token of their forms (read through nginx). */
  async function signedInAgent(): Promise<{ cookie: string; csrfToken: string }> {
    const agent = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    const cookie = await signedInCookie(db, config, agent.id);
    const profile = await get("/staff/profile", { headers: { cookie } });
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(profile.body.toString())?.[1];
    assert.ok(csrfToken, "the profile page carries a CSRF token");
    return { cookie, csrfToken };
  }

  test("an upload through nginx is stored encrypted; the download is the file's exact bytes, decrypted and streamed by the instance, with the download headers, each once", async () => {
    const caseId = await createEvidenceCase(db);
    const { cookie, csrfToken } = await signedInAgent();
    const pdf = pdfDocument("Passport scan");
    const form = new FormData();
    form.append("_csrf", csrfToken);
    form.append("files", new Blob([new Uint8Array(pdf)], { type: "application/pdf" }), "passport.pdf");
    form.append("note", "Seen in person");
    const multipart = new Request("https://upload.invalid/", { method: "POST", body: form });
    const upload = await get(`/staff/cases/${caseId}/evidence`, {
      method: "POST",
      headers: {
        cookie,
        origin: nginx.httpsUrl,
        accept: "application/json",
        "content-type": String(multipart.headers.get("content-type")),
      },
      body: Buffer.from(await multipart.arrayBuffer()),
    });
    assert.equal(upload.status, 201, upload.body.toString());
    const file = await db.evidenceFile.findFirstOrThrow({
      where: { caseId },
      select: { id: true, storageKey: true, sha256: true, wrappedDataKey: true },
    });
    assert.equal(file.sha256, sha256(pdf));
    assert.ok(file.wrappedDataKey, "stored encrypted");
    const onDisk = await readFile(evidenceStore(cluster.uploadsDir).pathOf(file.storageKey));
    assert.equal(onDisk.indexOf("Passport"), -1);

    const downloadPath = `/staff/cases/${caseId}/evidence/${file.id}`;
    const download = await get(downloadPath, { headers: { cookie } });
    assert.equal(download.status, 200);
    assert.equal(sha256(download.body), file.sha256, "the stored file's exact bytes, decrypted");
    assert.equal(download.headers["content-type"], "application/pdf");
    assert.match(String(download.headers["content-disposition"]), /^attachment; filename="passport\.pdf"/);
    assertEachSentOnce(
      download,
      [...FILE_SECURITY_HEADERS, "content-type", "content-disposition"],
      "encrypted download",
    );
    assert.equal(download.headers["content-security-policy"], "default-src 'none'; sandbox");
    assert.equal(download.headers["x-content-type-options"], "nosniff");
    assert.equal(download.headers["cross-origin-resource-policy"], "same-origin");
    assert.equal(download.headers["cache-control"], "private, no-store");

    // The instance sends the bytes itself: nginx cannot decrypt, so no X-Accel-Redirect.
    const fromApp = await direct(1, downloadPath, { headers: { cookie } });
    assert.equal(fromApp.status, 200);
    assert.equal(fromApp.headers["x-accel-redirect"], undefined);
    assert.equal(sha256(fromApp.body), file.sha256);
    // Nor can anyone fetch the ciphertext through the internal location.
    const internalPath = `/internal/evidence/${evidenceStore(cluster.uploadsDir).relativePathOf(file.storageKey)}`;
    assert.equal((await get(internalPath)).status, 404);
  });

  test("a file stored in the clear (before encryption was turned on) is sent by nginx (X-Accel-Redirect) with the download headers, each once", async () => {
    const caseId = await createEvidenceCase(db);
    const { cookie } = await signedInAgent();
    const pdf = pdfDocument("Passport scan");
    const store = evidenceStore(cluster.uploadsDir);
    const storageKey = randomUUID();
    const stagedPath = path.join(cluster.uploadsDir, `clear-${storageKey}`);
    await writeFile(stagedPath, pdf);
    await store.place({ storageKey, stagedPath, encryption: null });
    const file = await db.evidenceFile.create({
      data: {
        caseId,
        storageKey,
        displayName: "passport.pdf",
        mediaType: "application/pdf",
        sizeBytes: pdf.length,
        sha256: sha256(pdf),
        uploaderKind: "APPLICANT",
      },
      select: { id: true, storageKey: true, sha256: true },
    });

    const downloadPath = `/staff/cases/${caseId}/evidence/${file.id}`;
    const download = await get(downloadPath, { headers: { cookie } });
    assert.equal(download.status, 200);
    assert.equal(sha256(download.body), file.sha256, "the stored file's exact bytes");
    assert.equal(download.headers["content-type"], "application/pdf");
    assert.match(String(download.headers["content-disposition"]), /^attachment; filename="passport\.pdf"/);
    assertEachSentOnce(
      download,
      [...FILE_SECURITY_HEADERS, "content-type", "content-disposition"],
      "download",
    );
    assert.equal(download.headers["content-security-policy"], "default-src 'none'; sandbox");
    assert.equal(download.headers["x-frame-options"], "DENY");
    assert.equal(download.headers["x-content-type-options"], "nosniff");
    assert.equal(download.headers["cross-origin-resource-policy"], "same-origin");
    assert.equal(download.headers["cache-control"], "private, no-store");
    assert.equal(download.headers["strict-transport-security"], "max-age=63072000; includeSubDomains");
    assert.equal(
      download.headers["x-accel-redirect"],
      undefined,
      "the internal path stays between app and nginx",
    );
    assert.equal(download.headers.etag, undefined);

    // The instance itself answers with an empty body and the internal path: the bytes above were nginx's.
    const fromApp = await direct(1, downloadPath, { headers: { cookie } });
    assert.equal(fromApp.status, 200);
    assert.equal(fromApp.body.length, 0);
    const internalPath = `/internal/evidence/${evidenceStore(cluster.uploadsDir).relativePathOf(file.storageKey)}`;
    assert.equal(fromApp.headers["x-accel-redirect"], internalPath);

    const preview = await get(`${downloadPath}/preview`, { headers: { cookie } });
    assert.equal(preview.status, 200);
    assert.equal(sha256(preview.body), file.sha256);
    assert.match(String(preview.headers["content-disposition"]), /^inline;/);
    assertEachSentOnce(preview, FILE_SECURITY_HEADERS, "preview");
    assert.equal(
      preview.headers["content-security-policy"],
      "default-src 'none'; sandbox; frame-ancestors 'self'",
    );
    assert.equal(preview.headers["x-frame-options"], "SAMEORIGIN");

    // Asked for directly, the internal location does not exist; nor does the file without a session.
    const directly = await get(internalPath);
    assert.equal(directly.status, 404);
    assert.ok(!directly.body.includes(pdf.subarray(0, 16)));
    const anonymous = await get(downloadPath);
    assert.notEqual(anonymous.status, 200);
    assert.ok(!anonymous.body.includes(pdf.subarray(0, 16)));
  });
});

describe("limits nginx enforces before an instance sees the body", () => {
  /** Declares a body of this size and sends none of it: nginx refuses by Content-Length alone. */
  const declare = (pathname: string, bytes: number, marker: string) =>
    get(pathname, {
      method: "POST",
      headers: {
        "content-length": String(bytes),
        "content-type":
          pathname === "/csp-report" ? "application/csp-report" : "multipart/form-data; boundary=x",
        "user-agent": marker,
      },
    });

  /** nginx's own 413: its page, no request id of the app, and no instance was asked. */
  const assertRefusedByNginx = async (response: SiteResponse, marker: string) => {
    assert.equal(response.status, 413);
    assert.match(response.body.toString(), /413 Request Entity Too Large/);
    assert.equal(response.headers["x-request-id"], undefined);
    const [logged] = await accessLogLinesWith(marker);
    assert.deepEqual([logged?.status, logged?.upstream], [413, ""], "answered without asking an instance");
    assert.ok(!appRequestLogs().some((line) => line.userAgent === marker), "no instance logged it");
    // nginx's own answers get the security defaults, once each.
    assertEachSentOnce(
      response,
      FILE_SECURITY_HEADERS.filter((name) => name !== "cache-control"),
      "nginx's 413",
    );
  };

  test("the upload addresses take EVIDENCE_MAX_FILES_PER_UPLOAD × EVIDENCE_MAX_FILE_MB + 1 MB, and nginx refuses more with 413", async () => {
    const shipped = await readFile(SHIPPED_SITE_CONFIG, "utf8");
    const uploadLocation = /location ~ \^\/\(application\/evidence[^{]*\{([^}]*)\}/.exec(shipped)?.[1] ?? "";
    const limitMb = Number(/client_max_body_size (\d+)m;/.exec(uploadLocation)?.[1]);
    const defaults = loadConfig({});
    const expectedBytes = defaults.evidence.maxFilesPerUpload * defaults.evidence.maxFileBytes + 1024 * 1024;
    assert.equal(limitMb * 1024 * 1024, expectedBytes);

    const caseId = await createEvidenceCase(db);
    for (const pathname of ["/application/evidence", `/staff/cases/${caseId}/evidence`]) {
      const marker = `oversized-${randomBytes(6).toString("hex")}`;
      await assertRefusedByNginx(await declare(pathname, expectedBytes + 1, marker), marker);
    }
  });

  test("CSP reports: nginx refuses a body over the app's 16 KB with 413; a report within it reaches the app", async () => {
    const tooLarge = `csp-large-${randomBytes(6).toString("hex")}`;
    await assertRefusedByNginx(
      await declare("/csp-report", CSP_REPORT_BODY_LIMIT_BYTES + 1, tooLarge),
      tooLarge,
    );

    const accepted = `csp-small-${randomBytes(6).toString("hex")}`;
    const report = await get("/csp-report", {
      method: "POST",
      headers: { "content-type": "application/csp-report", "user-agent": accepted },
      body: JSON.stringify({
        "csp-report": {
          "document-uri": `${nginx.httpsUrl}/apply`,
          "violated-directive": "img-src",
          "effective-directive": "img-src",
          "blocked-uri": "https://images.example/x.png",
          disposition: "enforce",
        },
      }),
    });
    assert.equal(report.status, 204);
    assert.equal((await appLogLineFor(report)).userAgent, accepted);
  });
});

describe("the client address", () => {
  const spoofed = { "x-forwarded-for": "203.0.113.7" };

  test("through nginx it is the address nginx saw: a client's own X-Forwarded-For is replaced, not passed on", async () => {
    // A client on 127.0.0.1, the very address the instances trust as nginx's: if nginx appended the
    // header instead of replacing it, the app would read 203.0.113.7 past two trusted hops.
    const sameHost = await get("/healthz", { headers: spoofed, localAddress: "127.0.0.1" });
    assert.equal((await appLogLineFor(sameHost)).ip, "127.0.0.1");
    const elsewhere = otherLoopbackAddress(host);
    const client = await get("/healthz", { headers: spoofed, localAddress: elsewhere });
    assert.equal((await appLogLineFor(client)).ip, elsewhere, "the app believes nginx about the client");
  });

  test("straight to an instance, X-Forwarded-For counts only from the trusted proxy's address", async () => {
    const stranger = otherLoopbackAddress(host);
    const ignored = await direct(0, "/healthz", {
      headers: { ...spoofed, "x-request-id": `direct-${randomBytes(6).toString("hex")}` },
      localAddress: stranger,
    });
    assert.equal((await appLogLine(String(ignored.headers["x-request-id"]))).ip, stranger);
    // The same header from 127.0.0.1 (where nginx connects from) is believed: the check above could fail.
    const believed = await direct(0, "/healthz", {
      headers: { ...spoofed, "x-request-id": `direct-${randomBytes(6).toString("hex")}` },
      localAddress: "127.0.0.1",
    });
    assert.equal((await appLogLine(String(believed.headers["x-request-id"]))).ip, "203.0.113.7");
  });
});

describe("the access log", () => {
  test("writes each request with the id the app logged, and never a link token or a query string", async () => {
    const token = randomBytes(32).toString("base64url");
    const response = await get(`/apply/sign-in/${token}?code=secret-value`);
    const appLine = await appLogLineFor(response);
    const [entry] = await accessLogLinesWith(appLine.requestId);
    assert.equal(entry?.path, "/apply/sign-in/[REDACTED]");
    assert.equal(entry?.status, response.status);
    // The app's own line redacts the token too.
    assert.ok(!appLine.url.includes(token));
    const log = await nginx.accessLog();
    assert.ok(!log.includes(token), "no token in the access log");
    assert.ok(!log.includes("secret-value"), "no query string in the access log");
  });
});

describe("upstream keepalive", () => {
  test("nginx drops idle connections to an instance before the instance does", async () => {
    const shipped = await readFile(SHIPPED_SITE_CONFIG, "utf8");
    const upstream = /upstream vetting_portal \{([^}]*)\}/.exec(shipped)?.[1] ?? "";
    assert.match(upstream, /^\s*keepalive \d+;/m);
    const nginxSeconds = Number(/keepalive_timeout (\d+)s;/.exec(upstream)?.[1]);
    // What an instance announces on a kept-alive connection (Node's server.keepAliveTimeout).
    const agent = new http.Agent({ keepAlive: true });
    try {
      const announced = await new Promise<string>((resolve, reject) => {
        http
          .get(`${cluster.web[0]?.url}/healthz`, { agent }, (response) => {
            response.resume();
            resolve(String(response.headers["keep-alive"]));
          })
          .on("error", reject);
      });
      const appSeconds = Number(/timeout=(\d+)/.exec(announced)?.[1]);
      assert.ok(
        nginxSeconds > 0 && nginxSeconds < appSeconds,
        `nginx ${nginxSeconds} s < app ${appSeconds} s`,
      );
    } finally {
      agent.destroy();
    }
  });
});

describe("MDN HTTP Observatory", () => {
  test("grades the portal A+ through nginx, with nothing failed and nothing taken off", async () => {
    const result = await scanWithObservatory(nginx.host, nginx.caCertificateFile);
    const failing = Object.entries(result.tests)
      .filter(([, outcome]) => !outcome.pass || outcome.scoreModifier < 0)
      .map(([name, outcome]) => `${name}: ${outcome.result} (${outcome.scoreModifier})`);
    assert.deepEqual(failing, []);
    assert.equal(result.scan.grade, "A+");
    assert.equal(result.tests.redirection?.result, "redirection-to-https");
    assert.deepEqual(result.tests.redirection?.route, [`${nginx.httpUrl}/`, `${nginx.httpsUrl}/`]);
    assert.equal(
      result.tests["strict-transport-security"]?.result,
      "hsts-implemented-max-age-at-least-six-months",
    );
    assert.equal(result.scan.responseHeaders.server, "nginx");
  });
});
