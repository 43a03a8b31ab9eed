// The pg pools requests run on: the application's (db.ts, under Prisma; the worker's jobs use it too)
// and the request limits' (security/requestLimits.ts). Made here, so that they agree on the two things
// below. (The job queue's own pool, jobs/worker.ts, gets the TLS but not the timeout: it says why.)
//
// - TLS, from the URL. node-postgres reads `sslmode`, `sslrootcert`, `sslcert` and `sslkey` from a
//   postgresql:// URL itself (pg-connection-string): `?sslmode=verify-full&sslrootcert=/path/ca.pem`
//   checks the server's certificate against that CA and its name against the URL's host, exactly as
//   psql and pg_dump (libpq) do for scripts/backup. Nothing to translate for verify-full, so nothing is:
//   every connection (these pools, the job queue's, migrations, grants) is given the URL as it is. pg
//   reads the files at each new connection; config.ts checks at start that they can be read.
//   (pg reads `require`, `verify-ca` and `prefer` as verify-full, stricter than libpq: a URL either
//   program accepts is checked at least as strictly by the portal, never less.)
// - A client-side query timeout (pg's `query_timeout`). The server's statement_timeout cancels slow
//   statements, but only a server that runs can cancel: when the network drops the connection silently
//   (a partition, a paused or frozen host), a query would wait for the kernel to give up on TCP, many
//   minutes, holding the request and a pool connection. With queryTimeoutMs a little above the
//   statement timeout, a healthy server always answers first (a real SQL error), and a query with no
//   answer at all fails, which database/unavailable.ts counts as the database being unavailable (503).
import pg from "pg";

export interface PgPoolSettings {
  max: number;
  /** Opening a connection (TCP, TLS, authentication) gives up after this long. */
  connectionTimeoutMs: number;
  /** A query with no answer after this long fails, and its connection is closed; unset: no limit. */
  queryTimeoutMs?: number;
  /** The server's statement_timeout for this pool's sessions; unset: the role's or server's. */
  statementTimeoutMs?: number;
  applicationName: string;
  /** Startup options (`-c name=value`) for every session. */
  options?: string;
}

export function createPgPool(connectionString: string, settings: PgPoolSettings): pg.Pool {
  return new pg.Pool({
    connectionString,
    Client: ClientClosedOnQueryTimeout,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    query_timeout: settings.queryTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    application_name: settings.applicationName,
    options: settings.options,
  });
}

/** The error pg's query_timeout fails a query with (pg/lib/client.js). */
export const QUERY_TIMEOUT_MESSAGE = "Query read timeout";

function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_TIMEOUT_MESSAGE;
}

/**
 * pg's query_timeout fails the caller's query but keeps its connection, still waiting for the lost
 * answer. The next query on it, Prisma's ROLLBACK of the failed transaction, queues behind the lost one
 * and times out as well (the request waits twice as long), is dropped unsent, and the connection goes
 * back to the pool (Prisma returns a transaction's connection without an error) with its session still
 * inside that transaction, for the next borrower once the server answers. So a connection whose query
 * timed out is closed at once (with a query in flight, pg's end() destroys the socket): the queries
 * queued on it fail straight away, the pool discards it when it comes back, and the server rolls back
 * whatever that session had begun.
 */
class ClientClosedOnQueryTimeout extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; this passes them all through.
  override query(...args: any[]): any {
    const callback: unknown = args.at(-1);
    if (typeof callback === "function") {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        if (isQueryTimeout(error)) this.closeAfterTimeout();
        callback(error, result);
      };
      return super.query(...(args as Parameters<pg.Client["query"]>));
    }
    const result: unknown = super.query(...(args as Parameters<pg.Client["query"]>));
    if (result instanceof Promise) {
      // Settles before the caller's own handlers run: the connection is closed before they react.
      result.catch((error: unknown) => {
        if (isQueryTimeout(error)) this.closeAfterTimeout();
      });
    }
    return result;
  }

  private closeAfterTimeout(): void {
    this.end().catch(() => {});
  }
}

/**
 * One statement in an explicit transaction on a connection of its own: BEGIN, the statement, and COMMIT
 * only once the statement's answer is back. A statement sent alone commits the moment the server runs
 * it, also when it runs it after our query timeout: a paused or frozen host that resumes works through
 * what it was sent, so the person told 503 would find the change made anyway (an application stored, its
 * email sent). Inside a transaction, a connection closed before COMMIT leaves nothing behind
 * (drills/postgresPaused.test.ts). Two round trips more than the statement alone; still one per step.
 *
 * planEachCall: the statement is planned for its values on every call rather than once per connection.
 * A named statement's generic plan is made once, with the tables' statistics of that moment, and kept
 * until an autoanalyze happens to replace it: made while a table was small, it reads the whole table
 * (cheapest then) and keeps doing so as the table grows. For a statement whose plan must follow the
 * data, such as a lookup in a table that a burst can grow by thousands of rows a minute, that costs far
 * more than planning (docs/performance.md, figure 7). Set for the transaction only, with BEGIN.
 */
export async function queryInTransaction<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  query: pg.QueryConfig,
  options: { planEachCall?: boolean } = {},
): Promise<pg.QueryResult<Row>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(
      options.planEachCall ? "BEGIN; SET LOCAL plan_cache_mode = force_custom_plan" : "BEGIN",
    );
    const result = await client.query<Row>(query);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A connection that cannot even roll back (closed after a timeout, the server gone) is discarded.
    await client.query("ROLLBACK").catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
