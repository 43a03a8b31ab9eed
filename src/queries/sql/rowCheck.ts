// The fence around the reads written in SQL (this folder): each statement declares the columns its rows
// hold, and every row it returns is checked against them before anything else sees it. A schema change
// the SQL did not follow (a column renamed, made nullable, widened to bigint, an enum value added) then
// fails here, naming the statement, the column, what was expected and what came:
//   sql/caseQueue.page: column assigneeName: expected string or null, got number
// instead of surfacing as a wrong page somewhere downstream.
//
// Cheap by design (these are the reads every page view makes; npm run bench:profile): a check is a
// typeof, instanceof or Set lookup per value and the column set on a statement's first row, with no
// allocation unless a row fails: about 6 µs for the queue's 51 rows and the session.
//
// The declaration is tied to the row's TypeScript interface (RowChecks<Row>): a column the interface
// has and the checks miss, or a check of the wrong type, does not compile.

/** A value that does not fit: where (inside a JSON column: "[2].createdAt"), what was expected and found. */
interface Mismatch {
  at: string;
  expected: string;
  found: string;
}

/** What a column holds, for the fast check (one switch: cheaper than a closure per column). */
type ColumnKind = "string" | "integer" | "boolean" | "date" | "oneOf" | "jsonArray";

/** How one column's values are checked; T is the TypeScript type a value that passes has. */
export interface ColumnCheck<T> {
  readonly kind: ColumnKind;
  readonly isNullable: boolean;
  /** As the error says it: "string or null". */
  readonly expected: string;
  /** oneOf: the values allowed. */
  readonly known: ReadonlySet<unknown> | null;
  /** Null when the value fits; otherwise what the error says (only asked once the fast check failed). */
  readonly mismatchOf: (value: unknown) => Mismatch | null;
  /** Ties the check to T, exactly (so `Date` does not pass for `Date | null`); never set. */
  readonly rowType?: (value: T) => T;
}

/** A check whatever its column's type, as the checking code sees it. */
type AnyColumnCheck = Omit<ColumnCheck<unknown>, "rowType">;

/** Every check made the same way (the same object shape, so the fast check's reads stay monomorphic). */
function columnCheck<T>(
  kind: ColumnKind,
  isNullable: boolean,
  expected: string,
  known: ReadonlySet<unknown> | null,
  mismatchOf: (value: unknown) => Mismatch | null,
): ColumnCheck<T> {
  return { kind, isNullable, expected, known, mismatchOf };
}

/** The fast check: a typeof, an instanceof or a Set lookup. */
function fits(check: AnyColumnCheck, value: unknown): boolean {
  if (value === null) return check.isNullable;
  switch (check.kind) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "date":
      return value instanceof Date;
    case "oneOf":
      return check.known?.has(value) ?? false;
    case "jsonArray":
      return check.mismatchOf(value) === null;
  }
}

/** Every column of Row, each with a check of exactly its type. */
export type RowChecks<Row> = { readonly [Column in keyof Row]-?: ColumnCheck<Row[Column]> };

/** The error a row that does not fit its declaration throws (a bug or an unfollowed migration: a 500). */
export class SqlRowError extends Error {
  constructor(
    readonly statement: string,
    readonly column: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${statement}: column ${column}: expected ${expected}, got ${found}`);
    this.name = "SqlRowError";
  }
}

/** What a value is, for the error: "number", "null", "Date", "array", "nothing (no such column)". */
function kindOf(value: unknown): string {
  if (value === undefined) return "nothing (no such column)";
  if (value === null) return "null";
  if (value instanceof Date) return "Date";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function scalar<T>(kind: ColumnKind, expected: string): ColumnCheck<T> {
  const check: ColumnCheck<T> = columnCheck(kind, false, expected, null, (value) =>
    fits(check, value) ? null : { at: "", expected, found: kindOf(value) },
  );
  return check;
}

export const column = {
  /** text, varchar, uuid. */
  string: scalar<string>("string", "string"),
  /** int4, int2 (and count(*)::int); int8 and numeric arrive as strings and do not pass. */
  integer: scalar<number>("integer", "integer"),
  boolean: scalar<boolean>("boolean", "boolean"),
  /** timestamp, timestamptz (pg parses them into Dates). */
  date: scalar<Date>("date", "Date"),
  /** A Postgres enum (or a text column with a fixed set of values): one of these. */
  oneOf<const Value extends string>(values: readonly Value[]): ColumnCheck<Value> {
    const known = new Set<unknown>(values);
    const expected = `one of ${values.join(", ")}`;
    // The value itself stays out of the message (a misplaced column could hold personal data).
    return columnCheck("oneOf", false, expected, known, (value) =>
      known.has(value)
        ? null
        : { at: "", expected, found: typeof value === "string" ? "another string" : kindOf(value) },
    );
  },
  /** The same check, or null. */
  nullable<T>(check: ColumnCheck<T>): ColumnCheck<T | null> {
    const expected = `${check.expected} or null`;
    return columnCheck(check.kind, true, expected, check.known, (value) => {
      if (value === null) return null;
      const mismatch = check.mismatchOf(value);
      return mismatch && mismatch.at === "" ? { ...mismatch, expected } : mismatch;
    });
  },
  /** A JSON array of objects (json_agg of json_build_object), each with exactly these keys. */
  jsonArray<Item>(itemChecks: RowChecks<Item>): ColumnCheck<Item[]> {
    const checkItem = objectChecker(itemChecks);
    return columnCheck("jsonArray", false, "array", null, (value) => {
      if (!Array.isArray(value)) return { at: "", expected: "array", found: kindOf(value) };
      for (let index = 0; index < value.length; index += 1) {
        const mismatch = checkItem(value[index], true);
        if (mismatch) {
          return { ...mismatch, at: mismatch.at ? `[${index}].${mismatch.at}` : `[${index}]` };
        }
      }
      return null;
    });
  },
};

/**
 * Checks one object against its columns: the first mismatch, with the column's name as `at`. The
 * values always; the set of keys (an undeclared one) when asked: a statement's rows all have the same
 * columns, so its first row is enough for that.
 */
function objectChecker<Row>(
  checks: RowChecks<Row>,
): (value: unknown, isColumnSetChecked: boolean) => Mismatch | null {
  const names = Object.keys(checks);
  const columnChecks = Object.values(checks) as AnyColumnCheck[];
  const declared = new Set(names);
  return (value, isColumnSetChecked) => {
    if (typeof value !== "object" || value === null) {
      return { at: "", expected: "object", found: kindOf(value) };
    }
    const fields = value as Record<string, unknown>;
    for (let index = 0; index < names.length; index += 1) {
      const name = names[index] as string;
      const check = columnChecks[index] as AnyColumnCheck;
      const columnValue = fields[name];
      if (fits(check, columnValue)) continue;
      const mismatch = check.mismatchOf(columnValue);
      if (mismatch) return { ...mismatch, at: `${name}${mismatch.at}` };
    }
    // Every declared column is there (undefined fails every check); more keys means an undeclared one.
    if (isColumnSetChecked && Object.keys(fields).length !== names.length) {
      const extra = Object.keys(fields).find((name) => !declared.has(name)) ?? "";
      return { at: extra, expected: "no such column (not declared)", found: kindOf(fields[extra]) };
    }
    return null;
  };
}

/** One statement's rows: checkRows(rows) returns them typed, or throws SqlRowError at the first misfit. */
export interface RowShape<Row> {
  readonly statement: string;
  checkRows(rows: readonly unknown[]): Row[];
}

/**
 * Declares what a statement's rows hold. `statement` names it in errors: "sql/<module>.<statement>".
 */
export function rowShape<Row>(statement: string, checks: RowChecks<Row>): RowShape<Row> {
  const checkRow = objectChecker(checks);
  return {
    statement,
    checkRows(rows) {
      for (let index = 0; index < rows.length; index += 1) {
        const mismatch = checkRow(rows[index], index === 0);
        if (mismatch) {
          throw new SqlRowError(statement, mismatch.at || "(row)", mismatch.expected, mismatch.found);
        }
      }
      return rows as Row[];
    },
  };
}
