// Is the mail relay reachable? For /readyz: a cheap look, not a delivery. Every configured port is tried
// at once; the relay counts as reachable when one of them sends its SMTP greeting (220) within the
// timeout, over TLS for port 465 (verified as relay.ts does). Nothing is authenticated and no message is
// started: the probe says QUIT and leaves. The answer is kept for a few seconds, and probes asked for
// meanwhile share it, so frequent readiness checks from several balancers do not hammer the relay.
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { usesImplicitTls } from "./relay.js";

export interface RelayProbeTarget {
  host: string;
  ports: number[];
  /** PEM file of a private CA for the relay's certificate (port 465). */
  caFile?: string;
}

export type RelayProbeResult = { isReachable: true; port: number } | { isReachable: false; detail: string };

export interface RelayProbe {
  /** The cached answer while it is fresh, else a new probe. Never rejects. */
  check(): Promise<RelayProbeResult>;
}

export function createRelayProbe(
  target: RelayProbeTarget,
  options: { timeoutMs: number; cacheMs: number },
): RelayProbe {
  let cached: { result: RelayProbeResult; at: number } | undefined;
  let inFlight: Promise<RelayProbeResult> | undefined;

  async function probe(): Promise<RelayProbeResult> {
    let ca: string | undefined;
    try {
      ca = target.caFile ? readFileSync(target.caFile, "utf8") : undefined;
    } catch {
      return { isReachable: false, detail: `cannot read the relay's CA file ${target.caFile}` };
    }
    const outcomes = await Promise.all(
      target.ports.map((port) =>
        greetingFrom(target.host, port, ca, options.timeoutMs).then(
          (): { port: number; problem?: string } => ({ port }),
          (error: Error) => ({ port, problem: error.message }),
        ),
      ),
    );
    const answered = outcomes.find((outcome) => outcome.problem === undefined);
    if (answered) return { isReachable: true, port: answered.port };
    return {
      isReachable: false,
      detail: outcomes.map((outcome) => `${outcome.port}: ${outcome.problem}`).join("; ") || "no ports",
    };
  }

  return {
    check() {
      if (cached && performance.now() - cached.at < options.cacheMs) return Promise.resolve(cached.result);
      inFlight ??= probe().then((result) => {
        cached = { result, at: performance.now() };
        inFlight = undefined;
        return result;
      });
      return inFlight;
    },
  };
}

/** Resolves once the port greets with 220; rejects on anything else, a closed connection or the timeout. */
function greetingFrom(host: string, port: number, ca: string | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = usesImplicitTls(port)
      ? tls.connect({
          host,
          port,
          ca,
          servername: net.isIP(host) ? undefined : host,
          rejectUnauthorized: true,
          minVersion: "TLSv1.2",
        })
      : net.connect({ host, port });
    let received = "";
    let isSettled = false;
    const finish = (problem?: string) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      socket.removeAllListeners("data");
      if (problem === undefined) {
        socket.end("QUIT\r\n");
        resolve();
      } else {
        socket.destroy();
        reject(new Error(problem));
      }
    };
    const timer = setTimeout(() => finish(`no greeting within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on("close", () => finish("connection closed before the greeting"));
    socket.on("data", (chunk: string) => {
      received += chunk;
      const lineEnd = received.indexOf("\n");
      if (lineEnd === -1 && received.length < 512) return;
      finish(received.startsWith("220") ? undefined : `greeting was not 220: ${received.slice(0, 3)}`);
    });
  });
}
