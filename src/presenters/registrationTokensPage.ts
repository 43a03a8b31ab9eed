// The registration tokens page (staff/registration-tokens/index.njk) and its revoke and re-issue
// confirmation pages (confirm.njk), from the rows presented in registrationTokens.ts.
import { type HomeserverSnapshot, liveStatusOf } from "../matrix/registrationTokenStatus.js";
import { canRequestStandaloneToken } from "../policies/registrationTokens.js";
import type { Actor } from "../policies/staff.js";
import { encodeKeysetCursor, type TKeysetCursor } from "../queries/keyset.js";
import type { RegistrationTokenListRow } from "../queries/registrationTokenList.js";
import { CLOSED_REQUESTS_DAYS, type TokenRequestRow } from "../queries/registrationTokenRequests.js";
import { urls } from "../urls.js";
import {
  presentClosedTokenRequest,
  presentPendingTokenRequest,
  presentRegistrationTokenRow,
} from "./registrationTokens.js";

/**
 * The tokens page (staff/registration-tokens/index.njk): the requests waiting for a second admin, those
 * closed lately, and one page of tokens with their live status. Without a homeserver nothing can be
 * revoked or re-issued.
 */
export function presentRegistrationTokensPage(
  viewer: Actor,
  page: {
    tokens: { rows: RegistrationTokenListRow[]; next: TKeysetCursor<string> | null };
    /** Where this page starts: null for the newest tokens. */
    after: TKeysetCursor<string> | null;
    /** The homeserver's list of tokens, when it was asked and answered. */
    snapshot: HomeserverSnapshot | null;
    /** Whether a row needed the homeserver's answer (a created token). */
    needsHomeserver: boolean;
    pending: { rows: TokenRequestRow[]; total: number };
    closed: TokenRequestRow[];
    isFeatureOn: boolean;
    isStandaloneOn: boolean;
    /** Why no request can be approved now (approvalRefusalFor), or null. */
    approvalRefusal: string | null;
  },
  now = new Date(),
) {
  const tokens = page.tokens.rows.map((row) => {
    const tokenView = presentRegistrationTokenRow(row, liveStatusOf(row, page.snapshot, now), viewer);
    return page.isFeatureOn ? tokenView : { ...tokenView, can: { revoke: false, reissue: false } };
  });
  return {
    isFeatureOn: page.isFeatureOn,
    isHomeserverUnavailable: page.needsHomeserver && page.isFeatureOn && page.snapshot === null,
    tokens,
    requests: {
      pending: page.pending.rows.map((row) => presentPendingTokenRequest(row, viewer, page.approvalRefusal)),
      pendingTotal: page.pending.total,
      closed: page.closed.map(presentClosedTokenRequest),
      closedDays: CLOSED_REQUESTS_DAYS,
      // Said once above the requests, when there are some to approve.
      approvalRefusal: page.pending.rows.length > 0 ? page.approvalRefusal : null,
    },
    can: {
      requestStandalone: page.isFeatureOn && page.isStandaloneOn && canRequestStandaloneToken(viewer),
    },
    links: {
      staffHome: urls.staffHome(),
      requestStandalone: urls.staffRegistrationTokenNew(),
      older: page.tokens.next
        ? urls.staffRegistrationTokens(`before=${encodeURIComponent(encodeKeysetCursor(page.tokens.next))}`)
        : null,
      newest: page.after ? urls.staffRegistrationTokens() : null,
    },
  };
}

export type TokenAction = "revoke" | "reissue";

/** What each confirmation page says (catalog ids, which the page translates). */
const TOKEN_ACTION_TEXTS = {
  revoke: {
    title: "staff.tokens.revokeConfirm.title",
    explanation: "staff.tokens.revokeConfirm.explanation",
    button: "staff.tokens.revokeConfirm.button",
    alreadyDone: "staff.tokens.revokeConfirm.alreadyDone",
  },
  reissue: {
    title: "staff.tokens.reissueConfirm.title",
    explanation: "staff.tokens.reissueConfirm.explanation",
    button: "staff.tokens.reissueConfirm.button",
    alreadyDone: "staff.tokens.reissueConfirm.alreadyDone",
  },
} as const satisfies Record<TokenAction, Record<string, string>>;

/** Why the confirmation page offers no button for a token already revoked, or already replaced. */
export function tokenActionAlreadyDone(action: TokenAction): string {
  return TOKEN_ACTION_TEXTS[action].alreadyDone;
}

/** The revoke or re-issue confirmation page (staff/registration-tokens/confirm.njk). */
export function presentTokenActionConfirmation(
  action: TokenAction,
  viewer: Actor,
  row: RegistrationTokenListRow,
  facts: { isFeatureOn: boolean; isAllowed: boolean; refusal: string | null },
) {
  const { title, explanation, button } = TOKEN_ACTION_TEXTS[action];
  // The confirmation pages never ask the homeserver: the status shown is our own.
  const token = presentRegistrationTokenRow(row, liveStatusOf(row, null), viewer);
  return {
    title,
    explanation,
    button,
    action,
    token,
    refusal: facts.refusal,
    // A refusal that an attempt cannot fix (already revoked, already replaced) hides the button.
    canConfirm: facts.isFeatureOn && facts.isAllowed && !(action === "reissue" && token.isErased),
    links: {
      tokens: urls.staffRegistrationTokens(),
      confirm: urls.staffRegistrationTokenAction(row.id, action),
    },
  };
}
