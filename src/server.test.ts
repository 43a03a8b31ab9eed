// How long a request may take to arrive, over raw sockets against the server main.ts runs (server.ts),
// with the deadlines configured small: headers and bodies sent a byte at a time are answered 408 and
// their connections closed at the short deadlines, a body nobody reads is not waited for either, and
// only a signed-in person's evidence upload, once accepted, gets the upload's own long deadline.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "./test/app.js";
import { pngImage } from "./test/evidenceFixtures.js";
import { signedInStaffBrowser } from "./test/staff.js";

const HEADERS_TIMEOUT_MS = 1_000;
const BODY_TIMEOUT_MS = 1_000;
/** Closed "at the deadline": the deadline, plus Node's check interval and a loaded CI machine's slack. */
const CLOSED_BY_MS = 2_500;

let testApp: TestApp;
let port: number;
before(async () => {
  testApp = await startTestApp({
    isPortalServer: true,
    env: {
      HTTP_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_MS / 1000),
      HTTP_BODY_TIMEOUT_SECONDS: String(BODY_TIMEOUT_MS / 1000),
      // The shortest upload deadline there is; still ten times the body deadline.
      EVIDENCE_UPLOAD_TIMEOUT_SECONDS: "10",
      NEW_CASE_NOTIFICATIONS: "off",
    },
  });
  port = Number(new URL(testApp.baseUrl).port);
});
after(() => testApp.close());

interface RawExchange {
  /** Everything the server sent. */
  response: string;
  /** From the first byte sent to the connection's close (Infinity: still open at the test's limit). */
  closedAfterMs: number;
}

/**
 * Sends `head` at once, then `trickled` in `chunks` pieces, one every `everyMs`, then `rest`, each only
 * while the connection is open; resolves when the server closes it (or after 15 s).
 */
function rawRequest(options: {
  head: string | Buffer;
  trickled: string | Buffer;
  chunks: number;
  everyMs: number;
  rest?: string | Buffer;
}): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let isClosed = false;
    let startedAt = 0;
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => {}); // a reset after the answer is how a cut connection may end
    const giveUp = setTimeout(() => {
      finish(Number.POSITIVE_INFINITY);
      socket.destroy();
    }, 15_000);
    const finish = (closedAfterMs: number) => {
      if (isClosed) return;
      isClosed = true;
      clearTimeout(giveUp);
      resolve({ response: Buffer.concat(chunks).toString("latin1"), closedAfterMs });
    };
    socket.on("close", () => finish(Date.now() - startedAt));
    socket.once("connect", async () => {
      startedAt = Date.now();
      socket.write(options.head);
      const trickled = Buffer.from(options.trickled);
      const size = Math.ceil(trickled.length / options.chunks);
      for (let offset = 0; offset < trickled.length && !isClosed; offset += size) {
        await new Promise((wait) => setTimeout(wait, options.everyMs));
        if (!isClosed && !socket.destroyed) socket.write(trickled.subarray(offset, offset + size));
      }
      if (options.rest !== undefined && !isClosed && !socket.destroyed) socket.write(options.rest);
    });
  });
}

/** A form POST's head, announcing a body of `length` bytes. */
function formHead(path: string, length: number, extraHeaders = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n${extraHeaders}\r\n`;
}

const slowBody = `fullName=${"a".repeat(191)}`;

describe("arrival deadlines", () => {
  test("headers sent a byte at a time: 408 and the connection closed at the header deadline", async () => {
    const exchange = await rawRequest({
      head: `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`,
      trickled: `X-Slow: ${"a".repeat(100)}`,
      chunks: 108,
      everyMs: 50,
    });
    assert.match(exchange.response, /^HTTP\/1\.1 408 /);
    assert.ok(
      exchange.closedAfterMs >= HEADERS_TIMEOUT_MS - 100,
      `closed after ${exchange.closedAfterMs} ms`,
    );
    assert.ok(exchange.closedAfterMs < CLOSED_BY_MS, `closed after ${exchange.closedAfterMs} ms`);
  });

  test("a form's body sent a byte at a time: 408 and the connection closed at the body deadline", async () => {
    const exchange = await rawRequest({
      head: formHead("/apply", slowBody.length),
      trickled: slowBody,
      chunks: slowBody.length,
      everyMs: 50,
    });
    assert.match(exchange.response, /^HTTP\/1\.1 408 /);
    assert.match(exchange.response, /\r\nConnection: close\r\n/i);
    assert.ok(exchange.closedAfterMs >= BODY_TIMEOUT_MS - 100, `closed after ${exchange.closedAfterMs} ms`);
    assert.ok(exchange.closedAfterMs < CLOSED_BY_MS, `closed after ${exchange.closedAfterMs} ms`);
    assert.ok(
      testApp
        .logLines()
        .some(
          (line) =>
            line.msg === "request body still arriving at its deadline: answered 408, connection closed",
        ),
    );
  });

  test("a sender who goes away before their form has arrived is refused quietly, not an unexpected error", async () => {
    // Half the body, then the connection cut: while the portal checks its limits, or while it reads.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(formHead("/apply", slowBody.length) + slowBody.slice(0, 20));
          setTimeout(() => socket.destroy(), attempt * 5);
        });
        socket.on("error", () => {});
        socket.on("close", () => resolve());
      });
    }
    await new Promise((wait) => setTimeout(wait, 300));
    const unexpected = testApp.logLines().filter((line) => line.msg === "unexpected error");
    assert.deepEqual(unexpected, [], "no unexpected error logged");
  });

  test("a body nobody reads after an early answer is not waited for: closed at the body deadline", async () => {
    const exchange = await rawRequest({
      head: formHead("/no-such-page", slowBody.length),
      trickled: slowBody,
      chunks: slowBody.length,
      everyMs: 50,
    });
    assert.match(exchange.response, /^HTTP\/1\.1 404 /, "answered at once");
    assert.ok(exchange.closedAfterMs < CLOSED_BY_MS, `closed after ${exchange.closedAfterMs} ms`);
  });

  test("a body sent to an upload address without a session gets the short deadline too", async () => {
    const boundary = "----slowpoke";
    const exchange = await rawRequest({
      head: `POST /staff/cases/00000000-0000-4000-8000-000000000000/evidence HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000\r\n\r\n`,
      trickled: `--${boundary}\r\n${"x".repeat(500)}`,
      chunks: 200,
      everyMs: 50,
    });
    assert.match(exchange.response, /^HTTP\/1\.1 (303|401|403) /, "answered at once");
    assert.ok(exchange.closedAfterMs < CLOSED_BY_MS, `closed after ${exchange.closedAfterMs} ms`);
  });

  test("a signed-in person's evidence upload is not cut at the body deadline: it has its own", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await testApp.db.vettingCase.create({
      data: {
        origin: "APPLICANT",
        fullName: "Ada Applicant",
        email: "ada@example.org",
        statement: "I organise the local meetup.",
        state: "IN_REVIEW",
        submittedAt: new Date(),
        lastSubmittedAt: new Date(),
      },
      select: { id: true },
    });
    const boundary = "----patientupload";
    const image = pngImage(3, 2);
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${agent.csrfToken}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const head =
      `POST /staff/cases/${vettingCase.id}/evidence HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Cookie: ${agent.cookie}\r\nAccept: text/html\r\nConnection: close\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`;
    // Three times the body deadline in all, then the last bytes.
    const exchange = await rawRequest({
      head: Buffer.concat([Buffer.from(head), body.subarray(0, 40)]),
      trickled: body.subarray(40, body.length - 10),
      chunks: 30,
      everyMs: 100,
      rest: body.subarray(body.length - 10),
    });
    assert.match(exchange.response, /^HTTP\/1\.1 303 /, exchange.response.slice(0, 200));
    assert.ok(
      exchange.closedAfterMs > 3 * BODY_TIMEOUT_MS - 200,
      `closed after ${exchange.closedAfterMs} ms`,
    );
    const stored = await testApp.db.evidenceFile.findMany({
      where: { caseId: vettingCase.id },
      select: { displayName: true, sizeBytes: true },
    });
    assert.deepEqual(stored, [{ displayName: "slow.png", sizeBytes: image.length }]);
  });
});
