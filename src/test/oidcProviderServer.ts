// A real OpenID provider (panva's oidc-provider) as its own process on a loopback port, for the single
// sign-on tests: started by startOidcProvider() (oidcProvider.ts), never by the portal.
//
// Settings come from the environment: OIDC_TEST_CLIENT (JSON: client_id, client_secret, redirect_uri)
// and OIDC_TEST_ACCOUNTS (JSON: { [sub]: { email, email_verified } }). POST /test/clock with `offset`
// (seconds) sets this provider's clock back or forward: a provider whose ID tokens arrive expired; POST
// /test/hang with `path` makes it never answer that path. The
// sign-in step is a form: POST /interaction/<uid> with `login` (the subject) and `amr` (space-separated
// methods) signs that account in and grants the client's scopes at once.
import http from "node:http";
import type { AddressInfo } from "node:net";

import Provider from "oidc-provider";

// The provider reads Date.now() for every timestamp it issues; this process is only the provider.
let clockOffsetMs = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffsetMs;

interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}
interface TestAccount {
  email: string;
  email_verified: boolean;
}

const client = JSON.parse(process.env.OIDC_TEST_CLIENT ?? "{}") as TestClient;
const accounts = JSON.parse(process.env.OIDC_TEST_ACCOUNTS ?? "{}") as Record<string, TestAccount>;

const server = http.createServer();
// OIDC_TEST_PORT: a fixed port (the browser tests register it before the portal starts); else any free one.
await new Promise<void>((resolve) =>
  server.listen(Number(process.env.OIDC_TEST_PORT ?? 0), "127.0.0.1", resolve),
);
const { port } = server.address() as AddressInfo;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: [client.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  // amr listed so that ID tokens carry how the person signed in at the provider.
  claims: { openid: ["sub", "amr"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["oidc-provider-test-cookie-key"] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, id) => {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, email: account.email, email_verified: account.email_verified }),
    };
  },
});
// Plain http on loopback: the provider must not insist on TLS.
provider.proxy = false;

const providerCallback = provider.callback();

async function readForm(request: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

// POST /test/hang with `path`: requests to that path are never answered (a provider that stalls).
let hangingPath: string | null = null;

server.on("request", async (request, response) => {
  if (request.url === "/test/hang" && request.method === "POST") {
    hangingPath = (await readForm(request)).get("path") || null;
    response.writeHead(204).end();
    return;
  }
  if (hangingPath && request.url?.startsWith(hangingPath)) return;
  if (request.url === "/test/clock" && request.method === "POST") {
    clockOffsetMs = Number((await readForm(request)).get("offset") ?? "0") * 1000;
    response.writeHead(204).end();
    return;
  }
  const match = /^\/interaction\/([\w-]+)$/.exec(request.url ?? "");
  if (!match) {
    providerCallback(request, response);
    return;
  }
  try {
    const details = await provider.interactionDetails(request, response);
    if (request.method === "GET") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(`<!doctype html><title>Test provider sign-in</title><link rel="icon" href="data:,"><h1>Test provider</h1>
<form method="post" action="/interaction/${details.uid}">
<label>Subject <input name="login"></label>
<label>Methods <input name="amr" value="pwd"></label>
<button type="submit">Sign in at the provider</button></form>`);
      return;
    }
    const form = await readForm(request);
    const accountId = form.get("login") ?? "";
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    const amr = (form.get("amr") ?? "pwd").split(" ").filter(Boolean);
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId, amr }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    response.writeHead(400, { "content-type": "text/plain" });
    response.end(error instanceof Error ? error.message : "error");
  }
});

process.stdout.write(`oidc-provider listening on ${issuer}\n`);
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
