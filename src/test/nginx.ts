// The real nginx (Debian's) in front of portal instances, running the site config we ship,
// deploy/nginx/vetting-portal.conf, with only its host-specific values replaced: the server name, the
// listen addresses, the certificate, the upstream servers and the paths of a production host. Every
// replaced text must be found in the config, so a change to the shipped file that the harness no longer
// understands fails the tests instead of silently testing something else.
//
// It listens on ports 80 and 443 of a random loopback address (as src/test/httpsApp.ts does, and for the
// same reason: the MDN Observatory only fetches default ports), which needs root; CI runs as root.
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../config.js";
import { runCommand } from "./scripts.js";
import { generateSelfSignedCertificate } from "./smtp.js";

export const SHIPPED_SITE_CONFIG = path.join(projectRoot, "deploy", "nginx", "vetting-portal.conf");

/** The example values in the shipped config, as a sysadmin would replace them. */
const EXAMPLE = {
  serverName: "vetting.example.org",
  certificate: "/etc/letsencrypt/live/vetting.example.org/fullchain.pem",
  certificateKey: "/etc/letsencrypt/live/vetting.example.org/privkey.pem",
  installRoot: "/srv/vetting-portal/",
  /** Where npm run build writes dist/ on a host (nginx serves dist/static/). */
  buildDir: "/srv/vetting-portal/app/dist",
  logRoot: "/var/log/nginx/",
};

/** The log files the shipped site writes (under /var/log/nginx/ on a host, under the prefix here). */
const SITE_ACCESS_LOG = "vetting-portal.access.log";
const SITE_ERROR_LOG = "vetting-portal.error.log";

export interface TestNginx {
  /** The loopback address nginx listens on (ports 80 and 443), e.g. 127.84.3.17. */
  host: string;
  /** https://<host>: what the portal's PUBLIC_URL must be. */
  httpsUrl: string;
  httpUrl: string;
  /** The throwaway CA certificate (PEM file) that signed nginx's certificate: for fetch, curl, scanners. */
  caCertificateFile: string;
  /** The prefix folder (config, logs, temp files). */
  prefix: string;
  /** The site config as nginx runs it (after the replacements). */
  siteConfig: string;
  accessLog(): Promise<string>;
  errorLog(): Promise<string>;
  /** Replaces the upstream servers and reloads nginx (SIGHUP), e.g. after starting instances. */
  setUpstreams(ports: number[]): Promise<void>;
  stop(): Promise<void>;
}

export interface TestNginxOptions {
  /** Ports of portal instances on 127.0.0.1 (the upstream); may be empty and set later. */
  upstreamPorts: number[];
  /** The portal's UPLOADS_DIR (nginx serves uploads/evidence through the internal location). */
  uploadsDir: string;
  /** Host address to use (default: a random 127.x.y.z); the portal's PUBLIC_URL must match httpsUrl. */
  host?: string;
  /**
   * The build folder whose static/ nginx serves (what npm run build writes as dist/): default the
   * checkout's dist/. A test that writes its own copy (writeHashedAssets) does not depend on another
   * test file's `npm run build`, which empties dist/ first.
   */
  buildDir?: string;
}

/** A random loopback address, so runs in parallel never share ports 80/443. */
export function randomLoopbackHost(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

export async function startTestNginx(options: TestNginxOptions): Promise<TestNginx> {
  const host = options.host ?? randomLoopbackHost();
  const prefix = await mkdtemp(path.join(tmpdir(), "vp-nginx-"));
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };

  try {
    for (const folder of ["logs", "temp", "tls"]) await mkdir(path.join(prefix, folder));
    const certificate = await generateSelfSignedCertificate({
      commonName: "Vetting Portal nginx test CA",
      subjectAltName: `IP:${host}`,
    });
    const caCertificateFile = path.join(prefix, "tls", "ca.pem");
    await writeFile(caCertificateFile, certificate.cert);
    await writeFile(path.join(prefix, "tls", "key.pem"), certificate.key, { mode: 0o600 });

    const shipped = await readFile(SHIPPED_SITE_CONFIG, "utf8");
    const render = (ports: number[]) =>
      renderSiteConfig(shipped, {
        host,
        prefix,
        uploadsDir: options.uploadsDir,
        upstreamPorts: ports,
        buildDir: options.buildDir ?? path.join(projectRoot, "dist"),
      });
    let siteConfig = render(options.upstreamPorts);
    await writeFile(path.join(prefix, "site.conf"), siteConfig);
    await writeFile(path.join(prefix, "nginx.conf"), mainConfig(prefix));

    const errorOutput: string[] = [];
    const check = await runNginx(prefix, ["-t"]);
    if (check.code !== 0)
      throw new Error(`nginx -t failed:\n${check.output}\n--- site.conf ---\n${siteConfig}`);

    child = spawn("nginx", ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-g", "daemon off;"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = child;
    started.stderr?.on("data", (chunk: Buffer) => errorOutput.push(chunk.toString()));
    exited = new Promise((resolve) => started.once("exit", () => resolve()));
    await waitForPort(
      host,
      443,
      () => started.exitCode !== null,
      () => errorOutput.join(""),
    );

    return {
      host,
      httpsUrl: `https://${host}`,
      httpUrl: `http://${host}`,
      caCertificateFile,
      prefix,
      get siteConfig() {
        return siteConfig;
      },
      // The site's own logs (its access_log and error_log lines), then what nginx logged outside it.
      accessLog: async () => (await readLog(prefix, SITE_ACCESS_LOG)) + (await readLog(prefix, "access.log")),
      errorLog: async () => (await readLog(prefix, SITE_ERROR_LOG)) + (await readLog(prefix, "error.log")),
      async setUpstreams(ports) {
        siteConfig = render(ports);
        await writeFile(path.join(prefix, "site.conf"), siteConfig);
        const reload = await runNginx(prefix, ["-s", "reload"]);
        if (reload.code !== 0) throw new Error(`nginx reload failed:\n${reload.output}`);
        // A reload starts new workers and lets the old ones finish; give it a moment to swap.
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The shipped site with this run's values: every example value must be present (else the harness and the
 * shipped file have drifted apart, and the test says so).
 */
export function renderSiteConfig(
  shipped: string,
  values: { host: string; prefix: string; uploadsDir: string; upstreamPorts: number[]; buildDir?: string },
): string {
  let site = shipped;
  const replace = (pattern: string | RegExp, replacement: string, what: string) => {
    const found = typeof pattern === "string" ? site.includes(pattern) : pattern.test(site);
    if (!found) throw new Error(`the shipped nginx config no longer has ${what} (${String(pattern)})`);
    site =
      typeof pattern === "string"
        ? site.split(pattern).join(replacement)
        : site.replace(pattern, replacement);
  };
  replace(EXAMPLE.certificate, path.join(values.prefix, "tls", "ca.pem"), "the certificate path");
  replace(EXAMPLE.certificateKey, path.join(values.prefix, "tls", "key.pem"), "the certificate key path");
  replace(EXAMPLE.serverName, values.host, "the example server name");
  replace(`${EXAMPLE.installRoot}uploads/`, `${values.uploadsDir.replace(/\/$/, "")}/`, "the uploads path");
  // Static files: from the given build folder (default: the checkout's dist/).
  replace(
    EXAMPLE.buildDir,
    (values.buildDir ?? path.join(projectRoot, "dist")).replace(/\/$/, ""),
    "the build folder",
  );
  replace(EXAMPLE.logRoot, `${values.prefix}/logs/`, "the log folder");
  // IPv6 listeners are for a real host; the test has one loopback address.
  site = site.replace(/^\s*listen \[::\]:\d+[^;]*;\n/gm, "");
  replace(/^(\s*)listen (80|443)\b/gm, `$1listen ${values.host}:$2`, "listen 80/443");
  // The upstream block's server lines become this run's instances (a closed port when there are none, so
  // the config stays valid and requests get a 502).
  replace(
    /(upstream vetting_portal \{\n)((?:\s*#?\s*server [^\n]*\n)+)/,
    `$1${(values.upstreamPorts.length > 0 ? values.upstreamPorts : [1])
      .map((port) => `    server 127.0.0.1:${port};\n`)
      .join("")}`,
    "the upstream block's server lines",
  );
  return site;
}

function mainConfig(prefix: string): string {
  const temp = (name: string) => path.join(prefix, "temp", name);
  return `# Written by src/test/nginx.ts: the http {} block a Debian host's /etc/nginx/nginx.conf provides.
# Workers run as root here only because the test's uploads belong to root with mode 0640; on a host,
# nginx's user (www-data) is a member of the portal's group instead.
user root;
worker_processes 1;
pid ${path.join(prefix, "nginx.pid")};
error_log ${path.join(prefix, "logs", "error.log")} info;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path ${temp("client_body")};
    proxy_temp_path ${temp("proxy")};
    fastcgi_temp_path ${temp("fastcgi")};
    uwsgi_temp_path ${temp("uwsgi")};
    scgi_temp_path ${temp("scgi")};
    access_log ${path.join(prefix, "logs", "access.log")};
    include ${path.join(prefix, "site.conf")};
}
`;
}

function readLog(prefix: string, name: string): Promise<string> {
  return readFile(path.join(prefix, "logs", name), "utf8").catch(() => "");
}

function runNginx(prefix: string, args: string[]) {
  return runCommand("nginx", ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), ...args], {
    env: process.env,
  });
}

async function waitForPort(
  host: string,
  port: number,
  hasExited: () => boolean,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (hasExited()) throw new Error(`nginx exited at start:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${host}:${port}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface SiteResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw header lines as received (repeated headers stay separate), for "sent exactly once" checks. */
  rawHeaders: string[];
  body: Buffer;
}

/**
 * One request through nginx, trusting the run's throwaway CA (Node's fetch cannot take a CA per call
 * without undici). Never follows redirects; keeps no connection open afterwards.
 */
export function siteRequest(
  url: string,
  options: {
    caCertificateFile: string;
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    /** The client's own address (any 127.x.y.z), e.g. to be a client other than nginx. */
    localAddress?: string;
  },
): Promise<SiteResponse> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return readFile(options.caCertificateFile, "utf8").then(
    (ca) =>
      new Promise<SiteResponse>((resolve, reject) => {
        const request = client.request(
          target,
          {
            method: options.method ?? "GET",
            headers: options.headers,
            ca,
            agent: false,
            ...(options.localAddress ? { localAddress: options.localAddress } : {}),
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () =>
              resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                rawHeaders: response.rawHeaders,
                body: Buffer.concat(chunks),
              }),
            );
            response.on("error", reject);
          },
        );
        request.on("error", reject);
        request.end(options.body);
      }),
  );
}
