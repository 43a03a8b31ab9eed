// Single sign-on through an OpenID Connect provider, with openid-client: discovery, the authorization
// request, and the check of the provider's answer.
//
// A round trip: the portal stores a request (state, nonce and the PKCE verifier, ten minutes, bound to
// the browser by the SHA-256 of a random value in a cookie) in Postgres, so any instance can take the
// answer, and sends the browser to the provider with the state, the nonce and the PKCE challenge. The
// answer names its state; it is taken only while a row with that state and binding exists, and that row
// is deleted in the same statement, so an answer counts once: a replayed callback, one from another
// browser or a late one finds nothing. openid-client then redeems the code with the verifier and checks
// the ID token: signature (the provider's published keys), issuer, audience, expiry and nonce.
//
// Discovery runs at each step rather than being cached: sign-ins are rare, and a provider that is down
// is then seen at once, on the portal's own page, not as the browser's connection error at the provider.
import { createHash, randomBytes } from "node:crypto";
import * as client from "openid-client";
import type { Config, OidcSettings } from "../config.js";
import type { Database } from "../db.js";
import { urls } from "../urls.js";

export const OIDC_REQUEST_LIFETIME_MS = 10 * 60_000;
/** Seconds each call to the provider may take before it counts as down. */
const PROVIDER_TIMEOUT_SECONDS = 5;
const SCOPES = "openid email profile";

export type OidcRequestPurpose = "sign_in" | "link_invitation";

/** The provider could not be reached, or answered its discovery document with nonsense. */
export class OidcProviderUnavailable extends Error {}

/** The answer failed a check: an error from the provider, a code it refused, or a token that is wrong. */
export class OidcAnswerRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function oidcRedirectUri(config: Config): string {
  return new URL(urls.staffSignInOidcCallback(), config.http.publicUrl).href;
}

/** The binding of a request to the browser: the hash of the cookie's random value. */
export function oidcCookieBinding(cookieValue: string): string {
  return `cookie:${createHash("sha256").update(cookieValue, "utf8").digest("hex")}`;
}

export function newOidcCookieValue(): string {
  return randomBytes(32).toString("base64url");
}

async function discover(settings: OidcSettings): Promise<client.Configuration> {
  try {
    return await client.discovery(
      settings.issuer,
      settings.clientId,
      settings.clientSecret,
      client.ClientSecretBasic(settings.clientSecret),
      {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        ...(settings.allowsInsecureIssuer ? { execute: [client.allowInsecureRequests] } : {}),
      },
    );
  } catch (error) {
    throw new OidcProviderUnavailable(error instanceof Error ? error.message : String(error));
  }
}

/** Stores a new request and returns where to send the browser. */
export async function startOidcRequest(
  db: Database,
  config: Config,
  settings: OidcSettings,
  options: {
    purpose: OidcRequestPurpose;
    binding: string;
    staffUserId?: string;
    linkTokenSealed?: string;
    nextPath?: string | null;
    now?: Date;
  },
): Promise<URL> {
  const providerConfiguration = await discover(settings);
  const now = options.now ?? new Date();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  await db.$transaction(async (tx) => {
    // A browser holds one request at a time: starting again replaces the earlier one.
    await tx.oidcSignInRequest.deleteMany({ where: { binding: options.binding } });
    await tx.oidcSignInRequest.create({
      data: {
        purpose: options.purpose,
        binding: options.binding,
        state,
        nonce,
        codeVerifier,
        staffUserId: options.staffUserId ?? null,
        linkTokenSealed: options.linkTokenSealed ?? null,
        nextPath: options.nextPath ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + OIDC_REQUEST_LIFETIME_MS),
      },
    });
  });
  return client.buildAuthorizationUrl(providerConfiguration, {
    redirect_uri: oidcRedirectUri(config),
    scope: SCOPES,
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
    state,
    nonce,
  });
}

export interface ClaimedOidcRequest {
  purpose: OidcRequestPurpose;
  state: string;
  nonce: string;
  codeVerifier: string;
  staffUserId: string | null;
  linkTokenSealed: string | null;
  nextPath: string | null;
}

/**
 * Claims the request an answer names: deleted and returned only when it was made by this browser and
 * has not expired; null otherwise (replayed, foreign, forged or late).
 */
export async function consumeOidcRequest(
  db: Database,
  options: { state: string; binding: string; now?: Date },
): Promise<ClaimedOidcRequest | null> {
  if (options.state.length === 0 || options.state.length > 256) return null;
  const rows = await db.$queryRaw<(ClaimedOidcRequest & { expiresAt: Date })[]>`
    DELETE FROM oidc_sign_in_requests
    WHERE state = ${options.state} AND binding = ${options.binding}
    RETURNING purpose, state, nonce, "codeVerifier", "staffUserId", "linkTokenSealed", "nextPath", "expiresAt"`;
  const row = rows[0];
  if (!row || row.expiresAt <= (options.now ?? new Date())) return null;
  return {
    purpose: row.purpose === "link_invitation" ? "link_invitation" : "sign_in",
    state: row.state,
    nonce: row.nonce,
    codeVerifier: row.codeVerifier,
    staffUserId: row.staffUserId,
    linkTokenSealed: row.linkTokenSealed,
    nextPath: row.nextPath,
  };
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** Only an address the provider says it verified; null otherwise. */
  verifiedEmail: string | null;
  /** The ID token's amr claim: how the provider authenticated the person. */
  authenticationMethods: string[];
}

/**
 * Redeems the code in the callback URL (built from PUBLIC_URL, never the Host header) and checks the ID
 * token. Throws OidcProviderUnavailable when the provider cannot be reached, OidcAnswerRejected for any
 * failed check.
 */
export async function finishOidcRequest(
  settings: OidcSettings,
  callbackUrl: URL,
  request: ClaimedOidcRequest,
): Promise<OidcIdentity> {
  const providerConfiguration = await discover(settings);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(providerConfiguration, callbackUrl, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    if (isUnreachable(error)) {
      throw new OidcProviderUnavailable(error instanceof Error ? error.message : String(error));
    }
    throw new OidcAnswerRejected(describeRejection(error));
  }
  const claims = tokens.claims();
  if (!claims) throw new OidcAnswerRejected("no ID token");
  // Providers that keep the ID token small (as the specification suggests when an access token is issued)
  // give the address at the userinfo endpoint; its answer must be about the same subject.
  let emailClaims: { email?: unknown; email_verified?: unknown } = {
    email: claims.email,
    email_verified: claims.email_verified,
  };
  if (typeof claims.email !== "string" && settings.linkByEmail) {
    try {
      emailClaims = await client.fetchUserInfo(providerConfiguration, tokens.access_token, claims.sub);
    } catch (error) {
      if (isUnreachable(error)) {
        throw new OidcProviderUnavailable(error instanceof Error ? error.message : String(error));
      }
      throw new OidcAnswerRejected(describeRejection(error));
    }
  }
  const email = typeof emailClaims.email === "string" ? emailClaims.email.trim().toLowerCase() : null;
  return {
    issuer: claims.iss,
    subject: claims.sub,
    verifiedEmail: email && emailClaims.email_verified === true ? email : null,
    authenticationMethods: Array.isArray(claims.amr)
      ? claims.amr.filter((method): method is string => typeof method === "string")
      : [],
  };
}

/** A network failure, a timeout or a server error, as opposed to an answer that failed a check. */
function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // fetch() fails with a TypeError whose cause is the socket's error.
  if (error instanceof TypeError && error.message === "fetch failed") return true;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  // openid-client turns fetch's TimeoutError and AbortError into these.
  if (code === "OAUTH_TIMEOUT" || code === "OAUTH_ABORT") return true;
  // A 5xx (the provider, or a proxy in front of it, failing) where JSON was expected.
  return code === "OAUTH_RESPONSE_IS_NOT_CONFORM" && cause instanceof Response && cause.status >= 500;
}

/** A short, stable reason for the audit row: the library's code or the provider's error, never a token. */
function describeRejection(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) return `provider_error:${error.error}`;
  if (error instanceof client.ResponseBodyError) return `token_endpoint:${error.error}`;
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code.slice(0, 80) : "rejected";
}

/**
 * Methods in the ID token's amr claim (RFC 8176) that prove more than one factor, or a
 * phishing-resistant key: such a sign-in stands in for the portal's own second factor.
 */
const MULTI_FACTOR_METHODS = new Set(["mfa", "otp", "hwk", "sms", "swk", "fpt", "face", "iris", "retina"]);

export function provesSecondFactor(authenticationMethods: readonly string[]): boolean {
  return authenticationMethods.some((method) => MULTI_FACTOR_METHODS.has(method));
}

export async function purgeExpiredOidcRequests(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.oidcSignInRequest.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
