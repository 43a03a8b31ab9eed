// Sent by an operator (`npm run mail:test`) to check that the relay accepts and delivers our mail. It
// says when it was rendered, so a message that arrives late or twice is recognisable.
import { z } from "zod";
import { defineMessageKind } from "./kind.js";

export const testMessage = defineMessageKind({
  name: "test_message",
  audience: "staff",
  payloadSchema: z.strictObject({}),
  subject: (_payload, context) => context.t("emails.testMessage.subject"),
  template: "test-message",
});
