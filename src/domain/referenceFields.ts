// The fields of the referee forms: the applicant's (or staff's) request (an email address, or a Matrix ID
// when the portal's bot can send to it), and the referee's answer.
// Messages are catalog ids (references.validation.*): the routes translate them into the page's
// language, so one schema serves every language.
import { z } from "zod";
import { isOneLineText, isPlainText, ZMatrixId } from "./applicationFields.js";

export const REFERENCE_FIELD_LIMITS = {
  relationship: 500,
  knownHow: 500,
  knownFor: 200,
  statement: 2000,
} as const;

/** "Use at most N characters." for a field's limit (the catalogs hold one message per limit). */
const tooLong = (max: number) => `validation.max${max}`;

function oneLine(max: number, missing: string) {
  return z.string().trim().min(1, missing).max(max, tooLong(max)).refine(isOneLineText, missing);
}

const ZRefereeEmail = z
  .string()
  .trim()
  .max(254, "references.validation.emailInvalid")
  .pipe(z.email("references.validation.emailInvalid"))
  .transform((email) => email.toLowerCase());

const ZRelationship = oneLine(
  REFERENCE_FIELD_LIMITS.relationship,
  "references.validation.relationshipRequired",
);

/** Without the Matrix bot a referee is named by email address alone. */
export const ZReferenceRequestForm = z
  .object({ refereeEmail: ZRefereeEmail, relationship: ZRelationship })
  .transform((form) => ({ ...form, refereeMatrixId: null as string | null }));

/**
 * With the bot configured, by email address or by Matrix ID: exactly one of the two. The Matrix ID is
 * kept as typed; the refusals compare it without case (localparts are lower-case by the spec, and
 * server names are DNS names).
 */
export const ZReferenceRequestFormWithMatrix = z
  .object({
    refereeEmail: z.string().trim(),
    refereeMatrixId: ZMatrixId,
    relationship: ZRelationship,
  })
  .superRefine((form, context) => {
    if (form.refereeEmail === "" && form.refereeMatrixId === null) {
      context.addIssue({
        code: "custom",
        path: ["refereeEmail"],
        message: "references.validation.contactRequired",
      });
    } else if (form.refereeEmail !== "" && form.refereeMatrixId !== null) {
      context.addIssue({
        code: "custom",
        path: ["refereeMatrixId"],
        message: "references.validation.contactBoth",
      });
    } else if (form.refereeEmail !== "" && !ZRefereeEmail.safeParse(form.refereeEmail).success) {
      context.addIssue({
        code: "custom",
        path: ["refereeEmail"],
        message: "references.validation.emailInvalid",
      });
    }
  })
  .transform((form) =>
    form.refereeMatrixId === null
      ? {
          refereeEmail: ZRefereeEmail.parse(form.refereeEmail) as string | null,
          refereeMatrixId: null,
          relationship: form.relationship,
        }
      : {
          refereeEmail: null,
          refereeMatrixId: form.refereeMatrixId as string | null,
          relationship: form.relationship,
        },
  );

/** The request form's schema: the Matrix ID field is read only when the bot can send to it. */
export function referenceRequestForm(isMatrixBotOn: boolean) {
  return isMatrixBotOn ? ZReferenceRequestFormWithMatrix : ZReferenceRequestForm;
}
export type TReferenceRequestForm = z.output<typeof ZReferenceRequestFormWithMatrix>;

const ZStatement = z
  .string()
  .trim()
  .max(REFERENCE_FIELD_LIMITS.statement, tooLong(REFERENCE_FIELD_LIMITS.statement))
  .refine(isPlainText, tooLong(REFERENCE_FIELD_LIMITS.statement));

export const ZReferenceAnswerForm = z.discriminatedUnion("answer", [
  z.object({
    answer: z.literal("vouch"),
    knownHow: oneLine(REFERENCE_FIELD_LIMITS.knownHow, "references.validation.knownHowRequired"),
    knownFor: oneLine(REFERENCE_FIELD_LIMITS.knownFor, "references.validation.knownForRequired"),
    statement: ZStatement,
  }),
  z.object({ answer: z.literal("decline"), statement: ZStatement }),
]);

/** The answer form's fields; the choice is checked first, so a missing one gets its own message. */
export function readReferenceAnswer(
  values: Record<"answer" | "knownHow" | "knownFor" | "statement", string>,
) {
  if (values.answer !== "vouch" && values.answer !== "decline") {
    return { isValid: false as const, errors: { answer: "references.validation.answerRequired" } };
  }
  const parsed = ZReferenceAnswerForm.safeParse(values);
  if (parsed.success) return { isValid: true as const, data: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? "answer")] ??= issue.message;
  return { isValid: false as const, errors };
}
