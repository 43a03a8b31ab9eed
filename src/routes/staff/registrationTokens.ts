// The tokens page (inviting admins and up), mounted under /staff:
//   GET  /registration-tokens                every token the portal issued, newest first, with its case or
//                                            person, who created it and when, its expiry and live status
//                                            (one list call to the homeserver per view at most, cached)
//   GET  /registration-tokens/:id/revoke     the confirmation page; POST revokes (homeserver first)
//   GET  /registration-tokens/:id/reissue    the confirmation page; POST revokes and issues a new one
//   POST /registration-tokens/requests/:id/decision  approve (mint the token, email the person) or reject
//                                            a standalone token request, with an optional note (another
//                                            inviting admin and up, never the requester)
//   POST /registration-tokens/requests/:id/cancel    the requester withdraws it
// Deciding a request, revoking and re-issuing are sensitive: a step-up first when the last second
// factor is older than STEP_UP_MINUTES.
// The page lists the requests waiting for a second admin above the tokens, and those rejected or
// withdrawn lately. A decision that lost a race, or a note too long, shows the page again with why.
// With no homeserver configured the page says so plainly and offers no actions on tokens; with either
// that or STANDALONE_TOKENS=off, requests can be rejected or withdrawn but not approved. The standalone
// form (/registration-tokens/new) is routes/staff/issueRegistrationToken.ts.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { cancelRegistrationTokenRequest } from "../../commands/registrationTokens/cancelRegistrationTokenRequest.js";
import {
  approvalRefusalFor,
  decideRegistrationTokenRequest,
} from "../../commands/registrationTokens/decideRegistrationTokenRequest.js";
import { reissueRegistrationToken } from "../../commands/registrationTokens/reissueRegistrationToken.js";
import {
  FEATURE_OFF_MESSAGE,
  HomeserverRefusedError,
  type RegistrationTokenCommandDependencies,
  revokeRegistrationToken,
} from "../../commands/registrationTokens/revokeRegistrationToken.js";
import { fieldErrors, isPlainText } from "../../domain/applicationFields.js";
import { badRequest, HttpError, notFound } from "../../errors.js";
import { homeserverFor } from "../../matrix/homeserver.js";
import { liveStatusOf } from "../../matrix/registrationTokenStatus.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import {
  canListRegistrationTokens,
  canReissueRegistrationToken,
  canRequestStandaloneToken,
  canRevokeRegistrationToken,
} from "../../policies/registrationTokens.js";
import { authorize } from "../../policies/staff.js";
import {
  presentClosedTokenRequest,
  presentPendingTokenRequest,
  presentRegistrationTokenRow,
} from "../../presenters/registrationTokens.js";
import { encodeKeysetCursor, parseKeysetCursor, type TKeysetCursor } from "../../queries/keyset.js";
import { findRegistrationTokenPage, findRegistrationTokenRow } from "../../queries/registrationTokenList.js";
import {
  CLOSED_REQUESTS_DAYS,
  findPendingTokenRequests,
  findRecentlyClosedTokenRequests,
} from "../../queries/registrationTokenRequests.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";

export const REGISTRATION_TOKENS_PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const NOTICES: Record<string, string> = {
  revoked: "The token was revoked on the homeserver, and the person was told by email.",
  reissued:
    "The old token was revoked and a new one is being created. The person will get an email with a link that shows it to them once.",
  approved:
    "The request was approved. The token is being created, and the person will get an email with a link that shows it to them once.",
  rejected: "The request was rejected. No token was made, and the person is not emailed.",
  cancelled: "Your request was withdrawn. No token was made.",
};

export const ZTokenRequestDecisionForm = z.object({
  decision: z.enum(["approve", "reject"], { error: "Choose whether to approve or reject the request." }),
  note: z
    .string()
    .trim()
    .max(1000, "Use at most 1000 characters.")
    .refine(isPlainText, "Use plain text only.")
    .optional()
    .transform((note) => (note ? note : null)),
});

/** The request form shown again with why it did not go through (a note too long, a lost race). */
interface RequestProblem {
  requestId: string;
  message: string;
  /** The note as typed, and its message when the note itself was the problem. */
  note?: string;
  noteError?: string;
}

const ACTIONS = {
  revoke: {
    title: "Revoke this registration token?",
    explanation:
      "The token is deleted on the homeserver at once: nobody can register with it any more, even with a link already emailed. The person is told by email.",
    button: "Revoke the token",
    done: "revoked",
    stepUp: "revoke this registration token",
  },
  reissue: {
    title: "Re-issue this registration token?",
    explanation:
      "The current token is deleted on the homeserver, and a new one is created for the same person. They get an email with a new one-time link to it.",
    button: "Revoke it and issue a new one",
    done: "reissued",
    stepUp: "re-issue this registration token",
  },
} as const;

function firstValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

function tokenIdFrom(ctx: Context): string {
  const id = ctx.params.id ?? "";
  if (!UUID.test(id)) throw notFound("There is no such registration token.");
  return id;
}

function requestIdFrom(ctx: Context): string {
  const id = ctx.params.id ?? "";
  if (!UUID.test(id)) throw notFound("There is no such request.");
  return id;
}

export function registrationTokenRoutes(deps: AppDependencies): Router {
  const router = new Router();
  // One admin client and one status cache per app, shared with the case page (matrix/homeserver.ts).
  const homeserver = homeserverFor(deps.config, deps.logger);
  const matrixLogger = deps.logger.child({ category: "matrix" });
  const synapse = homeserver?.synapse ?? null;
  const statusSource = homeserver?.status ?? null;
  const commandDeps: RegistrationTokenCommandDependencies = { db: deps.db, config: deps.config, synapse };
  const stepUp = requireRecentSecondFactor(deps);

  router.get("/registration-tokens", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canListRegistrationTokens(staff));
    const before = firstValue(ctx.query.before);
    const after = before ? parseKeysetCursor(before) : null;
    if (before && (!after || !UUID.test(after.id))) {
      throw badRequest("This page link is damaged. Go back to the newest tokens and page from there.");
    }
    await renderTokensPage(ctx, staff, { after, notice: NOTICES[firstValue(ctx.query.done)] ?? null });
  });

  const stepUpToDecide = stepUp("decide this token request");
  router.post("/registration-tokens/requests/:id/decision", stepUpToDecide, async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canListRegistrationTokens(staff));
    const requestId = requestIdFrom(ctx);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const typedNote = typeof body.note === "string" ? body.note.slice(0, 2000) : "";
    const parsed = ZTokenRequestDecisionForm.safeParse(body);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      const message = errors.note ?? errors.decision ?? "Check the form.";
      return renderTokensPage(ctx, staff, {
        problem: { requestId, message, note: typedNote, ...(errors.note ? { noteError: errors.note } : {}) },
        status: 422,
      });
    }
    try {
      await decideRegistrationTokenRequest(deps.db, deps.config, {
        requestId,
        decision: parsed.data.decision,
        note: parsed.data.note,
        decider: staff,
        audit: auditActorFor(ctx, staff),
      });
    } catch (error) {
      // Decided or withdrawn meanwhile (a lost race), or approving switched off: said on the page.
      if (error instanceof HttpError && error.status === 409) {
        return renderTokensPage(ctx, staff, {
          problem: { requestId, message: error.message, note: typedNote },
          status: 409,
        });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(
      urls.staffRegistrationTokens(`done=${parsed.data.decision === "approve" ? "approved" : "rejected"}`),
    );
  });

  router.post("/registration-tokens/requests/:id/cancel", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canListRegistrationTokens(staff));
    const requestId = requestIdFrom(ctx);
    try {
      await cancelRegistrationTokenRequest(deps.db, {
        requestId,
        actor: staff,
        audit: auditActorFor(ctx, staff),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderTokensPage(ctx, staff, { problem: { requestId, message: error.message }, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(urls.staffRegistrationTokens("done=cancelled"));
  });

  /** The tokens page: waiting requests, recently closed ones, and a page of tokens (the newest first). */
  async function renderTokensPage(
    ctx: Context,
    staff: SignedInStaff,
    view: {
      after?: TKeysetCursor<string> | null;
      notice?: string | null;
      problem?: RequestProblem;
      status?: number;
    },
  ): Promise<void> {
    const after = view.after ?? null;
    const [page, pending, closed] = await Promise.all([
      findRegistrationTokenPage(deps.db, after, REGISTRATION_TOKENS_PAGE_SIZE),
      findPendingTokenRequests(deps.db),
      findRecentlyClosedTokenRequests(deps.db),
    ]);
    // Asked only when a row needs it (a created token); at most one list call for the whole page.
    const needsHomeserver = page.rows.some((row) => row.state === "CREATED");
    const snapshot = statusSource && needsHomeserver ? await statusSource.snapshot() : null;
    const now = new Date();
    const tokens = page.rows.map((row) => {
      const tokenView = presentRegistrationTokenRow(row, liveStatusOf(row, snapshot, now), staff);
      // Without a homeserver nothing can be revoked or re-issued.
      return synapse ? tokenView : { ...tokenView, can: { revoke: false, reissue: false } };
    });
    const approvalRefusal = approvalRefusalFor(deps.config);
    const status = view.status ?? 200;
    ctx.status = status;
    await ctx.render("staff/registration-tokens/index.njk", {
      isFeatureOn: synapse !== null,
      isHomeserverUnavailable: needsHomeserver && synapse !== null && snapshot === null,
      notice: view.notice ?? null,
      problem: view.problem ?? null,
      tokens,
      requests: {
        pending: pending.rows.map((row) => presentPendingTokenRequest(row, staff, approvalRefusal)),
        pendingTotal: pending.total,
        closed: closed.map(presentClosedTokenRequest),
        closedDays: CLOSED_REQUESTS_DAYS,
        // Said once above the requests, when there are some to approve.
        approvalRefusal: pending.rows.length > 0 ? approvalRefusal : null,
      },
      can: {
        requestStandalone:
          synapse !== null && deps.config.standaloneTokens !== "off" && canRequestStandaloneToken(staff),
      },
      links: {
        staffHome: urls.staffHome(),
        requestStandalone: urls.staffRegistrationTokenNew(),
        older: page.next
          ? urls.staffRegistrationTokens(`before=${encodeURIComponent(encodeKeysetCursor(page.next))}`)
          : null,
        newest: after ? urls.staffRegistrationTokens() : null,
      },
    });
    ctx.status = status;
  }

  for (const action of ["revoke", "reissue"] as const) {
    async function loadAuthorized(ctx: Context) {
      const staff = signedInStaff(ctx);
      authorize(canListRegistrationTokens(staff));
      const row = await findRegistrationTokenRow(deps.db, tokenIdFrom(ctx));
      if (!row) throw notFound("There is no such registration token.");
      const isAllowed =
        action === "revoke"
          ? canRevokeRegistrationToken(staff, row)
          : canReissueRegistrationToken(staff, { state: row.state, isReplaced: row.replacedBy !== null });
      return { staff, row, isAllowed };
    }

    async function renderConfirmation(
      ctx: Context,
      page: Awaited<ReturnType<typeof loadAuthorized>>,
      refusal: string | null,
      status: number,
    ): Promise<void> {
      const token = presentRegistrationTokenRow(page.row, liveStatusOf(page.row, null), page.staff);
      ctx.status = status;
      await ctx.render("staff/registration-tokens/confirm.njk", {
        ...ACTIONS[action],
        action,
        token,
        refusal,
        // A refusal that an attempt cannot fix (already revoked, already replaced) hides the button.
        canConfirm: synapse !== null && page.isAllowed && !(action === "reissue" && token.isErased),
        links: {
          tokens: urls.staffRegistrationTokens(),
          confirm: urls.staffRegistrationTokenAction(page.row.id, action),
        },
      });
      ctx.status = status;
    }

    router.get(`/registration-tokens/:id/${action}`, async (ctx) => {
      const page = await loadAuthorized(ctx);
      const refusal = !synapse
        ? FEATURE_OFF_MESSAGE
        : !page.isAllowed
          ? action === "revoke"
            ? "This token is already revoked."
            : "This token was already re-issued; see the newer one."
          : null;
      await renderConfirmation(ctx, page, refusal, 200);
    });

    router.post(`/registration-tokens/:id/${action}`, stepUp(ACTIONS[action].stepUp), async (ctx) => {
      const page = await loadAuthorized(ctx);
      if (!synapse) return renderConfirmation(ctx, page, FEATURE_OFF_MESSAGE, 409);
      const options = { registrationTokenId: page.row.id, audit: auditActorFor(ctx, page.staff) };
      try {
        if (action === "revoke") {
          await revokeRegistrationToken(commandDeps, { ...options, revokedBy: page.staff });
        } else {
          await reissueRegistrationToken(commandDeps, { ...options, issuer: page.staff });
        }
      } catch (error) {
        // The homeserver failed (nothing changed), or someone else acted first: say so on the same page.
        if (error instanceof HomeserverRefusedError) {
          matrixLogger.warn(
            { registrationTokenId: page.row.id, action, err: error.message },
            "homeserver refused",
          );
          return renderConfirmation(ctx, await loadAuthorized(ctx), error.message, 502);
        }
        if (error instanceof HttpError && error.status === 409) {
          return renderConfirmation(ctx, await loadAuthorized(ctx), error.message, 409);
        }
        throw error;
      } finally {
        // Whatever happened, this instance's next view asks the homeserver afresh.
        statusSource?.invalidate();
      }
      ctx.status = 303;
      ctx.redirect(urls.staffRegistrationTokens(`done=${ACTIONS[action].done}`));
    });
  }

  return router;
}
