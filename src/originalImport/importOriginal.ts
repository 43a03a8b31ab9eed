// Moves a community's data from the original system into the portal (npm run import:original).
//
// Lifecycle of a run:
//   1. read the whole original database (read-only, one snapshot: source.ts) and what earlier runs
//      imported (imported_records);
//   2. check everything that would stop the import (an unknown role or state, a staff email that is
//      invalid, twice in the source, or already a portal account that no earlier run made): all are
//      listed at once and nothing is written;
//   3. plan each row: its portal rows, or why it is not imported, and every mapping decision;
//   4. unless this is a dry run, write one table group per transaction (staff, cases, evidence,
//      registration tokens, audit history), each row with its imported_records row, so a second run
//      skips it, and its audit row. Evidence files go through the checks an upload goes through
//      (storage/checkEvidenceFile.ts: content, malware, active PDFs, photo metadata) and are stored by
//      the evidence store exactly as uploads are (encrypted when evidence encryption is on).
// Nobody is emailed: the import enqueues nothing.
import { randomUUID } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { lstat, open, realpath, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type AuditActor, recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import type { Database, Transaction } from "../db.js";
import { ZMatrixId, ZPhone, zEmailAddress } from "../domain/applicationFields.js";
import { isImportedPasswordHash } from "../domain/password.js";
import type { Prisma } from "../generated/prisma/client.js";
import { registrationTokenLookup, sealRegistrationToken } from "../matrix/tokenSecrets.js";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "../storage/backupLock.js";
import {
  checkEvidenceFile,
  type EvidenceFileChecks,
  evidenceFileChecks,
} from "../storage/checkEvidenceFile.js";
import { cleanDisplayName } from "../storage/displayName.js";
import { digestFile, type EvidenceStore, makeDirectory } from "../storage/evidenceStore.js";
import {
  FORM_STATE_MAP,
  formIdMentioned,
  ORIGINAL_TOKEN_LIFETIME_MS,
  RECOMMENDATION_MAP,
  ROLE_MAP,
  STAFF_STATUSES,
  THEME_MAP,
  TOKEN_STATE_MAP,
  VERIFICATION_METHOD_MAP,
} from "./mapping.js";
import {
  type OriginalData,
  type OriginalEvidenceRow,
  type OriginalFormRow,
  readOriginalDatabase,
} from "./source.js";

export type SourceTable = "rviuser" | "vetting_form" | "vetting_evidence" | "matrix_token" | "audit_log";
export const SOURCE_TABLES: readonly SourceTable[] = [
  "rviuser",
  "vetting_form",
  "vetting_evidence",
  "matrix_token",
  "audit_log",
];

export interface TableCounts {
  read: number;
  imported: number;
  alreadyImported: number;
  /** Listed but not imported (a refused or missing file, a token that cannot be placed). */
  notImported: number;
}

export interface ImportReport {
  source: string;
  isDryRun: boolean;
  counts: Record<SourceTable, TableCounts>;
  /** How each original value was mapped, with how many rows: "vetting_form status awaiting_token → APPROVED". */
  mappings: Map<string, number>;
  /** Every mapping decision and refusal, one sentence each, prefixed with the original row. */
  lines: string[];
}

// The original's values are echoed to the terminal: none may move the cursor or recolour it.
const TERMINAL_CONTROLS = /[\p{Cc}\p{Cf}]/gu;

function forTerminal(line: string): string {
  return line.replace(TERMINAL_CONTROLS, "?");
}

/** Problems that stop the import before anything is written. */
export class ImportBlockedError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The import was stopped before writing anything:\n${problems.map((line) => `  - ${forTerminal(line)}`).join("\n")}`,
    );
  }
}

export interface ImportDependencies {
  db: Database;
  config: Config;
  store: EvidenceStore;
}

const IMPORT_ACTOR: AuditActor = { label: "original system import" };

/** Postgres's own limit for an interactive transaction here: a large group of rows takes a while. */
const GROUP_TRANSACTION_TIMEOUT_MS = 600_000;

export async function importOriginal(
  deps: ImportDependencies,
  options: { from: string; filesDir: string; isDryRun: boolean; now?: Date },
): Promise<ImportReport> {
  const now = options.now ?? new Date();
  const data = await readOriginalDatabase(options.from);
  const filesDir = await checkFilesDir(options.filesDir);
  const run = new ImportRun(deps, data, filesDir, options.isDryRun, now);
  await run.loadEarlierRuns();
  run.checkBlockingProblems(await deps.db.staffUser.findMany({ select: { id: true, email: true } }));
  await run.importStaff();
  await run.importCases();
  await run.importEvidence();
  await run.importTokens();
  await run.importAuditLog();
  await run.recordCompletion();
  return run.report;
}

async function checkFilesDir(filesDir: string): Promise<string> {
  const resolved = path.resolve(filesDir);
  const info = await stat(resolved).catch(() => null);
  if (!info?.isDirectory()) {
    throw new ImportBlockedError([`--files ${filesDir} is not a folder (the original app's folder).`]);
  }
  return resolved;
}

type ImportedKey = `${SourceTable}:${number}`;

class ImportRun {
  readonly report: ImportReport;
  /** imported_records from earlier runs (and this one, as it goes): source row → portal id or null. */
  private readonly imported = new Map<ImportedKey, string | null>();
  /** rviuser id → portal staff id (earlier runs and this one). */
  private readonly staffIds = new Map<number, string>();
  /** vetting_form id → portal case id. */
  private readonly caseIds = new Map<number, string>();
  /** vetting_form id → the form, for the cases planned this run. */
  private readonly formsById: Map<number, OriginalFormRow>;
  private readonly usernames: Map<number, string>;
  private readonly evidenceChecks: EvidenceFileChecks;

  constructor(
    private readonly deps: ImportDependencies,
    private readonly data: OriginalData,
    private readonly filesDir: string,
    private readonly isDryRun: boolean,
    private readonly now: Date,
  ) {
    const counts = Object.fromEntries(
      SOURCE_TABLES.map((table) => [table, { read: 0, imported: 0, alreadyImported: 0, notImported: 0 }]),
    ) as Record<SourceTable, TableCounts>;
    counts.rviuser.read = data.staff.length;
    counts.vetting_form.read = data.forms.length;
    counts.vetting_evidence.read = data.evidence.length;
    counts.matrix_token.read = data.tokens.length;
    counts.audit_log.read = data.auditLog.length;
    this.report = { source: data.description, isDryRun, counts, mappings: new Map(), lines: [] };
    this.evidenceChecks = evidenceFileChecks(deps.config.evidence);
    this.formsById = new Map(data.forms.map((form) => [form.id, form]));
    this.usernames = new Map(data.staff.map((row) => [row.id, row.username]));
  }

  async loadEarlierRuns(): Promise<void> {
    const rows = await this.deps.db.importedRecord.findMany({
      select: { sourceTable: true, sourceId: true, targetId: true },
    });
    for (const row of rows) {
      this.imported.set(`${row.sourceTable as SourceTable}:${row.sourceId}`, row.targetId);
      if (row.targetId === null) continue;
      if (row.sourceTable === "rviuser") this.staffIds.set(row.sourceId, row.targetId);
      if (row.sourceTable === "vetting_form") this.caseIds.set(row.sourceId, row.targetId);
    }
  }

  checkBlockingProblems(portalStaff: readonly { id: string; email: string }[]): void {
    const problems: string[] = [];
    const importedStaffIds = new Set(this.staffIds.values());
    const portalEmails = new Map(portalStaff.map((row) => [row.email, row.id]));
    const seenEmails = new Map<string, number>();
    for (const row of this.data.staff) {
      const where = `rviuser ${row.id} (${row.username})`;
      if (!(row.role in ROLE_MAP)) problems.push(`${where}: unknown role "${row.role}".`);
      if (!STAFF_STATUSES.has(row.status)) problems.push(`${where}: unknown status "${row.status}".`);
      const email = zEmailAddress("no email").safeParse(row.email);
      if (!email.success) {
        problems.push(`${where}: "${row.email}" is not an email address.`);
        continue;
      }
      const other = seenEmails.get(email.data);
      if (other !== undefined)
        problems.push(`${where}: duplicate email ${email.data} (also rviuser ${other}).`);
      seenEmails.set(email.data, row.id);
      const portalId = portalEmails.get(email.data);
      if (
        portalId !== undefined &&
        !importedStaffIds.has(portalId) &&
        !this.imported.has(`rviuser:${row.id}`)
      ) {
        problems.push(`${where}: duplicate email ${email.data}: the portal already has an account with it.`);
      }
    }
    for (const form of this.data.forms) {
      if (form.status !== null && !(form.status in FORM_STATE_MAP))
        problems.push(`vetting_form ${form.id}: unknown status "${form.status}".`);
    }
    for (const token of this.data.tokens) {
      if (token.status !== null && !(token.status in TOKEN_STATE_MAP))
        problems.push(`matrix_token ${token.id}: unknown status "${token.status}".`);
    }
    if (problems.length > 0) throw new ImportBlockedError(problems);
  }

  // ── staff ─────────────────────────────────────────────────────────────────────────────────────

  async importStaff(): Promise<void> {
    const themes = new Map(this.data.preferences.map((row) => [row.user_id, row.theme]));
    const planned: { sourceId: number; data: Prisma.StaffUserCreateManyInput; status: string }[] = [];
    for (const row of this.data.staff) {
      if (this.skipIfImported("rviuser", row.id)) continue;
      const id = randomUUID();
      const isActive = row.status === "active";
      const hashIsUsable = isImportedPasswordHash(row.password_hash);
      const where = `rviuser ${row.id} (${row.username})`;
      if (!isActive) {
        this.line(
          `${where}: ${row.status}, imported disabled (cannot sign in); listed for an admin to decide.`,
        );
      } else if (!hashIsUsable) {
        this.line(
          `${where}: the password hash is not a Werkzeug pbkdf2/scrypt hash; the account cannot sign in until an admin resets its two-step sign-in.`,
        );
      } else if (row.needs_password_change) {
        this.line(`${where}: had a temporary password; must choose a new one at the first sign-in.`);
      }
      const theme = themes.get(row.id);
      this.mapped(`rviuser role ${row.role} → ${ROLE_MAP[row.role]}`);
      this.mapped(`rviuser status ${row.status} → ${isActive ? "ACTIVE" : "DISABLED"}`);
      planned.push({
        sourceId: row.id,
        status: row.status,
        data: {
          id,
          name: row.username.trim() || row.email,
          email: row.email.trim().toLowerCase(),
          role: ROLE_MAP[row.role] ?? "VETTING_AGENT",
          status: isActive ? "ACTIVE" : "DISABLED",
          passwordHash: isActive && hashIsUsable ? row.password_hash : null,
          disabledAt: isActive ? null : this.now,
          mustEnrolSecondFactor: isActive,
          mustChangePassword: isActive && row.needs_password_change === true,
          themePreference: (theme ? THEME_MAP[theme] : undefined) ?? "SYSTEM",
          createdAt: row.created_at ?? this.now,
          lastSignInAt: row.last_login,
        },
      });
      this.staffIds.set(row.id, id);
    }
    await this.writeGroup("rviuser", planned.length, async (tx) => {
      await tx.staffUser.createMany({ data: planned.map((row) => row.data) });
      for (const row of planned) {
        await this.recordImported(tx, "rviuser", row.sourceId, row.data.id ?? null);
        await recordAudit(
          tx,
          IMPORT_ACTOR,
          "import.staff_imported",
          { type: "staff_user", id: row.data.id ?? "" },
          {
            originalId: row.sourceId,
            role: row.data.role,
            originalStatus: row.status,
            status: row.data.status,
          },
        );
      }
    });
  }

  // ── vetting forms → cases ─────────────────────────────────────────────────────────────────────

  async importCases(): Promise<void> {
    const planned: Array<{
      sourceId: number;
      originalStatus: string;
      caseRow: Prisma.VettingCaseCreateManyInput;
      decision: Prisma.CaseDecisionCreateManyInput | null;
      record: Prisma.VettingRecordCreateManyInput | null;
      comment: Prisma.CaseCommentCreateManyInput | null;
      agentId: string | undefined;
    }> = [];
    for (const form of this.data.forms) {
      if (this.skipIfImported("vetting_form", form.id)) continue;
      const where = `vetting_form ${form.id}`;
      const agentId = this.staffIds.get(form.user_id);
      const originalStatus = form.status ?? "draft";
      if (form.status === null) this.line(`${where}: no status recorded; imported as a draft.`);
      const state = FORM_STATE_MAP[originalStatus] ?? "DRAFT";
      if (originalStatus === "awaiting_token") {
        this.line(
          `${where}: awaiting_token → approved; its registration token is still to be made (case page).`,
        );
      }
      this.mapped(`vetting_form status ${originalStatus} → ${state}`);
      const id = randomUUID();
      const keptInNote: string[] = [];

      const phone = form.phone_number?.trim() ? ZPhone.safeParse(form.phone_number) : null;
      if (phone && !phone.success) {
        keptInNote.push(`Phone number as typed in the original system: ${form.phone_number}`);
        this.line(
          `${where}: the phone number is not a valid international number; kept in a note on the case.`,
        );
      }
      const matrixId = form.matrix_id?.trim() ? ZMatrixId.safeParse(form.matrix_id) : null;
      if (matrixId && !matrixId.success) {
        keptInNote.push(`Matrix ID as typed in the original system: ${form.matrix_id}`);
        this.line(`${where}: the Matrix ID is not valid; kept in a note on the case.`);
      }

      const isDecided = state === "APPROVED" || state === "REJECTED";
      const deciderId = form.approved_by === null ? undefined : this.staffIds.get(form.approved_by);
      let decision: Prisma.CaseDecisionCreateManyInput | null = null;
      if (isDecided && deciderId) {
        decision = {
          caseId: id,
          kind: state === "APPROVED" ? "APPROVE" : "REJECT",
          decidedById: deciderId,
          decidedAt: form.approved_at ?? form.updated_at ?? form.created_at ?? this.now,
        };
      } else if (isDecided) {
        this.line(
          `${where}: ${originalStatus} without a recorded decider; the case keeps its state without a decision row.`,
        );
      }

      const record = agentId ? vettingRecordOf(form, id, agentId) : null;
      if (!record && hasVerificationFields(form)) {
        keptInNote.push(...verificationFieldsAsText(form));
        this.line(
          `${where}: the verification fields are incomplete for a vetting record; kept in a note on the case.`,
        );
      }
      if (!agentId)
        this.line(`${where}: its agent (rviuser ${form.user_id}) was not found; the case has no opener.`);
      const comment =
        keptInNote.length > 0 && agentId
          ? {
              caseId: id,
              authorId: agentId,
              body: `Moved in from the original system, where these were recorded as below.\n${keptInNote.join("\n")}`,
              createdAt: form.created_at ?? this.now,
            }
          : null;

      const createdAt = form.created_at ?? this.now;
      const submittedAt = state === "DRAFT" ? null : (form.updated_at ?? createdAt);
      planned.push({
        sourceId: form.id,
        originalStatus,
        agentId,
        caseRow: {
          id,
          state,
          origin: "STAFF",
          fullName: form.full_name.trim(),
          email: form.email.trim().toLowerCase(),
          matrixId: matrixId?.success ? matrixId.data : null,
          phone: phone?.success ? phone.data : null,
          statement: form.additional_info?.trim() ?? "",
          createdById: agentId ?? null,
          createdAt,
          submittedAt: decision ? minDate(submittedAt, decision.decidedAt as Date) : submittedAt,
          lastSubmittedAt: decision ? minDate(submittedAt, decision.decidedAt as Date) : submittedAt,
          decidedAt: isDecided ? ((decision?.decidedAt as Date | undefined) ?? form.approved_at) : null,
        },
        decision,
        record,
        comment,
      });
      this.caseIds.set(form.id, id);
    }
    await this.writeGroup("vetting_form", planned.length, async (tx) => {
      // In source order, so case numbers follow the original's order after the highest existing one.
      for (const row of planned) await tx.vettingCase.create({ data: row.caseRow, select: { id: true } });
      const decisions = planned.flatMap((row) => (row.decision ? [row.decision] : []));
      const records = planned.flatMap((row) => (row.record ? [row.record] : []));
      const comments = planned.flatMap((row) => (row.comment ? [row.comment] : []));
      if (decisions.length > 0) await tx.caseDecision.createMany({ data: decisions });
      if (records.length > 0) await tx.vettingRecord.createMany({ data: records });
      if (comments.length > 0) await tx.caseComment.createMany({ data: comments });
      for (const row of planned) {
        const caseId = row.caseRow.id ?? "";
        await this.recordImported(tx, "vetting_form", row.sourceId, caseId);
        await recordAudit(
          tx,
          row.agentId ? { staffUserId: row.agentId, label: IMPORT_ACTOR.label } : IMPORT_ACTOR,
          "import.case_imported",
          { type: "vetting_case", id: caseId },
          {
            originalId: row.sourceId,
            originalStatus: row.originalStatus,
            state: row.caseRow.state ?? "DRAFT",
            hasVettingRecord: row.record !== null,
            hasDecision: row.decision !== null,
          },
          row.caseRow.createdAt as Date,
        );
      }
    });
  }

  // ── evidence files ────────────────────────────────────────────────────────────────────────────

  async importEvidence(): Promise<void> {
    const uploadsRoot = path.join(this.filesDir, "uploads");
    const realUploadsRoot = await realpath(uploadsRoot).catch(() => null);
    if (realUploadsRoot === null && this.data.evidence.length > 0) {
      this.line(
        `the original's uploads folder ${uploadsRoot} does not exist: every evidence file is missing.`,
      );
    }
    const stagingDir = path.join(this.deps.store.root, `.import-${randomUUID()}`);
    const accepted: Array<{ row: Prisma.EvidenceFileCreateManyInput; sourceId: number; stagedPath: string }> =
      [];
    try {
      if (!this.isDryRun) {
        await this.deps.store.ensureLayout();
        await makeDirectory(stagingDir);
      }
      for (const evidence of this.data.evidence) {
        if (this.skipIfImported("vetting_evidence", evidence.id)) continue;
        const where = `vetting_evidence ${evidence.id} (${cleanDisplayName(evidence.filename)})`;
        const caseId = this.caseIds.get(evidence.vetting_form_id);
        if (!caseId) {
          this.refuse(
            "vetting_evidence",
            `${where}: its vetting form ${evidence.vetting_form_id} was not imported.`,
          );
          continue;
        }
        const located = await this.locateEvidenceFile(evidence, realUploadsRoot);
        if ("refusal" in located) {
          this.refuse("vetting_evidence", `${where}: ${located.refusal}`);
          continue;
        }
        // What is checked is the copy that would be stored, so nothing can change in between.
        const stagedPath = this.isDryRun ? located.path : path.join(stagingDir, randomUUID());
        if (!this.isDryRun) await copyWithoutFollowing(located.path, stagedPath);
        const digest = await digestFile(stagedPath);
        if (!digest) {
          this.refuse("vetting_evidence", `${where}: the file disappeared while it was read.`);
          continue;
        }
        if (digest.sizeBytes > this.deps.config.evidence.maxFileBytes) {
          this.refuse("vetting_evidence", `${where}: refused: larger than the portal's limit for one file.`);
          continue;
        }
        // The checks an upload goes through (content, malware, a PDF's active content, a photo's location
        // data). A dry run checks the original in place, so it must not rewrite it: no metadata removal.
        const inspection = await checkEvidenceFile(
          {
            path: stagedPath,
            originalName: evidence.filename,
            declaredType: evidence.file_type ?? "",
            sizeBytes: digest.sizeBytes,
            sha256: digest.sha256,
          },
          this.isDryRun
            ? { ...this.evidenceChecks, limits: { ...this.evidenceChecks.limits, isMetadataStripped: false } }
            : this.evidenceChecks,
        );
        if (!inspection.ok) {
          this.refuse(
            "vetting_evidence",
            `${where}: refused by the portal's ${inspection.reason === "malware" ? `virus scanner (${inspection.signature})` : "content checks"}: ${inspection.message}`,
          );
          continue;
        }
        const form = this.formsById.get(evidence.vetting_form_id);
        accepted.push({
          sourceId: evidence.id,
          stagedPath,
          row: {
            id: randomUUID(),
            caseId,
            storageKey: randomUUID(),
            displayName: cleanDisplayName(evidence.filename),
            mediaType: inspection.mediaType,
            sizeBytes: inspection.sizeBytes,
            sha256: inspection.sha256,
            activeContent: inspection.activeContent,
            note: evidence.notes?.trim() || null,
            uploaderKind: "STAFF",
            uploadedById: form ? (this.staffIds.get(form.user_id) ?? null) : null,
            createdAt: evidence.uploaded_at ?? this.now,
          },
        });
      }
      await this.writeEvidence(accepted);
    } finally {
      if (!this.isDryRun) await rm(stagingDir, { recursive: true, force: true });
    }
  }

  /**
   * The file an evidence row names, inside the original's uploads folder: a path that leads outside it
   * (by "..", an absolute path or a symbolic link) is refused and never opened.
   */
  private async locateEvidenceFile(
    evidence: OriginalEvidenceRow,
    realUploadsRoot: string | null,
  ): Promise<{ path: string } | { refusal: string }> {
    const uploadsRoot = path.join(this.filesDir, "uploads");
    const candidate = path.resolve(this.filesDir, evidence.file_path);
    if (!isInside(uploadsRoot, candidate)) {
      return {
        refusal: `refused: its path ${JSON.stringify(evidence.file_path)} is outside the uploads folder.`,
      };
    }
    if (realUploadsRoot === null) return { refusal: "missing: the uploads folder does not exist." };
    const info = await lstat(candidate).catch(() => null);
    if (!info) return { refusal: `missing: no file at ${evidence.file_path}.` };
    const real = await realpath(candidate).catch(() => null);
    if (real === null || !isInside(realUploadsRoot, real)) {
      return { refusal: `refused: ${evidence.file_path} leads outside the uploads folder (not followed).` };
    }
    if (info.isSymbolicLink())
      return { refusal: `refused: ${evidence.file_path} is a symbolic link (not followed).` };
    if (!info.isFile()) return { refusal: `refused: ${evidence.file_path} is not a regular file.` };
    return { path: real };
  }

  /** As addEvidenceFiles stores an upload: rows and audit first, then the placement lock and the renames. */
  private async writeEvidence(
    accepted: Array<{ row: Prisma.EvidenceFileCreateManyInput; sourceId: number; stagedPath: string }>,
  ): Promise<void> {
    const placedKeys: string[] = [];
    try {
      // Encrypted (when evidence encryption is on) before the transaction, as an upload is.
      const prepared = await Promise.all(
        accepted.map(async (file) => {
          const stored = await this.deps.store.prepare(file.stagedPath, file.row.storageKey);
          file.row.encryptionKeyId = stored.encryption?.encryptionKeyId ?? null;
          file.row.wrappedDataKey = stored.encryption?.wrappedDataKey ?? null;
          return stored;
        }),
      );
      await this.writeGroup("vetting_evidence", accepted.length, async (tx) => {
        await tx.evidenceFile.createMany({ data: accepted.map((file) => file.row) });
        for (const file of accepted) {
          await this.recordImported(tx, "vetting_evidence", file.sourceId, file.row.id ?? null);
          await recordAudit(
            tx,
            IMPORT_ACTOR,
            "import.evidence_imported",
            { type: "vetting_case", id: file.row.caseId },
            {
              originalId: file.sourceId,
              evidenceFileId: file.row.id ?? "",
              mediaType: file.row.mediaType,
              sizeBytes: file.row.sizeBytes,
            },
            file.row.createdAt as Date,
          );
        }
        await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EVIDENCE_PLACEMENT_LOCK_KEY})`;
        for (const file of prepared) {
          await this.deps.store.place(file);
          placedKeys.push(file.storageKey);
        }
      });
    } catch (error) {
      // The rows did not commit: a placed file without a row would be an orphan (the sweep's), removed now.
      for (const key of placedKeys) await this.deps.store.remove(key).catch(() => undefined);
      throw error;
    }
  }

  // ── registration tokens ───────────────────────────────────────────────────────────────────────

  async importTokens(): Promise<void> {
    const secretsKey = this.deps.config.staff.totpKey;
    const planned: Array<{ sourceId: number; row: Prisma.RegistrationTokenCreateManyInput }> = [];
    const lookups = new Set(
      (
        await this.deps.db.registrationToken.findMany({
          where: {
            tokenLookup: {
              in: this.data.tokens.map((row) => registrationTokenLookup(secretsKey, row.token)),
            },
          },
          select: { tokenLookup: true },
        })
      ).map((row) => row.tokenLookup),
    );
    for (const token of this.data.tokens) {
      if (this.skipIfImported("matrix_token", token.id)) continue;
      const where = `matrix_token ${token.id}`;
      const createdById = this.staffIds.get(token.created_by);
      const tokenLookup = registrationTokenLookup(secretsKey, token.token);
      if (!createdById) {
        this.refuse("matrix_token", `${where}: its creator (rviuser ${token.created_by}) was not found.`);
        continue;
      }
      if (lookups.has(tokenLookup)) {
        this.refuse("matrix_token", `${where}: the portal already holds this token.`);
        continue;
      }
      lookups.add(tokenLookup);
      const caseId =
        token.vetting_form_id === null ? null : (this.caseIds.get(token.vetting_form_id) ?? null);
      if (token.vetting_form_id !== null && caseId === null) {
        this.line(
          `${where}: its vetting form ${token.vetting_form_id} was not imported; recorded as standalone.`,
        );
      }
      const state = TOKEN_STATE_MAP[token.status ?? "pending"] ?? "PENDING";
      this.mapped(`matrix_token status ${token.status ?? "(none)"} → ${state}`);
      const createdAt = token.created_at ?? this.now;
      const expiresAt = tokenExpiry(token.expiry_time, token.expiry_date, createdAt);
      if (token.expiry_time === null && !token.expiry_date) {
        this.line(`${where}: no expiry recorded; taken as 30 days after it was made, as the original set.`);
      }
      planned.push({
        sourceId: token.id,
        row: {
          id: randomUUID(),
          caseId,
          personName: token.user_fullname.trim(),
          personEmail: token.user_email.trim().toLowerCase(),
          note: `Assigned username in the original system: ${token.assigned_username}`,
          tokenSealed: sealRegistrationToken(secretsKey, token.token),
          tokenLookup,
          state,
          expiresAt,
          createdById,
          createdAt,
          createdOnHomeserverAt: state === "CREATED" ? (token.response_timestamp ?? createdAt) : null,
          failedAt: state === "FAILED" ? (token.response_timestamp ?? createdAt) : null,
          lastError:
            state === "FAILED" ? "The homeserver refused it (as last seen by the original system)." : null,
        },
      });
    }
    await this.writeGroup("matrix_token", planned.length, async (tx) => {
      await tx.registrationToken.createMany({ data: planned.map((token) => token.row) });
      for (const token of planned) {
        await this.recordImported(tx, "matrix_token", token.sourceId, token.row.id ?? null);
        await recordAudit(
          tx,
          IMPORT_ACTOR,
          "import.matrix_token_imported",
          token.row.caseId
            ? { type: "vetting_case", id: token.row.caseId }
            : { type: "registration_token", id: token.row.id ?? "" },
          {
            originalId: token.sourceId,
            registrationTokenId: token.row.id ?? "",
            state: token.row.state ?? "PENDING",
          },
          token.row.createdAt as Date,
        );
      }
    });
  }

  // ── audit history ─────────────────────────────────────────────────────────────────────────────

  async importAuditLog(): Promise<void> {
    const planned = this.data.auditLog.filter((entry) => !this.skipIfImported("audit_log", entry.id));
    await this.writeGroup("audit_log", planned.length, async (tx) => {
      for (const entry of planned) {
        const formId = formIdMentioned(entry.action, entry.details);
        const caseId = formId === null ? undefined : this.caseIds.get(formId);
        const staffUserId = this.staffIds.get(entry.user_id);
        const username = this.usernames.get(entry.user_id) ?? `rviuser ${entry.user_id}`;
        const created = await tx.auditEvent.create({
          data: {
            occurredAt: entry.timestamp ?? this.now,
            actorId: staffUserId ?? null,
            actorLabel: `${username} (original system)`,
            action: "import.original_event",
            subjectType: caseId ? "vetting_case" : staffUserId ? "staff_user" : null,
            subjectId: caseId ?? staffUserId ?? null,
            details: { imported: true, originalId: entry.id, originalAction: entry.action.slice(0, 50) },
            ipAddress: entry.ip_address?.slice(0, 50) ?? null,
          },
          select: { id: true },
        });
        // The free text stays beside the log, not in it: the log never holds personal data.
        await this.recordImported(tx, "audit_log", entry.id, created.id.toString(), entry.details);
      }
    });
  }

  async recordCompletion(): Promise<void> {
    const importedAnything = SOURCE_TABLES.some((table) => this.report.counts[table].imported > 0);
    if (this.isDryRun || !importedAnything) return;
    await this.deps.db.$transaction(async (tx) => {
      const counts = Object.fromEntries(
        SOURCE_TABLES.map((table) => [table, this.report.counts[table].imported]),
      ) as Record<string, number>;
      await recordAudit(tx, IMPORT_ACTOR, "import.completed", null, { imported: counts });
    });
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────

  private skipIfImported(table: SourceTable, sourceId: number): boolean {
    if (!this.imported.has(`${table}:${sourceId}`)) return false;
    this.report.counts[table].alreadyImported += 1;
    return true;
  }

  private mapped(mapping: string): void {
    this.report.mappings.set(mapping, (this.report.mappings.get(mapping) ?? 0) + 1);
  }

  private line(text: string): void {
    this.report.lines.push(text);
  }

  private refuse(table: SourceTable, text: string): void {
    this.report.counts[table].notImported += 1;
    this.line(text);
  }

  /** One table group in one transaction; in a dry run only counted. */
  private async writeGroup(
    table: SourceTable,
    rowCount: number,
    write: (tx: Transaction) => Promise<void>,
  ): Promise<void> {
    this.report.counts[table].imported = rowCount;
    if (this.isDryRun || rowCount === 0) return;
    await this.deps.db.$transaction(write, { timeout: GROUP_TRANSACTION_TIMEOUT_MS });
  }

  private async recordImported(
    tx: Transaction,
    table: SourceTable,
    sourceId: number,
    targetId: string | null,
    details: string | null = null,
  ): Promise<void> {
    await tx.importedRecord.create({ data: { sourceTable: table, sourceId, targetId, details } });
    this.imported.set(`${table}:${sourceId}`, targetId);
  }
}

function vettingRecordOf(
  form: OriginalFormRow,
  caseId: string,
  agentId: string,
): Prisma.VettingRecordCreateManyInput | null {
  const method = VERIFICATION_METHOD_MAP[form.verification_method ?? ""];
  const recommendation = RECOMMENDATION_MAP[form.recommendation ?? ""];
  const score = form.vetting_score;
  if (!method || !recommendation || score === null || score < 1 || score > 5) return null;
  return {
    caseId,
    agentId,
    identityVerified: form.identity_verified === true,
    method,
    verifiedOn: form.verification_date ?? form.created_at ?? new Date(),
    place: form.verification_location?.trim() ?? "",
    notes: form.vetting_notes?.trim() ?? "",
    score,
    recommendation,
    createdAt: form.updated_at ?? form.created_at ?? new Date(),
  };
}

function hasVerificationFields(form: OriginalFormRow): boolean {
  return Boolean(
    form.identity_verified ||
      form.verification_method ||
      form.verification_date ||
      form.verification_location ||
      form.vetting_notes ||
      form.vetting_score !== null ||
      form.recommendation,
  );
}

function verificationFieldsAsText(form: OriginalFormRow): string[] {
  const fields: Array<[string, string | null]> = [
    ["Identity verified", form.identity_verified === null ? null : form.identity_verified ? "yes" : "no"],
    ["Verification method", form.verification_method],
    ["Verification date", form.verification_date?.toISOString().slice(0, 10) ?? null],
    ["Verification location", form.verification_location],
    ["Vetting notes", form.vetting_notes],
    ["Vetting score", form.vetting_score === null ? null : String(form.vetting_score)],
    ["Recommendation", form.recommendation],
  ];
  return fields.flatMap(([label, value]) => (value ? [`${label}: ${value}`] : []));
}

function tokenExpiry(expiryTime: number | null, expiryDate: string | null, createdAt: Date): Date {
  if (expiryTime !== null && expiryTime > 0) return new Date(expiryTime);
  const parsed = expiryDate
    ? new Date(`${expiryDate.trim().replace(" ", "T")}${/T|\s/.test(expiryDate.trim()) ? "Z" : "T00:00:00Z"}`)
    : null;
  if (parsed && !Number.isNaN(parsed.getTime())) return parsed;
  return new Date(createdAt.getTime() + ORIGINAL_TOKEN_LIFETIME_MS);
}

function minDate(a: Date | null, b: Date): Date | null {
  return a === null ? null : a < b ? a : b;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/** Copies a file refusing a symbolic link as its last part; the copy is new (never overwrites), 0640. */
async function copyWithoutFollowing(source: string, target: string): Promise<void> {
  const handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await pipeline(
      handle.createReadStream({ autoClose: false }),
      createWriteStream(target, { flags: "wx", mode: 0o640 }),
    );
  } finally {
    await handle.close();
  }
}

/** The report as printed: counts per table, then every decision and refusal. */
export function formatImportReport(report: ImportReport): string {
  const header = report.isDryRun
    ? `Dry run: nothing was written. Read from ${report.source}.`
    : `Imported from ${report.source}.`;
  const rows = SOURCE_TABLES.map((table) => {
    const counts = report.counts[table];
    return `  ${table.padEnd(17)} ${String(counts.read).padStart(6)} ${String(counts.imported).padStart(9)} ${String(counts.alreadyImported).padStart(17)} ${String(counts.notImported).padStart(13)}`;
  });
  const verb = report.isDryRun ? "to import" : "imported";
  return [
    header,
    "",
    `  ${"table".padEnd(17)} ${"read".padStart(6)} ${verb.padStart(9)} ${"already imported".padStart(17)} ${"not imported".padStart(13)}`,
    ...rows,
    "",
    "Mappings (rows):",
    ...[...report.mappings].map(([mapping, count]) => `  ${mapping} (${count})`),
    "",
    report.lines.length > 0 ? "Decisions and refusals:" : "No decisions or refusals to report.",
    ...report.lines.map((line) => `  - ${line}`),
    "",
  ]
    .map(forTerminal)
    .join("\n");
}
