// The outbox pages (server admins and up): every email with its status, one message as it renders,
// and the operator's actions: retry a stopped message, cancel a queued one, send a test message.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { cancelEmail } from "../../commands/operations/cancelEmail.js";
import { EmailTransitionRefusedError, retryEmail } from "../../commands/operations/retryEmail.js";
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
import { linkLifetimeMs } from "../../mail/messages/kind.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canManageOutbox } from "../../policies/staff.js";
import { OUTBOX_NOTICES } from "../../presenters/notices/outbox.js";
import { OUTBOX_STATUSES } from "../../presenters/outboxMessages.js";
import {
  outboxActionRefusal,
  presentOutboxList,
  presentOutboxMessagePage,
} from "../../presenters/outboxPage.js";
import { parseKeysetCursor, type TKeysetCursor } from "../../queries/keyset.js";
import { findOutboxMessage, findOutboxPage, type OutboxMessageRow } from "../../queries/outboxMessages.js";
import { absoluteUrl, urls } from "../../urls.js";
import { fieldErrors, queryFields, readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { isUuid, uuidParam } from "../toolkit/params.js";

export const OUTBOX_PAGE_SIZE = 50;
const KIND_NAMES = Object.keys(messageKinds);
const NO_SUCH_MESSAGE = "staff.outbox.noSuchMessage";

export const ZOutboxFilter = z.object({
  status: z.union([z.literal(""), z.enum(OUTBOX_STATUSES)], { error: "staff.validation.chooseStatus" }),
  kind: z
    .string()
    .trim()
    .refine((value) => value === "" || KIND_NAMES.includes(value), "staff.validation.chooseKind"),
});
export type TOutboxFilter = z.infer<typeof ZOutboxFilter>;

export const ZTestMessageForm = z.object({
  recipient: z
    .string()
    .trim()
    .min(1, "staff.validation.testRecipientMissing")
    .refine((value) => ZRecipientAddress.safeParse(value).success, "staff.validation.plainEmail"),
});

// No 'unsafe-inline' anywhere, not even here: the email's inline styles are simply not applied.
const HTML_PART_POLICY = "sandbox; default-src 'none'; img-src data:";
const LINK_PLACEHOLDER_TOKEN = "link-is-created-when-the-message-is-sent";

/** The list's filter as typed, and either the filter to use or why it cannot be used. */
interface FilterReading {
  filterValues: Record<string, string>;
  filterErrors: Record<string, string>;
  filter: TOutboxFilter | null;
}

function readFilter(ctx: Context): FilterReading {
  const typed = queryFields(ctx, ["status", "kind"]);
  const parsed = ZOutboxFilter.safeParse(typed);
  if (parsed.success) return { filterValues: parsed.data, filterErrors: {}, filter: parsed.data };
  return { filterValues: typed, filterErrors: fieldErrors(parsed.error), filter: null };
}

function readCursor(ctx: Context): TKeysetCursor<string> | null {
  const { before } = queryFields(ctx, ["before"]);
  if (!before) return null;
  const cursor = parseKeysetCursor(before);
  if (!cursor || !isUuid(cursor.id)) throw badRequest("staff.outbox.damagedLink");
  return cursor;
}

export function outboxRoutes(deps: AppDependencies): Router {
  const router = new Router();

  async function renderList(
    ctx: Context,
    page: FilterReading,
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
      notice: noticeFrom(ctx, OUTBOX_NOTICES) ?? null,
      filter: { values: page.filterValues, errors: page.filterErrors },
      testForm,
      ...presentOutboxList({
        kinds: KIND_NAMES,
        filter: page.filter,
        rows: result.rows,
        after,
        next: result.next,
      }),
    });
  }

  // Mounted under /staff.
  router.get("/outbox", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    const page = readFilter(ctx);
    if (!page.filter) ctx.status = 400;
    await renderList(ctx, page);
    if (!page.filter) ctx.status = 400;
  });

  router.post("/outbox/test", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canManageOutbox(staff));
    const form = readForm(ctx, ZTestMessageForm, ["recipient"]);
    if (!form.isValid) {
      const message = form.errors.recipient ?? "staff.validation.plainEmail";
      ctx.status = 422;
      await renderList(
        ctx,
        { filterValues: { status: "", kind: "" }, filterErrors: {}, filter: { status: "", kind: "" } },
        { values: form.values, errors: { recipient: message } },
      );
      ctx.status = 422;
      return;
    }
    await sendTestEmail(deps.db, { recipient: form.data.recipient, actor: auditActorFor(ctx, staff) });
    ctx.status = 303;
    ctx.redirect(urls.staffOutbox("done=test_sent"));
  });

  async function renderMessage(ctx: Context, message: OutboxMessageRow, refusal: string | null = null) {
    const page = presentOutboxMessagePage(signedInStaff(ctx), message, {
      rendered: await renderForDisplay(deps, message),
      hasLink: findMessageKind(message.kind)?.link !== undefined,
    });
    await ctx.render("staff/outbox/message.njk", {
      notice: refusal ? null : (noticeFrom(ctx, OUTBOX_NOTICES) ?? null),
      refusal,
      ...page,
    });
  }

  /** The message the route's id names, or a 404. */
  async function messageFrom(ctx: Context): Promise<OutboxMessageRow> {
    const message = await findOutboxMessage(deps.db, uuidParam(ctx, "id", NO_SUCH_MESSAGE));
    if (!message) throw notFound(NO_SUCH_MESSAGE);
    return message;
  }

  router.get("/outbox/:id", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    await renderMessage(ctx, await messageFrom(ctx));
  });

  router.get("/outbox/:id/html", async (ctx) => {
    authorize(canManageOutbox(signedInStaff(ctx)));
    const rendered = await renderForDisplay(deps, await messageFrom(ctx));
    if (!("email" in rendered)) throw notFound("staff.outbox.cannotRender");
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
      const outboxMessageId = uuidParam(ctx, "id", NO_SUCH_MESSAGE);
      const command = action === "retry" ? retryEmail : cancelEmail;
      try {
        await command(deps.db, { outboxMessageId, actor: auditActorFor(ctx, staff) });
      } catch (error) {
        // Not in a state this action starts from (any more): the message's page says which it is in.
        if (!(error instanceof EmailTransitionRefusedError)) throw error;
        const message = await messageFrom(ctx);
        ctx.status = 409;
        await renderMessage(ctx, message, outboxActionRefusal(action, message.status, ctx.state.translator));
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
        // As the recipient will read it: in the language fixed on the row.
        language: message.language,
        link:
          kind?.link && (!kind.link.isOptional || message.linkSubjectType)
            ? {
                url: absoluteUrl(deps.config.http.publicUrl, kind.link.path(LINK_PLACEHOLDER_TOKEN)),
                expiresAt: new Date(now.getTime() + linkLifetimeMs(kind.link, deps.config)),
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
