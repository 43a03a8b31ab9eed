// The optional range of UTC dates that staff list pages filter by (audit log, CSP violations): the
// query-string fields, their checks (messages are catalog ids), and the instants they stand for (the
// end date is a whole day).
import { z } from "zod";

const DAY_MS = 24 * 60 * 60 * 1000;

const isIsoDate = (value: string) => z.iso.date().safeParse(value).success;

/** "" (no bound) or a date like 2026-03-31. */
export const ZOptionalIsoDate = z
  .string()
  .trim()
  .refine((value) => value === "" || isIsoDate(value), "staff.validation.isoDate");

/** For a filter schema's superRefine: the end date may not come before the start date. */
export function checkDateRange(
  filter: { from: string; to: string },
  context: z.RefinementCtx<{ from: string; to: string }>,
): void {
  if (filter.from && filter.to && isIsoDate(filter.from) && isIsoDate(filter.to) && filter.to < filter.from)
    context.addIssue({
      code: "custom",
      path: ["to"],
      message: "staff.validation.endBeforeStart",
    });
}

/** The instants a valid range stands for: from the start of `from` until the start of the day after `to`. */
export function dateRangeBounds(filter: { from: string; to: string }): {
  from: Date | undefined;
  until: Date | undefined;
} {
  return {
    from: filter.from ? new Date(`${filter.from}T00:00:00.000Z`) : undefined,
    until: filter.to ? new Date(new Date(`${filter.to}T00:00:00.000Z`).getTime() + DAY_MS) : undefined,
  };
}
