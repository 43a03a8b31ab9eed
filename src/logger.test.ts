import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { cleanForLog, redactUrl } from "./logger.js";
import { projectRoot } from "./projectRoot.js";
import { captureLogs } from "./test/logs.js";

const execFileAsync = promisify(execFile);

function captureLogger() {
  const { logger, text } = captureLogs();
  return { logger, text };
}

describe("logger", () => {
  test("secrets in known fields and headers are redacted", () => {
    const { logger, text } = captureLogger();
    logger.info(
      {
        password: "hunter2-hunter2",
        user: { password: "pw-in-object", token: "tok-123" },
        headers: { authorization: "Bearer abc.def", cookie: "csrf=seed", "set-cookie": "a=b" },
      },
      "login",
    );
    const line = JSON.parse(text()) as Record<string, unknown>;
    assert.equal(line.password, "[REDACTED]");
    assert.deepEqual(line.user, { password: "[REDACTED]", token: "[REDACTED]" });
    assert.deepEqual(line.headers, {
      authorization: "[REDACTED]",
      cookie: "[REDACTED]",
      "set-cookie": "[REDACTED]",
    });
    for (const secret of ["hunter2", "pw-in-object", "tok-123", "abc.def", "csrf=seed"]) {
      assert.ok(!text().includes(secret), `${secret} must not be logged`);
    }
  });

  test("readable lines (development's format) are redacted too, and plain text when not on a terminal", async () => {
    // The real logger in a process of its own, its standard output a pipe, as `npm start > file` has it.
    const program = `
      const { createLogger } = await import("./src/logger.ts");
      const logger = createLogger({ level: "info", pretty: true });
      logger.info({ password: "hunter2-hunter2", user: { token: "tok-123" }, headers: { cookie: "csrf=seed" } }, "signed in");
    `;
    const { stdout } = await execFileAsync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "--eval", program],
      { cwd: projectRoot },
    );
    assert.match(stdout, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(vetting-portal\): signed in\n/);
    assert.match(stdout, /password: "\[REDACTED\]"/);
    assert.ok(!stdout.includes("\u001b["), "no colour codes in a file");
    for (const secret of ["hunter2", "tok-123", "csrf=seed"]) {
      assert.ok(!stdout.includes(secret), `${secret} must not be logged`);
    }
  });

  test("tokens in URLs are redacted, ordinary parts kept", () => {
    assert.equal(
      redactUrl("/setup/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd?page=2&token=xyz"),
      "/setup/[REDACTED]?page=2&token=[REDACTED]",
    );
    assert.equal(redactUrl("/staff/cases?status=open"), "/staff/cases?status=open");
  });

  test("control characters and newlines cannot forge a log line", () => {
    assert.equal(cleanForLog('evil\n{"level":50}\r\u001b[31m\u202etxt'), 'evil{"level":50}[31mtxt');
    assert.equal(cleanForLog("x".repeat(600))?.length, 513);
  });
});
