import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadTranslators } from "../../i18n/translator.js";
import { plainWordsIn, visibleTextOf } from "../../test/pseudoLanguage.js";
import { testViews } from "../../test/views.js";
import {
  EmailRenderError,
  findMessageKind,
  type MessageKindName,
  type MessagePayload,
  messageKinds,
  type RenderContext,
  renderEmail,
} from "./index.js";
import { linkLifetimeMs } from "./kind.js";
import { describeDuration } from "./render.js";

const views = testViews();
const now = new Date("2025-03-03T14:05:09Z");
const context: RenderContext = {
  siteName: "Vetting Portal",
  communityName: "the community",
  publicUrl: new URL("https://vetting.example.org"),
  languages: ["en", "de", "fr", "en-XA"],
  now,
};
const HOSTILE_NAME = `<script>alert(1)</script> & "Bob"`;
const HOSTILE_NAME_IN_HTML = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;";
const CASE_ID = "0b0e8a4e-8a9c-4a8e-9d47-3c1f5b2a7e10";
const OTHER_CASE_ID = "5f3d2c1b-0a9e-4b8c-8d7e-6f5a4b3c2d1e";
const REASON = "Please tell us who referred you.";

/** A valid payload for every kind, with `name` in every name field. */
function payloadsNaming(name: string): { [Name in MessageKindName]: MessagePayload<Name> } {
  return {
    email_confirmation: {},
    sign_in_link: { applicantName: name },
    staff_invitation: { inviteeName: name, inviterName: name, roleLabel: name },
    password_reset: { staffName: name },
    test_message: {},
    superadmin_welcome: { name },
    account_blocked: { staffName: name, blockedFor: "1 hour" },
    credentials_changed: {
      staffName: name,
      change: "second_factor_reset",
      changedAt: "2025-03-03T14:05:09.000Z",
      changedBy: name,
    },
    approval_needed: {
      request: "role_change",
      approverName: name,
      requesterName: name,
      personName: name,
      roleLabel: "inviting admin",
      isReenable: false,
    },
    application_received: { applicantName: name, caseNumber: "VC-00042" },
    more_information_requested: { applicantName: name, caseNumber: "VC-00042", reason: REASON },
    resubmission_received: { agentName: name, caseNumber: "VC-00042", caseId: CASE_ID },
    decision_approved: { applicantName: name, caseNumber: "VC-00042" },
    decision_rejected: { applicantName: name, caseNumber: "VC-00042", reason: REASON },
    withdrawal_confirmed: { applicantName: name, caseNumber: "VC-00042" },
    case_invitation: { applicantName: name, agentName: name, caseNumber: "VC-00042" },
    new_case_waiting: { agentName: name, caseNumber: "VC-00042", caseId: CASE_ID },
    new_cases_digest: {
      agentName: name,
      cases: [{ caseNumber: "VC-00042", caseId: CASE_ID }],
      periodEnd: "2025-03-03T09:00:00.000Z",
    },
    malware_refused: {
      adminName: name,
      caseNumber: "VC-00042",
      caseId: CASE_ID,
      uploaderKind: "APPLICANT",
      signatures: [`${name}.UNOFFICIAL`],
    },
    registration_token_ready: { personName: name, registrationTokenExpiresAt: "2025-04-02T14:05:09.000Z" },
    registration_token_revoked: { personName: name },
    applicant_reminder: { reminder: "draft", applicantName: name, deletionAt: "2025-04-02T14:05:09.000Z" },
    staff_notice: {
      recipientName: name,
      notice: { kind: "case_assigned", caseNumber: "VC-00042", caseId: CASE_ID, assignedByName: name },
    },
    staff_digest: {
      recipientName: name,
      day: "2025-03-03",
      notices: [
        { kind: "case_assigned", caseNumber: "VC-00042", caseId: CASE_ID, assignedByName: name },
        { kind: "approval_needed", request: "invitation" },
      ],
      notListedCount: 0,
    },
    submitted_on_behalf: {
      applicantName: name,
      agentName: name,
      caseNumber: "VC-00042",
      consentKind: "SIGNED_PAPER_FORM",
    },
    case_email_change_confirmation: { applicantName: name, caseNumber: "VC-00042" },
    case_email_changed_notice: { applicantName: name, caseNumber: "VC-00042" },
    applicant_replied: {
      staffName: name,
      caseNumber: "VC-00042",
      caseId: CASE_ID,
      isAnswer: true,
      isAssignee: true,
    },
    reference_request: { applicantName: name },
  };
}

/** The settings a link's lifetime may depend on (REFERENCE_LINK_DAYS: 14). */
const LINK_SETTINGS = { references: { refereesMax: 3, linkLifetimeMs: 14 * 24 * 3_600_000 } };

const kindNames = Object.keys(messageKinds) as MessageKindName[];

/** The link the outbox would pass: absolute under PUBLIC_URL, expiring after the kind's lifetime. */
function linkFor(kindName: MessageKindName, token = "dGVzdC10b2tlbg_-") {
  const link = findMessageKind(kindName)?.link;
  if (!link) return undefined;
  return {
    url: new URL(link.path(token), context.publicUrl).toString(),
    expiresAt: new Date(now.getTime() + linkLifetimeMs(link, LINK_SETTINGS)),
  };
}

function render(kindName: MessageKindName, payload: unknown, overrides: { link?: unknown } = {}) {
  const link = "link" in overrides ? overrides.link : linkFor(kindName);
  return renderEmail(
    views,
    kindName,
    { recipient: "grace@example.org", payload, link: link as { url: string; expiresAt: Date } | undefined },
    context,
  );
}

describe("message kinds", () => {
  test("the registry holds every kind under its own name", () => {
    assert.deepEqual(kindNames.sort(), [
      "account_blocked",
      "applicant_reminder",
      "applicant_replied",
      "application_received",
      "approval_needed",
      "case_email_change_confirmation",
      "case_email_changed_notice",
      "case_invitation",
      "credentials_changed",
      "decision_approved",
      "decision_rejected",
      "email_confirmation",
      "malware_refused",
      "more_information_requested",
      "new_case_waiting",
      "new_cases_digest",
      "password_reset",
      "reference_request",
      "registration_token_ready",
      "registration_token_revoked",
      "resubmission_received",
      "sign_in_link",
      "staff_digest",
      "staff_invitation",
      "staff_notice",
      "submitted_on_behalf",
      "superadmin_welcome",
      "test_message",
      "withdrawal_confirmed",
    ]);
    for (const name of kindNames) assert.equal(messageKinds[name].name, name);
    assert.equal(findMessageKind("toString"), undefined, "only the registry's own names");
    assert.equal(findMessageKind("no_such_kind"), undefined);
  });

  test("link kinds use the agreed purposes, paths and lifetimes, and encode the token", () => {
    const minutes = 60_000;
    const links = Object.fromEntries(
      kindNames.map((name) => {
        const link = messageKinds[name].link;
        return [
          name,
          link && {
            purpose: link.purpose,
            lifetimeMs: linkLifetimeMs(link, LINK_SETTINGS),
            path: link.path("a/b?c"),
          },
        ];
      }),
    );
    assert.deepEqual(links, {
      email_confirmation: {
        purpose: "email_confirmation",
        lifetimeMs: 24 * 60 * minutes,
        path: "/apply/confirm/a%2Fb%3Fc",
      },
      sign_in_link: { purpose: "sign_in", lifetimeMs: 15 * minutes, path: "/apply/sign-in/a%2Fb%3Fc" },
      staff_invitation: {
        purpose: "staff_invitation",
        lifetimeMs: 72 * 60 * minutes,
        path: "/staff/invitation/a%2Fb%3Fc",
      },
      password_reset: {
        purpose: "password_reset",
        lifetimeMs: 30 * minutes,
        path: "/staff/password-reset/a%2Fb%3Fc",
      },
      test_message: undefined,
      superadmin_welcome: undefined,
      approval_needed: undefined,
      account_blocked: {
        purpose: "password_reset",
        lifetimeMs: 30 * minutes,
        path: "/staff/password-reset/a%2Fb%3Fc",
      },
      credentials_changed: undefined,
      application_received: undefined,
      more_information_requested: {
        purpose: "sign_in",
        lifetimeMs: 72 * 60 * minutes,
        path: "/apply/sign-in/a%2Fb%3Fc",
      },
      resubmission_received: undefined,
      malware_refused: undefined,
      // Optional: only an approval that requested a registration token carries it.
      decision_approved: {
        purpose: "registration_token_reveal",
        lifetimeMs: 7 * 24 * 60 * minutes,
        path: "/registration-token/a%2Fb%3Fc",
      },
      decision_rejected: undefined,
      withdrawal_confirmed: undefined,
      case_invitation: {
        purpose: "case_invitation",
        lifetimeMs: 7 * 24 * 60 * minutes,
        path: "/apply/invitation/a%2Fb%3Fc",
      },
      new_case_waiting: undefined,
      new_cases_digest: undefined,
      applicant_reminder: {
        purpose: "sign_in",
        lifetimeMs: 72 * 60 * minutes,
        path: "/apply/sign-in/a%2Fb%3Fc",
      },
      staff_notice: undefined,
      staff_digest: undefined,
      registration_token_ready: {
        purpose: "registration_token_reveal",
        lifetimeMs: 7 * 24 * 60 * minutes,
        path: "/registration-token/a%2Fb%3Fc",
      },
      registration_token_revoked: undefined,
      submitted_on_behalf: {
        purpose: "case_submitted_for_you",
        lifetimeMs: 7 * 24 * 60 * minutes,
        path: "/apply/submitted/a%2Fb%3Fc",
      },
      applicant_replied: undefined,
      case_email_change_confirmation: {
        purpose: "case_email_change",
        lifetimeMs: 3 * 24 * 60 * minutes,
        path: "/apply/new-address/a%2Fb%3Fc",
      },
      case_email_changed_notice: undefined,
      // REFERENCE_LINK_DAYS (14 here) decides it.
      reference_request: {
        purpose: "reference_request",
        lifetimeMs: 14 * 24 * 60 * minutes,
        path: "/reference/a%2Fb%3Fc",
      },
    });
  });
});

describe("renderEmail", () => {
  test("every kind renders both parts, with a subject of its own that names the site", async () => {
    const subjects = new Set<string>();
    for (const name of kindNames) {
      const email = await render(name, payloadsNaming("Grace Hopper")[name]);
      assert.match(email.subject, /Vetting Portal/, name);
      subjects.add(email.subject);
      assert.match(email.html, /^<!doctype html>/, name);
      assert.match(email.html, /never ask you for your password by email/, name);
      assert.match(email.html, /You got this email because/, name);
      assert.match(email.text, /never ask you for your password by\s+email/, name);
      assert.match(email.text, /You got this email because/, name);
      assert.ok(!/[<>]/.test(email.text), `${name}: no markup in the text part`);
      assert.ok(email.text.endsWith(".\n") && !email.text.includes("\n\n\n"), `${name}: tidy text`);
    }
    assert.equal(subjects.size, kindNames.length);
  });

  test("the link appears in both parts: as a button and written out in HTML, on its own line in text", async () => {
    const expectedExpiry = {
      email_confirmation: "This link works once and expires in 24 hours, on 4 March 2025 at 14:05 UTC.",
      sign_in_link: "This link works once and expires in 15 minutes, on 3 March 2025 at 14:20 UTC.",
      staff_invitation: "This link works once and expires in 72 hours, on 6 March 2025 at 14:05 UTC.",
      password_reset: "This link works once and expires in 30 minutes, on 3 March 2025 at 14:35 UTC.",
      account_blocked: "This link works once and expires in 30 minutes, on 3 March 2025 at 14:35 UTC.",
      more_information_requested:
        "This link works once and expires in 72 hours, on 6 March 2025 at 14:05 UTC.",
      case_invitation: "This link works once and expires in 7 days, on 10 March 2025 at 14:05 UTC.",
      decision_approved: "This link works once and expires in 7 days, on 10 March 2025 at 14:05 UTC.",
      registration_token_ready: "This link works once and expires in 7 days, on 10 March 2025 at 14:05 UTC.",
    };
    for (const [name, expiry] of Object.entries(expectedExpiry) as [MessageKindName, string][]) {
      const link = linkFor(name);
      assert.ok(link);
      const email = await render(name, payloadsNaming("Grace")[name]);
      assert.equal(
        email.html.split(`href="${link.url}"`).length - 1,
        2,
        `${name}: button and written-out link`,
      );
      assert.ok(email.html.includes(`>${link.url}</a>`), `${name}: the URL as text`);
      assert.ok(email.text.split("\n").includes(link.url), `${name}: the URL alone on its line`);
      assert.ok(email.text.includes(expiry), `${name}: ${email.text}`);
      assert.ok(email.html.replace(/<\/?strong>/g, "").includes(expiry), name);
    }
  });

  test("a link with characters special to HTML is escaped in the href and kept as is in text", async () => {
    const url = "https://vetting.example.org/apply/confirm/abc?x=1&y=2";
    const email = await render(
      "email_confirmation",
      { applicantName: "Ada" },
      { link: { url, expiresAt: new Date(now.getTime() + 60_000) } },
    );
    assert.ok(email.html.includes('href="https://vetting.example.org/apply/confirm/abc?x=1&amp;y=2"'));
    assert.ok(email.text.split("\n").includes(url));
    assert.ok(email.text.includes("expires in 1 minute, on 3 March 2025 at 14:06 UTC"));
  });

  test("a hostile name arrives as visible text: escaped in HTML, literal in text, in every kind", async () => {
    // Kinds that carry no name at all: the test message, and mail to an address nobody has confirmed.
    const NAMELESS: MessageKindName[] = ["test_message", "email_confirmation"];
    for (const name of kindNames) {
      if (NAMELESS.includes(name)) continue;
      const email = await render(name, payloadsNaming(HOSTILE_NAME)[name]);
      assert.ok(email.html.includes(HOSTILE_NAME_IN_HTML), name);
      assert.ok(!email.html.includes("<script>"), `${name}: no markup from the name`);
      assert.ok(email.text.includes(HOSTILE_NAME), `${name}: ${email.text}`);
      assert.ok(
        !email.text.includes("&lt;") && !email.text.includes("&amp;"),
        `${name}: nothing escaped in text`,
      );
    }
  });

  test("the email confirmation greets nobody by name, even for a payload queued with one", async () => {
    const email = await render("email_confirmation", { applicantName: "Click https://evil.example" });
    for (const part of [email.text, email.html]) {
      assert.match(part, /Hello,/);
      assert.doesNotMatch(part, /evil\.example/);
    }
  });

  test("the staff invitation names inviter and role, and says what to set up", async () => {
    const email = await render("staff_invitation", {
      inviteeName: "Grace Hopper",
      inviterName: "Ada Lovelace",
      roleLabel: "vetting agent",
    });
    assert.equal(email.subject, "You are invited to join the staff — Vetting Portal");
    for (const part of [email.text, email.html]) {
      assert.match(part, /Hello Grace Hopper,/);
      assert.match(
        part,
        /Ada Lovelace has invited you to join the staff of Vetting Portal\s+with the role “vetting agent”/,
      );
      assert.match(part, /choose a password and set up two-step sign-in/);
    }
  });

  test("the password reset tells someone who did not ask that nothing changed", async () => {
    const email = await render("password_reset", { staffName: "Grace" });
    assert.equal(email.subject, "Reset your password — Vetting Portal");
    assert.match(email.text, /If you did not ask for this, ignore this email: your password is unchanged\./);
    assert.match(email.html, /If you did not ask for this, ignore this email: your password is unchanged\./);
  });

  test("a change of credentials says what changed and when, and what to do if it was not them", async () => {
    const changedAt = "2025-03-03T14:01:00.000Z";
    const expected = {
      password: [
        "Your password was changed",
        /was changed at 14:01 UTC on 3 March 2025, from your account page/,
      ],
      password_reset: ["Your password was reset", /was reset through a password reset link at 14:01 UTC/],
      authenticator: [
        "Two-step sign-in now uses a new authenticator",
        /moved to a new authenticator app at 14:01 UTC on 3 March 2025\. Codes from the earlier app/,
      ],
      recovery_codes: [
        "New recovery codes were made for your account",
        /New recovery codes were made for your staff account on Vetting Portal at 14:01 UTC/,
      ],
    } as const;
    for (const [change, [subject, sentence]] of Object.entries(expected)) {
      const email = await render("credentials_changed", {
        staffName: "Grace",
        change,
        changedAt,
      });
      assert.equal(email.subject, `${subject} — Vetting Portal`);
      for (const part of [email.text, email.html.replace(/<[^>]+>/g, "")]) {
        assert.match(part.replace(/\s+/g, " "), sentence, change);
        assert.match(
          part.replace(/\s+/g, " "),
          /If this was not you, someone may have access to your account/,
        );
      }
      assert.ok(email.text.split("\n").includes("https://vetting.example.org/staff/sign-in"), change);
      assert.ok(!email.text.includes("expires"), "no single-use link");
    }
    const reset = await render("credentials_changed", {
      staffName: "Grace",
      change: "second_factor_reset",
      changedAt,
      changedBy: "Ada Admin",
    });
    assert.equal(reset.subject, "Your two-step sign-in was reset — Vetting Portal");
    assert.match(
      reset.text.replace(/\s+/g, " "),
      /Ada Admin reset two-step sign-in for your staff account on Vetting Portal at 14:01 UTC on 3 March 2025\./,
    );
    assert.match(reset.text.replace(/\s+/g, " "), /If you did not expect this, tell the other admins/);
  });

  test("the email confirmation asks to confirm in order to continue the application", async () => {
    const email = await render("email_confirmation", { applicantName: "Ada" });
    assert.equal(email.subject, "Confirm your email address — Vetting Portal");
    assert.match(email.html, /Confirm your email address to continue your application/);
    assert.match(email.text, /Confirm your email\s+address to continue your application/);
  });

  test("the test message says when it was rendered", async () => {
    const email = await render("test_message", {});
    assert.equal(email.subject, "Test message — Vetting Portal");
    assert.match(email.text, /It was rendered at 14:05:09 UTC on 3 March 2025\./);
    assert.match(email.html, /It was rendered at 14:05:09 UTC on 3 March 2025\./);
  });

  test("the superadmin welcome links to staff sign-in, absolute from the public URL", async () => {
    const email = await render("superadmin_welcome", { name: "Grace Hopper" });
    assert.equal(email.subject, "Your Vetting Portal superadmin account is ready");
    assert.match(email.text, /^Hello Grace Hopper,$/m);
    assert.ok(email.text.split("\n").includes("https://vetting.example.org/staff/sign-in"));
    assert.ok(email.html.includes('href="https://vetting.example.org/staff/sign-in"'));
    assert.ok(email.html.includes("<strong>grace@example.org</strong>"));
    assert.ok(!email.text.includes("expires"), "the sign-in page is not a single-use link");
  });

  test("application received gives the case number, what happens next and where to sign in", async () => {
    const email = await render("application_received", { applicantName: "Ada", caseNumber: "VC-00042" });
    assert.equal(email.subject, "We received your application VC-00042 — Vetting Portal");
    for (const part of [email.text, email.html]) {
      assert.match(part, /We received your application to join the community/);
      assert.match(part, /VC-00042/);
      assert.match(part, /What happens next: a vetting agent/);
    }
    assert.ok(email.text.split("\n").includes("https://vetting.example.org/apply/sign-in"));
    assert.ok(email.html.includes('href="https://vetting.example.org/apply/sign-in"'));
    assert.ok(!email.text.includes("expires"), "the sign-in request page is not a single-use link");
  });

  test("more information requested carries the reason: escaped in HTML, as written in text", async () => {
    const reason = `Who referred you? <b>Tom & "Jerry"</b>\nAnd your Matrix ID, please.`;
    const email = await render("more_information_requested", {
      applicantName: "Ada",
      caseNumber: "VC-00042",
      reason,
    });
    assert.equal(email.subject, "More information needed for VC-00042 — Vetting Portal");
    assert.ok(
      email.html.includes(
        "Who referred you? &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;\nAnd your Matrix ID, please.",
      ),
    );
    assert.ok(!email.html.includes("<b>"), "no markup from the reason");
    assert.ok(email.html.includes("white-space:pre-wrap"), "line breaks of the reason kept in HTML");
    assert.ok(email.text.includes(`${reason}\n`), email.text);
    assert.ok(email.text.split("\n").includes(linkFor("more_information_requested")?.url ?? "-"));
  });

  test("an approval names the case and needs nothing from the applicant", async () => {
    const email = await render(
      "decision_approved",
      { applicantName: "Ada", caseNumber: "VC-00042" },
      { link: undefined },
    );
    assert.match(email.text, /We will send you what you need to join in a separate email/);
    assert.ok(!email.text.includes("registration token"), email.text);
    assert.equal(email.subject, "Your application VC-00042 was approved — Vetting Portal");
    assert.match(email.text, /Good news: your application VC-00042 to join the community was approved\./);
    assert.match(email.html, /Good news: your application VC-00042 to join the community was approved\./);
  });

  test("an approval with a registration token carries the reveal link and the token's expiry, never a token", async () => {
    const link = linkFor("decision_approved");
    assert.ok(link);
    const email = await render("decision_approved", {
      applicantName: "Ada",
      caseNumber: "VC-00042",
      registrationTokenExpiresAt: "2025-04-02T14:05:09.000Z",
    });
    for (const part of [email.text, email.html]) {
      assert.match(part, /the token is not in this email/);
      assert.match(part, /The token itself works once, until 2 April 2025 at 14:05 UTC\./);
      assert.ok(
        part.includes("https://vetting.example.org/registration-token/new-link"),
        "where to ask again",
      );
      assert.ok(!part.includes("separate email"));
    }
    assert.ok(email.text.split("\n").includes(link.url));
  });

  test("the registration token email says where the token is and how long it works", async () => {
    const email = await render("registration_token_ready", {
      personName: "Grace",
      registrationTokenExpiresAt: "2025-04-02T14:05:09.000Z",
    });
    assert.equal(email.subject, "Your invitation to the community — Vetting Portal");
    for (const part of [email.text, email.html]) {
      assert.match(part, /Hello Grace,/);
      assert.match(part, /The token itself works once, until 2 April 2025 at 14:05 UTC\./);
    }
  });

  test("a rejection shows the reason only when it was shared, escaped in HTML", async () => {
    const shared = await render("decision_rejected", {
      applicantName: "Ada",
      caseNumber: "VC-00042",
      reason: "We could not verify <who> you are & why.",
    });
    assert.equal(shared.subject, "A decision on your application VC-00042 — Vetting Portal");
    assert.ok(shared.html.includes("We could not verify &lt;who&gt; you are &amp; why."));
    assert.ok(shared.text.includes("The reason given:\n\nWe could not verify <who> you are & why.\n"));
    const withheld = await render("decision_rejected", {
      applicantName: "Ada",
      caseNumber: "VC-00042",
      reason: null,
    });
    assert.equal(withheld.subject, shared.subject);
    for (const part of [withheld.text, withheld.html]) {
      assert.match(part, /was not approved\./);
      assert.ok(!part.includes("The reason given"));
      assert.ok(!part.includes("verify"));
    }
  });

  test("a withdrawal is confirmed, with a warning for someone who did not withdraw", async () => {
    const email = await render("withdrawal_confirmed", { applicantName: "Ada", caseNumber: "VC-00042" });
    assert.equal(email.subject, "Your application VC-00042 was withdrawn — Vetting Portal");
    for (const part of [email.text, email.html]) {
      assert.match(part, /You withdrew your application/);
      assert.match(part, /If you did not withdraw it/);
    }
  });

  test("the case invitation names the agent and the case", async () => {
    const email = await render("case_invitation", {
      applicantName: "Ada",
      agentName: "Grace Hopper",
      caseNumber: "VC-00042",
    });
    assert.equal(email.subject, "Complete your application to join the community — Vetting Portal");
    for (const part of [email.text, email.html]) {
      assert.match(part, /Grace Hopper started an application for you to join the community/);
      assert.match(part, /VC-00042/);
    }
  });

  test("staff emails link to the staff case page, absolute, and carry only case numbers", async () => {
    const caseUrl = `https://vetting.example.org/staff/cases/${CASE_ID}`;
    const resubmitted = await render("resubmission_received", {
      agentName: "Grace",
      caseNumber: "VC-00042",
      caseId: CASE_ID,
    });
    assert.equal(resubmitted.subject, "VC-00042 was resubmitted — Vetting Portal");
    const waiting = await render("new_case_waiting", {
      agentName: "Grace",
      caseNumber: "VC-00042",
      caseId: CASE_ID,
    });
    assert.equal(waiting.subject, "New case waiting: VC-00042 — Vetting Portal");
    for (const email of [resubmitted, waiting]) {
      assert.ok(email.text.split("\n").includes(caseUrl), email.text);
      assert.equal(email.html.split(`href="${caseUrl}"`).length - 1, 2);
      assert.ok(!email.text.includes("expires"));
    }
    // The payload schemas are strict: an applicant's name cannot ride along.
    await assert.rejects(
      render("new_case_waiting", {
        agentName: "Grace",
        caseNumber: "VC-00042",
        caseId: CASE_ID,
        applicantName: "Ada",
      }),
      (error: unknown) => error instanceof EmailRenderError && error.reason === "invalid_payload",
    );
  });

  test("the digest lists every case with its link and says which day it covers", async () => {
    const email = await render("new_cases_digest", {
      agentName: "Grace",
      cases: [
        { caseNumber: "VC-00042", caseId: CASE_ID },
        { caseNumber: "VC-00043", caseId: OTHER_CASE_ID },
      ],
      periodEnd: "2025-03-03T09:00:00.000Z",
    });
    assert.equal(email.subject, "2 new cases waiting — Vetting Portal");
    assert.match(
      email.text,
      /2 new applications were submitted in the day before\s+09:00 UTC on 3 March 2025/,
    );
    assert.ok(email.text.includes(`VC-00042\nhttps://vetting.example.org/staff/cases/${CASE_ID}\n`));
    assert.ok(email.text.includes(`VC-00043\nhttps://vetting.example.org/staff/cases/${OTHER_CASE_ID}\n`));
    assert.ok(email.text.split("\n").includes("https://vetting.example.org/staff/cases"));
    assert.ok(email.html.includes(`href="https://vetting.example.org/staff/cases/${OTHER_CASE_ID}"`));
    const single = await render("new_cases_digest", {
      agentName: "Grace",
      cases: [{ caseNumber: "VC-00042", caseId: CASE_ID }],
      periodEnd: "2025-03-03T09:00:00.000Z",
    });
    assert.equal(single.subject, "1 new case waiting — Vetting Portal");
    assert.match(single.text, /One new application was submitted/);
  });

  test("an invalid payload is refused with a message naming the kind and the field", async () => {
    const cases: [MessageKindName, unknown, RegExp][] = [
      ["staff_invitation", { inviteeName: "Grace" }, /inviterName/],
      [
        "email_confirmation",
        { applicantName: "x".repeat(101) },
        /applicantName must be at most 100 characters/,
      ],
      ["email_confirmation", { applicantName: "   " }, /applicantName must not be empty/],
      [
        "sign_in_link",
        { applicantName: "Ada\r\nVisit https://evil.example" },
        /applicantName must be one line/,
      ],
      ["password_reset", { staffName: "Grace", email: "grace@example.org" }, /email/],
      ["superadmin_welcome", null, /payload/],
      [
        "more_information_requested",
        { applicantName: "Ada", caseNumber: "VC-00042", reason: " " },
        /reason must not be empty/,
      ],
      ["decision_rejected", { applicantName: "Ada", caseNumber: "42", reason: null }, /caseNumber/],
      ["new_cases_digest", { agentName: "Grace", cases: [], periodEnd: "2025-03-03T09:00:00.000Z" }, /cases/],
    ];
    for (const [name, payload, detail] of cases) {
      await assert.rejects(render(name, payload), (error: unknown) => {
        assert.ok(error instanceof EmailRenderError);
        assert.equal(error.reason, "invalid_payload");
        assert.equal(error.kindName, name);
        assert.match(error.message, new RegExp(`^Cannot render the "${name}" email: invalid payload: `));
        assert.match(error.message, detail);
        return true;
      });
    }
  });

  test("an invalid payload's values stay out of the error message", async () => {
    await assert.rejects(render("password_reset", { staffName: `Secret\nName` }), (error: Error) => {
      assert.ok(!error.message.includes("Secret"));
      return true;
    });
  });

  test("refuses an unknown kind, a missing, unexpected, off-site or expired link", async () => {
    const refusal = (reason: string) => (error: unknown) =>
      error instanceof EmailRenderError && error.reason === reason;
    await assert.rejects(
      renderEmail(views, "no_such_kind", { recipient: "a@b.c", payload: {} }, context),
      refusal("unknown_kind"),
    );
    await assert.rejects(
      render("sign_in_link", { applicantName: "Ada" }, { link: undefined }),
      refusal("missing_link"),
    );
    await assert.rejects(
      render("test_message", {}, { link: { url: "https://vetting.example.org/x", expiresAt: now } }),
      refusal("unexpected_link"),
    );
    await assert.rejects(
      render(
        "sign_in_link",
        { applicantName: "Ada" },
        {
          link: { url: "https://evil.example/apply/sign-in/x", expiresAt: new Date(now.getTime() + 60_000) },
        },
      ),
      refusal("link_off_site"),
    );
    await assert.rejects(
      render(
        "sign_in_link",
        { applicantName: "Ada" },
        { link: { url: "https://vetting.example.org/apply/sign-in/x", expiresAt: now } },
      ),
      refusal("link_expired"),
    );
  });

  test("plain-text rendering leaves the HTML environment autoescaping", async () => {
    await render("email_confirmation", { applicantName: HOSTILE_NAME });
    const page = views.renderString("{{ name }}", { name: HOSTILE_NAME });
    assert.equal(page, HOSTILE_NAME_IN_HTML);
  });
});

describe("describeDuration", () => {
  test("uses the unit people would use, with the language's plural rules", async () => {
    const translators = await loadTranslators(["en", "de", "fr"]);
    const english = translators.for("en");
    assert.equal(describeDuration(30_000, english), "1 minute");
    assert.equal(describeDuration(30 * 60_000, english), "30 minutes");
    assert.equal(describeDuration(29 * 60_000 + 59_000, english), "30 minutes");
    assert.equal(describeDuration(24 * 3_600_000, english), "24 hours");
    assert.equal(describeDuration(72 * 3_600_000, english), "72 hours");
    assert.equal(describeDuration(7 * 24 * 3_600_000, english), "7 days");
    const german = translators.for("de");
    assert.equal(describeDuration(30_000, german), "1 Minute");
    assert.equal(describeDuration(3 * 3_600_000, german), "3 Stunden");
    assert.equal(describeDuration(7 * 24 * 3_600_000, german), "7 Tagen");
    const french = translators.for("fr");
    assert.equal(describeDuration(60 * 60_000, french), "60 minutes");
    assert.equal(describeDuration(24 * 3_600_000, french), "24 heures");
    assert.equal(describeDuration(4 * 24 * 3_600_000, french), "4 jours");
  });
});

const APPLICANT_KINDS = kindNames.filter((name) => messageKinds[name].audience === "applicant");
const TOKEN_EXPIRY = "2025-04-02T14:05:09.000Z";

/** Every applicant kind with the payloads that change its words (optional parts on and off). */
function applicantVariants(name: string): { kind: MessageKindName; payload: unknown; link?: unknown }[] {
  const payloads = payloadsNaming("Grace Hopper") as Record<string, unknown>;
  return [
    ...APPLICANT_KINDS.map((kind) => ({ kind, payload: payloads[kind] })),
    { kind: "sign_in_link" as const, payload: {} },
    { kind: "applicant_reminder" as const, payload: { reminder: "more_information" } },
    {
      kind: "decision_approved" as const,
      payload: { applicantName: name, caseNumber: "VC-00042", registrationTokenExpiresAt: TOKEN_EXPIRY },
    },
    { kind: "decision_approved" as const, payload: payloads.decision_approved, link: undefined },
    {
      kind: "decision_rejected" as const,
      payload: { applicantName: name, caseNumber: "VC-00042", reason: null },
    },
    ...(["VIDEO_CALL", "EMAIL"] as const).map((consentKind) => ({
      kind: "submitted_on_behalf" as const,
      payload: { ...(payloads.submitted_on_behalf as object), consentKind },
    })),
  ];
}

function renderIn(
  language: string | null,
  variant: { kind: MessageKindName; payload: unknown; link?: unknown },
) {
  const link = "link" in variant ? variant.link : linkFor(variant.kind);
  return renderEmail(
    views,
    variant.kind,
    {
      recipient: "grace@example.org",
      payload: variant.payload,
      link: link as { url: string; expiresAt: Date } | undefined,
      language,
    },
    context,
  );
}

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

describe("applicant emails in the recipient's language", () => {
  test("the kinds written in the case's language are exactly those sent to applicants and their referees", () => {
    assert.deepEqual([...APPLICANT_KINDS].sort(), [
      "applicant_reminder",
      "application_received",
      "case_email_change_confirmation",
      "case_email_changed_notice",
      "case_invitation",
      "decision_approved",
      "decision_rejected",
      "email_confirmation",
      "more_information_requested",
      "reference_request",
      "registration_token_ready",
      "registration_token_revoked",
      "sign_in_link",
      "submitted_on_behalf",
      "withdrawal_confirmed",
    ]);
  });

  test("in the pseudo-language every word of every applicant email comes from the catalogs", async () => {
    const translators = await loadTranslators(context.languages);
    const pseudo = translators.for("en-XA");
    const knownValues = [
      "Grace Hopper",
      "VC-00042",
      REASON,
      context.siteName,
      context.communityName,
      "grace@example.org",
      pseudo.dateTime(TOKEN_EXPIRY),
      ...APPLICANT_KINDS.flatMap((kind) => {
        const link = linkFor(kind);
        return link ? [pseudo.dateTime(link.expiresAt)] : [];
      }),
    ];
    for (const variant of applicantVariants("Grace Hopper")) {
      const label = `${variant.kind} ${JSON.stringify(variant.payload)}`;
      const email = await renderIn("en-XA", variant);
      assert.equal(email.language, "en-XA", label);
      assert.equal(langOf(email.html), "en-XA", label);
      assert.deepEqual(plainWordsIn(email.subject, knownValues), [], `${label}: subject`);
      assert.deepEqual(plainWordsIn(email.text, knownValues), [], `${label}: text part`);
      assert.deepEqual(plainWordsIn(visibleTextOf(email.html), knownValues), [], `${label}: HTML part`);
    }
    // The check can fail: the same email in English is all plain words.
    const english = await renderIn("en", {
      kind: "application_received",
      payload: payloadsNaming("Ada").application_received,
    });
    assert.ok(plainWordsIn(english.text, knownValues).includes("received"));
  });

  for (const language of ["de", "fr"] as const) {
    test(`in ${language} no sentence of an applicant email is left in English`, async () => {
      for (const variant of applicantVariants("Grace Hopper")) {
        const label = `${variant.kind} ${JSON.stringify(variant.payload)}`;
        const [english, translated] = [await renderIn("en", variant), await renderIn(language, variant)];
        assert.equal(translated.language, language, label);
        assert.equal(langOf(translated.html), language, label);
        assert.notEqual(translated.subject, english.subject, label);
        // Every line of English prose (not a URL, not a value) must be gone from the translation.
        const englishLines = english.text
          .split("\n")
          .filter((line) => /\p{L}{3}/u.test(line) && !/^https?:\/\//.test(line) && line !== REASON);
        for (const line of englishLines) {
          assert.ok(!translated.text.includes(line), `${label}: "${line}" in the ${language} text part`);
          assert.ok(
            !visibleTextOf(translated.html).includes(line),
            `${label}: "${line}" in the ${language} HTML part`,
          );
        }
        assert.ok(!/\[|\]/.test(translated.text), `${label}: no pseudo-language`);
      }
    });
  }

  test("dates, durations and plural forms follow the language", async () => {
    const variant = {
      kind: "registration_token_ready" as const,
      payload: { personName: "Grete", registrationTokenExpiresAt: TOKEN_EXPIRY },
    };
    const german = await renderIn("de", variant);
    assert.equal(german.subject, "Ihre Einladung zu the community – Vetting Portal");
    assert.ok(
      german.text.includes(
        "Dieser Link funktioniert nur einmal und läuft in 7 Tagen ab, am 10. März 2025 um 14:05 UTC.",
      ),
    );
    assert.ok(
      german.text.includes("Der Code selbst funktioniert nur einmal und bis zum 2. April 2025 um 14:05 UTC."),
    );
    const french = await renderIn("fr", variant);
    assert.ok(
      french.text.includes(
        "Ce lien ne fonctionne qu’une fois et expire dans 7 jours, le 10 mars 2025 à 14:05 UTC.",
      ),
    );
    assert.ok(
      french.text.includes("Le jeton lui-même ne fonctionne qu’une fois, jusqu’au 2 avril 2025 à 14:05 UTC."),
    );
  });

  test("a translated message keeps a name with & and < as typed in text, escaped once in HTML", async () => {
    const email = await renderIn("fr", {
      kind: "case_invitation",
      payload: { applicantName: HOSTILE_NAME, agentName: HOSTILE_NAME, caseNumber: "VC-00042" },
    });
    assert.ok(email.text.includes(`Bonjour ${HOSTILE_NAME},`), email.text);
    assert.ok(email.text.includes(`${HOSTILE_NAME} a commencé pour vous une candidature`));
    assert.ok(email.html.includes(`Bonjour ${HOSTILE_NAME_IN_HTML},`));
    assert.ok(email.html.includes(`${HOSTILE_NAME_IN_HTML} a commencé pour vous une candidature`));
    assert.ok(!email.html.includes("<script>") && !email.html.includes("&amp;amp;"));
  });

  test("a language no longer offered gets the first offered one; staff emails stay in English", async () => {
    const frenchFirst = { ...context, languages: ["fr", "en"] as const };
    const input = {
      recipient: "grace@example.org",
      payload: { applicantName: "Ada", caseNumber: "VC-00042" },
    };
    for (const language of ["de", "tlh", null]) {
      const email = await renderEmail(views, "application_received", { ...input, language }, frenchFirst);
      assert.equal(email.language, "fr", String(language));
      assert.equal(email.subject, "Nous avons reçu votre candidature VC-00042 – Vetting Portal");
    }
    for (const name of kindNames.filter((kind) => messageKinds[kind].audience === "staff")) {
      const email = await renderEmail(
        views,
        name,
        {
          recipient: "grace@example.org",
          payload: payloadsNaming("Grace")[name],
          link: linkFor(name),
          language: "de",
        },
        frenchFirst,
      );
      assert.equal(email.language, "en", name);
      assert.equal(langOf(email.html), "en", name);
      assert.match(email.text, /will never ask you for your password by email/, name);
    }
  });
});
