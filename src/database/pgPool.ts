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
// pg's own conversion of a parameter (Date, Buffer, array, object) to what Bind sends, as its Query and
// pg-cursor use it; pg exports it from this path only.
import { prepareValue } from "pg/lib/utils.js";

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
 * One statement in a transaction that commits only once the statement's answer is back. A statement
 * sent alone commits the moment the server runs it, also when it runs it after our query timeout: a
 * paused or frozen host that resumes works through what it was sent, so the person told 503 would find
 * the change made anyway (an application stored, its email sent). Here nothing commits until the
 * answer has arrived, and a connection closed before that leaves nothing behind
 * (drills/postgresPaused.test.ts).
 *
 * Without BEGIN and COMMIT: in the extended query protocol everything up to a Sync message is one
 * implicit transaction, and Sync commits it. The statement goes out as Parse, Bind, Describe, Execute
 * and Flush (not Sync), one write; its rows come back, and only then is Sync sent (StatementThenSync).
 * Two round trips, where BEGIN, the statement and COMMIT took three: on a busy web process every round
 * trip is a socket write and a wait in the event loop (docs/performance.md, figure 7).
 *
 * planEachCall: the statement is planned for its values on every call rather than once per connection.
 * A named statement's generic plan is made once, with the tables' statistics of that moment, and kept
 * until an autoanalyze happens to replace it: made while a table was small, it reads the whole table
 * (cheapest then) and keeps doing so as the table grows. For a statement whose plan must follow the
 * data, such as a lookup in a table that a burst can grow by thousands of rows a minute, that costs far
 * more than planning. Such a statement is sent unnamed: Postgres plans the unnamed statement with the
 * values it is bound to.
 */
export async function queryInTransaction<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  query: pg.QueryConfig,
  options: { planEachCall?: boolean } = {},
): Promise<pg.QueryResult<Row>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await new Promise<pg.QueryResult<Row>>((resolve, reject) => {
      const statement = new StatementThenSync<Row>(
        { ...query, name: options.planEachCall ? "" : (query.name ?? "") },
        (error, result) => (result ? resolve(result) : reject(error)),
      );
      client.query(statement);
    });
  } catch (error) {
    // The connection is closed on any error: the server rolls back what it was sent (no Sync went out
    // before an answer), a statement that failed to parse goes with it, and nothing waits for the
    // answer that did not come. Errors here are rare (a statement or query timeout, a lost server).
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The Result methods pg's own Query uses to collect rows (not in @types/pg). */
interface CollectingResult<Row extends pg.QueryResultRow> extends pg.QueryResult<Row> {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Row;
  addRow(row: Row): void;
  addCommandComplete(message: unknown): void;
}

/**
 * Statements each connection has been sent under their names, as pg's Query keeps them for its own (a
 * name is parsed once per connection; a connection whose statement failed is closed, names and all).
 * The two records are apart, so a name given to queryInTransaction is not also given to pool.query.
 */
const parsedStatements = new WeakMap<pg.Connection, Set<string>>();

/**
 * The statement of queryInTransaction as a pg Submittable (the extension point pg-cursor and
 * pg-query-stream are built on): pg's Query always sends Sync right after Execute, which commits
 * before the answer is read, and pg-cursor needs a round trip to describe the statement first, so
 * neither does this. pg's client hands it the backend's messages for as long as it is the active query.
 */
class StatementThenSync<Row extends pg.QueryResultRow> implements pg.Submittable {
  private readonly result = new pg.Result("", pg.types) as unknown as CollectingResult<Row>;
  private isSyncSent = false;
  private isSettled = false;

  constructor(
    private readonly query: pg.QueryConfig,
    /** pg's query timeout wraps this (it clears its timer when called), so it is a public field. */
    public callback: (error: Error | null, result?: pg.QueryResult<Row>) => void,
  ) {}

  submit(connection: pg.Connection): void {
    const name = this.query.name ?? "";
    let parsed = parsedStatements.get(connection);
    if (!parsed) {
      parsed = new Set();
      parsedStatements.set(connection, parsed);
    }
    // One write for all the messages, as pg's Query corks its own.
    connection.stream.cork();
    try {
      if (!name || !parsed.has(name)) {
        connection.parse({ name, text: this.query.text, types: [] }, true);
        if (name) parsed.add(name);
      }
      connection.bind({ statement: name, values: (this.query.values ?? []).map(prepareValue) }, true);
      connection.describe({ type: "P", name: "" }, true);
      // Every row (no row limit). Flush, not Sync: the transaction stays open until the answer is read.
      connection.execute({}, true);
      connection.flush();
    } finally {
      connection.stream.uncork();
    }
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    this.result.addRow(this.result.parseRow(message.fields));
  }

  /** The statement has answered: commit. The caller is answered at ReadyForQuery, once committed. */
  handleCommandComplete(message: unknown, connection: pg.Connection): void {
    this.result.addCommandComplete(message);
    this.sendSync(connection);
  }

  handleEmptyQuery(connection: pg.Connection): void {
    this.sendSync(connection);
  }

  /** No Sync: queryInTransaction closes the connection, and the server rolls back. */
  handleError(error: Error): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle(null, this.result);
  }

  private sendSync(connection: pg.Connection): void {
    if (this.isSyncSent) return;
    this.isSyncSent = true;
    connection.sync();
  }

  private settle(error: Error | null, result?: pg.QueryResult<Row>): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.callback(error, result);
  }
}
