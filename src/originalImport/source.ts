// The original system's database, read and never written: a PostgreSQL URL or a SQLite file.
//
// PostgreSQL: one connection whose every transaction is read-only (default_transaction_read_only, set
// at connect time), reading all tables inside one REPEATABLE READ READ ONLY transaction, so the import
// sees one consistent snapshot and the server itself refuses any write. SQLite: the file's bytes are
// read once (the file opened read-only) into sql.js, SQLite compiled to WebAssembly, which works on its
// own copy in memory: nothing can reach the file. Either way the rows come out in the same shape, times
// as UTC (the original wrote naive UTC timestamps) and booleans as booleans.
import { readFile } from "node:fs/promises";
import pg from "pg";
import initSqlJs from "sql.js";

export interface OriginalStaffRow {
  id: number;
  username: string;
  email: string;
  password_hash: string;
  role: string;
  created_at: Date | null;
  last_login: Date | null;
  needs_password_change: boolean | null;
  status: string;
  approved_by: number | null;
  approved_at: Date | null;
}

export interface OriginalPreferencesRow {
  user_id: number;
  theme: string | null;
}

export interface OriginalFormRow {
  id: number;
  user_id: number;
  created_at: Date | null;
  updated_at: Date | null;
  status: string | null;
  full_name: string;
  email: string;
  matrix_id: string | null;
  phone_number: string | null;
  identity_verified: boolean | null;
  verification_method: string | null;
  verification_date: Date | null;
  verification_location: string | null;
  vetting_notes: string | null;
  vetting_score: number | null;
  recommendation: string | null;
  additional_info: string | null;
  approved_by: number | null;
  approved_at: Date | null;
}

export interface OriginalEvidenceRow {
  id: number;
  vetting_form_id: number;
  filename: string;
  file_path: string;
  file_type: string | null;
  notes: string | null;
  uploaded_at: Date | null;
}

export interface OriginalTokenRow {
  id: number;
  token: string;
  user_fullname: string;
  user_email: string;
  assigned_username: string;
  created_at: Date | null;
  created_by: number;
  status: string | null;
  response_timestamp: Date | null;
  expiry_time: number | null;
  expiry_date: string | null;
  vetting_form_id: number | null;
}

export interface OriginalAuditRow {
  id: number;
  user_id: number;
  timestamp: Date | null;
  action: string;
  details: string | null;
  ip_address: string | null;
}

export interface OriginalData {
  /** What was read, for the report: "PostgreSQL database x on host" or "SQLite file /path". */
  description: string;
  staff: OriginalStaffRow[];
  preferences: OriginalPreferencesRow[];
  forms: OriginalFormRow[];
  evidence: OriginalEvidenceRow[];
  tokens: OriginalTokenRow[];
  auditLog: OriginalAuditRow[];
}

/** The source cannot be read as the original's database; the message says why, without credentials. */
export class OriginalSourceError extends Error {}

const REQUIRED_TABLES = ["rviuser", "vetting_form", "vetting_evidence", "matrix_token", "audit_log"] as const;
type Row = Record<string, unknown>;

export async function readOriginalDatabase(from: string): Promise<OriginalData> {
  const isPostgres = /^postgres(?:ql)?:\/\//i.test(from);
  const tables = isPostgres ? await readPostgres(from) : await readSqlite(from);
  return {
    description: isPostgres ? describePostgres(from) : `SQLite file ${from}`,
    staff: tables.rviuser.map((row) => ({
      id: integer(row.id),
      username: text(row.username),
      email: text(row.email),
      password_hash: text(row.password_hash),
      role: text(row.role),
      created_at: time(row.created_at),
      last_login: time(row.last_login),
      needs_password_change: flag(row.needs_password_change),
      status: text(row.status),
      approved_by: optionalInteger(row.approved_by),
      approved_at: time(row.approved_at),
    })),
    preferences: (tables.user_preferences ?? []).map((row) => ({
      user_id: integer(row.user_id),
      theme: optionalText(row.theme),
    })),
    forms: tables.vetting_form.map((row) => ({
      id: integer(row.id),
      user_id: integer(row.user_id),
      created_at: time(row.created_at),
      updated_at: time(row.updated_at),
      status: optionalText(row.status),
      full_name: text(row.full_name),
      email: text(row.email),
      matrix_id: optionalText(row.matrix_id),
      phone_number: optionalText(row.phone_number),
      identity_verified: flag(row.identity_verified),
      verification_method: optionalText(row.verification_method),
      verification_date: time(row.verification_date),
      verification_location: optionalText(row.verification_location),
      vetting_notes: optionalText(row.vetting_notes),
      vetting_score: optionalInteger(row.vetting_score),
      recommendation: optionalText(row.recommendation),
      additional_info: optionalText(row.additional_info),
      approved_by: optionalInteger(row.approved_by),
      approved_at: time(row.approved_at),
    })),
    evidence: tables.vetting_evidence.map((row) => ({
      id: integer(row.id),
      vetting_form_id: integer(row.vetting_form_id),
      filename: text(row.filename),
      file_path: text(row.file_path),
      file_type: optionalText(row.file_type),
      notes: optionalText(row.notes),
      uploaded_at: time(row.uploaded_at),
    })),
    tokens: tables.matrix_token.map((row) => ({
      id: integer(row.id),
      token: text(row.token),
      user_fullname: text(row.user_fullname),
      user_email: text(row.user_email),
      assigned_username: text(row.assigned_username),
      created_at: time(row.created_at),
      created_by: integer(row.created_by),
      status: optionalText(row.status),
      response_timestamp: time(row.response_timestamp),
      expiry_time: optionalInteger(row.expiry_time),
      expiry_date: optionalText(row.expiry_date),
      vetting_form_id: optionalInteger(row.vetting_form_id),
    })),
    auditLog: tables.audit_log.map((row) => ({
      id: integer(row.id),
      user_id: integer(row.user_id),
      timestamp: time(row.timestamp),
      action: text(row.action),
      details: optionalText(row.details),
      ip_address: optionalText(row.ip_address),
    })),
  };
}

type Tables = Record<(typeof REQUIRED_TABLES)[number], Row[]> & { user_preferences?: Row[] };

async function readPostgres(url: string): Promise<Tables> {
  const client = new pg.Client({
    connectionString: url,
    // The server refuses every write from this connection, whatever the importer did by mistake.
    options: "-c default_transaction_read_only=on",
    // Naive timestamps are the original's UTC; read them as such, not in this machine's time zone.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === pg.types.builtins.TIMESTAMP
          ? (value: string) => new Date(`${value.replace(" ", "T")}Z`)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  try {
    await client.connect();
  } catch (error) {
    throw new OriginalSourceError(
      `Cannot connect to the original database (${describePostgres(url)}): ${(error as Error).message}`,
    );
  }
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows: present } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    const names = new Set(present.map((row) => row.table_name));
    assertTables(names);
    const tables: Partial<Tables> = {};
    for (const table of [...REQUIRED_TABLES, "user_preferences"] as const) {
      if (!names.has(table)) continue;
      tables[table] = (await client.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
    }
    await client.query("COMMIT");
    return tables as Tables;
  } finally {
    await client.end();
  }
}

async function readSqlite(file: string): Promise<Tables> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file, { flag: "r" });
  } catch (error) {
    throw new OriginalSourceError(`Cannot read the SQLite file ${file}: ${(error as Error).message}`);
  }
  const SQL = await initSqlJs();
  let database: InstanceType<typeof SQL.Database>;
  try {
    database = new SQL.Database(new Uint8Array(bytes));
    database.exec("PRAGMA query_only = ON");
  } catch (error) {
    throw new OriginalSourceError(`${file} is not a SQLite database: ${(error as Error).message}`);
  }
  try {
    const all = (sql: string): Row[] => {
      const statement = database.prepare(sql);
      const rows: Row[] = [];
      while (statement.step()) rows.push(statement.getAsObject());
      statement.free();
      return rows;
    };
    let names: Set<string>;
    try {
      names = new Set(
        all("SELECT name FROM sqlite_master WHERE type = 'table'").map((row) => String(row.name)),
      );
    } catch (error) {
      throw new OriginalSourceError(`${file} is not a SQLite database: ${(error as Error).message}`);
    }
    assertTables(names);
    const tables: Partial<Tables> = {};
    for (const table of [...REQUIRED_TABLES, "user_preferences"] as const) {
      if (names.has(table)) tables[table] = all(`SELECT * FROM ${table} ORDER BY id`);
    }
    return tables as Tables;
  } finally {
    database.close();
  }
}

function assertTables(names: Set<string>): void {
  const missing = REQUIRED_TABLES.filter((table) => !names.has(table));
  if (missing.length > 0) {
    throw new OriginalSourceError(
      `The source has no ${missing.join(", ")} table${missing.length > 1 ? "s" : ""}: is it the original system's database?`,
    );
  }
}

/** "database rvi on db.example.org:5432", never the user name or password. */
function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL database ${decodeURIComponent(parsed.pathname.slice(1)) || "(default)"} on ${parsed.host}`;
  } catch {
    return "PostgreSQL database (the URL does not parse)";
  }
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function optionalText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function integer(value: unknown): number {
  return Number(value);
}

function optionalInteger(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function flag(value: unknown): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value;
  return Number(value) !== 0;
}

/** SQLAlchemy writes SQLite times as "2024-03-01 10:00:00.000000"; Postgres's are parsed above. */
function time(value: unknown): Date | null {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  const textValue = String(value).trim();
  const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/.test(textValue);
  const parsed = new Date(`${textValue.replace(" ", "T")}${hasZone ? "" : "Z"}`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
