// The PrismaClient, through the pg driver adapter (no engine binary). main.ts creates one per process
// and passes it down; tests create one per test database.
import { PrismaPg } from "@prisma/adapter-pg";
import { type Prisma, PrismaClient } from "./generated/prisma/client.js";

export type Database = PrismaClient;
export type Transaction = Prisma.TransactionClient;

export interface DatabaseOptions {
  poolMax: number;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
}

export function createDatabase(connectionString: string, options: DatabaseOptions): Database {
  const adapter = new PrismaPg({
    connectionString,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: "vetting-portal",
  });
  return new PrismaClient({ adapter });
}
