import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, type TestContext, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { captureLogs } from "../test/logs.js";
import {
  createTestCertificate,
  generateSelfSignedCertificate,
  startMuteServer,
  startRefusingPort,
  startSilentListener,
  startTestSmtpServer,
  type TestSmtpServer,
  type TestSmtpServerOptions,
  writeCertificateFile,
} from "../test/smtp.js";
import {
  createMailRelay,
  MailDeliveryError,
  type MailRelay,
  type OutgoingEmail,
  type PortAttempt,
  type RelaySettings,
  usesImplicitTls,
} from "./relay.js";

const USER = "portal-sender";
const PASSWORD = "s3cret-relay-pass";
const CONNECTION_TIMEOUT_MS = 500;
const GREETING_TIMEOUT_MS = 500;

let caFile: { path: string; remove(): Promise<void> };

before(async () => {
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});

after(async () => {
  await caFile.remove();
});

function captureLogger() {
  const { logger, text, lines } = captureLogs();
  return {
    logger,
    text,
    /** The relay's attempt lines for one message, in order. */
    attempts: (messageId: string) =>
      lines()
        .filter((line) => line.category === "mail" && line.messageId === messageId)
        .map((line) => ({ port: line.port, outcome: line.outcome })),
  };
}

const closersOf = new WeakMap<TestContext, (() => unknown)[]>();

/** Runs after the test, newest first: the relay lets go of its pooled connections before servers stop. */
function closeAfter(t: TestContext, close: () => unknown): void {
  let closers = closersOf.get(t);
  if (!closers) {
    const list: (() => unknown)[] = [];
    closersOf.set(t, list);
    t.after(async () => {
      for (const closer of list.reverse()) await closer();
    });
    closers = list;
  }
  closers.push(close);
}

function relayTo(t: TestContext, ports: number[], overrides: Partial<RelaySettings> = {}) {
  const log = captureLogger();
  const relay = createMailRelay(
    {
      host: "127.0.0.1",
      ports,
      user: USER,
      password: PASSWORD,
      caFile: caFile.path,
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
      greetingTimeoutMs: GREETING_TIMEOUT_MS,
      socketTimeoutMs: 5_000,
      ...overrides,
    },
    log.logger,
  );
  closeAfter(t, () => relay.close());
  return { relay, log };
}

async function smtpServer(t: TestContext, options: TestSmtpServerOptions): Promise<TestSmtpServer> {
  const server = await startTestSmtpServer(options);
  closeAfter(t, () => server.close());
  return server;
}

async function faulty<T extends { close(): Promise<void> }>(
  t: TestContext,
  start: () => Promise<T>,
): Promise<T> {
  const listener = await start();
  closeAfter(t, () => listener.close());
  return listener;
}

function anEmail(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    from: { name: "Vetting Portal", address: "vetting@example.org" },
    to: "applicant@example.net",
    subject: "Confirm your email address",
    text: "Open this link to confirm: https://portal.example.org/confirm/abc",
    html: '<p>Open <a href="https://portal.example.org/confirm/abc">this link</a> to confirm.</p>',
    messageId: `<${randomUUID()}@vetting.example.org>`,
    ...overrides,
  };
}

async function deliveryError(relay: MailRelay, email: OutgoingEmail): Promise<MailDeliveryError> {
  try {
    await relay.send(email);
  } catch (error) {
    assert.ok(error instanceof MailDeliveryError, `expected a MailDeliveryError, got ${String(error)}`);
    return error;
  }
  assert.fail("the relay accepted a message it should not have");
}

function outcomes(attempts: PortAttempt[]) {
  return attempts.map(({ port, outcome }) => ({ port, outcome }));
}

const authenticatedStarttls = { tls: "starttls", auth: { user: USER, password: PASSWORD } } as const;

describe("mail relay", () => {
  test("skips a refused, a silent and a mute port and delivers through the one that works", async (t) => {
    const refusing = await faulty(t, startRefusingPort);
    const silent = await faulty(t, startSilentListener);
    const mute = await faulty(t, startMuteServer);
    const working = await smtpServer(t, authenticatedStarttls);
    const { relay, log } = relayTo(t, [refusing.port, silent.port, mute.port, working.port]);
    const email = anEmail({ replyTo: "help@example.org" });

    const startedAt = performance.now();
    const receipt = await relay.send(email);
    const elapsedMs = performance.now() - startedAt;

    assert.equal(receipt.acceptedBy, `127.0.0.1:${working.port}`);
    assert.match(receipt.response, /^250 /);
    assert.equal(working.deliveriesOf(email.messageId), 1);
    assert.deepEqual(working.authAttempts, [USER]);
    const [received] = working.messages;
    assert.ok(received);
    assert.deepEqual(
      { ...received, raw: undefined },
      {
        messageId: email.messageId,
        from: '"Vetting Portal" <vetting@example.org>',
        to: ["applicant@example.net"],
        subject: email.subject,
        text: email.text,
        html: email.html,
        raw: undefined,
      },
    );
    assert.match(received.raw, /^Reply-To: help@example\.org\r$/m);
    assert.match(received.raw, /^Date: /m);

    // Each fault costs its own timeout, once: a bound, not a benchmark.
    assert.ok(elapsedMs < CONNECTION_TIMEOUT_MS + GREETING_TIMEOUT_MS + 2_000, `took ${elapsedMs} ms`);
    assert.deepEqual(log.attempts(email.messageId), [
      { port: refusing.port, outcome: "refused" },
      { port: silent.port, outcome: "timeout" },
      { port: mute.port, outcome: "no_greeting" },
      { port: working.port, outcome: "accepted" },
    ]);
    for (const secretOrContent of [PASSWORD, USER, "confirm/abc", "this link"]) {
      assert.ok(!log.text().includes(secretOrContent), `the log must not contain ${secretOrContent}`);
    }
  });

  test("tries the port that worked last time first", async (t) => {
    const refusing = await faulty(t, startRefusingPort);
    const mute = await faulty(t, startMuteServer);
    const working = await smtpServer(t, authenticatedStarttls);
    const { relay, log } = relayTo(t, [refusing.port, mute.port, working.port]);

    const first = anEmail();
    await relay.send(first);
    const second = anEmail();
    const startedAt = performance.now();
    await relay.send(second);
    const secondElapsedMs = performance.now() - startedAt;

    assert.deepEqual(log.attempts(first.messageId), [
      { port: refusing.port, outcome: "refused" },
      { port: mute.port, outcome: "no_greeting" },
      { port: working.port, outcome: "accepted" },
    ]);
    assert.deepEqual(log.attempts(second.messageId), [{ port: working.port, outcome: "accepted" }]);
    assert.ok(secondElapsedMs < GREETING_TIMEOUT_MS, `the second send waited ${secondElapsedMs} ms`);
    assert.equal(working.deliveriesOf(first.messageId), 1);
    assert.equal(working.deliveriesOf(second.messageId), 1);
  });

  test("a port without STARTTLS gets neither the credentials nor the message", async (t) => {
    // This server would even take AUTH in plaintext: the client must not get that far.
    const plaintext = await smtpServer(t, { tls: "none", auth: { user: USER, password: PASSWORD } });
    const { relay } = relayTo(t, [plaintext.port]);

    const error = await deliveryError(relay, anEmail());

    assert.equal(error.code, "all_ports_failed");
    assert.equal(error.permanent, false);
    assert.deepEqual(outcomes(error.attempts), [{ port: plaintext.port, outcome: "no_starttls" }]);
    assert.match(error.message, new RegExp(`${plaintext.port} no_starttls`));
    assert.deepEqual(plaintext.authAttempts, []);
    assert.deepEqual(plaintext.messages, []);
  });

  test("refused credentials fail for good, without trying the other ports", async (t) => {
    const refusingUs = await smtpServer(t, { tls: "starttls", auth: { user: USER, password: "another" } });
    const wouldAccept = await smtpServer(t, authenticatedStarttls);
    const { relay, log } = relayTo(t, [refusingUs.port, wouldAccept.port]);

    const error = await deliveryError(relay, anEmail());

    assert.equal(error.code, "auth_failed");
    assert.equal(error.permanent, true);
    assert.match(error.message, /authentication/i);
    assert.match(error.message, /refused the username\/password \(535 /);
    assert.deepEqual(outcomes(error.attempts), [{ port: refusingUs.port, outcome: "auth_failed" }]);
    assert.deepEqual(refusingUs.messages, []);
    assert.deepEqual(wouldAccept.authAttempts, []);
    assert.ok(!log.text().includes(PASSWORD));
    assert.ok(!error.message.includes(PASSWORD));
  });

  describe("implicit TLS", () => {
    test("only port 465 starts with TLS; every other port must STARTTLS", () => {
      assert.equal(usesImplicitTls(465), true);
      for (const port of [25, 587, 2525, 8025, 80]) assert.equal(usesImplicitTls(port), false);
    });

    test("a relay on port 465 is spoken to in TLS from the first byte", async (t) => {
      let smtps: TestSmtpServer;
      try {
        smtps = await smtpServer(t, { ...authenticatedStarttls, tls: "implicit", port: 465 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EACCES" || code === "EADDRINUSE")
          return t.skip(`cannot listen on 127.0.0.1:465 (${code})`);
        throw error;
      }
      const { relay } = relayTo(t, [465]);
      const email = anEmail();

      const receipt = await relay.send(email);

      assert.equal(receipt.acceptedBy, "127.0.0.1:465");
      assert.equal(smtps.deliveriesOf(email.messageId), 1);
    });

    test("an implicit-TLS server on another port is not spoken to in plaintext", async (t) => {
      const smtps = await smtpServer(t, { ...authenticatedStarttls, tls: "implicit" });
      const { relay } = relayTo(t, [smtps.port]);

      const error = await deliveryError(relay, anEmail());

      assert.equal(error.code, "all_ports_failed");
      assert.deepEqual(outcomes(error.attempts), [{ port: smtps.port, outcome: "no_greeting" }]);
      assert.deepEqual(smtps.authAttempts, []);
    });
  });

  test("a certificate the client does not trust stops the delivery; nothing is downgraded", async (t) => {
    const impostor = await smtpServer(t, {
      ...authenticatedStarttls,
      certificate: await generateSelfSignedCertificate(),
    });
    const { relay } = relayTo(t, [impostor.port]);

    const error = await deliveryError(relay, anEmail());

    assert.equal(error.code, "all_ports_failed");
    assert.equal(error.permanent, false);
    assert.deepEqual(outcomes(error.attempts), [{ port: impostor.port, outcome: "tls_error" }]);
    assert.match(error.attempts[0]?.detail ?? "", /self-signed certificate/);
    assert.deepEqual(impostor.authAttempts, []);
    assert.deepEqual(impostor.messages, []);
  });

  test("a recipient refused with 5xx is final, with 4xx worth a retry; other ports are not tried", async (t) => {
    const rejecting = await smtpServer(t, {
      ...authenticatedStarttls,
      rejectRecipient: (address) =>
        address.startsWith("gone@")
          ? { code: 550, message: "5.1.1 No such user" }
          : address.startsWith("full@")
            ? { code: 450, message: "4.2.2 Mailbox full, try later" }
            : undefined,
    });
    const wouldAccept = await smtpServer(t, authenticatedStarttls);
    const { relay } = relayTo(t, [rejecting.port, wouldAccept.port]);

    const gone = await deliveryError(relay, anEmail({ to: "gone@example.net" }));
    const full = await deliveryError(relay, anEmail({ to: "full@example.net" }));

    assert.deepEqual(
      [gone, full].map(({ code, permanent, attempts }) => ({
        code,
        permanent,
        attempts: outcomes(attempts),
      })),
      [
        {
          code: "recipient_rejected",
          permanent: true,
          attempts: [{ port: rejecting.port, outcome: "rejected" }],
        },
        {
          code: "recipient_rejected",
          permanent: false,
          attempts: [{ port: rejecting.port, outcome: "rejected" }],
        },
      ],
    );
    assert.match(gone.message, /550 5\.1\.1 No such user/);
    assert.deepEqual(rejecting.messages, []);
    assert.deepEqual(wouldAccept.messages, []);
  });

  test("a message refused after DATA is final with 5xx, worth a retry with 4xx", async (t) => {
    const filtering = await smtpServer(t, {
      ...authenticatedStarttls,
      rejectMessage: (message) =>
        message.subject === "spam"
          ? { code: 554, message: "5.7.1 Rejected as spam" }
          : { code: 451, message: "4.3.0 Queue busy" },
    });
    const { relay } = relayTo(t, [filtering.port]);

    const spam = await deliveryError(relay, anEmail({ subject: "spam" }));
    const busy = await deliveryError(relay, anEmail());

    assert.deepEqual(
      [spam, busy].map(({ code, permanent }) => ({ code, permanent })),
      [
        { code: "message_rejected", permanent: true },
        { code: "message_rejected", permanent: false },
      ],
    );
    assert.match(spam.message, /554 5\.7\.1 Rejected as spam/);
  });

  test("headers are built by nodemailer: a hostile display name or subject cannot add a header", async (t) => {
    const working = await smtpServer(t, authenticatedStarttls);
    const { relay } = relayTo(t, [working.port]);
    const email = anEmail({
      from: { name: 'Evil "Name"\r\nBcc: attacker@example.com', address: "vetting@example.org" },
      subject: "Hello\r\nBcc: attacker@example.com",
    });

    await relay.send(email);

    const [received] = working.messages;
    assert.ok(received);
    assert.doesNotMatch(received.raw, /^Bcc:/im);
    assert.deepEqual(received.to, ["applicant@example.net"]);
    assert.match(received.from, /<vetting@example\.org>$/);
  });

  test("development's catcher is spoken to in plaintext, and only on loopback", async (t) => {
    const catcher = await smtpServer(t, { tls: "none" });
    const { relay } = relayTo(t, [catcher.port], {
      allowPlaintext: true,
      user: undefined,
      password: undefined,
    });
    const email = anEmail();

    await relay.send(email);

    assert.equal(catcher.deliveriesOf(email.messageId), 1);
    assert.throws(
      () => relayTo(t, [587], { host: "smtp.example.org", allowPlaintext: true }),
      /plaintext is only allowed to the development catcher on loopback/,
    );
  });

  test("close() ends the pooled connections, and later sends are refused", async (t) => {
    const working = await smtpServer(t, authenticatedStarttls);
    const { relay } = relayTo(t, [working.port]);
    await relay.send(anEmail());
    assert.equal(working.openSessions(), 1, "the pool keeps its connection open between messages");

    relay.close();

    const deadline = Date.now() + 2_000;
    while (working.openSessions() > 0 && Date.now() < deadline) await delay(10);
    assert.equal(working.openSessions(), 0);
    const error = await deliveryError(relay, anEmail());
    assert.equal(error.code, "unknown");
    assert.deepEqual(error.attempts, []);
  });
});
