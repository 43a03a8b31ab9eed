// The fields of an application, validated the same way wherever they are typed: the public form, the
// applicant's workspace, and an agent opening a case on someone's behalf. Messages are written for the
// person filling the form and shown next to the field.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { z } from "zod";

// Control characters, line/paragraph separators and bidirectional overrides have no place in a name.
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
// In longer text, line breaks and tabs are fine; other controls and direction overrides are not.
const NOT_PLAIN_TEXT = /(?![\t\n\r])[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export const ZFullName = z
  .string({ error: "Enter your full name." })
  .trim()
  .min(1, "Enter your full name.")
  .max(100, "Use at most 100 characters.")
  .refine((value) => !NOT_ONE_LINE.test(value), "Use letters, spaces and punctuation only, on one line.");

export const ZEmail = z
  .string({ error: "Enter your email address." })
  .trim()
  .min(1, "Enter your email address.")
  .max(254, "Use at most 254 characters.")
  .pipe(z.email("Enter an email address like name@example.org."))
  .transform((email) => email.toLowerCase());

// Matrix user IDs: "@" localpart ":" server name (https://spec.matrix.org/latest/appendices/#user-identifiers).
// The localpart is the spec's current grammar; the server name is a DNS name, IPv4 or [IPv6], with an
// optional port. 255 characters at most, as the spec says.
const MATRIX_USER_ID =
  /^@[a-z0-9._=\-/+]+:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Optional: an empty field is null. */
export const ZMatrixId = z
  .string()
  .trim()
  .transform((value) => value || null)
  .refine(
    (value) => value === null || (value.length <= 255 && MATRIX_USER_ID.test(value)),
    "Enter a Matrix ID like @name:example.org (lower-case letters, digits and . _ = - / + before the colon), or leave it empty.",
  );

/**
 * Optional: an empty field is null. Typed with spaces, dashes, dots or brackets as people write numbers;
 * stored as E.164 ("+441234567890"). libphonenumber-js checks the number against its country's
 * numbering plan, so "+1 555 0100" (too short) is refused, not just malformed text.
 */
export const ZPhone = z
  .string()
  .trim()
  .transform((value, context) => {
    if (!value) return null;
    const international = /^\+[\d\s().-]+$/.test(value) ? parsePhoneNumberFromString(value) : undefined;
    if (!international?.isValid()) {
      context.addIssue({
        code: "custom",
        message:
          "Enter a phone number in international format, starting with + and the country code (like +44 20 7946 0958), or leave it empty.",
      });
      return z.NEVER;
    }
    return international.number;
  });

export const ZStatement = z
  .string({ error: "Tell us why you would like to join." })
  .trim()
  .min(1, "Tell us why you would like to join.")
  .max(5000, "Use at most 5000 characters.")
  .refine((value) => !NOT_PLAIN_TEXT.test(value), "Use plain text only.");

/** The details an applicant (or an agent on their behalf) can edit. */
export const ZApplicationDetails = z.object({
  fullName: ZFullName,
  email: ZEmail,
  matrixId: ZMatrixId,
  phone: ZPhone,
  statement: ZStatement,
});
export type TApplicationDetails = z.output<typeof ZApplicationDetails>;

/** The public form adds consent to the privacy notice (a ticked box). */
export const ZApplicationForm = ZApplicationDetails.extend({
  consent: z.literal("yes", {
    error: "Tick the box to accept the privacy notice; we cannot process your application without it.",
  }),
});
export type TApplicationForm = z.output<typeof ZApplicationForm>;

/** Field errors, first message per field, for re-rendering a form. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
  return errors;
}
