// The client address (and protocol and host) comes from the socket, unless the socket's peer is a
// configured trusted proxy: a spoofed X-Forwarded-For from anyone else changes nothing, not even which
// counter a request is limited by.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Router from "@koa/router";
import { loadConfig } from "../config.js";
import { startTestApp, type TestApp } from "../test/app.js";

/** Adds /test/peer, answering what the app believes about the request. */
function withPeerRoute(env: Record<string, string>): Promise<TestApp> {
  return startTestApp({
    env,
    extend(app) {
      const router = new Router();
      router.get("/test/peer", (ctx) => {
        ctx.body = { ip: ctx.ip, protocol: ctx.protocol, secure: ctx.secure, host: ctx.host };
      });
      app.use(router.routes());
    },
  });
}

async function peer(app: TestApp, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.baseUrl}/test/peer`, { headers });
  assert.equal(response.status, 200);
  return (await response.json()) as { ip: string; protocol: string; secure: boolean; host: string };
}

const forgedHeaders = {
  "x-forwarded-for": "203.0.113.50",
  "x-forwarded-proto": "https",
  "x-forwarded-host": "evil.example",
};

describe("without a trusted proxy", () => {
  let app: TestApp;
  before(async () => {
    app = await withPeerRoute({ RATE_LIMIT_PER_MINUTE: "8" });
  });
  after(() => app.close());

  test("X-Forwarded-For, -Proto and -Host are ignored", async () => {
    const seen = await peer(app, forgedHeaders);
    assert.deepEqual(seen, {
      ip: "127.0.0.1",
      protocol: "http",
      secure: false,
      host: new URL(app.baseUrl).host,
    });
    const logged = app
      .logLines()
      .filter((line) => line.msg === "request" && line.url === "/test/peer")
      .at(-1);
    assert.equal(logged?.ip, "127.0.0.1", "the request log names the socket's peer");
  });

  test("a new X-Forwarded-For on every request does not get a new limit", async () => {
    const first = await fetch(`${app.baseUrl}/`, { headers: { "x-forwarded-for": "198.51.100.100" } });
    assert.equal(first.status, 200);
    const remaining = Number(/r=(\d+)/.exec(first.headers.get("ratelimit") ?? "")?.[1]);
    for (let request = 1; request <= remaining; request += 1) {
      const response = await fetch(`${app.baseUrl}/`, {
        headers: { "x-forwarded-for": `198.51.100.${request}` },
      });
      assert.equal(response.status, 200);
    }
    const refused = await fetch(`${app.baseUrl}/`, { headers: { "x-forwarded-for": "198.51.100.250" } });
    assert.equal(refused.status, 429);
    const line = app.logLines().find((entry) => entry.event === "rate_limit_exceeded");
    assert.equal(line?.client, "127.0.0.1");
  });
});

describe("behind a trusted proxy on loopback", () => {
  let app: TestApp;
  before(async () => {
    app = await withPeerRoute({ TRUSTED_PROXIES: "loopback", RATE_LIMIT_PER_MINUTE: "3" });
  });
  after(() => app.close());

  test("the proxy's X-Forwarded-For, -Proto and -Host are honoured", async () => {
    assert.deepEqual(await peer(app, forgedHeaders), {
      ip: "203.0.113.50",
      protocol: "https",
      secure: true,
      host: "evil.example",
    });
    const logged = app
      .logLines()
      .filter((line) => line.msg === "request" && line.url === "/test/peer")
      .at(-1);
    assert.equal(logged?.ip, "203.0.113.50");
  });

  test("what the client itself put in X-Forwarded-For before the proxy appended its peer is ignored", async () => {
    // nginx's $proxy_add_x_forwarded_for: the client's own header, then the address nginx saw.
    assert.equal((await peer(app, { "x-forwarded-for": "10.9.9.9, 192.0.2.33" })).ip, "192.0.2.33");
  });

  test("each client behind the proxy has its own limit", async () => {
    const get = (address: string) => fetch(`${app.baseUrl}/`, { headers: { "x-forwarded-for": address } });
    for (let request = 0; request < 3; request += 1) assert.equal((await get("192.0.2.40")).status, 200);
    assert.equal((await get("192.0.2.40")).status, 429);
    assert.equal((await get("192.0.2.41")).status, 200, "another client is not held back");
  });
});

describe("which peers are trusted", () => {
  test("TRUST_PROXY=true still means loopback; TRUSTED_PROXIES says it precisely and wins", () => {
    assert.deepEqual(loadConfig({ NODE_ENV: "test", TRUST_PROXY: "true" }).http.trustedProxies, ["loopback"]);
    assert.deepEqual(loadConfig({ NODE_ENV: "test" }).http.trustedProxies, []);
    assert.deepEqual(
      loadConfig({ NODE_ENV: "test", TRUST_PROXY: "true", TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.1" }).http
        .trustedProxies,
      ["10.0.0.0/8", "192.0.2.1"],
    );
  });

  test("a proxy range that does not include the socket's peer trusts nothing it sends", async () => {
    const app = await withPeerRoute({ TRUSTED_PROXIES: "10.0.0.0/8" });
    try {
      assert.equal((await peer(app, forgedHeaders)).ip, "127.0.0.1");
      assert.equal((await peer(app, forgedHeaders)).protocol, "http");
    } finally {
      await app.close();
    }
  });

  test("a chain of trusted proxies is walked back to the first address that is not one", async () => {
    const app = await withPeerRoute({ TRUSTED_PROXIES: "loopback,10.0.0.0/8" });
    try {
      assert.equal(
        (await peer(app, { "x-forwarded-for": "192.0.2.7, 203.0.113.9, 10.1.2.3" })).ip,
        "203.0.113.9",
      );
    } finally {
      await app.close();
    }
  });
});
