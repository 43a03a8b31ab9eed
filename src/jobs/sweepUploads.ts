// Every 15 minutes (worker.ts), and once when a process starts (main.ts): the uploads volume's sweep
// (storage/sweepUploads.ts). Safe to run twice, and on every instance at once.
import { evidenceStore } from "../storage/evidenceStore.js";
import { type SweepOutcome, sweepUploads } from "../storage/sweepUploads.js";
import type { JobDependencies } from "./dependencies.js";

export function sweepUploadsVolume(
  deps: Pick<JobDependencies, "db" | "config" | "logger">,
): Promise<SweepOutcome> {
  return sweepUploads({
    db: deps.db,
    store: evidenceStore(deps.config.uploadsDir, deps.config.evidence.encryption),
    logger: deps.logger.child({ category: "uploads" }),
  });
}
