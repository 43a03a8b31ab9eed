// The invitation link: choose a password, enrol the authenticator, land signed in.
//
// GET shows the form and changes nothing (mail scanners that prefetch links consume nothing). The
// authenticator secret is made on GET and travels in a hidden field, sealed (AES-256-GCM under our
// key) together with the invitation's id: the browser can neither read nor forge it, and a sealed
// secret from another invitation does not open here. A form with mistakes is shown again with the
// same secret, so the entry already added to the authenticator app keeps working. POST consumes the
// link in the transaction that activates the account, then shows the recovery codes once.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { acceptInvitation, InvitationLinkUnusableError } from "../../commands/staff/acceptInvitation.js";
import { hashPassword, newPasswordProblems, PASSWORD_MAX_LENGTH } from "../../domain/password.js";
import { matchTotpCode, newTotpSecret } from "../../domain/totp.js";
import { notFound } from "../../errors.js";
import { ROLE_LABELS } from "../../policies/staff.js";
import { presentTotpEnrolment } from "../../presenters/totpEnrolment.js";
import { openSecretWithRing, sealSecret, totpKeyring } from "../../secrets.js";
import {
  newOidcCookieValue,
  OidcProviderUnavailable,
  oidcCookieBinding,
  startOidcRequest,
} from "../../security/oidc.js";
import { setSessionCookie } from "../../sessions.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";
import { setSsoCookie } from "../toolkit/ssoCookie.js";

export const ZAcceptInvitationForm = z.object({
  password: z
    .string()
    .min(1, "Choose a password.")
    .max(PASSWORD_MAX_LENGTH * 4, "Use at most 128 characters."),
  passwordConfirmation: z.string().max(PASSWORD_MAX_LENGTH * 4),
  code: z.string().trim().max(20).default(""),
  sealedTotpSecret: z.string().max(500).default(""),
});

type FieldErrors = Partial<Record<"password" | "passwordConfirmation" | "code" | "sso", string>>;
type LinkProblem = "unknown" | "expired" | "used" | "withdrawn";

interface Invitee {
  invitationId: string;
  staffUserId: string;
  name: string;
  email: string;
  roleLabel: string;
}

export function invitationLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const totpKey = deps.config.staff.totpKey;

  router.get("/staff/invitation/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const found = await findInvitee(deps, ctx.params.token ?? "");
    if ("problem" in found) return renderInvalid(ctx, found.problem);
    const secret = newTotpSecret();
    await renderForm(
      ctx,
      deps,
      found.invitee,
      secret,
      sealSecret(totpKey, sealedValue(found.invitee, secret)),
      {},
    );
  });

  router.post("/staff/invitation/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const token = ctx.params.token ?? "";
    const found = await findInvitee(deps, token);
    if ("problem" in found) return renderInvalid(ctx, found.problem);
    const { invitee } = found;

    const form = readForm(ctx, ZAcceptInvitationForm, [
      "password",
      "passwordConfirmation",
      "code",
      "sealedTotpSecret",
    ]);
    const sealed = form.isValid ? form.data.sealedTotpSecret : "";
    const secret = openSealedSecret(totpKeyring(deps.config.staff), sealed, invitee);
    if (!form.isValid || secret === null) {
      // Not what our form sends: start the enrolment again with a fresh secret.
      const freshSecret = newTotpSecret();
      ctx.status = 422;
      return renderForm(
        ctx,
        deps,
        invitee,
        freshSecret,
        sealSecret(totpKey, sealedValue(invitee, freshSecret)),
        {
          code: "The form was incomplete. Add this new key to your authenticator app, then try again.",
        },
      );
    }

    const errors: FieldErrors = newPasswordProblems(form.data, invitee);
    const totpStep = matchTotpCode(secret, form.data.code, null);
    if (totpStep === null) {
      errors.code = form.data.code
        ? "That code is not right. Enter the 6-digit code your app shows now."
        : "Enter the 6-digit code from your authenticator app.";
    }
    if (Object.keys(errors).length > 0 || totpStep === null) {
      ctx.status = 422;
      return renderForm(ctx, deps, invitee, secret, sealed, errors);
    }

    let accepted: Awaited<ReturnType<typeof acceptInvitation>>;
    try {
      accepted = await acceptInvitation(deps.db, {
        config: deps.config,
        token,
        passwordHash: await hashPassword(form.data.password),
        totpSecret: secret,
        totpStep,
        replacingSessionId: ctx.state.session?.id ?? null,
        audit: auditActorFor(ctx, null, invitee.email),
      });
    } catch (error) {
      if (error instanceof InvitationLinkUnusableError) {
        const again = await findInvitee(deps, token);
        return renderInvalid(ctx, "problem" in again ? again.problem : "used");
      }
      throw error;
    }
    setSessionCookie(ctx, deps.config, accepted.sessionToken);
    // The page is shown once, as the answer to this POST: the codes exist nowhere else in clear.
    await ctx.render("links/invitation-done.njk", {
      name: invitee.name,
      recoveryCodes: accepted.recoveryCodes,
      staffHomeUrl: urls.staffHome(),
    });
  });

  // Linking the single sign-on identity instead of a password and an authenticator: the link is only
  // inspected here; the answer from the provider consumes it (routes/staff/oidcSignIn.ts).
  router.post("/staff/invitation/:token/sso", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const settings = deps.config.oidc;
    if (!settings) throw notFound();
    const token = ctx.params.token ?? "";
    const found = await findInvitee(deps, token);
    if ("problem" in found) return renderInvalid(ctx, found.problem);
    const cookieValue = newOidcCookieValue();
    let authorizationUrl: URL;
    try {
      authorizationUrl = await startOidcRequest(deps.db, deps.config, settings, {
        purpose: "link_invitation",
        binding: oidcCookieBinding(cookieValue),
        staffUserId: found.invitee.staffUserId,
        linkTokenSealed: sealSecret(totpKey, token),
      });
    } catch (error) {
      if (!(error instanceof OidcProviderUnavailable)) throw error;
      deps.logger.warn(
        { err: error.message, requestId: ctx.state.requestId },
        "single sign-on provider unreachable",
      );
      const secret = newTotpSecret();
      ctx.status = 503;
      return renderForm(
        ctx,
        deps,
        found.invitee,
        secret,
        sealSecret(totpKey, sealedValue(found.invitee, secret)),
        {
          sso: `${settings.displayName} is not answering just now. Try again in a few minutes, or choose a password below.`,
        },
      );
    }
    setSsoCookie(ctx, deps, cookieValue);
    ctx.status = 303;
    ctx.redirect(authorizationUrl.href);
  });

  return router;
}

function sealedValue(invitee: Invitee, secret: string): string {
  return `${invitee.invitationId}:${secret}`;
}

/** The secret sealed for this invitation, or null when the field was altered or belongs elsewhere. */
function openSealedSecret(keys: readonly Buffer[], sealed: string, invitee: Invitee): string | null {
  if (!sealed) return null;
  try {
    const [invitationId, secret] = openSecretWithRing(keys, sealed).plaintext.split(":");
    return invitationId === invitee.invitationId && secret ? secret : null;
  } catch {
    return null;
  }
}

/** The invitation a link opens, or why it opens nothing. Read-only. */
async function findInvitee(
  deps: AppDependencies,
  token: string,
): Promise<{ invitee: Invitee } | { problem: LinkProblem }> {
  const link = await inspectLinkToken(deps.db, "staff_invitation", token);
  if (link.status !== "valid") return { problem: link.status };
  if (link.subject?.type !== "staff_invitation") return { problem: "unknown" };
  const invitation = await deps.db.staffInvitation.findUnique({
    where: { id: link.subject.id },
    select: {
      id: true,
      status: true,
      invitee: { select: { id: true, name: true, email: true, role: true, status: true } },
    },
  });
  if (invitation?.status !== "SENT" || invitation.invitee.status !== "INVITED")
    return { problem: "withdrawn" };
  return {
    invitee: {
      invitationId: invitation.id,
      staffUserId: invitation.invitee.id,
      name: invitation.invitee.name,
      email: invitation.invitee.email,
      roleLabel: ROLE_LABELS[invitation.invitee.role],
    },
  };
}

async function renderForm(
  ctx: Context,
  deps: AppDependencies,
  invitee: Invitee,
  secret: string,
  sealed: string,
  errors: FieldErrors,
): Promise<void> {
  const status = ctx.status === 422 || ctx.status === 503 ? ctx.status : 200;
  await ctx.render("links/invitation.njk", {
    invitee,
    totp: await presentTotpEnrolment({
      secret,
      accountName: invitee.email,
      issuer: deps.config.site.name,
      sealed,
    }),
    errors,
    ssoUrl: deps.config.oidc ? urls.staffInvitationSso(ctx.params.token ?? "") : null,
  });
  ctx.status = status;
}

async function renderInvalid(ctx: Context, problem: LinkProblem): Promise<void> {
  ctx.status = 404;
  await ctx.render("links/invitation-invalid.njk", { problem });
  ctx.status = 404;
}
