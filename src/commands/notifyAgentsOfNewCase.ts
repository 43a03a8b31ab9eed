// Placeholder (H3 owns this file): tells agents a case was submitted and waits in the queue, in the
// caller's transaction. "immediate": one new_case_waiting email per active vetting agent now;
// "digest": nothing now (the daily digest job collects submitted cases); "off": nothing.
import type { Config } from "../config.js";
import type { Transaction } from "../db.js";

export async function notifyAgentsOfNewCase(
  _tx: Transaction,
  _options: { config: Config; caseId: string },
): Promise<void> {}
