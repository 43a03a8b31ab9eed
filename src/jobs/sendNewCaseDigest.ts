// Placeholder (H3 owns this file): the daily digest of newly submitted cases to agents, when
// NEW_CASE_NOTIFICATIONS=digest. `scheduledFor` is the cron tick the job is for (graphile-worker's
// `_cron.ts` payload), so a re-run of the same tick covers the same cases.
import type { JobDependencies } from "./dependencies.js";

export async function sendNewCaseDigest(_deps: JobDependencies, _scheduledFor: Date): Promise<void> {}
