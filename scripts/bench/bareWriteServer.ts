// The baseline for the write figures of npm run bench (writes.ts): a bare Koa handler that validates the
// same form with the same schema and writes the same rows through pg in one transaction, with none of
// the portal's middleware (no session, CSRF, CSP nonce, limits, request log) and no Prisma.
//   POST /apply                      ZApplicationForm; the DRAFT case, its audit row, the confirmation
//                                    email's outbox row and its delivery job (graphile_worker.add_job)
//   POST /staff/cases/:id/start-review   SUBMITTED → IN_REVIEW (conditional update) and its audit row
// Both answer 303 as the portal does. Run as a child process with the portal's environment plus
// BENCH_STAFF_ID (the agent the audit rows name); prints "listening <port>" when ready, stops on SIGTERM.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import { koaBody } from "koa-body";
import { loadConfig } from "../../src/config.js";
import { createPgPool } from "../../src/database/pgPool.js";
import { ZApplicationForm } from "../../src/domain/applicationFields.js";

const config = loadConfig();
const staffId = process.env.BENCH_STAFF_ID ?? "";
const pool = createPgPool(config.database.url ?? "", {
  max: config.database.poolMax,
  connectionTimeoutMs: config.database.connectionTimeoutMs,
  statementTimeoutMs: config.database.statementTimeoutMs,
  applicationName: "bench-bare-writes",
});

async function inTransaction<T>(work: (client: import("pg").PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

const app = new Koa();
app.on("error", (error: unknown) => {
  process.stderr.write(`bare write server: ${error instanceof Error ? error.message : String(error)}\n`);
});
app.use(koaBody({ multipart: false, urlencoded: true, json: false, text: false }));
app.use(async (ctx) => {
  const startReview = /^\/staff\/cases\/([0-9a-f-]{36})\/start-review$/.exec(ctx.path);
  if (ctx.method === "POST" && ctx.path === "/apply") {
    const parsed = ZApplicationForm.safeParse(ctx.request.body);
    if (!parsed.success) {
      ctx.status = 422;
      return;
    }
    const form = parsed.data;
    await inTransaction(async (client) => {
      const created = await client.query<{ id: string }>(
        `INSERT INTO vetting_cases (id, state, origin, "fullName", email, "matrixId", phone, statement,
                                    "privacyNoticeVersion", "privacyConsentAt", "updatedAt")
         VALUES ($1, 'DRAFT', 'APPLICANT', $2, $3, $4, $5, $6, $7, now(), now()) RETURNING id`,
        [
          randomUUID(),
          form.fullName,
          form.email,
          form.matrixId,
          form.phone,
          form.statement,
          config.privacy.noticeVersion,
        ],
      );
      const caseId = created.rows[0]?.id;
      await client.query(
        `INSERT INTO audit_events ("actorLabel", action, "subjectType", "subjectId", details)
         VALUES ('applicant', 'case.created', 'vetting_case', $1, $2)`,
        [caseId, JSON.stringify({ origin: "APPLICANT", privacyNoticeVersion: config.privacy.noticeVersion })],
      );
      const outboxId = randomUUID();
      await client.query(
        `INSERT INTO outbox_messages (id, kind, recipient, payload, "linkSubjectType", "linkSubjectId",
                                      "updatedAt")
         VALUES ($1, 'email_confirmation', $2, '{}', 'vetting_case', $3, now())`,
        [outboxId, form.email, caseId],
      );
      await client.query(
        `SELECT graphile_worker.add_job('deliver_email', $1::json, run_at => now(), job_key => $2,
                                        max_attempts => 10)`,
        [JSON.stringify({ outboxMessageId: outboxId }), `email:${outboxId}`],
      );
    });
    ctx.status = 303;
    ctx.redirect("/apply/sent");
    return;
  }
  if (ctx.method === "POST" && startReview) {
    const caseId = startReview[1];
    const moved = await inTransaction(async (client) => {
      const updated = await client.query(
        `UPDATE vetting_cases SET state = 'IN_REVIEW', "updatedAt" = now()
         WHERE id = $1 AND state = 'SUBMITTED'`,
        [caseId],
      );
      if (updated.rowCount !== 1) return false;
      await client.query(
        `INSERT INTO audit_events ("actorId", "actorLabel", action, "subjectType", "subjectId", details)
         VALUES ($1, 'bench agent', 'case.review_started', 'vetting_case', $2, $3)`,
        [staffId, caseId, JSON.stringify({ from: "SUBMITTED", to: "IN_REVIEW" })],
      );
      return true;
    });
    ctx.status = moved ? 303 : 409;
    if (moved) ctx.redirect(`/staff/cases/${caseId}`);
    return;
  }
  ctx.status = 404;
});

const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void pool.end().then(() => process.exit(0)));
});
