// Someone applies through the public form. Together, or not at all: the case is created as a DRAFT
// (origin APPLICANT) with the privacy notice version they accepted and the language of its text, the
// audit row is written, the case is compared with others for possible duplicates (staff's business; the
// applicant is never told), and the confirmation email is queued with its delivery job. The link in it
// (minted when the mail leaves) opens the workspace.
//
// All of that is one SQL statement on the pg pool, in an explicit transaction that is committed only
// once the statement has answered (queryInTransaction: a refused request never leaves a case behind,
// even from a database that resumes after our timeout), and planned for its values on each call (a plan
// kept from when the community had few cases would read every case): this is the busiest write the
// public can make, and through Prisma's interactive transaction it took seven statements and a
// transaction's round trips, each with Prisma's own work (docs/performance.md, figure 7). The pieces
// are the same as everywhere else: the duplicate rule (DUPLICATE_MATCHES_SQL), the audit row's values
// (auditRowValues), the outbox row checked as enqueueEmail checks it (prepareEmail) and its delivery
// job (deliveryJobSql). The duplicate check reads before the insert, as it did in the transaction: a
// case committed meanwhile is compared when either case next changes.
//
// Applying twice with the same address makes a second case: nothing on the public side may reveal
// whether an address already has one.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { AUDIT_ROW_COLUMNS, type AuditAction, type AuditActor, auditActorValues } from "../../audit.js";
import type { Config } from "../../config.js";
import { queryInTransaction } from "../../database/pgPool.js";
import type { TApplicationForm } from "../../domain/applicationFields.js";
import { consentToNotice } from "../../domain/privacyNotice.js";
import type { Language } from "../../i18n/languages.js";
import { deliveryJobSql, prepareEmail } from "../../mail/outbox.js";
import {
  DUPLICATE_FIELDS,
  DUPLICATE_MATCHES_SQL,
  duplicateMatchParameters,
} from "../cases/flagPossibleDuplicates.js";

// $1–$4 are DUPLICATE_MATCHES_SQL's; then the case ($5–$11), the audit rows' actor ($12–$16), the outbox
// row ($17–$20), the duplicate fields in their order ($21), the two audit actions ($22, $23), the
// case's language ($24), which is also its email's, and the language of the notice they accepted ($25).
const START_APPLICATION_SQL = `
  WITH matches AS (${DUPLICATE_MATCHES_SQL}),
  flag AS (
    SELECT count(*) > 0 AS "isPossibleDuplicate",
           coalesce(json_agg(json_build_object('caseId', "caseId", 'number', number, 'matchedOn', "matchedOn")
                             ORDER BY number), '[]') AS matches,
           coalesce(json_agg("caseId" ORDER BY number), '[]') AS "matchedCaseIds",
           (SELECT coalesce(json_agg(field ORDER BY position), '[]')
              FROM unnest($21::text[]) WITH ORDINALITY AS fields(field, position)
             WHERE EXISTS (SELECT 1 FROM matches WHERE field = ANY("matchedOn"))) AS "matchedOn"
    FROM matches
  ),
  created AS (
    INSERT INTO vetting_cases (id, state, origin, "fullName", email, "matrixId", phone, statement,
                               "privacyNoticeVersion", "privacyConsentAt", "isPossibleDuplicate",
                               "duplicateMatches", language, "privacyNoticeLanguage", "updatedAt")
    SELECT $4::uuid, 'DRAFT', 'APPLICANT', $5, $6, $7, $8, $9, $10, $11, flag."isPossibleDuplicate",
           flag.matches, $24, $25, now()
    FROM flag
    RETURNING id
  ),
  audit AS (
    INSERT INTO audit_events (${AUDIT_ROW_COLUMNS})
    SELECT $22, 'vetting_case', created.id::text,
           jsonb_build_object('origin', 'APPLICANT', 'privacyNoticeVersion', $10::text,
                              'privacyNoticeLanguage', $25::text),
           $12::uuid, $13, $14, $15, $16
    FROM created
    UNION ALL
    SELECT $23, 'vetting_case', created.id::text,
           jsonb_build_object('matchedCaseIds', flag."matchedCaseIds", 'matchedOn', flag."matchedOn"),
           $12::uuid, $13, $14, $15, $16
    FROM created, flag
    WHERE flag."isPossibleDuplicate"
  ),
  outbox AS (
    INSERT INTO outbox_messages (id, kind, recipient, payload, "linkSubjectType", "linkSubjectId", language,
                                 "updatedAt")
    SELECT $17::uuid, $18, $19, $20::jsonb, 'vetting_case', created.id::text, $24, now()
    FROM created
    RETURNING id
  )
  SELECT ${deliveryJobSql("outbox.id")} FROM outbox`;

export async function startApplication(
  sqlPool: pg.Pool,
  options: {
    config: Config;
    application: TApplicationForm;
    /** The language of the page they applied from (the default language when absent): every email to them will be in it. */
    language?: Language;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ caseId: string }> {
  const now = options.now ?? new Date();
  const { application } = options;
  const caseId = randomUUID();
  const language = options.language ?? options.config.languages[0] ?? "en";
  // The form's box was ticked on a page in `language`, whose link shows the notice in it.
  const consent = consentToNotice(options.config.privacy, language);
  const email = prepareEmail({
    kind: "email_confirmation",
    recipient: application.email,
    // Nothing the applicant typed: the address is not theirs until they follow the link.
    payload: {},
    linkSubject: { type: "vetting_case", id: caseId },
  });
  // Planned with its values on each call: the duplicate check must use the email's index also when a
  // plan would otherwise have been kept from when the community had few cases (a burst after an opening).
  await queryInTransaction(
    sqlPool,
    {
      name: "start-application",
      text: START_APPLICATION_SQL,
      values: [
        ...duplicateMatchParameters(caseId, application),
        application.fullName,
        application.email,
        application.matrixId,
        application.phone,
        application.statement,
        consent.privacyNoticeVersion,
        now,
        ...auditActorValues(options.audit),
        email.id,
        email.kind,
        email.recipient,
        JSON.stringify(email.payload),
        DUPLICATE_FIELDS,
        "case.created" satisfies AuditAction,
        "case.duplicate_flagged" satisfies AuditAction,
        language,
        consent.privacyNoticeLanguage,
      ],
    },
    { planEachCall: true },
  );
  return { caseId };
}
