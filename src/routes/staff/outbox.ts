// The outbox pages (server admins and up): every email with its status, one message as it renders,
// and the operator's actions: retry a stopped message, cancel a queued one, send a test message.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { CANCELLABLE_STATUSES, cancelEmail } from "../../commands/operations/cancelEmail.js";
import {
  EmailTransitionRefusedError,
  RETRYABLE_STATUSES,
  retryEmail,
} from "../../commands/operations/retryEmail.js";
import { sendTestEmail } from "../../commands/operations/sendTestEmail.js";
import { badRequest, notFound } from "../../errors.js";
import { ZRecipientAddress } from "../../mail/messages/address.js";
import {
  EmailRenderError,
  findMessageKind,
  messageKinds,
  type RenderedEmail,
  renderContextFor,
  renderEmail,
} from "../../mail/messages/index.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canManageOutbox } from "../../policies/staff.js";
import {
  OUTBOX_STATUS_LABELS,
  OUTBOX_STATUSES,
  presentOutboxListRow,
  presentOutboxMessage,
} from "../../presenters/outboxMessages.js";
import { encodeKeysetCursor, parseKeysetCursor, type TKeysetCursor } from "../../queries/keyset.js";
import { findOutboxMessage, findOutboxPage, type OutboxMessageRow } from "../../queries/outboxMessages.js";
import { absoluteUrl, urls } from "../../urls.js";

export const OUTBOX_PAGE_SIZE = 50;
const KIND_NAMES = Object.keys(messageKinds);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ZOutboxFilter = z.object({
  status: z.union([z.literal(""), z.enum(OUTBOX_STATUSES)], { error: "Choose a status from the list." }),
  kind: z
    .string()
    .trim()
    .refine((value) => value === "" || KIND_NAMES.includes(value), "Choose a kind from the list."),
});
export type TOutboxFilter = z.infer<typeof ZOutboxFilter>;

export const ZTestMessageForm = z.object({
  recipient: z
    .string()
    .trim()
    .min(1, "Enter the email address to send the test message to.")
    .refine(
      (value) => ZRecipientAddress.safeParse(value).success,
      "Enter a plain email address like name@example.org.",
    ),
});

const NOTICES: Record<string, string> = {
  test_sent: "A test message was queued. It appears at the top of the list below.",
  retried: "The message was queued again and will be sent shortly.",
  cancelled: "The message was cancelled. It will not be sent unless someone retries it.",
};

// No 'unsafe-inline' anywhere, not even here: the email's inline styles are simply not applied.
const HTML_PART_POLICY = "sandbox; default-src 'none'; img-src data:";
const LINK_PLACEHOLDER_TOKEN = "link-is-created-when-the-message-is-sent";

function firstValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

function noticeFrom(ctx: Context): string | null {
  return NOTICES[firstValue(ctx.query.done)] ?? null;
}

function filterQuery(filter: TOutboxFilter, before?: string): string {
  const query = new URLSearchParams();
  if (filter.status) query.set("status", filter.status);
  if (filter.kind) query.set("kind", filter.kind);
  if (before) query.set("before", before);
  return query.toString();
}

function readCursor(ctx: Context): TKeysetCursor<string> | null {
  const before = firstValue(ctx.query.before);
  if (!before) return null;
  const cursor = parseKeysetCursor(before);
  if (!cursor || !UUID.test(cursor.id))
    throw badRequest("This page link is damaged. Go back to the newest messages and page from there.");
  return cursor;
}

function messageIdFrom(ctx: Context): string {
  const id = ctx.params.id ?? "";
  if (!UUID.test(id)) throw notFound("There is no such message in the outbox.");
  return id;
}

export function outboxRoutes(deps: AppDependencies): Router {
  const router = new Router();

  async function renderList(
    ctx: Context,
    page: {
      filterValues: Record<string, string>;
      filterErrors: Record<string, string>;
      filter: TOutboxFilter | null;
    },
    testForm: { values: { recipient?: string }; errors: { recipient?: string } } = { values: {}, errors: {} },
  ): Promise<void> {
    const after = page.filter ? readCursor(ctx) : null;
    const result = page.filter
      ? await findOutboxPage(
          deps.db,
          { status: page.filter.status || undefined, kind: page.filter.kind || undefined },
          after,
          OUTBOX_PAGE_SIZE,
        )
      : { rows: [], next: null };
    await ctx.render("staff/outbox/index.njk", {
      notice: noticeFrom(ctx),
      filter: { values: page.filterValues, errors: page.filterErrors },
      testForm,
      statuses: OUTBOX_STATUSES.map((status) => ({ value: status, label: OUTBOX_STATUS_LABELS[status] })),
      kinds: KIND_NAMES,
      messages: result.rows.map((row) => ({
        ...presentOutboxListRow(row),
        url: urls.staffOutboxMessage(row.id),
      })),
      links: {
        page: urls.staffOutbox(),
        staffHome: urls.staffHome(),
        sendTest: urls.staffOutboxSendTest(),
        older:
          page.filter && result.next
            ? urls.staffOutbox(filterQuery(page.filter, encodeKeysetCursor(result.next)))
            : null,
        newest: page.filter && after ? urls.staffOutbox(filterQuery(page.filter)) : null,
      },
    });
  }

  function parseFilter(ctx: Context): {
    filterValues: Record<string, string>;
    filterErrors: Record<string, string>;
    filter: TOutboxFilter | null;
  } {
    const typed = { status: firstValue(ctx.query.status), kind: firstValue(ctx.query.kind) };
    const parsed = ZOutboxFilter.safeParse(typed);
    if (parsed.success) return { filterValues: parsed.data, filterErrors: {}, filter: parsed.data };
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
    return { filterValues: typed, filterErrors: errors, filter: null };
  }

  // Mounted under /staff.
  router.get("/outbox", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    const page = parseFilter(ctx);
    if (!page.filter) ctx.status = 400;
    await renderList(ctx, page);
    if (!page.filter) ctx.status = 400;
  });

  router.post("/outbox/test", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canManageOutbox(staff));
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const typed = { recipient: typeof body.recipient === "string" ? body.recipient : "" };
    const parsed = ZTestMessageForm.safeParse(typed);
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message ?? "Enter a plain email address like name@example.org.";
      ctx.status = 422;
      await renderList(
        ctx,
        { filterValues: { status: "", kind: "" }, filterErrors: {}, filter: { status: "", kind: "" } },
        { values: typed, errors: { recipient: message } },
      );
      ctx.status = 422;
      return;
    }
    await sendTestEmail(deps.db, { recipient: parsed.data.recipient, actor: auditActorFor(ctx, staff) });
    ctx.status = 303;
    ctx.redirect(urls.staffOutbox("done=test_sent"));
  });

  async function renderMessage(ctx: Context, message: OutboxMessageRow, refusal: string | null = null) {
    const staff = signedInStaff(ctx);
    const rendered = await renderForDisplay(deps, message);
    await ctx.render("staff/outbox/message.njk", {
      notice: refusal ? null : noticeFrom(ctx),
      refusal,
      message: presentOutboxMessage(message),
      rendered: "email" in rendered ? rendered.email : null,
      renderProblem: "problem" in rendered ? rendered.problem : null,
      hasLink: findMessageKind(message.kind)?.link !== undefined,
      can: {
        retry: canManageOutbox(staff) && RETRYABLE_STATUSES.includes(message.status),
        cancel: canManageOutbox(staff) && CANCELLABLE_STATUSES.includes(message.status),
      },
      links: {
        outbox: urls.staffOutbox(),
        html: urls.staffOutboxMessageHtml(message.id),
        retry: urls.staffOutboxMessageAction(message.id, "retry"),
        cancel: urls.staffOutboxMessageAction(message.id, "cancel"),
      },
    });
  }

  router.get("/outbox/:id", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    const message = await findOutboxMessage(deps.db, messageIdFrom(ctx));
    if (!message) throw notFound("There is no such message in the outbox.");
    await renderMessage(ctx, message);
  });

  router.get("/outbox/:id/html", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    const message = await findOutboxMessage(deps.db, messageIdFrom(ctx));
    if (!message) throw notFound("There is no such message in the outbox.");
    const rendered = await renderForDisplay(deps, message);
    if (!("email" in rendered)) throw notFound("This message cannot be rendered.");
    // The email's own HTML, as its own document in a sandbox: no scripts, no same-origin access, no
    // requests anywhere (its inline styles are its only styling).
    ctx.set("Content-Security-Policy", HTML_PART_POLICY);
    ctx.type = "html";
    ctx.body = rendered.email.html;
  });

  for (const action of ["retry", "cancel"] as const) {
    router.post(`/outbox/:id/${action}`, async (ctx) => {
      const staff = signedInStaff(ctx);
      authorize(canManageOutbox(staff));
      const outboxMessageId = messageIdFrom(ctx);
      const command = action === "retry" ? retryEmail : cancelEmail;
      try {
        await command(deps.db, { outboxMessageId, actor: auditActorFor(ctx, staff) });
      } catch (error) {
        if (!(error instanceof EmailTransitionRefusedError)) throw error;
        const message = await findOutboxMessage(deps.db, outboxMessageId);
        if (!message) throw notFound("There is no such message in the outbox.");
        const refusal =
          action === "retry"
            ? `Only a failed or cancelled message can be sent again; this one is ${OUTBOX_STATUS_LABELS[message.status].toLowerCase()}.`
            : `Only a queued message can be cancelled; this one is ${OUTBOX_STATUS_LABELS[message.status].toLowerCase()}.`;
        ctx.status = 409;
        await renderMessage(ctx, message, refusal);
        ctx.status = 409;
        return;
      }
      ctx.status = 303;
      ctx.redirect(
        urls.staffOutboxMessageWithNotice(outboxMessageId, action === "retry" ? "retried" : "cancelled"),
      );
    });
  }

  return router;
}

/**
 * The message as it would be sent. A kind with a link gets a placeholder: the real token is minted
 * at delivery and never stored, so the page cannot (and must not) show it.
 */
async function renderForDisplay(
  deps: AppDependencies,
  message: OutboxMessageRow,
): Promise<{ email: RenderedEmail } | { problem: string }> {
  const kind = findMessageKind(message.kind);
  const now = new Date();
  try {
    const email = await renderEmail(
      deps.views,
      message.kind,
      {
        recipient: message.recipient,
        payload: message.payload,
        link:
          kind?.link && (!kind.link.isOptional || message.linkSubjectType)
            ? {
                url: absoluteUrl(deps.config.http.publicUrl, kind.link.path(LINK_PLACEHOLDER_TOKEN)),
                expiresAt: new Date(now.getTime() + kind.link.lifetimeMs),
              }
            : undefined,
      },
      { ...renderContextFor(deps.config), now },
    );
    return { email };
  } catch (error) {
    if (error instanceof EmailRenderError) return { problem: error.message };
    throw error;
  }
}
