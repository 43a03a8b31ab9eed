// A real OpenID provider for the single sign-on tests: oidc-provider run as its own process
// (oidcProviderServer.ts) on a loopback port, with one client (the portal) and the accounts a test
// names; and a small cookie-keeping client that walks the round trip as a browser would, one redirect
// at a time, so a test can stop, alter or replay any step.
import { type ChildProcess, spawn } from "node:child_process";
import { projectRoot } from "../config.js";

export const TEST_OIDC_CLIENT_ID = "vetting-portal";
export const TEST_OIDC_CLIENT_SECRET = "test-client-secret-that-is-long-enough";

export interface TestOidcProvider {
  issuer: string;
  /** The portal settings that point at this provider. */
  env: Record<string, string>;
  /** Sets the provider's clock this many seconds off (negative: its ID tokens arrive expired). */
  setClockOffset(seconds: number): Promise<void>;
  /** Requests to this path (e.g. "/token") are never answered from now on; null answers them again. */
  hang(path: string | null): Promise<void>;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: {
  /** The portal's PUBLIC_URL: the client's redirect URI is its callback. */
  portalUrl: string;
  accounts: Record<string, { email: string; email_verified: boolean }>;
}): Promise<TestOidcProvider> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/test/oidcProviderServer.ts"], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      NODE_ENV: "test",
      OIDC_TEST_CLIENT: JSON.stringify({
        client_id: TEST_OIDC_CLIENT_ID,
        client_secret: TEST_OIDC_CLIENT_SECRET,
        redirect_uri: new URL("/staff/sign-in/sso/callback", options.portalUrl).href,
      }),
      OIDC_TEST_ACCOUNTS: JSON.stringify(options.accounts),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /oidc-provider listening on (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited (${code}):\n${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    issuer,
    env: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: TEST_OIDC_CLIENT_ID,
      OIDC_CLIENT_SECRET: TEST_OIDC_CLIENT_SECRET,
      OIDC_DISPLAY_NAME: "Example ID",
    },
    async setClockOffset(seconds: number) {
      const response = await fetch(`${issuer}/test/clock`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ offset: String(seconds) }).toString(),
      });
      if (response.status !== 204) throw new Error(`the provider's clock answered ${response.status}`);
    },
    async hang(path: string | null) {
      const response = await fetch(`${issuer}/test/hang`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ path: path ?? "" }).toString(),
      });
      if (response.status !== 204) throw new Error(`the provider's hang switch answered ${response.status}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Cookies per origin, as a browser keeps them (expiry and paths ignored: each test is short). */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const cookies = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.byOrigin.set(origin, cookies);
  }

  header(url: string): string {
    const cookies = this.byOrigin.get(new URL(url).origin) ?? new Map();
    return [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  get(url: string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    const cookies = this.byOrigin.get(origin) ?? new Map<string, string>();
    cookies.set(name, value);
    this.byOrigin.set(origin, cookies);
  }
}

/** One request as the browser would send it (its cookies, no redirect followed), keeping what it sets. */
export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<Response> {
  const response = await fetch(url, {
    method: init.method ?? (init.form ? "POST" : "GET"),
    redirect: "manual",
    headers: {
      cookie: jar.header(url),
      ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
  });
  jar.store(url, response);
  return response;
}

/** Follows redirects with the jar until a response that is not one, or one leaving for `stopAt`. */
export async function follow(
  jar: CookieJar,
  response: Response,
  from: string,
  stopAt?: string,
): Promise<{ response: Response; url: string }> {
  let current = response;
  let url = from;
  while (current.status >= 300 && current.status < 400) {
    const location = current.headers.get("location");
    if (!location) break;
    url = new URL(location, url).href;
    if (stopAt && url.startsWith(stopAt)) return { response: current, url };
    current = await browse(jar, url);
  }
  return { response: current, url };
}

/**
 * From the portal's sign-in page to the provider's answer: presses "Sign in with …", signs in at the
 * provider as `subject` (with these authentication methods), and stops at the redirect back to the
 * portal's callback, returning its URL unvisited.
 */
export async function signInAtProvider(
  jar: CookieJar,
  portal: { baseUrl: string; publicUrl: string },
  subject: string,
  amr = "pwd",
): Promise<{ callbackUrl: string }> {
  const portalUrl = portal.baseUrl;
  const signInPage = await browse(jar, `${portalUrl}/staff/sign-in`);
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await signInPage.text())?.[1] ?? "";
  const started = await browse(jar, `${portalUrl}/staff/sign-in/sso`, { form: { _csrf: csrfToken } });
  if (started.status !== 303) throw new Error(`starting single sign-on answered ${started.status}`);
  const authorizationUrl = new URL(started.headers.get("location") ?? "", portalUrl).href;
  const answer = new URL(await signInAtProviderFrom(jar, authorizationUrl, subject, amr, portal.publicUrl));
  return { callbackUrl: `${portalUrl}${answer.pathname}${answer.search}` };
}

/**
 * From the provider's authorization URL to its answer: signs in there as `subject` unless the browser
 * still is, and returns the callback URL (on PUBLIC_URL's origin) unvisited.
 */
export async function signInAtProviderFrom(
  jar: CookieJar,
  authorizationUrl: string,
  subject: string,
  amr: string,
  publicUrl = "http://127.0.0.1:3000",
): Promise<string> {
  const callback = new URL("/staff/sign-in/sso/callback", publicUrl).href;
  let back = await follow(jar, await browse(jar, authorizationUrl), authorizationUrl, callback);
  // A browser still signed in at the provider comes straight back; otherwise it signs in there first.
  if (!back.url.startsWith(callback)) {
    const interactionUrl = back.url;
    const loggedIn = await browse(jar, interactionUrl, { form: { login: subject, amr } });
    back = await follow(jar, loggedIn, interactionUrl, callback);
  }
  if (!back.url.startsWith(callback)) {
    throw new Error(`the provider did not send the browser back: ${back.response.status} ${back.url}`);
  }
  return back.url;
}
