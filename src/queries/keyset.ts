// Keyset pagination shared by the staff lists: pages ordered newest first by (timestamp, id), each
// page starting strictly after the last row of the one before. No OFFSET, so pages stay stable while
// rows are added, and a deep page costs what the first does.

/** The last row of a page: the next page starts strictly after it. */
export interface TKeysetCursor<Id> {
  occurredAt: Date;
  id: Id;
}

/**
 * The rows strictly after the cursor in (timestamp, id) newest-first order, as a Prisma `where` part to
 * spread into the query's filters (nothing when there is no cursor: the first page).
 */
export function olderThan<Field extends string, Id>(
  field: Field,
  after: TKeysetCursor<Id> | null,
): { OR?: ({ [K in Field]: Date | { lt: Date } } & { id?: { lt: Id } })[] } {
  if (!after) return {};
  return {
    OR: [
      { [field]: { lt: after.occurredAt } } as { [K in Field]: { lt: Date } },
      { [field]: after.occurredAt, id: { lt: after.id } } as { [K in Field]: Date } & { id: { lt: Id } },
    ],
  };
}

/**
 * A page from rows fetched with `take: pageSize + 1`: the extra row only says there is more; the cursor
 * is the last row that is shown.
 */
export function keysetPage<Row, Id>(
  rows: Row[],
  pageSize: number,
  cursorOf: (row: Row) => TKeysetCursor<Id>,
): { rows: Row[]; next: TKeysetCursor<Id> | null } {
  const hasMore = rows.length > pageSize;
  const page = hasMore ? rows.slice(0, pageSize) : rows;
  const last = page.at(-1);
  return { rows: page, next: hasMore && last ? cursorOf(last) : null };
}

/** "2026-11-23T19:02:31.123Z_1234": readable in a URL, and exact (timestamps are kept to the millisecond). */
export function encodeKeysetCursor(cursor: TKeysetCursor<bigint | string>): string {
  return `${cursor.occurredAt.toISOString()}_${cursor.id}`;
}

const CURSOR_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9A-Za-z-]{1,40})$/;

/** The cursor's parts, or null when the text is not one of our cursors. */
export function parseKeysetCursor(text: string): { occurredAt: Date; id: string } | null {
  const match = CURSOR_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const occurredAt = new Date(match[1]);
  if (Number.isNaN(occurredAt.getTime())) return null;
  return { occurredAt, id: match[2] };
}

/**
 * A cursor for lists ordered by something other than a timestamp (a name, a nullable date): the last
 * row's sort values as base64url JSON. Opaque in the URL, and checked on the way back in, since anyone
 * can edit a link.
 */
export function encodeTupleCursor(values: readonly (string | null)[]): string {
  return Buffer.from(JSON.stringify(values), "utf8").toString("base64url");
}

/** The cursor's values when the text is one of ours with exactly `length` values, else null. */
export function parseTupleCursor(text: string, length: number): (string | null)[] | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) return null;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(values) || values.length !== length) return null;
  if (!values.every((value) => value === null || (typeof value === "string" && value.length <= 500)))
    return null;
  return values as (string | null)[];
}
