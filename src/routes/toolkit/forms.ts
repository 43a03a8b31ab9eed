// Reading a submitted form, the one way handlers do it: the named fields as strings (what the person
// typed, for showing the form again), validated by a zod schema into typed input, or per-field
// messages. Commands never see the raw body.
import type { Context } from "koa";
import type { z } from "zod";
import { fieldErrors } from "../../domain/applicationFields.js";

export { fieldErrors };

/** The named fields of the body as strings: a missing field, or one that is not text, is "". */
export function typedFields<const Name extends string>(
  ctx: Context,
  names: readonly Name[],
): Record<Name, string> {
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    names.map((name) => [name, typeof body[name] === "string" ? body[name] : ""]),
  ) as Record<Name, string>;
}

/**
 * The named query-string parameters as strings, for the filters of list pages: a parameter given
 * twice counts as its first value, a missing one is "".
 */
export function queryFields<const Name extends string>(
  ctx: Context,
  names: readonly Name[],
): Record<Name, string> {
  const query = ctx.query as Record<string, string | string[] | undefined>;
  return Object.fromEntries(
    names.map((name) => {
      const value = query[name];
      return [name, (Array.isArray(value) ? value[0] : value) ?? ""];
    }),
  ) as Record<Name, string>;
}

export type FormReading<Output, Name extends string> =
  | { isValid: true; data: Output; values: Record<Name, string> }
  | { isValid: false; values: Record<Name, string>; errors: Record<string, string> };

/**
 * The form's fields, typed and validated: `data` when valid; otherwise the messages by field, in the
 * page's language (a schema's message may be a catalog id, see domain/applicationFields.ts). `values`
 * is what was typed either way, to fill the form again.
 */
export function readForm<Schema extends z.ZodType, const Name extends string>(
  ctx: Context,
  schema: Schema,
  names: readonly Name[],
): FormReading<z.output<Schema>, Name> {
  const values = typedFields(ctx, names);
  const parsed = schema.safeParse(values);
  return parsed.success
    ? { isValid: true, data: parsed.data, values }
    : { isValid: false, values, errors: inPageLanguage(ctx, fieldErrors(parsed.error)) };
}

/** Messages by field, each said in the page's language when it is a catalog id. */
export function inPageLanguage(ctx: Context, errors: Record<string, string>): Record<string, string> {
  const translator = ctx.state.translator;
  if (!translator) return errors;
  return Object.fromEntries(
    Object.entries(errors).map(([field, message]) => [field, translator.message(message)]),
  );
}
