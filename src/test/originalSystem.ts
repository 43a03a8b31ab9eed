// The original system's database for importer tests, built for real: its schema (the PostgreSQL DDL of
// its SQLAlchemy models, as shared/notes/original-schema.md records them; SQLite gets the same columns
// with SQLite's types) in a Postgres database of the test server or in a SQLite file, and rows written
// the way that system wrote them: Werkzeug password hashes, naive UTC times, files under uploads/.
import { pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import initSqlJs from "sql.js";
import { createEmptyDatabase, type TestDatabase } from "./postgres.js";

export const ORIGINAL_POSTGRES_DDL = `
CREATE TABLE rviuser (
  id SERIAL PRIMARY KEY,
  username VARCHAR(64) NOT NULL UNIQUE,
  email VARCHAR(120) NOT NULL UNIQUE,
  password_hash VARCHAR(256) NOT NULL,
  role VARCHAR(20) NOT NULL,
  created_at TIMESTAMP WITHOUT TIME ZONE,
  last_login TIMESTAMP WITHOUT TIME ZONE,
  needs_password_change BOOLEAN,
  created_by INTEGER REFERENCES rviuser (id),
  status VARCHAR(20) NOT NULL,
  approved_by INTEGER REFERENCES rviuser (id),
  approved_at TIMESTAMP WITHOUT TIME ZONE,
  approval_notes TEXT
);
CREATE TABLE audit_log (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES rviuser (id),
  timestamp TIMESTAMP WITHOUT TIME ZONE,
  action VARCHAR(50) NOT NULL,
  details TEXT,
  ip_address VARCHAR(50)
);
CREATE TABLE user_preferences (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL UNIQUE REFERENCES rviuser (id),
  theme VARCHAR(20),
  token_colors TEXT, role_colors TEXT, status_colors TEXT,
  animation_enabled BOOLEAN, tooltip_enabled BOOLEAN,
  updated_at TIMESTAMP WITHOUT TIME ZONE
);
CREATE TABLE vetting_form (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES rviuser (id),
  created_at TIMESTAMP WITHOUT TIME ZONE,
  updated_at TIMESTAMP WITHOUT TIME ZONE,
  status VARCHAR(20),
  full_name VARCHAR(120) NOT NULL,
  email VARCHAR(120) NOT NULL,
  matrix_id VARCHAR(120),
  phone_number VARCHAR(20),
  identity_verified BOOLEAN,
  verification_method VARCHAR(50),
  verification_date TIMESTAMP WITHOUT TIME ZONE,
  verification_location VARCHAR(120),
  vetting_notes TEXT,
  vetting_score INTEGER,
  recommendation VARCHAR(20),
  additional_info TEXT,
  approved_by INTEGER REFERENCES rviuser (id),
  approved_at TIMESTAMP WITHOUT TIME ZONE
);
CREATE TABLE matrix_token (
  id SERIAL PRIMARY KEY,
  token VARCHAR(64) NOT NULL UNIQUE,
  user_fullname VARCHAR(120) NOT NULL,
  user_email VARCHAR(120) NOT NULL,
  assigned_username VARCHAR(120) NOT NULL,
  created_at TIMESTAMP WITHOUT TIME ZONE,
  created_by INTEGER NOT NULL REFERENCES rviuser (id),
  status VARCHAR(20),
  response_data TEXT,
  response_timestamp TIMESTAMP WITHOUT TIME ZONE,
  expiry_time BIGINT,
  expiry_date VARCHAR(20),
  uses_allowed INTEGER,
  vetting_form_id INTEGER REFERENCES vetting_form (id)
);
CREATE TABLE vetting_evidence (
  id SERIAL PRIMARY KEY,
  vetting_form_id INTEGER NOT NULL REFERENCES vetting_form (id),
  filename VARCHAR(255) NOT NULL,
  file_path VARCHAR(512) NOT NULL,
  file_type VARCHAR(100),
  file_size INTEGER,
  notes TEXT,
  uploaded_at TIMESTAMP WITHOUT TIME ZONE
);`;

/** The same tables as SQLAlchemy creates them on SQLite. */
export const ORIGINAL_SQLITE_DDL = ORIGINAL_POSTGRES_DDL.replace(
  /id SERIAL PRIMARY KEY/g,
  "id INTEGER NOT NULL PRIMARY KEY",
).replace(/TIMESTAMP WITHOUT TIME ZONE/g, "DATETIME");

/** Werkzeug's generate_password_hash(password, "pbkdf2:sha256:<iterations>"), by its documented algorithm. */
export function werkzeugPbkdf2Hash(password: string, iterations = 260_000): string {
  const salt = werkzeugSalt();
  const digest = pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("hex");
  return `pbkdf2:sha256:${iterations}$${salt}$${digest}`;
}

/** Werkzeug 3's generate_password_hash(password, "scrypt"): n=2^15, r=8, p=1, 64 bytes. */
export function werkzeugScryptHash(password: string): string {
  const salt = werkzeugSalt();
  const digest = scryptSync(password, salt, 64, { N: 32768, r: 8, p: 1, maxmem: 132 * 32768 * 8 }).toString(
    "hex",
  );
  return `scrypt:32768:8:1$${salt}$${digest}`;
}

/** 16 characters of [A-Za-z0-9], as Werkzeug's gen_salt. */
function werkzeugSalt(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

export type OriginalRow = Record<string, string | number | boolean | null>;
export type OriginalRows = Partial<Record<string, OriginalRow[]>>;

/** Tables in the order their foreign keys need. */
const TABLE_ORDER = [
  "rviuser",
  "user_preferences",
  "vetting_form",
  "vetting_evidence",
  "matrix_token",
  "audit_log",
];

/** A Postgres database on the test server with the original's schema and these rows. */
export async function originalPostgresDatabase(rows: OriginalRows): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(ORIGINAL_POSTGRES_DDL);
    for (const table of TABLE_ORDER) {
      for (const row of rows[table] ?? []) {
        const columns = Object.keys(row);
        await client.query(
          `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(", ")})`,
          columns.map((column) => row[column]),
        );
      }
    }
  } finally {
    await client.end();
  }
  return database;
}

/** A SQLite file with the original's schema and these rows (booleans as 0/1, as SQLAlchemy writes them). */
export async function originalSqliteFile(file: string, rows: OriginalRows): Promise<void> {
  const SQL = await initSqlJs();
  const database = new SQL.Database();
  database.exec(ORIGINAL_SQLITE_DDL);
  for (const table of TABLE_ORDER) {
    for (const row of rows[table] ?? []) {
      const columns = Object.keys(row);
      database.run(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
        columns.map((column) => {
          const value = row[column];
          return typeof value === "boolean" ? (value ? 1 : 0) : (value ?? null);
        }),
      );
    }
  }
  await writeFile(file, database.export());
  database.close();
}

/** Writes files into the original app's folder (paths relative to it, as file_path holds them). */
export async function writeOriginalFiles(appFolder: string, files: Record<string, Buffer>): Promise<void> {
  for (const [relativePath, bytes] of Object.entries(files)) {
    const target = path.join(appFolder, relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
}
