// A real clamd (Debian's clamav-daemon) for tests, on its own Unix socket, with a configuration and a
// signature database of its own in a temporary folder. The official database cannot be downloaded here
// (and freshclam is never run): the database is a few signatures of our own, which clamd loads in a
// fraction of a second. The test orchestrator (scripts/test.ts) installs clamav-daemon when missing.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureDebianProgram } from "../../scripts/debianPackages.js";

/** The anti-virus test file every scanner recognises (eicar.org), assembled so this source is not it. */
export const EICAR_TEST_FILE = Buffer.from(
  ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"].join(""),
  "latin1",
);

/** Bytes our own body signature (.ndb) matches anywhere in a file. */
export const PORTAL_TEST_MARKER = Buffer.from("VETTING-PORTAL-MALWARE-TEST-MARKER-7f3a", "latin1");

/** What clamd names each of our signatures when it finds one (it adds ".UNOFFICIAL"). */
export const TEST_SIGNATURES = {
  eicar: "Portal.Test.Eicar",
  marker: "Portal.Test.Marker",
  wholeFile: "Portal.Test.WholeFile",
} as const;

export interface TestClamd {
  /** The Unix socket clamd listens on (CLAMAV_SOCKET). */
  socketPath: string;
  /**
   * Stops clamd and waits for it to exit. Safe to call more than once. SIGTERM lets it answer the
   * sessions it has (during its shutdown it may); SIGKILL is a crash: its connections are just lost.
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same socket with the same database. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * Starts clamd with our signatures: EICAR and the marker by content (.ndb), and `wholeFiles` by their
 * MD5 and size (.hdb), the way a known-bad file is listed.
 */
export async function startTestClamd(
  options: {
    wholeFiles?: Buffer[];
    /** Also listen on this loopback TCP port (the browser tests' portal reaches it so). */
    tcpPort?: number;
    /** The largest stream (and file) clamd scans whole: 64 by default; the upload benchmark needs more. */
    maxMegabytes?: number;
  } = {},
): Promise<TestClamd> {
  await ensureClamd();
  const directory = await mkdtemp(path.join(tmpdir(), "vp-clamd-"));
  const databaseDirectory = path.join(directory, "database");
  await mkdir(databaseDirectory);
  const temporaryDirectory = path.join(directory, "tmp");
  await mkdir(temporaryDirectory);
  await writeFile(
    path.join(databaseDirectory, "portal-test.ndb"),
    [
      `${TEST_SIGNATURES.eicar}:0:*:${EICAR_TEST_FILE.toString("hex")}`,
      `${TEST_SIGNATURES.marker}:0:*:${PORTAL_TEST_MARKER.toString("hex")}`,
      "",
    ].join("\n"),
  );
  // clamd refuses an empty database file: the hash list is written only when there is one.
  if (options.wholeFiles?.length) {
    await writeFile(
      path.join(databaseDirectory, "portal-test.hdb"),
      options.wholeFiles
        .map((bytes, index) => `${md5Of(bytes)}:${bytes.length}:${TEST_SIGNATURES.wholeFile}${index}\n`)
        .join(""),
    );
  }
  const socketPath = path.join(directory, "clamd.sock");
  const configPath = path.join(directory, "clamd.conf");
  await writeFile(
    configPath,
    [
      "Foreground yes",
      `LocalSocket ${socketPath}`,
      "LocalSocketMode 660",
      ...(options.tcpPort ? ["TCPAddr 127.0.0.1", `TCPSocket ${options.tcpPort}`] : []),
      `DatabaseDirectory ${databaseDirectory}`,
      `LogFile ${path.join(directory, "clamd.log")}`,
      // Its scratch copies of streams (a clamd stopped mid-scan leaves them) go with the folder, not /tmp.
      `TemporaryDirectory ${temporaryDirectory}`,
      // As large as the portal's largest upload (20 MB by default) with room to spare, and scanned whole.
      `StreamMaxLength ${options.maxMegabytes ?? 64}M`,
      `MaxFileSize ${options.maxMegabytes ?? 64}M`,
      `MaxScanSize ${options.maxMegabytes ?? 64}M`,
      "MaxThreads 4",
      // Never reach out for updates or bytecode: everything it needs is in the folder above.
      "Bytecode no",
      "",
    ].join("\n"),
  );

  let child: ChildProcess | undefined;
  const start = async () => {
    await rm(socketPath, { force: true });
    child = await launch(configPath, socketPath);
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, "exit");
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    socketPath,
    start,
    stop,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function ensureClamd(): Promise<void> {
  await ensureDebianProgram({
    program: "clamd",
    packageName: "clamav-daemon",
    neededFor: "the malware scanning tests (src/storage/scanForMalware.test.ts)",
  });
}

function md5Of(bytes: Buffer): string {
  return createHash("md5").update(bytes).digest("hex");
}

async function launch(configPath: string, socketPath: string): Promise<ChildProcess> {
  const child = spawn("clamd", [`--config-file=${configPath}`], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<never>((_resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`clamd exited (${code}) before it was ready:\n${output}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await Promise.race([ping(socketPath), exited]);
    if (answer) return child;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`clamd did not answer PING within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** true once clamd answers PONG on its socket. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString();
    });
    socket.on("connect", () => socket.end("zPING\0"));
    socket.on("error", () => resolve(false));
    socket.on("close", () => resolve(reply.startsWith("PONG")));
  });
}
