// Several portal processes as one deployment runs them: N web instances (`--web`, one port each) and one
// job worker (`--worker`), all sharing one Postgres and one uploads folder, configured as production.
// Put src/test/nginx.ts in front of them for the whole picture. As in production, every upload is
// scanned: the cluster starts a clamd of its own (src/test/clamd.ts) unless the caller sets EVIDENCE_SCAN.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTestClamd, type TestClamd } from "./clamd.js";
import { productionEnvironment } from "./httpsApp.js";
import { type PortalProcess, startPortal } from "./portalProcess.js";
import { freePort } from "./ports.js";

export interface WebInstance {
  port: number;
  /** http://127.0.0.1:<port>: the instance itself, without nginx. */
  url: string;
  process: PortalProcess;
}

export interface PortalCluster {
  web: WebInstance[];
  worker: PortalProcess | undefined;
  /** The uploads folder every instance shares (UPLOADS_DIR). */
  uploadsDir: string;
  /** The environment every process got (add PORT for one more instance). */
  env: Record<string, string>;
  /**
   * SIGTERM to one web instance; resolves with its exit code (null when it had to be killed: still
   * running 10 s after its own shutdown deadline, SHUTDOWN_TIMEOUT_MS).
   */
  stopWeb(index: number): Promise<number | null>;
  /** Stops every process (SIGTERM, then SIGKILL as stopWeb) and removes the uploads folder if it made it. */
  close(): Promise<void>;
}

export interface PortalClusterOptions {
  databaseUrl: string;
  /** The address people use (nginx's https URL): links in emails, cookie Secure flag, CSRF origin check. */
  publicUrl: string;
  webInstances?: number;
  /** Start the job worker (default true). */
  worker?: boolean;
  /** A shared uploads folder; default: a fresh temporary one, removed by close(). */
  uploadsDir?: string;
  /** More settings for every process (SMTP_*, TRUSTED_PROXIES, EVIDENCE_*, rate limits…). */
  env?: Record<string, string>;
}

export async function startPortalCluster(options: PortalClusterOptions): Promise<PortalCluster> {
  const ownUploads = options.uploadsDir === undefined;
  const uploadsDir = options.uploadsDir ?? (await mkdtemp(path.join(tmpdir(), "vp-cluster-uploads-")));
  const clamd: TestClamd | null = options.env?.EVIDENCE_SCAN ? null : await startTestClamd();
  const env: Record<string, string> = {
    ...productionEnvironment(options.publicUrl),
    ...(clamd ? { CLAMAV_SOCKET: clamd.socketPath } : {}),
    DATABASE_URL: options.databaseUrl,
    UPLOADS_DIR: uploadsDir,
    LOG_LEVEL: "info",
    // nginx connects from loopback: only it may say who the client is (X-Forwarded-For).
    TRUSTED_PROXIES: "loopback",
    ...options.env,
  };
  const processes: PortalProcess[] = [];
  const web: WebInstance[] = [];
  let worker: PortalProcess | undefined;

  // A process may take its whole shutdown deadline to finish the requests in flight (a test may set a
  // long one for a slow upload); it is killed only once that has passed, with a margin.
  const killAfterMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000) + 10_000;
  const stopProcess = (portal: PortalProcess) => portal.stop(killAfterMs);
  const close = async () => {
    await Promise.all(processes.map(stopProcess));
    await clamd?.close();
    if (ownUploads) await rm(uploadsDir, { recursive: true, force: true });
  };

  try {
    const starting: Promise<unknown>[] = [];
    for (let index = 0; index < (options.webInstances ?? 2); index += 1) {
      const port = await freePort();
      const portal = startPortal({ ...env, PORT: String(port) }, webCommand("--web"));
      processes.push(portal);
      web.push({ port, url: `http://127.0.0.1:${port}`, process: portal });
      starting.push(portal.waitForOutput(/web server listening/));
    }
    if (options.worker ?? true) {
      // The worker serves no HTTP; its PORT is never bound.
      worker = startPortal({ ...env, PORT: "0" }, webCommand("--worker"));
      processes.push(worker);
      starting.push(worker.waitForOutput(/job worker started/));
    }
    await Promise.all(starting);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    web,
    worker,
    uploadsDir,
    env,
    stopWeb: (index) => {
      const instance = web[index];
      if (!instance) throw new Error(`no web instance ${index}`);
      return stopProcess(instance.process);
    },
    close,
  };
}

function webCommand(flag: "--web" | "--worker"): [string, ...string[]] {
  return [process.execPath, "--import", "tsx", "src/main.ts", flag];
}
