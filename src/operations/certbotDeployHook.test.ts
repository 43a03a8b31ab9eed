// deploy/nginx/reload-nginx, the certbot deploy hook, run for real against Debian's nginx serving the
// shipped site (src/test/nginx.ts): a renewal replaces the certificate files, nginx goes on serving the
// old certificate until the hook runs, and serves the new one after it; a renewal that left a file nginx
// cannot load is refused by nginx -t, the hook fails saying so, and nginx keeps serving what it had.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { projectRoot } from "../config.js";
import { startTestNginx, type TestNginx } from "../test/nginx.js";
import { runCommand } from "../test/scripts.js";
import { generateSelfSignedCertificate } from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

const HOOK = path.join(projectRoot, "deploy", "nginx", "reload-nginx");

let nginx: TestNginx;
let uploadsDir: string;

before(async () => {
  uploadsDir = await mkdtemp(path.join(tmpdir(), "vp-certbot-uploads-"));
  nginx = await startTestNginx({ upstreamPorts: [], uploadsDir });
});
after(async () => {
  await nginx?.stop();
  if (uploadsDir) await rm(uploadsDir, { recursive: true, force: true });
});

/** The SHA-256 fingerprint of the certificate nginx presents on port 443 now. */
function servedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: nginx.host, port: 443, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once("error", reject);
  });
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** What certbot does on renewal: the files nginx's site config names get the new certificate and key. */
async function renewCertificate(files: { cert: string; key: string }): Promise<void> {
  await writeFile(path.join(nginx.prefix, "tls", "ca.pem"), files.cert);
  await writeFile(path.join(nginx.prefix, "tls", "key.pem"), files.key, { mode: 0o600 });
}

function runHook() {
  return runCommand(HOOK, [], {
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      NGINX_OPTIONS: `-p ${nginx.prefix} -c ${path.join(nginx.prefix, "nginx.conf")}`,
      // What certbot sets for a deploy hook.
      RENEWED_LINEAGE: "/etc/letsencrypt/live/vetting.example.org",
      RENEWED_DOMAINS: "vetting.example.org",
    },
  });
}

describe("the certbot deploy hook", () => {
  test("is executable (certbot runs only executables in renewal-hooks/deploy/)", async () => {
    assert.equal((await stat(HOOK)).mode & 0o111, 0o111);
  });

  test("after a renewal, nginx serves the new certificate once the hook has run, not before", async () => {
    const before = await servedFingerprint();
    const renewed = await generateSelfSignedCertificate({
      commonName: "Vetting Portal renewed test certificate",
      subjectAltName: `IP:${nginx.host}`,
    });
    assert.notEqual(fingerprintOf(renewed.cert), before);
    await renewCertificate(renewed);
    assert.equal(await servedFingerprint(), before, "nginx reads certificates only at start and reload");

    const run = await runHook();
    assert.equal(run.code, 0, run.output);
    assert.equal(run.stdout, "reload-nginx: nginx reloaded for vetting.example.org\n");
    await waitFor(
      "the renewed certificate served",
      async () => ((await servedFingerprint()) === fingerprintOf(renewed.cert) ? true : undefined),
      10_000,
    );
  });

  test("a renewal nginx cannot load: nginx -t refuses it, the hook fails saying so, nginx keeps serving", async () => {
    const serving = await servedFingerprint();
    const valid = await generateSelfSignedCertificate({ subjectAltName: `IP:${nginx.host}` });
    await renewCertificate({ cert: "-----BEGIN CERTIFICATE-----\ntruncated\n", key: valid.key });

    const run = await runHook();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot load certificate/);
    assert.match(
      run.stderr,
      /reload-nginx: nginx -t refused the configuration, so nginx was NOT reloaded and still serves the previous certificate/,
    );
    assert.equal(run.stdout, "");
    assert.equal(await servedFingerprint(), serving, "still up, with the certificate it had");
  });
});
