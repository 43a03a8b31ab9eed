// Placeholder (H4 owns this file): daily, erases the personal data and evidence of cases decided (or
// withdrawn) more than CASE_RETENTION_DAYS ago, keeping the decision and the audit trail.
import type { JobDependencies } from "./dependencies.js";

export async function purgeDecidedCases(_deps: JobDependencies, _now = new Date()): Promise<void> {}
