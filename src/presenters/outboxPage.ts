// The outbox pages (staff/outbox/): the list (its filter's choices, a page of messages, the paging
// links) and one message (as it would be sent, and what the viewer may do with it).
import { CANCELLABLE_STATUSES } from "../commands/operations/cancelEmail.js";
import { RETRYABLE_STATUSES } from "../commands/operations/retryEmail.js";
import type { OutboxStatus } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import type { RenderedEmail } from "../mail/messages/index.js";
import { type Actor, canManageOutbox } from "../policies/staff.js";
import { encodeKeysetCursor, type TKeysetCursor } from "../queries/keyset.js";
import type { OutboxListRow, OutboxMessageRow } from "../queries/outboxMessages.js";
import { urls } from "../urls.js";
import {
  OUTBOX_STATUS_LABELS,
  OUTBOX_STATUSES,
  presentOutboxListRow,
  presentOutboxMessage,
} from "./outboxMessages.js";

/** The list's filter: a status and a kind, each "" for all. */
interface OutboxFilter {
  status: string;
  kind: string;
}

/** The list's address for a filter (and a page of it). */
function outboxUrl(filter: OutboxFilter, before?: string): string {
  const query = new URLSearchParams();
  if (filter.status) query.set("status", filter.status);
  if (filter.kind) query.set("kind", filter.kind);
  if (before) query.set("before", before);
  return urls.staffOutbox(query.toString());
}

/**
 * The outbox list (staff/outbox/index.njk) apart from its two forms: the filter's choices, a page of
 * messages, and the links. A filter that could not be used (null) lists nothing and pages nowhere.
 */
export function presentOutboxList(page: {
  kinds: readonly string[];
  filter: OutboxFilter | null;
  rows: OutboxListRow[];
  /** Where this page starts (null: the newest) and where the next one would. */
  after: TKeysetCursor<string> | null;
  next: TKeysetCursor<string> | null;
}) {
  const { filter } = page;
  return {
    statuses: OUTBOX_STATUSES.map((status) => ({ value: status, label: OUTBOX_STATUS_LABELS[status] })),
    kinds: page.kinds,
    messages: page.rows.map((row) => ({
      ...presentOutboxListRow(row),
      url: urls.staffOutboxMessage(row.id),
    })),
    links: {
      page: urls.staffOutbox(),
      staffHome: urls.staffHome(),
      sendTest: urls.staffOutboxSendTest(),
      older: filter && page.next ? outboxUrl(filter, encodeKeysetCursor(page.next)) : null,
      newest: filter && page.after ? outboxUrl(filter) : null,
    },
  };
}

/** One message's page (staff/outbox/message.njk): the message, how it renders, and the actions. */
export function presentOutboxMessagePage(
  viewer: Actor,
  message: OutboxMessageRow,
  display: { rendered: { email: RenderedEmail } | { problem: string }; hasLink: boolean },
) {
  const { rendered } = display;
  return {
    message: presentOutboxMessage(message),
    rendered: "email" in rendered ? rendered.email : null,
    renderProblem: "problem" in rendered ? rendered.problem : null,
    hasLink: display.hasLink,
    can: {
      retry: canManageOutbox(viewer) && RETRYABLE_STATUSES.includes(message.status),
      cancel: canManageOutbox(viewer) && CANCELLABLE_STATUSES.includes(message.status),
    },
    links: {
      outbox: urls.staffOutbox(),
      html: urls.staffOutboxMessageHtml(message.id),
      retry: urls.staffOutboxMessageAction(message.id, "retry"),
      cancel: urls.staffOutboxMessageAction(message.id, "cancel"),
    },
  };
}

/** Why a retry or a cancel did not happen: the message is no longer in a state it starts from. */
export function outboxActionRefusal(
  action: "retry" | "cancel",
  status: OutboxStatus,
  translator: Translator,
): string {
  return translator.t(action === "retry" ? "staff.outbox.refusal.retry" : "staff.outbox.refusal.cancel", {
    status,
  });
}
