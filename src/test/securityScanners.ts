// Independent tools that judge our headers, driven the way their authors run them: Google's CSP
// Evaluator (npm csp_evaluator) on a policy, and the MDN HTTP Observatory (npm @mdn/mdn-http-observatory)
// on a whole site, as its command line does.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { Version } from "csp_evaluator/dist/csp.js";
import { CspEvaluator, DEFAULT_CHECKS, STRICTCSP_CHECKS } from "csp_evaluator/dist/evaluator.js";
import type { Finding } from "csp_evaluator/dist/finding.js";
import { CspParser } from "csp_evaluator/dist/parser.js";

const execFileAsync = promisify(execFile);

export interface CspEvaluation {
  version: "CSP1" | "CSP2" | "CSP3";
  findings: Finding[];
}

/**
 * Every check the evaluator has, as csp-evaluator.withgoogle.com runs them (the security checks on the
 * policy as a browser of that CSP version sees it, plus the strict-CSP checks), for a browser of each
 * CSP version: what an old browser that ignores nonces would allow counts too.
 */
export function evaluateCsp(policy: string): CspEvaluation[] {
  const versions = [
    ["CSP1", Version.CSP1],
    ["CSP2", Version.CSP2],
    ["CSP3", Version.CSP3],
  ] as const;
  return versions.map(([name, version]) => ({
    version: name,
    findings: new CspEvaluator(new CspParser(policy).csp, version).evaluate(STRICTCSP_CHECKS, DEFAULT_CHECKS),
  }));
}

export interface ObservatoryTest {
  pass: boolean;
  result: string;
  scoreModifier: number;
  [detail: string]: unknown;
}

export interface ObservatoryScan {
  scan: {
    grade: string;
    score: number;
    statusCode: number;
    testsFailed: number;
    testsPassed: number;
    responseHeaders: Record<string, string>;
  };
  tests: Record<string, ObservatoryTest>;
}

const observatoryDirectory = path.dirname(
  createRequire(import.meta.url).resolve("@mdn/mdn-http-observatory/package.json"),
);

/**
 * Scans http://host/ and https://host/ with the Observatory's own command line (src/scan.js), in a
 * child process: Node reads NODE_EXTRA_CA_CERTS only when it starts, so the CA that signed the site's
 * certificate must be in the environment of a fresh process. (The package's bin/ wrapper would replace
 * it with Mozilla's CA bundle, which its blocked install script never downloads here.)
 */
export async function scanWithObservatory(host: string, caCertificateFile: string): Promise<ObservatoryScan> {
  await ensureHstsPreloadList();
  const { stdout } = await execFileAsync(
    process.execPath,
    [path.join(observatoryDirectory, "src", "scan.js"), host],
    {
      // Only what Node needs: no proxy variables, which the scanner's HTTP client would follow.
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/root",
        NODE_EXTRA_CA_CERTS: caCertificateFile,
      },
      timeout: 60_000,
      maxBuffer: 10 * 1024 * 1024,
    },
  ).catch((error: { stdout?: string; message: string }) => {
    // The command line prints {"error": "..."} and exits 1 when the site cannot be scanned.
    throw new Error(`the Observatory could not scan ${host}: ${error.stdout || error.message}`);
  });
  return JSON.parse(stdout) as ObservatoryScan;
}

/**
 * The Observatory reads Chromium's HSTS preload list from conf/hsts-preload.json, which its postinstall
 * script downloads. That script cannot reach the network here, so package.json denies it (allowScripts)
 * and the file is created on first use as an empty list: a test host on loopback is on no preload list,
 * so the grade is the same as with the real one. Creating it here, not in a postinstall step, keeps a
 * clean `npm install && npm test` working whatever npm does with install scripts.
 */
async function ensureHstsPreloadList(): Promise<void> {
  try {
    await writeFile(path.join(observatoryDirectory, "conf", "hsts-preload.json"), "{}\n", { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
