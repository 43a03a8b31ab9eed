// The dependency audit, a step of `npm test` (scripts/test.ts) and runnable alone:
//     npx tsx scripts/auditDependencies.ts
// `npm audit --omit=dev` asks the registry which advisories touch the production dependencies (the
// packages a host installs with `npm ci --omit=dev`; dev tools never run there). Any high or critical
// advisory fails the check, unless audit-allowlist.json accepts that advisory for that package, with a
// reason and an expiry date (at most a year ahead): an acceptance is a decision to look at again, so an
// expired one fails the check even where the registry cannot be asked, and so does a list that does not
// parse. Moderate and low advisories are listed, not failed.
//
// When the registry does not answer audit requests (a network that reaches only a registry mirror
// refuses them: 405 Method Not Allowed), nothing can be judged: the step says so on its own line, with
// the registry's answer, and counts as skipped, never as passed.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { projectRoot } from "../src/projectRoot.js";

export const ALLOWLIST_FILE = path.join(projectRoot, "audit-allowlist.json");
const FAILING_SEVERITIES = new Set(["high", "critical"]);
const MAX_ALLOWANCE_DAYS = 366;
const AUDIT_TIMEOUT_MS = 120_000;

const ZAllowance = z.strictObject({
  /** The advisory's GHSA id as npm audit links it (https://github.com/advisories/GHSA-…). */
  advisory: z
    .string()
    .regex(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/, "must be a GHSA id, e.g. GHSA-abcd-2345-wxyz"),
  package: z.string().min(1),
  reason: z.string().min(20, "must say why (at least 20 characters)"),
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2027-03-01"),
});
const ZAllowlist = z.strictObject({
  $comment: z.string().optional(),
  allowances: z.array(ZAllowance),
});
export type TAllowance = z.infer<typeof ZAllowance>;

export interface AuditFinding {
  advisory: string;
  package: string;
  severity: string;
  title: string;
  url: string;
  /** The versions affected. */
  range: string;
}

export type AuditOutcome =
  | { kind: "passed" | "failed"; lines: string[] }
  | { kind: "unavailable"; lines: string[] };

/** The advisories of an `npm audit --json` report (format 2), or null when it is not one. */
export function findingsOf(report: unknown): AuditFinding[] | null {
  if (typeof report !== "object" || report === null) return null;
  const { auditReportVersion, vulnerabilities } = report as {
    auditReportVersion?: unknown;
    vulnerabilities?: unknown;
  };
  if (auditReportVersion !== 2 || typeof vulnerabilities !== "object" || vulnerabilities === null)
    return null;
  const findings = new Map<string, AuditFinding>();
  for (const vulnerability of Object.values(vulnerabilities as Record<string, { via?: unknown[] }>)) {
    // `via` holds the advisories on this package itself (objects) and the vulnerable packages it
    // depends on (names, whose own entries hold their advisories): only the objects are findings.
    for (const via of vulnerability.via ?? []) {
      if (typeof via !== "object" || via === null) continue;
      const advisory = via as {
        source?: unknown;
        name?: unknown;
        title?: unknown;
        url?: unknown;
        severity?: unknown;
        range?: unknown;
      };
      const url = String(advisory.url ?? "");
      const finding: AuditFinding = {
        advisory: /GHSA(-[0-9a-z]{4}){3}/i.exec(url)?.[0] ?? `npm-${String(advisory.source)}`,
        package: String(advisory.name ?? ""),
        severity: String(advisory.severity ?? "unknown"),
        title: String(advisory.title ?? ""),
        url,
        range: String(advisory.range ?? ""),
      };
      findings.set(`${finding.advisory} ${finding.package}`, finding);
    }
  }
  return [...findings.values()].sort(
    (a, b) => a.package.localeCompare(b.package) || a.advisory.localeCompare(b.advisory),
  );
}

/** audit-allowlist.json's acceptances, and every problem with the file. */
export function parseAllowlist(text: string, today: Date): { allowances: TAllowance[]; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { allowances: [], problems: [`audit-allowlist.json is not JSON: ${(error as Error).message}`] };
  }
  const parsed = ZAllowlist.safeParse(json);
  if (!parsed.success) {
    return {
      allowances: [],
      problems: parsed.error.issues.map(
        (issue) => `audit-allowlist.json ${issue.path.join(".")}: ${issue.message}`,
      ),
    };
  }
  const problems: string[] = [];
  const todayText = today.toISOString().slice(0, 10);
  const latest = new Date(today.getTime() + MAX_ALLOWANCE_DAYS * 86_400_000).toISOString().slice(0, 10);
  for (const allowance of parsed.data.allowances) {
    const what = `${allowance.advisory} in ${allowance.package}`;
    const date = new Date(`${allowance.expires}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== allowance.expires) {
      problems.push(`the acceptance of ${what}: ${allowance.expires} is not a date`);
    } else if (allowance.expires < todayText) {
      problems.push(
        `the acceptance of ${what} expired on ${allowance.expires}: upgrade, or decide again with a new date`,
      );
    } else if (allowance.expires > latest) {
      problems.push(`the acceptance of ${what} runs to ${allowance.expires}: at most a year ahead`);
    }
  }
  return { allowances: parsed.data.allowances, problems };
}

/** The findings judged against the acceptances: what fails the check, and what is only said. */
export function judgeFindings(
  findings: AuditFinding[],
  allowances: TAllowance[],
): { failures: string[]; notes: string[] } {
  const failures: string[] = [];
  const notes: string[] = [];
  const described = (finding: AuditFinding) =>
    `${finding.severity} ${finding.advisory} in ${finding.package} ${finding.range}: ${finding.title} (${finding.url})`;
  for (const finding of findings) {
    const accepted = allowances.find(
      (allowance) => allowance.advisory === finding.advisory && allowance.package === finding.package,
    );
    if (accepted)
      notes.push(`accepted until ${accepted.expires}: ${described(finding)} (${accepted.reason})`);
    else if (FAILING_SEVERITIES.has(finding.severity)) failures.push(described(finding));
    else notes.push(described(finding));
  }
  for (const allowance of allowances) {
    const isUsed = findings.some(
      (finding) => finding.advisory === allowance.advisory && finding.package === allowance.package,
    );
    if (!isUsed)
      notes.push(
        `no longer reported, remove it from audit-allowlist.json: ${allowance.advisory} in ${allowance.package}`,
      );
  }
  return { failures, notes };
}

/** Runs npm audit and judges it; never throws. */
export async function auditDependencies(today = new Date()): Promise<AuditOutcome> {
  let allowlistText: string;
  try {
    allowlistText = await readFile(ALLOWLIST_FILE, "utf8");
  } catch {
    return { kind: "failed", lines: [`cannot read ${path.basename(ALLOWLIST_FILE)}`] };
  }
  const { allowances, problems } = parseAllowlist(allowlistText, today);
  const audit = await runNpmAudit();
  const findings = audit.report === null ? null : findingsOf(audit.report);
  if (findings === null) {
    const reason =
      registryAnswer(audit.report) ??
      (audit.stderr.trim().split("\n").pop() || `npm audit exited ${audit.code}`);
    const notChecked = `the registry did not answer the audit (${reason}): no advisory was checked`;
    // An expired or malformed acceptance fails without the registry too.
    if (problems.length > 0)
      return { kind: "failed", lines: [...problems.map((problem) => `FAIL ${problem}`), notChecked] };
    return { kind: "unavailable", lines: [notChecked] };
  }
  const { failures, notes } = judgeFindings(findings, allowances);
  const lines = [
    `${findings.length} advisories in production dependencies (npm audit --omit=dev)`,
    ...failures.map((failure) => `FAIL ${failure}`),
    ...problems.map((problem) => `FAIL ${problem}`),
    ...notes,
  ];
  return { kind: failures.length + problems.length > 0 ? "failed" : "passed", lines };
}

function registryAnswer(report: unknown): string | null {
  if (typeof report !== "object" || report === null) return null;
  const message = (report as { message?: unknown }).message;
  return typeof message === "string" ? message : null;
}

function runNpmAudit(): Promise<{ code: number | null; report: unknown; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["audit", "--omit=dev", "--json"], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), AUDIT_TIMEOUT_MS);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, report: null, stderr: error.message });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      let report: unknown = null;
      try {
        report = JSON.parse(stdout);
      } catch {
        // Not JSON: npm failed before it could report; stderr says why.
      }
      resolve({ code, report, stderr });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outcome = await auditDependencies();
  for (const line of outcome.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(`dependency audit: ${outcome.kind === "unavailable" ? "not run" : outcome.kind}\n`);
  process.exit(outcome.kind === "failed" ? 1 : outcome.kind === "unavailable" ? 2 : 0);
}
