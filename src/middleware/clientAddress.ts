// Who is asking: the client address every limit, audit row and log line uses (ctx.ip).
//
// It is the socket's peer, unless that peer is a trusted proxy (config.http.trustedProxies, proxy-addr
// syntax: loopback, 10.0.0.0/8, addresses). Then X-Forwarded-For is read from the right, one hop per
// trusted proxy, and the first address that is not a trusted proxy is the client (proxy-addr, made for
// this). deploy/nginx sets X-Forwarded-For to the address it saw ($remote_addr), dropping whatever the
// client wrote; a proxy that appends instead ($proxy_add_x_forwarded_for) still yields the real client,
// because only entries added by trusted proxies are believed. An X-Forwarded-For from anyone else
// changes nothing.
//
// Koa's own `proxy` setting stays off: it would take the LEFTMOST X-Forwarded-For entry (the one a
// client can invent) from any peer. What it also governs, ctx.protocol (X-Forwarded-Proto) and ctx.host
// (X-Forwarded-Host), is set here from the same trust decision: only a trusted proxy's headers count.
import ipaddr from "ipaddr.js";
import type { Middleware } from "koa";
import proxyAddr from "proxy-addr";

export function clientAddress(trustedProxies: string[]): Middleware {
  const isTrusted = proxyAddr.compile(trustedProxies);
  return async function findClientAddress(ctx, next) {
    ctx.request.ip = plainAddress(proxyAddr(ctx.req, isTrusted));
    const peer = ctx.req.socket.remoteAddress;
    if (trustedProxies.length > 0 && peer !== undefined && isTrusted(peer, 0)) {
      const forwardedProto = firstValue(ctx.get("X-Forwarded-Proto"))?.toLowerCase();
      const forwardedHost = firstValue(ctx.get("X-Forwarded-Host"));
      // Own properties on this request's object shadow Koa's getters (ctx.protocol, ctx.secure,
      // ctx.host, ctx.hostname delegate to them) for this request only.
      if (forwardedProto === "https" || forwardedProto === "http") {
        Object.defineProperty(ctx.request, "protocol", { value: forwardedProto, configurable: true });
      }
      if (forwardedHost)
        Object.defineProperty(ctx.request, "host", { value: forwardedHost, configurable: true });
    }
    await next();
  };
}

/** The first entry of a comma-separated header, trimmed; undefined when there is none. */
function firstValue(header: string): string | undefined {
  const value = header.split(",")[0]?.trim();
  return value ? value : undefined;
}

/** IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d; they are written as a.b.c.d. */
function plainAddress(address: string): string {
  return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
}
