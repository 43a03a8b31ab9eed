// Least privilege for the role the portal runs as. Migrations run as the schema's owner; the portal's own
// role only needs to read and write rows. Granting after every migration (rather than once, by hand)
// means tables added by later migrations are covered without anyone remembering to.
import pg from "pg";

/** The schemas the portal uses: its own tables and the job queue's (graphile-worker). */
const SCHEMAS = ["public", "graphile_worker"] as const;

/**
 * Grants `role` what the running portal needs and nothing more: connect, use the schemas, read and write
 * rows, use sequences, call the job queue's functions. Idempotent (GRANT of a held privilege is a no-op).
 */
export async function grantRowPrivileges(connectionString: string, role: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const name = client.escapeIdentifier(role);
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
    if (exists.rowCount === 0) {
      throw new Error(
        `DATABASE_APP_ROLE: the role ${role} does not exist (CREATE ROLE ${role} LOGIN PASSWORD …)`,
      );
    }
    const database = (await client.query<{ name: string }>("SELECT current_database() AS name")).rows[0]
      ?.name;
    const schemas = SCHEMAS.map((schema) => client.escapeIdentifier(schema)).join(", ");
    await client.query("BEGIN");
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(database ?? "")} TO ${name}`);
    await client.query(`GRANT USAGE ON SCHEMA ${schemas} TO ${name}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schemas} TO ${name}`);
    await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schemas} TO ${name}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schemas} TO ${name}`);
    // graphile-worker keeps its private tables behind row-level security with no policy, so that only
    // their owner reaches them. The portal's role gets one policy per such table letting it at every
    // row: the same row access as elsewhere, without owning (and so being able to alter) the tables.
    const protectedTables = await client.query<{ schema: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS table
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND n.nspname = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM pg_policies p
                           WHERE p.schemaname = n.nspname AND p.tablename = c.relname AND p.policyname = $2)`,
      [SCHEMAS, policyName(role)],
    );
    for (const { schema, table } of protectedTables.rows) {
      await client.query(
        `CREATE POLICY ${client.escapeIdentifier(policyName(role))} ON ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)} TO ${name} USING (true) WITH CHECK (true)`,
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

function policyName(role: string): string {
  return `row_access_${role}`;
}
