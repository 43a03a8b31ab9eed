// The fields of an application, validated the same way wherever they are typed: the public form, the
// applicant's workspace, and an agent opening a case on someone's behalf. Messages are written for the
// person filling the form and shown next to the field; each is a catalog id ("validation.*" in
// src/i18n/catalogs), which the form reader (routes/toolkit/forms.ts) says in the page's language. A person's name and email address are checked
// here for every form that asks for one (zPersonName, zEmailAddress: staff invitations, the setup link,
// registration tokens too).
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { z } from "zod";

// Control characters (C0, DEL, C1: CR, LF, NUL, TAB, ESC, NEL …), line/paragraph separators and
// bidirectional embeddings, overrides and isolates have no place in a name: they forge lines in the
// plain-text part of an email, or reorder the sentence around the name.
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
// In longer text, line breaks and tabs are fine; other controls and direction overrides are not.
const NOT_PLAIN_TEXT = /(?![\t\n\r])[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** One line without control characters or direction overrides: a name, a short label. */
export function isOneLineText(value: string): boolean {
  return !NOT_ONE_LINE.test(value);
}

/** Text that may hold line breaks and tabs, but no other control character or direction override. */
export function isPlainText(value: string): boolean {
  return !NOT_PLAIN_TEXT.test(value);
}

export const NOT_ONE_LINE_MESSAGE = "validation.oneLine";

/**
 * A person's name on any form: 1 to 100 characters on one line. `missing` is the field's own "Enter …"
 * sentence ("Enter your full name." to the person, "Enter the person’s full name." to staff).
 */
export function zPersonName(missing: string) {
  return z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .max(100, "validation.max100")
    .refine(isOneLineText, NOT_ONE_LINE_MESSAGE);
}

export const ZFullName = zPersonName("validation.fullName.missing");

/**
 * An email address on any form (`missing`: what to say when it is empty): one account or case per
 * address whatever its case, so it is stored and compared lower-cased.
 */
export function zEmailAddress(missing: string) {
  return z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .max(254, "validation.max254")
    .pipe(z.email("validation.email.invalid"))
    .transform((email) => email.toLowerCase());
}

export const ZEmail = zEmailAddress("validation.email.missing");

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
    "validation.matrixId.invalid",
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
        message: "validation.phone.invalid",
      });
      return z.NEVER;
    }
    return international.number;
  });

export const ZStatement = z
  .string({ error: "validation.statement.missing" })
  .trim()
  .min(1, "validation.statement.missing")
  .max(5000, "validation.max5000")
  .refine(isPlainText, "validation.plainText");

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
    error: "validation.consent.missing",
  }),
});
export type TApplicationForm = z.output<typeof ZApplicationForm>;

/** Field errors, first message per field, for re-rendering a form. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
  return errors;
}
