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
import { isPlainText } from "../../domain/applicationFields.js";
import { badRequest, notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import {
  canListRegistrationTokens,
  canReissueRegistrationToken,
  canRevokeRegistrationToken,
} from "../../policies/registrationTokens.js";
import { authorize } from "../../policies/staff.js";
import {
  REGISTRATION_TOKEN_NOTICES,
  type RegistrationTokenNotice,
} from "../../presenters/notices/registrationTokens.js";
import {
  presentRegistrationTokensPage,
  presentTokenActionConfirmation,
  type TokenAction,
  tokenActionAlreadyDone,
} from "../../presenters/registrationTokensPage.js";
import { parseKeysetCursor, type TKeysetCursor } from "../../queries/keyset.js";
import { findRegistrationTokenPage, findRegistrationTokenRow } from "../../queries/registrationTokenList.js";
import {
  findPendingTokenRequests,
  findRecentlyClosedTokenRequests,
} from "../../queries/registrationTokenRequests.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { queryFields, readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { isUuid, uuidParam } from "../toolkit/params.js";

export const REGISTRATION_TOKENS_PAGE_SIZE = 50;

export const ZTokenRequestDecisionForm = z.object({
  decision: z.enum(["approve", "reject"], { error: "staff.validation.chooseTokenDecision" }),
  note: z
    .string()
    .trim()
    .max(1000, "staff.validation.max1000")
    .refine(isPlainText, "staff.validation.plainText")
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

/** What each action's step-up asks for, and the notice after it. */
const ACTIONS = {
  revoke: { stepUp: "staff.stepUp.action.revokeToken", done: "revoked" },
  reissue: { stepUp: "staff.stepUp.action.reissueToken", done: "reissued" },
} as const satisfies Record<TokenAction, { stepUp: string; done: RegistrationTokenNotice }>;

const NO_SUCH_TOKEN = "staff.tokens.noSuchToken";
const NO_SUCH_REQUEST = "staff.tokens.noSuchRequest";

function redirectWithNotice(ctx: Context, notice: RegistrationTokenNotice): void {
  ctx.status = 303;
  ctx.redirect(urls.staffRegistrationTokens(`done=${notice}`));
}

/** The page to start from (`?before=`), or null for the newest tokens; a damaged cursor is a 400. */
function readCursor(ctx: Context): TKeysetCursor<string> | null {
  const { before } = queryFields(ctx, ["before"]);
  if (!before) return null;
  const cursor = parseKeysetCursor(before);
  if (!cursor || !isUuid(cursor.id)) {
    throw badRequest("staff.tokens.damagedLink");
  }
  return cursor;
}

export function registrationTokenRoutes(deps: AppDependencies): Router {
  const router = new Router();
  // One admin client and one status cache per app, shared with the case page (matrix/homeserver.ts).
  const { homeserver } = deps;
  const matrixLogger = deps.logger.child({ category: "matrix" });
  const synapse = homeserver?.synapse ?? null;
  const statusSource = homeserver?.status ?? null;
  const commandDeps: RegistrationTokenCommandDependencies = { db: deps.db, config: deps.config, synapse };
  const stepUp = requireRecentSecondFactor(deps);

  /** The signed-in person, when they may see the tokens page; else 403. */
  function tokenAdmin(ctx: Context): SignedInStaff {
    const staff = signedInStaff(ctx);
    authorize(canListRegistrationTokens(staff));
    return staff;
  }

  router.get("/registration-tokens", async (ctx) => {
    const staff = tokenAdmin(ctx);
    const after = readCursor(ctx);
    await renderTokensPage(ctx, staff, { after, notice: noticeFrom(ctx, REGISTRATION_TOKEN_NOTICES) });
  });

  const stepUpToDecide = stepUp("staff.stepUp.action.decideTokenRequest");
  router.post("/registration-tokens/requests/:id/decision", stepUpToDecide, async (ctx) => {
    const staff = tokenAdmin(ctx);
    const requestId = uuidParam(ctx, "id", NO_SUCH_REQUEST);
    const form = readForm(ctx, ZTokenRequestDecisionForm, ["decision", "note"]);
    const typedNote = form.values.note.slice(0, 2000);
    if (!form.isValid) {
      const { errors } = form;
      const message = errors.note ?? errors.decision ?? "staff.validation.checkForm";
      return renderTokensPage(ctx, staff, {
        problem: { requestId, message, note: typedNote, ...(errors.note ? { noteError: errors.note } : {}) },
        status: 422,
      });
    }
    // Decided or withdrawn meanwhile (a lost race), or approving switched off: said on the page.
    const decided = await orShowRefusal(
      () =>
        decideRegistrationTokenRequest(deps.db, deps.config, {
          requestId,
          decision: form.data.decision,
          note: form.data.note,
          decider: staff,
          audit: auditActorFor(ctx, staff),
        }),
      (message, status) =>
        renderTokensPage(ctx, staff, { problem: { requestId, message, note: typedNote }, status }),
    );
    if (!decided.isDone) return;
    redirectWithNotice(ctx, form.data.decision === "approve" ? "approved" : "rejected");
  });

  router.post("/registration-tokens/requests/:id/cancel", async (ctx) => {
    const staff = tokenAdmin(ctx);
    const requestId = uuidParam(ctx, "id", NO_SUCH_REQUEST);
    const cancelled = await orShowRefusal(
      () =>
        cancelRegistrationTokenRequest(deps.db, {
          requestId,
          actor: staff,
          audit: auditActorFor(ctx, staff),
        }),
      (message, status) => renderTokensPage(ctx, staff, { problem: { requestId, message }, status }),
    );
    if (!cancelled.isDone) return;
    redirectWithNotice(ctx, "cancelled");
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
    const [tokens, pending, closed] = await Promise.all([
      findRegistrationTokenPage(deps.db, after, REGISTRATION_TOKENS_PAGE_SIZE),
      findPendingTokenRequests(deps.db),
      findRecentlyClosedTokenRequests(deps.db),
    ]);
    // Asked only when a row needs it (a created token); at most one list call for the whole page.
    const needsHomeserver = tokens.rows.some((row) => row.state === "CREATED");
    const snapshot = statusSource && needsHomeserver ? await statusSource.snapshot() : null;
    const status = view.status ?? 200;
    ctx.status = status;
    await ctx.render("staff/registration-tokens/index.njk", {
      notice: view.notice ?? null,
      problem: view.problem ?? null,
      ...presentRegistrationTokensPage(staff, {
        tokens,
        after,
        snapshot,
        needsHomeserver,
        pending,
        closed,
        isFeatureOn: synapse !== null,
        isStandaloneOn: deps.config.standaloneTokens !== "off",
        approvalRefusal: approvalRefusalFor(deps.config),
      }),
    });
    ctx.status = status;
  }

  for (const action of ["revoke", "reissue"] as const) {
    async function loadAuthorized(ctx: Context) {
      const staff = tokenAdmin(ctx);
      const row = await findRegistrationTokenRow(deps.db, uuidParam(ctx, "id", NO_SUCH_TOKEN));
      if (!row) throw notFound(NO_SUCH_TOKEN);
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
      ctx.status = status;
      await ctx.render(
        "staff/registration-tokens/confirm.njk",
        presentTokenActionConfirmation(action, page.staff, page.row, {
          isFeatureOn: synapse !== null,
          isAllowed: page.isAllowed,
          refusal,
        }),
      );
      ctx.status = status;
    }

    router.get(`/registration-tokens/:id/${action}`, async (ctx) => {
      const page = await loadAuthorized(ctx);
      const refusal = !synapse ? FEATURE_OFF_MESSAGE : page.isAllowed ? null : tokenActionAlreadyDone(action);
      await renderConfirmation(ctx, page, refusal, 200);
    });

    router.post(`/registration-tokens/:id/${action}`, stepUp(ACTIONS[action].stepUp), async (ctx) => {
      const page = await loadAuthorized(ctx);
      if (!synapse) return renderConfirmation(ctx, page, FEATURE_OFF_MESSAGE, 409);
      const options = { registrationTokenId: page.row.id, audit: auditActorFor(ctx, page.staff) };
      try {
        // Someone else acted first (409): said on the same page, as it is now.
        const done = await orShowRefusal(
          async () => {
            if (action === "revoke") {
              await revokeRegistrationToken(commandDeps, { ...options, revokedBy: page.staff });
            } else {
              await reissueRegistrationToken(commandDeps, { ...options, issuer: page.staff });
            }
          },
          async (message, status) => renderConfirmation(ctx, await loadAuthorized(ctx), message, status),
        );
        if (!done.isDone) return;
      } catch (error) {
        // The homeserver failed: nothing changed, and the same page says why.
        if (!(error instanceof HomeserverRefusedError)) throw error;
        matrixLogger.warn(
          { registrationTokenId: page.row.id, action, err: error.message },
          "homeserver refused",
        );
        return renderConfirmation(ctx, await loadAuthorized(ctx), error.message, 502);
      } finally {
        // Whatever happened, this instance's next view asks the homeserver afresh.
        statusSource?.invalidate();
      }
      redirectWithNotice(ctx, ACTIONS[action].done);
    });
  }

  return router;
}
