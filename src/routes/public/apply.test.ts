// The public side of applying, over HTTP against the real app: the form and its messages, the draft
// case and its confirmation email (delivered through a real SMTP server on loopback) whose link opens
// the workspace, "email me a link" that answers the same for every address, and the privacy notice.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { APPLICANT_LINK_LIMITS } from "../../security/applicantLinkLimits.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";

let smtp: TestSmtpServer;
let testApp: TestApp;

before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port) } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "vetting_cases",
    "case_comments",
    "case_decisions",
    "applicant_sessions",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

const VALID_APPLICATION = {
  fullName: "Ada Applicant",
  email: "Ada@Example.org",
  matrixId: "@ada:example.org",
  phone: "+44 20 7946 0958",
  statement: "I organise the reading group.\nMara knows me from there.",
  consent: "yes",
};

async function postApplication(fields: Record<string, string>) {
  const browser = new TestBrowser(testApp.baseUrl);
  await browser.get("/apply");
  const answer = await browser.post("/apply", fields);
  return { browser, ...answer };
}

/** The message next to a field, and whether the control is marked invalid and points at it. */
function fieldError(html: string, id: string): string | null {
  const message = new RegExp(
    `<p class="field__error" id="${id}-error"><span class="visually-hidden">Error: </span>([^<]*)</p>`,
  ).exec(html)?.[1];
  if (!message) return null;
  const control = new RegExp(`<(?:input|textarea)[^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? "";
  assert.match(control, /aria-invalid="true"/, `${id} is marked invalid`);
  assert.match(control, new RegExp(`aria-describedby="[^"]*${id}-error`), `${id} points at its message`);
  return message.replaceAll("&#39;", "'");
}

describe("the application form", () => {
  test("asks for each field with a label and quotes the privacy notice's version", async () => {
    const browser = new TestBrowser(testApp.baseUrl);
    const { response, html } = await browser.get("/apply");

    assert.equal(response.status, 200);
    const labels = [
      ["fullName", "Full name"],
      ["email", "Email address"],
      ["matrixId", "Matrix ID (optional)"],
      ["phone", "Phone number (optional)"],
      ["statement", "Your statement"],
    ] as const;
    for (const [id, label] of labels) {
      assert.match(
        html,
        new RegExp(`<label class="field__label" for="${id}">${label.replace(/[()]/g, "\\$&")}</label>`),
      );
    }
    assert.match(
      html,
      /<input type="checkbox" id="consent" name="consent" value="yes" aria-describedby="consent-hint">/,
    );
    assert.match(html, /<a href="\/privacy">privacy notice \(version built-in-1\)<\/a>/);
    assert.doesNotMatch(html, /not open yet/);
  });

  test("says what is wrong with each field, keeps what was typed, and creates nothing", async () => {
    const cases: { fields: Partial<typeof VALID_APPLICATION>; errors: Record<string, string> }[] = [
      {
        fields: { fullName: "", email: "", matrixId: "", phone: "", statement: "", consent: "" },
        errors: {
          fullName: "Enter your full name.",
          email: "Enter your email address.",
          statement: "Tell us why you would like to join.",
          consent:
            "Tick the box to accept the privacy notice; we cannot process your application without it.",
        },
      },
      { fields: { fullName: "A".repeat(101) }, errors: { fullName: "Use at most 100 characters." } },
      {
        fields: { fullName: "Ada\u0007Applicant" },
        errors: { fullName: "Use letters, spaces and punctuation only, on one line." },
      },
      {
        fields: { email: "ada-at-example.org" },
        errors: { email: "Enter an email address like name@example.org." },
      },
      {
        fields: { email: `${"a".repeat(250)}@example.org` },
        errors: { email: "Use at most 254 characters." },
      },
      {
        fields: { matrixId: "ada" },
        errors: {
          matrixId:
            "Enter a Matrix ID like @name:example.org (lower-case letters, digits and . _ = - / + before the colon), or leave it empty.",
        },
      },
      {
        fields: { phone: "020 7946 0958" },
        errors: {
          phone:
            "Enter a phone number in international format, starting with + and the country code (like +44 20 7946 0958), or leave it empty.",
        },
      },
      { fields: { statement: "x".repeat(5001) }, errors: { statement: "Use at most 5000 characters." } },
      { fields: { statement: "hello \u202Eworld" }, errors: { statement: "Use plain text only." } },
      {
        fields: { consent: "" },
        errors: {
          consent:
            "Tick the box to accept the privacy notice; we cannot process your application without it.",
        },
      },
    ];
    for (const { fields, errors } of cases) {
      const typed = { ...VALID_APPLICATION, ...fields };
      const { response, html } = await postApplication(typed);

      assert.equal(response.status, 422, JSON.stringify(fields));
      assert.match(html, /<title>Error: Apply to join/);
      assert.match(
        html,
        /<h2 class="error-summary__title" id="error-summary-title">There is a problem<\/h2>/,
      );
      for (const id of ["fullName", "email", "matrixId", "phone", "statement", "consent"]) {
        assert.equal(fieldError(html, id), errors[id] ?? null, `${id} after ${JSON.stringify(fields)}`);
        if (errors[id]) assert.match(html, new RegExp(`<li><a href="#${id}">`), `${id} is in the summary`);
      }
      if (typed.fullName && typed.fullName.length < 101 && !typed.fullName.includes("\u0007")) {
        assert.match(html, new RegExp(`id="fullName" name="fullName" type="text" value="${typed.fullName}"`));
      }
      if (typed.email === VALID_APPLICATION.email) assert.match(html, /value="Ada@Example.org"/);
      if (typed.statement === VALID_APPLICATION.statement) {
        assert.match(html, />I organise the reading group.\nMara knows me from there.<\/textarea>/);
      }
      // The box is ticked again only when the person ticked it in the form they sent.
      const checkbox = /<input type="checkbox" id="consent"[^>]*>/.exec(html)?.[0] ?? "";
      assert.equal(checkbox.includes(" checked"), typed.consent === "yes", JSON.stringify(fields));
    }
    assert.equal(await testApp.db.vettingCase.count(), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("creates a draft case and emails a link that confirms the address and opens the workspace", async () => {
    const { browser, response } = await postApplication(VALID_APPLICATION);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/apply/sent");
    const sentPage = await browser.get("/apply/sent");
    assert.match(sentPage.html, /Check your email/);
    assert.doesNotMatch(sentPage.html, /ada@example\.org/i, "the address is not echoed back");

    const vettingCase = await testApp.db.vettingCase.findFirstOrThrow();
    assert.equal(vettingCase.state, "DRAFT");
    assert.equal(vettingCase.origin, "APPLICANT");
    assert.equal(vettingCase.fullName, "Ada Applicant");
    assert.equal(vettingCase.email, "ada@example.org", "stored lower-cased");
    assert.equal(vettingCase.matrixId, "@ada:example.org");
    assert.equal(vettingCase.phone, "+442079460958", "stored as E.164");
    assert.equal(vettingCase.statement, VALID_APPLICATION.statement);
    assert.equal(vettingCase.privacyNoticeVersion, "built-in-1");
    assert.equal(vettingCase.privacyNoticeLanguage, "en");
    assert.ok(vettingCase.privacyConsentAt);
    assert.equal(vettingCase.emailConfirmedAt, null);
    assert.equal(vettingCase.createdById, null);

    const created = await testApp.db.auditEvent.findFirstOrThrow({ where: { action: "case.created" } });
    assert.equal(created.subjectType, "vetting_case");
    assert.equal(created.subjectId, vettingCase.id);
    assert.equal(created.actorLabel, "applicant");
    assert.deepEqual(created.details, {
      origin: "APPLICANT",
      privacyNoticeVersion: "built-in-1",
      privacyNoticeLanguage: "en",
    });

    const [message, ...others] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(others.length, 0);
    assert.ok(message);
    assert.deepEqual(message.to, ["ada@example.org"]);
    assert.equal(message.subject, "Confirm your email address — Vetting Portal");
    assert.match(message.text, /^Hello,$/m);
    assert.ok(!message.text.includes("Ada") && !message.html.includes("Ada"), "no name in the email");
    const linkPath = linkPathIn(message, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/apply\/confirm\/[A-Za-z0-9_-]{43}$/);

    // Opening the link (or a mail scanner prefetching it) changes nothing.
    const applicant = new TestBrowser(testApp.baseUrl);
    for (let i = 0; i < 2; i += 1) {
      const page = await applicant.get(linkPath);
      assert.equal(page.response.status, 200);
      assert.equal(page.response.headers.get("cache-control"), "no-store");
      assert.match(page.html, /<h1>Confirm your email address<\/h1>/);
      assert.match(page.html, new RegExp(`<form class="form" method="post" action="${linkPath}">`));
    }
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
    assert.equal(await testApp.db.applicantSession.count(), 0);

    const confirmed = await applicant.post(linkPath, {});
    assert.equal(confirmed.response.status, 303);
    assert.equal(confirmed.response.headers.get("location"), "/application?done=confirmed");
    const workspace = await applicant.get(confirmed.response.headers.get("location") ?? "");
    assert.equal(workspace.response.status, 200);
    assert.match(workspace.html, /Your email address is confirmed/);
    assert.match(workspace.html, /<h1>Your application VC-\d{5}<\/h1>/);
    assert.match(workspace.html, /value="Ada Applicant"/);

    const after = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.ok(after.emailConfirmedAt);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({ where: { action: "case.email_confirmed" } });
    assert.equal(audit.subjectId, vettingCase.id);
    assert.deepEqual(Object.keys(audit.details as object).sort(), ["isNewlyConfirmed", "linkTokenId", "via"]);

    // Every audit row so far holds ids and flags only, nothing the person typed.
    const allDetails = JSON.stringify(await testApp.db.auditEvent.findMany({ select: { details: true } }));
    for (const personal of ["Ada", "example.org", "7946", "reading group"]) {
      assert.ok(!allDetails.includes(personal), `audit details hold no "${personal}"`);
    }
  });

  test("the confirmation carries no text the sender chose: anyone can type anyone's address", async () => {
    const { response } = await postApplication({
      ...VALID_APPLICATION,
      fullName: "Claim your prize at https://prize.example now",
      statement: "Visit https://statement.example/win to collect your refund.",
    });
    assert.equal(response.status, 303);
    const [message] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(message);
    for (const part of [message.subject, message.text, message.html]) {
      assert.doesNotMatch(part, /prize|Claim|statement\.example|refund/, "nothing typed into the form");
    }
    const queued = await testApp.db.outboxMessage.findFirstOrThrow({ where: { kind: "email_confirmation" } });
    assert.deepEqual(queued.payload, {}, "nothing typed is even stored with the message");
  });

  test("a second application with the same address makes a second case, with the same answer", async () => {
    for (let i = 0; i < 2; i += 1) {
      const { response } = await postApplication(VALID_APPLICATION);
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/apply/sent");
    }
    assert.equal(await testApp.db.vettingCase.count({ where: { email: "ada@example.org" } }), 2);
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "email_confirmation" } }), 2);
  });

  test("an application that shares an address, phone or Matrix ID with other cases is flagged for staff, with its audit row", async () => {
    await postApplication(VALID_APPLICATION);
    // Another address in other letters' case, the same phone written another way, no Matrix ID.
    await postApplication({
      ...VALID_APPLICATION,
      email: "ADA@example.org",
      matrixId: "",
      phone: "+442079460958",
    });
    // Shares only the Matrix ID with the first.
    await postApplication({ ...VALID_APPLICATION, email: "grace@example.org", phone: "" });
    await postApplication({
      ...VALID_APPLICATION,
      email: "lin@example.org",
      matrixId: "@lin:example.org",
      phone: "",
    });
    const [first, second, third, fourth] = await testApp.db.vettingCase.findMany({
      orderBy: { number: "asc" },
    });
    assert.ok(first && second && third && fourth);
    assert.equal(
      first.isPossibleDuplicate,
      false,
      "a case is flagged when it changes, not when another does",
    );
    assert.deepEqual(first.duplicateMatches, []);
    assert.equal(second.isPossibleDuplicate, true);
    assert.deepEqual(second.duplicateMatches, [
      { caseId: first.id, number: first.number, matchedOn: ["email", "phone"] },
    ]);
    assert.deepEqual(third.duplicateMatches, [
      { caseId: first.id, number: first.number, matchedOn: ["matrixId"] },
    ]);
    assert.equal(fourth.isPossibleDuplicate, false);
    assert.deepEqual(fourth.duplicateMatches, []);

    const auditRows = await testApp.db.auditEvent.findMany({
      where: { subjectId: { in: [second.id, fourth.id] } },
      orderBy: { id: "asc" },
      select: {
        action: true,
        subjectId: true,
        actorLabel: true,
        actorId: true,
        ipAddress: true,
        details: true,
      },
    });
    assert.deepEqual(auditRows, [
      {
        action: "case.created",
        subjectId: second.id,
        actorLabel: "applicant",
        actorId: null,
        ipAddress: null,
        details: { origin: "APPLICANT", privacyNoticeVersion: "built-in-1", privacyNoticeLanguage: "en" },
      },
      {
        action: "case.duplicate_flagged",
        subjectId: second.id,
        actorLabel: "applicant",
        actorId: null,
        ipAddress: null,
        details: { matchedCaseIds: [first.id], matchedOn: ["email", "phone"] },
      },
      {
        action: "case.created",
        subjectId: fourth.id,
        actorLabel: "applicant",
        actorId: null,
        ipAddress: null,
        details: { origin: "APPLICANT", privacyNoticeVersion: "built-in-1", privacyNoticeLanguage: "en" },
      },
    ]);
    // Each application's email and its one delivery job, keyed by the outbox row.
    const queued = await testApp.db.outboxMessage.findMany({ where: { linkSubjectId: fourth.id } });
    assert.equal(queued.length, 1);
    const jobs = await testApp.sqlPool.query<{ key: string; max_attempts: number; payload: unknown }>(
      `SELECT key, max_attempts, payload FROM graphile_worker._private_jobs WHERE key = $1`,
      [`email:${queued[0]?.id}`],
    );
    assert.deepEqual(jobs.rows, [
      { key: `email:${queued[0]?.id}`, max_attempts: 10, payload: { outboxMessageId: queued[0]?.id } },
    ]);
  });

  test("RATE_LIMIT_APPLY is the one limit on applications from one network: past it, a visible 429", async () => {
    const limitedApp = await startTestApp({ env: { RATE_LIMIT_APPLY: "3/hour" } });
    try {
      const apply = async (email: string) => {
        const browser = new TestBrowser(limitedApp.baseUrl);
        await browser.get("/apply");
        return browser.post("/apply", { ...VALID_APPLICATION, email });
      };
      for (let i = 0; i < 3; i += 1) {
        const { response } = await apply(`ada${i}@example.org`);
        assert.equal(response.status, 303);
      }
      const { response, html } = await apply("ada@example.org");
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get("retry-after")) > 0);
      assert.equal(response.headers.get("ratelimit")?.startsWith('"apply-hour";r=0;'), true);
      assert.match(html, /Too many applications have been sent from your network/);
      assert.equal(await limitedApp.db.vettingCase.count(), 3);
    } finally {
      await limitedApp.close();
    }
  });
});

describe("email me a link", () => {
  async function requestLink(email: string) {
    const browser = new TestBrowser(testApp.baseUrl);
    await browser.get("/");
    const answer = await browser.post("/apply/sign-in", { email });
    // The request only enqueues the lookup (src/jobs/sendRequestedLink.ts); run it as the worker would.
    await runQueuedJobs(testApp, "send_requested_link");
    return answer;
  }

  async function createCase(
    email: string,
    fullName: string,
    extra: { erasedAt?: Date; emailConfirmedAt?: Date } = {},
  ) {
    return testApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName, email, statement: "Hello", ...extra },
      select: { id: true },
    });
  }

  test("the home page offers the form", async () => {
    const { html } = await new TestBrowser(testApp.baseUrl).get("/");
    assert.match(html, /<h2 id="return-heading">Already applied\?<\/h2>/);
    assert.match(html, /<form class="form" method="post" action="\/apply\/sign-in" novalidate>/);
    assert.match(html, /<button class="button" type="submit">Email me a link<\/button>/);
  });

  test("answers the same for an unknown address, and sends nothing", async () => {
    const { response } = await requestLink("nobody@example.org");
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/apply/sign-in/sent");
    const page = await new TestBrowser(testApp.baseUrl).get("/apply/sign-in/sent");
    assert.match(
      page.html,
      /If an application uses this address, we have sent a link; it works once within 15 minutes./,
    );
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.deepEqual(await deliverQueuedEmails(testApp, smtp), []);
  });

  test("sends the most recent case of a known address a sign-in link that opens it once", async () => {
    await createCase("bo@example.org", "Bo Older");
    const newest = await createCase("bo@example.org", "Bo Newest", { emailConfirmedAt: new Date() });
    await createCase("bo@example.org", "Bo Erased", { erasedAt: new Date() });

    const { response } = await requestLink("  BO@example.org ");
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/apply/sign-in/sent");
    const [message, ...others] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(others.length, 0);
    assert.ok(message);
    assert.deepEqual(message.to, ["bo@example.org"]);
    assert.equal(message.subject, "Your link back to your application — Vetting Portal");
    assert.match(message.text, /Hello Bo Newest/);
    const linkPath = linkPathIn(message, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/apply\/sign-in\/[A-Za-z0-9_-]{43}$/);
    const token = await testApp.db.linkToken.findFirstOrThrow();
    assert.equal(token.purpose, "sign_in");
    assert.equal(token.subjectId, newest.id);
    const lifetime = token.expiresAt.getTime() - token.createdAt.getTime();
    assert.ok(Math.abs(lifetime - 15 * 60_000) < 5_000, "the link lives 15 minutes");
    assert.equal(await testApp.db.auditEvent.count(), 0, "asking is not audited; using the link is");

    const applicant = new TestBrowser(testApp.baseUrl);
    assert.equal((await applicant.get(linkPath)).response.status, 200);
    const opened = await applicant.post(linkPath, {});
    assert.equal(opened.response.headers.get("location"), "/application?done=signed_in");
    const workspace = await applicant.get("/application");
    assert.match(workspace.html, /value="Bo Newest"/);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "case.applicant_signed_in" },
    });
    assert.equal(audit.subjectId, newest.id);

    const again = await new TestBrowser(testApp.baseUrl).get(linkPath);
    assert.equal(again.response.status, 410);
    assert.match(again.html, /This link has already been used/);
  });

  test("greets nobody by name while the address is unconfirmed: the name is whatever a stranger typed", async () => {
    await createCase("eve@example.org", "Win at https://prize.example");
    const { response } = await requestLink("eve@example.org");
    assert.equal(response.status, 303);
    const [message] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(message);
    assert.match(message.text, /^Hello,$/m);
    for (const part of [message.subject, message.text, message.html]) assert.doesNotMatch(part, /prize/);
  });

  test("refuses an address that is not one, next to the field", async () => {
    const { response, html } = await requestLink("not an address");
    assert.equal(response.status, 422);
    assert.match(html, /<title>Error: Get a link to your application/);
    assert.equal(fieldError(html, "email"), "Enter an email address like name@example.org.");
    assert.match(html, /value="not an address"/);
    const empty = await requestLink("");
    assert.equal(fieldError(empty.html, "email"), "Enter your email address.");
  });

  test("sends at most five links an hour to one address, and still answers the same", async () => {
    await createCase("cy@example.org", "Cy Case");
    for (let i = 0; i < APPLICANT_LINK_LIMITS.signInLinksPerAddressPerHour + 2; i += 1) {
      const { response } = await requestLink("cy@example.org");
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/apply/sign-in/sent");
    }
    assert.equal(
      await testApp.db.outboxMessage.count({ where: { kind: "sign_in_link" } }),
      APPLICANT_LINK_LIMITS.signInLinksPerAddressPerHour,
    );
  });

  test("too many requests from one network get a visible 429", async () => {
    for (let i = 0; i < APPLICANT_LINK_LIMITS.signInRequestsPerIpPerHour; i += 1) {
      const { response } = await requestLink(`someone${i}@example.org`);
      assert.equal(response.status, 303);
    }
    const { response, html } = await requestLink("one-more@example.org");
    assert.equal(response.status, 429);
    assert.ok(Number(response.headers.get("retry-after")) > 0);
    assert.match(html, /Too many links have been asked for from your network/);
  });

  test("says so when a session ended or the person signed out", async () => {
    const browser = new TestBrowser(testApp.baseUrl);
    const expired = await browser.get("/apply/sign-in?expired=1");
    assert.equal(expired.response.status, 200);
    assert.match(expired.html, /Your session ended. Ask for a new link./);
    const signedOut = await browser.get("/apply/sign-in?signed-out=1");
    assert.match(signedOut.html, /You have signed out/);
    const plain = await browser.get("/apply/sign-in");
    assert.doesNotMatch(plain.html, /Your session ended/);
  });
});

describe("the privacy notice", () => {
  /** The paragraphs of the notice itself, and the language its block is marked with (none: the page's). */
  function noticeOf(html: string) {
    const block = /<div class="privacy-notice"(?: lang="([^"]+)")?>([\s\S]*?)<\/div>/.exec(html);
    assert.ok(block, "the page has the notice");
    return {
      lang: block[1] ?? null,
      paragraphs: [...(block[2] ?? "").matchAll(/<p>([\s\S]*?)<\/p>/g)].map((match) => match[1]),
    };
  }
  const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

  test("shows the built-in notice in the page's language, with its version", async () => {
    const english = await new TestBrowser(testApp.baseUrl).get("/privacy");
    assert.equal(english.response.status, 200);
    assert.match(english.html, /<h1>Privacy notice<\/h1>/);
    assert.match(english.html, /Version built-in-1\./);
    const englishNotice = noticeOf(english.html);
    assert.equal(englishNotice.lang, null);
    assert.equal(englishNotice.paragraphs.length, 3);
    assert.match(englishNotice.paragraphs[0] ?? "", /^We use what you give us here/);
    assert.doesNotMatch(english.html, /not available in your language/);

    for (const [language, heading, opening, version] of [
      [
        "de",
        "Datenschutzhinweis",
        /^Wir verwenden, was Sie uns hier geben/,
        /Version built-in-1\. Wenn Sie sich bewerben/,
      ],
      [
        "fr",
        "Politique de confidentialité",
        /^Nous utilisons ce que vous nous donnez ici/,
        /Version built-in-1\. Lorsque vous candidatez/,
      ],
    ] as const) {
      const browser = new TestBrowser(testApp.baseUrl);
      browser.headers["accept-language"] = language;
      const { html } = await browser.get("/privacy");
      assert.equal(langOf(html), language);
      assert.match(html, new RegExp(`<h1>${heading}</h1>`));
      const notice = noticeOf(html);
      assert.equal(notice.lang, null, "the notice speaks the page's language");
      assert.equal(notice.paragraphs.length, 3);
      assert.match(notice.paragraphs[0] ?? "", opening);
      assert.doesNotMatch(notice.paragraphs.join(" "), /We use|Vetting agents|We keep/);
      assert.match(html, version);
      assert.doesNotMatch(html, /class="notice"/, "no note that the notice is in another language");
    }
  });

  test("a consent on a French page is to the French built-in notice", async () => {
    const browser = new TestBrowser(testApp.baseUrl);
    browser.headers["accept-language"] = "fr-CH, fr;q=0.9";
    const form = await browser.get("/apply");
    assert.match(form.html, /<a href="\/privacy">[^<]*\(version built-in-1\)<\/a>/);
    assert.equal((await browser.post("/apply", VALID_APPLICATION)).response.status, 303);
    const stored = await testApp.db.vettingCase.findFirstOrThrow();
    assert.deepEqual(
      [stored.language, stored.privacyNoticeVersion, stored.privacyNoticeLanguage],
      ["fr", "built-in-1", "fr"],
    );
    const created = await testApp.db.auditEvent.findFirstOrThrow({ where: { action: "case.created" } });
    assert.deepEqual(created.details, {
      origin: "APPLICANT",
      privacyNoticeVersion: "built-in-1",
      privacyNoticeLanguage: "fr",
    });
  });

  describe("an operator's own notice, a file per language", () => {
    let directory: string;
    let ownApp: TestApp;
    before(async () => {
      directory = await mkdtemp(path.join(tmpdir(), "vp-notice-"));
      const file = async (name: string, text: string) => {
        await writeFile(path.join(directory, name), text);
        return path.join(directory, name);
      };
      ownApp = await startTestApp({
        env: {
          SMTP_PORTS: String(smtp.port),
          LANGUAGES: "en,de,fr,en-XA",
          PRIVACY_NOTICE_FILE: await file(
            "privacy.en.txt",
            "First <b>paragraph</b>\non two lines.\n\n\nSecond & last.\n",
          ),
          PRIVACY_NOTICE_FILE_DE: await file(
            "privacy.de.txt",
            "Wir speichern Ihre Angaben ein Jahr.\n\nFragen Sie uns.",
          ),
          PRIVACY_NOTICE_FILE_FR: await file("privacy.fr.txt", "Nous gardons vos données un an.\n"),
          PRIVACY_NOTICE_VERSION: "2026-11",
        },
      });
    });
    after(async () => {
      await ownApp.close();
      await rm(directory, { recursive: true, force: true });
    });
    beforeEach(() => truncateTables(ownApp.db, ["vetting_cases", "audit_events", "outbox_messages"]));

    test("each language's page shows that language's file, as escaped paragraphs", async () => {
      const english = await new TestBrowser(ownApp.baseUrl).get("/privacy");
      assert.deepEqual(noticeOf(english.html), {
        lang: null,
        paragraphs: ["First &lt;b&gt;paragraph&lt;/b&gt;\non two lines.", "Second &amp; last."],
      });
      assert.match(english.html, /Version 2026-11\./);
      for (const [language, paragraphs] of [
        ["de", ["Wir speichern Ihre Angaben ein Jahr.", "Fragen Sie uns."]],
        ["fr", ["Nous gardons vos données un an."]],
      ] as const) {
        const browser = new TestBrowser(ownApp.baseUrl);
        browser.headers["accept-language"] = language;
        const { html } = await browser.get("/privacy");
        assert.equal(langOf(html), language);
        assert.deepEqual(noticeOf(html), { lang: null, paragraphs });
        assert.match(html, /Version 2026-11\./);
        assert.doesNotMatch(html, /class="notice"/);
      }
    });

    test("the consent records the version and the language of the text the person was shown", async () => {
      for (const [acceptLanguage, expected] of [
        ["de-AT,de;q=0.9", "de"],
        ["fr", "fr"],
        ["en-GB", "en"],
      ] as const) {
        const browser = new TestBrowser(ownApp.baseUrl);
        browser.headers["accept-language"] = acceptLanguage;
        const form = await browser.get("/apply");
        assert.match(form.html, /\(version 2026-11\)/i, "the form names the version, in any language");
        const email = `${expected}@example.org`;
        assert.equal((await browser.post("/apply", { ...VALID_APPLICATION, email })).response.status, 303);
        const stored = await ownApp.db.vettingCase.findFirstOrThrow({ where: { email } });
        assert.deepEqual(
          [stored.language, stored.privacyNoticeVersion, stored.privacyNoticeLanguage],
          [expected, "2026-11", expected],
        );
        const created = await ownApp.db.auditEvent.findFirstOrThrow({
          where: { action: "case.created", subjectId: stored.id },
        });
        assert.deepEqual(created.details, {
          origin: "APPLICANT",
          privacyNoticeVersion: "2026-11",
          privacyNoticeLanguage: expected,
        });
      }
    });

    test("the pseudo-language, which has no file, shows the English text marked as English", async () => {
      const browser = new TestBrowser(ownApp.baseUrl);
      browser.cookies.set("language", "en-XA");
      const { html } = await browser.get("/privacy");
      assert.equal(langOf(html), "en-XA");
      assert.equal(noticeOf(html).lang, "en");
      assert.match(
        html,
        /<p class="notice" lang="en-XA">/,
        "the page says the notice is in another language",
      );
      await browser.get("/apply");
      await browser.post("/apply", VALID_APPLICATION);
      const stored = await ownApp.db.vettingCase.findFirstOrThrow();
      assert.deepEqual([stored.privacyNoticeVersion, stored.privacyNoticeLanguage], ["2026-11", "en"]);
    });
  });
});
