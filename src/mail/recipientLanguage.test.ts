// An applicant's emails are written in the language they applied in: the page's language is stored with
// the case, every email to them carries it on its outbox row, and delivery (by the worker, long after the
// request) renders subject and both parts in it, with the HTML part's lang and a Content-Language header.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decideCase } from "../commands/cases/decideCase.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { startWorker } from "../jobs/worker.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../test/app.js";
import { deliverQueuedEmails } from "../test/browser.js";
import { type ReceivedMessage, startTestSmtpServer, type TestSmtpServer } from "../test/smtp.js";
import { createStaffMember } from "../test/staff.js";
import { testViews } from "../test/views.js";
import { waitUntil } from "../test/waitFor.js";
import { createMailRelay } from "./relay.js";

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

/** The Content-Language header as it arrived (headers end at the first blank line). */
function contentLanguageOf(message: ReceivedMessage): string | undefined {
  const headers = message.raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  return /^Content-Language:\s*(\S+)\s*$/im.exec(headers)?.[1];
}

describe("an applicant's emails in their language", () => {
  let testApp: TestApp;
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startTestSmtpServer({ tls: "none" });
    testApp = await startTestApp();
  });
  after(async () => {
    await testApp.close();
    await smtp.close();
  });

  test("an application sent from a German page gets its confirmation email in German", async () => {
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/apply`);
    const response = await postForm(
      `${testApp.baseUrl}/apply`,
      {
        _csrf: csrfToken,
        fullName: "Grete Bewerberin",
        email: "grete@example.org",
        matrixId: "",
        phone: "",
        statement: "Ich möchte beitreten.",
        consent: "yes",
      },
      { cookie, "accept-language": "de-DE,de;q=0.9,en;q=0.5" },
    );
    assert.equal(response.status, 303);
    const row = await testApp.db.outboxMessage.findFirstOrThrow({
      where: { recipient: "grete@example.org", kind: "email_confirmation" },
    });
    assert.equal(row.language, "de", "the language is fixed on the row when it is queued");

    const [message, ...others] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(message);
    assert.deepEqual(others, []);
    assert.equal(message.subject, "Bestätigen Sie Ihre E-Mail-Adresse – Vetting Portal");
    assert.equal(contentLanguageOf(message), "de");
    assert.equal(langOf(message.html), "de");
    for (const part of [message.text, message.html]) {
      assert.ok(part.includes("Hallo,"), part);
      assert.ok(
        part.includes(
          "Vielen Dank für Ihre Bewerbung bei the community. Bestätigen Sie Ihre E-Mail-Adresse, um mit Ihrer Bewerbung fortzufahren:",
        ),
        part,
      );
      // The link's lifetime and expiry in German words and German date order (24 hours: Stunden).
      assert.match(
        part,
        /Dieser Link funktioniert nur einmal und läuft in 24 Stunden ab, am \d{1,2}\. \S+ \d{4} um \d\d:\d\d UTC\./,
      );
      assert.ok(
        part.includes(
          "Die Betreiber von Vetting Portal werden Sie niemals per E-Mail nach Ihrem Passwort fragen",
        ),
      );
      assert.doesNotMatch(part, /Confirm|You got this email/);
    }
    assert.ok(message.html.includes(">Meine E-Mail-Adresse bestätigen</a>"));
    assert.ok(
      message.text.includes("Meine E-Mail-Adresse bestätigen:\nhttp://127.0.0.1:3000/apply/confirm/"),
    );
  });

  test("a French case gets the request for more information in French, sent by the worker", async () => {
    const created = await testApp.db.vettingCase.create({
      data: {
        state: "IN_REVIEW",
        origin: "APPLICANT",
        fullName: "Camille Candidate",
        email: "camille@example.org",
        statement: "Je souhaite rejoindre la communauté.",
        language: "fr",
        submittedAt: new Date(),
        lastSubmittedAt: new Date(),
      },
      select: { id: true, number: true },
    });
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    // A reason with characters special to HTML: escaped once in HTML, as written in the text part.
    const reason = "Qui vous a recommandé·e ? <Tom & Jerry>";
    await decideCase(testApp.db, {
      caseId: created.id,
      decision: "request_more_information",
      reason,
      isReasonShared: true,
      decider: { id: admin.id, role: admin.role },
      audit: { staffUserId: admin.id, label: admin.name },
      config: testApp.config,
    });
    const row = await testApp.db.outboxMessage.findFirstOrThrow({
      where: { recipient: "camille@example.org", kind: "more_information_requested" },
    });
    assert.equal(row.language, "fr");

    const relay = createMailRelay(
      {
        host: "127.0.0.1",
        ports: [smtp.port],
        allowPlaintext: true,
        connectionTimeoutMs: 2_000,
        greetingTimeoutMs: 2_000,
        socketTimeoutMs: 5_000,
      },
      testApp.logger,
    );
    const worker = await startWorker({
      connectionString: testApp.databaseUrl,
      concurrency: 1,
      deps: { config: testApp.config, db: testApp.db, logger: testApp.logger, views: testViews(), relay },
    });
    try {
      await waitUntil("the worker sent the email", async () => {
        const { status } = await testApp.db.outboxMessage.findUniqueOrThrow({ where: { id: row.id } });
        return status === "SENT";
      });
    } finally {
      await worker.stop();
      relay.close();
    }
    const message = smtp.messages.find((received) => received.to.includes("camille@example.org"));
    assert.ok(message);
    const caseNumber = formatCaseNumber(created.number);
    assert.equal(
      message.subject,
      `Informations supplémentaires nécessaires pour ${caseNumber} – Vetting Portal`,
    );
    assert.equal(contentLanguageOf(message), "fr");
    assert.equal(langOf(message.html), "fr");
    for (const part of [message.text, message.html]) {
      assert.ok(part.includes("Bonjour Camille Candidate,"), part);
      assert.ok(
        part.includes(
          `Nous avons besoin d’informations supplémentaires avant de pouvoir statuer sur votre candidature ${caseNumber} pour rejoindre the community.`,
        ),
      );
      assert.match(
        part,
        /Ce lien ne fonctionne qu’une fois et expire dans 72 heures, le \d{1,2} \S+ \d{4} à \d\d:\d\d UTC\./,
      );
    }
    assert.ok(message.text.includes(`${reason}\n`), "the reason as written in the text part");
    assert.ok(
      message.html.includes("Qui vous a recommandé·e ? &lt;Tom &amp; Jerry&gt;"),
      "escaped once in HTML",
    );
    assert.ok(message.html.includes(">Ouvrir ma candidature</a>"));
  });
});
