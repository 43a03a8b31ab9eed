// Tells a new superadmin their account exists. Until the outbox (issue 4) records each message, a
// retry after the relay accepted the message could send it twice; the outbox removes that window.
import { z } from "zod";
import { renderSuperadminWelcome } from "../mail/messages/superadminWelcome.js";
import type { JobDependencies } from "./dependencies.js";

const ZPayload = z.object({ staffUserId: z.uuid() });

export async function sendSuperadminWelcome(deps: JobDependencies, payload: unknown): Promise<void> {
  const { staffUserId } = ZPayload.parse(payload);
  const staffUser = await deps.db.staffUser.findUnique({
    where: { id: staffUserId },
    select: { name: true, email: true, status: true },
  });
  if (staffUser?.status !== "ACTIVE") return; // Nothing to tell any more.
  const message = await renderSuperadminWelcome(deps.views, deps.config, staffUser);
  await deps.mailTransport.sendMail({ from: deps.config.mail.from, to: staffUser.email, ...message });
}
