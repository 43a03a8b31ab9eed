// Device cookies: only a cookie we signed, for this very account, within its year, is trusted; and the
// browser gets it with the attributes that keep it to our staff pages.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import Koa from "koa";
import type { Config } from "../config.js";
import {
  DEVICE_COOKIE_LIFETIME_MS,
  deviceCookieName,
  issueDeviceCookie,
  setDeviceCookie,
  trustedDeviceNonce,
} from "./deviceCookies.js";

const SECRET = "a session secret of at least thirty-two bytes, for tests";
const OWNER = randomUUID();
const OTHER = randomUUID();

describe("device cookies", () => {
  test("a cookie we issued names its account and gives its nonce back, for that account only", () => {
    const cookie = issueDeviceCookie(SECRET, OWNER);
    const [userId, issuedAt, nonce, signature] = cookie.split(".");
    assert.equal(userId, OWNER);
    assert.match(issuedAt ?? "", /^\d+$/);
    assert.match(nonce ?? "", /^[A-Za-z0-9_-]{22}$/);
    assert.match(signature ?? "", /^[0-9a-f]{64}$/);
    assert.equal(trustedDeviceNonce(SECRET, cookie, OWNER), nonce);
    assert.equal(trustedDeviceNonce(SECRET, cookie, OTHER), null, "another account's cookie");
    assert.notEqual(issueDeviceCookie(SECRET, OWNER).split(".")[2], nonce, "a fresh nonce each time");
  });

  test("altered, forged, expired or malformed cookies are not trusted", () => {
    const cookie = issueDeviceCookie(SECRET, OWNER);
    const [userId = "", issuedAt = "", nonce = "", signature = ""] = cookie.split(".");
    const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith("a") ? "b" : "a"}`;
    const hostile = [
      // Another account's id under this cookie's signature.
      [OTHER, issuedAt, nonce, signature].join("."),
      [userId, String(Number(issuedAt) + 1), nonce, signature].join("."),
      [userId, issuedAt, flip(nonce), signature].join("."),
      [userId, issuedAt, nonce, flip(signature)].join("."),
      [userId, issuedAt, nonce, signature.toUpperCase()].join("."),
      // Signed with another secret: a forgery.
      issueDeviceCookie("some other secret that is also long enough", OWNER),
      `${cookie}.extra`,
      [userId, issuedAt, nonce].join("."),
      "",
      "garbage",
      "x".repeat(5000),
    ];
    for (const value of hostile) {
      assert.equal(trustedDeviceNonce(SECRET, value, OWNER), null, value.slice(0, 80));
    }
    assert.equal(trustedDeviceNonce(SECRET, null, OWNER), null);

    const issued = new Date("2025-01-01T00:00:00Z");
    const old = issueDeviceCookie(SECRET, OWNER, issued);
    const justInTime = new Date(issued.getTime() + DEVICE_COOKIE_LIFETIME_MS - 1000);
    const tooLate = new Date(issued.getTime() + DEVICE_COOKIE_LIFETIME_MS + 1000);
    assert.ok(trustedDeviceNonce(SECRET, old, OWNER, justInTime));
    assert.equal(trustedDeviceNonce(SECRET, old, OWNER, tooLate), null, "a year old");
    const fromTheFuture = issueDeviceCookie(SECRET, OWNER, new Date(Date.now() + 60 * 60_000));
    assert.equal(trustedDeviceNonce(SECRET, fromTheFuture, OWNER), null, "issued an hour from now");
  });

  test("the browser gets it HttpOnly, SameSite=Strict, for /staff only, for a year; Secure over https", async () => {
    for (const publicUrl of ["http://127.0.0.1:3000", "https://portal.example.org"]) {
      const config = { http: { publicUrl: new URL(publicUrl) } } as unknown as Config;
      const app = new Koa();
      app.use(async (ctx) => {
        setDeviceCookie(ctx, config, "value-of-the-cookie");
        ctx.body = "ok";
      });
      const server = http.createServer(app.callback());
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const response = await fetch(`http://127.0.0.1:${port}/`);
        const [cookie, ...others] = response.headers.getSetCookie();
        assert.equal(others.length, 0);
        assert.ok(cookie);
        const [pair, ...attributes] = cookie.split("; ");
        const isHttps = publicUrl.startsWith("https:");
        assert.equal(deviceCookieName(config), isHttps ? "__Secure-staff_device" : "staff_device");
        assert.equal(pair, `${deviceCookieName(config)}=value-of-the-cookie`);
        const expires = attributes.find((attribute) => attribute.startsWith("expires="));
        const lifetime = new Date(expires?.slice("expires=".length) ?? "").getTime() - Date.now();
        assert.ok(Math.abs(lifetime - DEVICE_COOKIE_LIFETIME_MS) < 60_000, `lifetime ${lifetime}`);
        assert.deepEqual(
          attributes.filter((attribute) => attribute !== expires),
          ["path=/staff", "samesite=strict", ...(isHttps ? ["secure"] : []), "httponly"],
        );
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });
});
