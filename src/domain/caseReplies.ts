// What an applicant's message to the vetting team may be: plain text (escaped wherever it is shown,
// line breaks kept), not empty, at most REPLY_MAX_LENGTH characters, and without the invisible
// direction overrides that could make it read differently on the case page than it was written.
import { z } from "zod";

export const REPLY_MAX_LENGTH = 4000;

const DIRECTION_OVERRIDES = /[\u202A-\u202E\u2066-\u2069]/u;

export const ZReplyForm = z.object({
  message: z
    .string()
    .trim()
    .min(1, "Write your message.")
    .max(REPLY_MAX_LENGTH, `Use at most ${REPLY_MAX_LENGTH} characters.`)
    .refine(
      (message) => !DIRECTION_OVERRIDES.test(message),
      "Remove the invisible text-direction characters.",
    )
    // Line endings as the browser sends them (CRLF) are stored as plain newlines.
    .transform((message) => message.replace(/\r\n?/g, "\n")),
});
export type TReplyForm = z.output<typeof ZReplyForm>;
