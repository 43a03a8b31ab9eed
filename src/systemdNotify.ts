// Readiness for systemd's Type=notify units (deploy/systemd): `systemctl start` and `restart` return only
// once the portal answers, so a rolling restart of the web instances never has nginx send requests to one
// that is still starting, and a start that never gets there is reported as a failed start.
//
// Sent through systemd-notify(1), the mechanism systemd ships, rather than a native addon: node has no
// unix datagram sockets, and the one maintained addon (sd-notify) needs libsystemd's headers at build
// time in every image. systemd-notify is a child of ours, hence NotifyAccess=all in the units; since
// systemd 246 it waits until systemd has taken the message (sd_notify_barrier), so the message is never
// lost to the race where its sender has exited before systemd looks up which unit it belongs to.
import { spawn } from "node:child_process";
import type { Logger } from "./logger.js";

export interface ServiceManager {
  /** READY=1 with a one-line status (`systemctl status` shows it). */
  ready(status: string): Promise<void>;
  /** STOPPING=1: a stop is under way (the unit shows "deactivating" rather than a crash). */
  stopping(): Promise<void>;
}

const NOT_UNDER_SYSTEMD: ServiceManager = { ready: async () => {}, stopping: async () => {} };

/** notifySocket: $NOTIFY_SOCKET as config read it; null outside a Type=notify unit (nothing is sent). */
export function serviceManager(notifySocket: string | null, logger: Logger): ServiceManager {
  if (!notifySocket) return NOT_UNDER_SYSTEMD;
  const notify = (args: string[]) =>
    new Promise<void>((resolve) => {
      const child = spawn("systemd-notify", args, { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      // A failed notification is logged, never fatal: systemd then reports the start as timed out,
      // which says more than a portal that exits on its own would.
      child.on("error", (error) => {
        logger.error({ err: error, category: "systemd" }, "could not run systemd-notify");
        resolve();
      });
      child.on("exit", (code) => {
        if (code !== 0) {
          logger.error({ code, stderr: stderr.trim(), category: "systemd" }, "systemd-notify failed");
        }
        resolve();
      });
    });
  return {
    ready: (status) => notify(["--ready", `--status=${status}`]),
    // No waiting for systemd during a stop: it already knows, and the stop must not hang on it.
    stopping: () => notify(["--no-block", "STOPPING=1"]),
  };
}
