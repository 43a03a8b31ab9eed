// What an applicant's message to the vetting team may be: plain text (escaped wherever it is shown,
// line breaks kept), not empty, at most REPLY_MAX_LENGTH characters, and plain text as the application's
// own fields are (isPlainText: no control characters or direction overrides, which could make it read
// differently on the case page than it was written).
import { z } from "zod";
import { isPlainText } from "./applicationFields.js";

/** "validation.max4000" says this number. */
export const REPLY_MAX_LENGTH = 4000;

export const ZReplyForm = z.object({
  message: z
    .string()
    .trim()
    // Catalog ids: readForm says them in the page's language.
    .min(1, "validation.message.missing")
    .max(REPLY_MAX_LENGTH, "validation.max4000")
    .refine(isPlainText, "validation.controlCharacters")
    // Line endings as the browser sends them (CRLF) are stored as plain newlines.
    .transform((message) => message.replace(/\r\n?/g, "\n")),
});
export type TReplyForm = z.output<typeof ZReplyForm>;
