import assert from "node:assert/strict";
import { describe, test } from "node:test";
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
import { describeDuration } from "./render.js";

const views = testViews();
const now = new Date("2025-03-03T14:05:09Z");
const context: RenderContext = {
  siteName: "Vetting Portal",
  communityName: "the community",
  publicUrl: new URL("https://vetting.example.org"),
  now,
};
const HOSTILE_NAME = `<script>alert(1)</script> & "Bob"`;
const HOSTILE_NAME_IN_HTML = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;";

/** A valid payload for every kind, with `name` in every name field. */
function payloadsNaming(name: string): { [Name in MessageKindName]: MessagePayload<Name> } {
  return {
    email_confirmation: { applicantName: name },
    sign_in_link: { applicantName: name },
    staff_invitation: { inviteeName: name, inviterName: name, roleLabel: name },
    password_reset: { staffName: name },
    test_message: {},
    superadmin_welcome: { name },
    account_blocked: { staffName: name, blockedFor: "1 hour" },
  };
}

const kindNames = Object.keys(messageKinds) as MessageKindName[];

/** The link the outbox would pass: absolute under PUBLIC_URL, expiring after the kind's lifetime. */
function linkFor(kindName: MessageKindName, token = "dGVzdC10b2tlbg_-") {
  const link = findMessageKind(kindName)?.link;
  if (!link) return undefined;
  return {
    url: new URL(link.path(token), context.publicUrl).toString(),
    expiresAt: new Date(now.getTime() + link.lifetimeMs),
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
      "email_confirmation",
      "password_reset",
      "sign_in_link",
      "staff_invitation",
      "superadmin_welcome",
      "test_message",
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
          link && { purpose: link.purpose, lifetimeMs: link.lifetimeMs, path: link.path("a/b?c") },
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
      account_blocked: {
        purpose: "password_reset",
        lifetimeMs: 30 * minutes,
        path: "/staff/password-reset/a%2Fb%3Fc",
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
      email_confirmation: "This link works once and expires in 24 hours (at 14:05 UTC on 4 March 2025).",
      sign_in_link: "This link works once and expires in 15 minutes (at 14:20 UTC on 3 March 2025).",
      staff_invitation: "This link works once and expires in 72 hours (at 14:05 UTC on 6 March 2025).",
      password_reset: "This link works once and expires in 30 minutes (at 14:35 UTC on 3 March 2025).",
      account_blocked: "This link works once and expires in 30 minutes (at 14:35 UTC on 3 March 2025).",
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
    assert.ok(email.text.includes("expires in 1 minute (at 14:06 UTC on 3 March 2025)"));
  });

  test("a hostile name arrives as visible text: escaped in HTML, literal in text, in every kind", async () => {
    for (const name of kindNames) {
      if (name === "test_message") continue;
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
  test("uses the unit people would use", () => {
    assert.equal(describeDuration(30_000), "1 minute");
    assert.equal(describeDuration(30 * 60_000), "30 minutes");
    assert.equal(describeDuration(29 * 60_000 + 59_000), "30 minutes");
    assert.equal(describeDuration(24 * 3_600_000), "24 hours");
    assert.equal(describeDuration(72 * 3_600_000), "72 hours");
    assert.equal(describeDuration(7 * 24 * 3_600_000), "7 days");
  });
});
