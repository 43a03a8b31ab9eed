// The portal served the way a deployment serves it, for scanners that judge a whole site (the MDN HTTP
// Observatory): the real app, configured as production, over https on port 443 with a certificate from
// a throwaway CA, and a plain-http listener on port 80 of the same host that redirects every request to
// https, as deploy/nginx does (`return 301 https://$host$request_uri`).
//
// Why ports 80 and 443: the Observatory's scan() always fetches http://host/ and https://host/ (it takes
// no ports), exactly as it scans a public site. Binding them needs root (or a lowered
// net.ipv4.ip_unprivileged_port_start); CI runs as root. Each run takes its own random loopback address
// (all of 127.0.0.0/8 is local on Linux), so two runs at once, or anything else on 127.0.0.1:443, never
// collide; the certificate names that address.
import { randomInt } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import type Koa from "koa";
import { startTestApp, type TestApp } from "./app.js";
import { generateSelfSignedCertificate } from "./smtp.js";

/** What production insists on (config.ts), with test values, for an app at this public URL. */
export function productionEnvironment(publicUrl: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    PUBLIC_URL: publicUrl,
    SESSION_SECRET: "p".repeat(40),
    MAIL_FROM_ADDRESS: "vetting@example.org",
    TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  };
}

export interface HttpsTestApp {
  /** The loopback address both listeners are bound to, e.g. 127.84.3.17: the host a scanner is given. */
  host: string;
  /** https://<host> (port 443). */
  httpsUrl: string;
  /** http://<host> (port 80), which only redirects. */
  httpUrl: string;
  /** The throwaway CA's certificate (PEM) in a file, for NODE_EXTRA_CA_CERTS of a scanning process. */
  caCertificateFile: string;
  /** The app behind both (its database, logs). */
  app: TestApp;
  close(): Promise<void>;
}

export async function startHttpsTestApp(
  options: { env?: Record<string, string> } = {},
): Promise<HttpsTestApp> {
  const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const httpsUrl = `https://${host}`;
  const directory = await mkdtemp(path.join(tmpdir(), "vp-https-"));
  const servers: (http.Server | https.Server)[] = [];
  let app: TestApp | undefined;
  const close = async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await app?.close();
    await rm(directory, { recursive: true, force: true });
  };

  try {
    // Used directly as the server's certificate: a client trusting it as a root verifies the chain.
    const certificate = await generateSelfSignedCertificate({
      commonName: "Vetting Portal test CA",
      subjectAltName: `IP:${host}`,
    });
    const caCertificateFile = path.join(directory, "ca.pem");
    await writeFile(caCertificateFile, certificate.cert);
    let koaApp: Koa | undefined;
    app = await startTestApp({
      env: { ...productionEnvironment(httpsUrl), ...options.env },
      // startTestApp serves the app over plain http on a port of its own; the same app is served again
      // over https below (that extra listener is simply unused).
      extend: (built) => {
        koaApp = built;
      },
    });
    if (!koaApp) throw new Error("startTestApp did not hand over the app");

    const httpsServer = https.createServer(
      { key: certificate.key, cert: certificate.cert },
      koaApp.callback(),
    );
    servers.push(httpsServer);
    await listen(httpsServer, host, 443);

    const redirectServer = http.createServer((request, response) => {
      // The configured origin, never the request's Host header; the path as sent ("//x" stays a path).
      response.writeHead(301, { location: `${httpsUrl}${request.url ?? "/"}` });
      response.end();
    });
    servers.push(redirectServer);
    await listen(redirectServer, host, 80);

    return {
      host,
      httpsUrl,
      httpUrl: `http://${host}`,
      caCertificateFile,
      app,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function listen(server: http.Server | https.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EACCES"
          ? new Error(
              `binding ${host}:${port} needs root (or sysctl net.ipv4.ip_unprivileged_port_start=80): the scanner only fetches default ports`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
}
