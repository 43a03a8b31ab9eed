// Passkeys (WebAuthn) through @simplewebauthn/server: the relying party, the challenges, and the two
// checks (a new passkey's registration, a sign-in's assertion).
//
// The relying party is the portal's PUBLIC_URL: its host is the RP ID and its origin the only origin
// accepted, whatever Host header a request came with. A challenge is 32 random bytes stored in
// Postgres (so any instance can check the answer), with its purpose, an expiry of five minutes and a
// binding: the staff session that asked for it, or, before there is any session (a sign-in with a
// passkey alone), the SHA-256 of a random value kept in a short-lived cookie. The answer names its
// challenge (in clientDataJSON); it is accepted only while a row with that challenge, purpose and
// binding exists, and that row is deleted in the same statement, so a challenge answers once: a
// replayed answer, an answer from another browser or session, or a late one finds nothing.
import { createHash, randomBytes } from "node:crypto";
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { z } from "zod";
import type { Config } from "../config.js";
import type { Database, Transaction } from "../db.js";

export const PASSKEY_CHALLENGE_LIFETIME_MS = 5 * 60_000;
/** The browser's own time limit for the ceremony, a little under the challenge's. */
const CEREMONY_TIMEOUT_MS = 4 * 60_000;

export type PasskeyChallengePurpose = "registration" | "sign_in" | "second_factor";

export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingPartyOf(config: Config): RelyingParty {
  return {
    id: config.http.publicUrl.hostname,
    name: config.site.name,
    origin: config.http.publicUrl.origin,
  };
}

/** The binding of a challenge asked for before any session: the hash of the cookie's random value. */
export function cookieBinding(cookieValue: string): string {
  return `cookie:${createHash("sha256").update(cookieValue, "utf8").digest("hex")}`;
}

export function sessionBinding(sessionId: string): string {
  return `session:${sessionId}`;
}

/** A random value for the cookie that binds a sign-in challenge to this browser. */
export function newChallengeCookieValue(): string {
  return randomBytes(32).toString("base64url");
}

async function storeChallenge(
  tx: Database | Transaction,
  options: {
    purpose: PasskeyChallengePurpose;
    binding: string;
    challenge: string;
    staffUserId?: string;
    passkeyName?: string;
    now: Date;
  },
): Promise<void> {
  // A binding holds one challenge per purpose: asking again replaces the earlier one.
  await tx.passkeyChallenge.deleteMany({ where: { binding: options.binding, purpose: options.purpose } });
  await tx.passkeyChallenge.create({
    data: {
      purpose: options.purpose,
      binding: options.binding,
      challenge: options.challenge,
      staffUserId: options.staffUserId ?? null,
      passkeyName: options.passkeyName ?? null,
      createdAt: options.now,
      expiresAt: new Date(options.now.getTime() + PASSKEY_CHALLENGE_LIFETIME_MS),
    },
  });
}

/**
 * Claims the challenge an answer names: deleted and returned only when it was issued for this purpose
 * and binding and has not expired; null otherwise (replayed, foreign or late).
 */
export async function consumeChallenge(
  tx: Database | Transaction,
  options: { purpose: PasskeyChallengePurpose; binding: string; clientDataJSON: string; now: Date },
): Promise<{ challenge: string; staffUserId: string | null; passkeyName: string | null } | null> {
  const challenge = challengeNamedIn(options.clientDataJSON);
  if (!challenge) return null;
  const rows = await tx.$queryRaw<
    { challenge: string; staffUserId: string | null; passkeyName: string | null; expiresAt: Date }[]
  >`
    DELETE FROM passkey_challenges
    WHERE challenge = ${challenge} AND purpose = ${options.purpose} AND binding = ${options.binding}
    RETURNING challenge, "staffUserId", "passkeyName", "expiresAt"`;
  const row = rows[0];
  if (!row || row.expiresAt <= options.now) return null;
  return { challenge: row.challenge, staffUserId: row.staffUserId, passkeyName: row.passkeyName };
}

function challengeNamedIn(clientDataJSON: string): string | null {
  try {
    const clientData = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as unknown;
    const challenge = (clientData as { challenge?: unknown })?.challenge;
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 128
      ? challenge
      : null;
  } catch {
    return null;
  }
}

export async function purgeExpiredPasskeyChallenges(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.passkeyChallenge.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}

const TRANSPORTS = new Set<AuthenticatorTransportFuture>([
  "ble",
  "cable",
  "hybrid",
  "internal",
  "nfc",
  "smart-card",
  "usb",
]);

function knownTransports(transports: readonly string[]): AuthenticatorTransportFuture[] {
  return transports.filter((transport): transport is AuthenticatorTransportFuture =>
    TRANSPORTS.has(transport as AuthenticatorTransportFuture),
  );
}

/**
 * Options for registering a new passkey, with their challenge stored. User verification is required
 * and a resident (discoverable) key preferred, so the passkey can later sign in on its own; the
 * person's existing passkeys are excluded, so one authenticator is not registered twice.
 */
export async function startPasskeyRegistration(
  db: Database,
  options: {
    config: Config;
    sessionId: string;
    staff: { id: string; email: string; name: string };
    passkeyName: string;
    existing: { credentialId: string; transports: string[] }[];
    now?: Date;
  },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const relyingParty = relyingPartyOf(options.config);
  const creationOptions = await generateRegistrationOptions({
    rpName: relyingParty.name,
    rpID: relyingParty.id,
    userName: options.staff.email,
    userDisplayName: options.staff.name,
    // The user handle is the account's id: a discoverable passkey returns it at sign-in.
    userID: new Uint8Array(Buffer.from(options.staff.id, "utf8")),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: options.existing.map((passkey) => ({
      id: passkey.credentialId,
      transports: knownTransports(passkey.transports),
    })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  await storeChallenge(db, {
    purpose: "registration",
    binding: sessionBinding(options.sessionId),
    challenge: creationOptions.challenge,
    staffUserId: options.staff.id,
    passkeyName: options.passkeyName,
    now: options.now ?? new Date(),
  });
  return creationOptions;
}

/**
 * Options for signing in with a passkey, with their challenge stored: with no allowed credentials
 * (the browser offers the person's discoverable passkeys for this site) for a sign-in by passkey
 * alone, which requires user verification; or the account's own passkeys in place of the TOTP code
 * after the password, where the password already was the first factor.
 */
export async function startPasskeyAuthentication(
  db: Database,
  options: {
    config: Config;
    purpose: "sign_in" | "second_factor";
    binding: string;
    allowed?: { credentialId: string; transports: string[] }[];
    now?: Date;
  },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const requestOptions = await generateAuthenticationOptions({
    rpID: relyingPartyOf(options.config).id,
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: options.purpose === "sign_in" ? "required" : "preferred",
    allowCredentials: (options.allowed ?? []).map((passkey) => ({
      id: passkey.credentialId,
      transports: knownTransports(passkey.transports),
    })),
  });
  await storeChallenge(db, {
    purpose: options.purpose,
    binding: options.binding,
    challenge: requestOptions.challenge,
    now: options.now ?? new Date(),
  });
  return requestOptions;
}

// What the browser script posts back (the JSON of @simplewebauthn/browser's result), checked for
// shape here; the library checks the content.
const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]*={0,2}$/, "not base64url")
  .max(16_384);

export const ZRegistrationResponse = z.object({
  id: base64url.min(1).max(1_400),
  rawId: base64url.min(1).max(1_400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    // Unknown transports are dropped rather than refused: browsers add new ones.
    transports: z
      .array(z.string().max(32))
      .max(10)
      .optional()
      .transform((transports) => (transports ? knownTransports(transports) : undefined)),
    authenticatorData: base64url.optional(),
    publicKey: base64url.optional(),
    publicKeyAlgorithm: z.number().optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

export const ZAuthenticationResponse = z.object({
  id: base64url.min(1).max(1_400),
  rawId: base64url.min(1).max(1_400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

/** The posted field `response`: the JSON the browser script wrote, or null when it is not one. */
export function parseCeremonyResponse<T>(schema: z.ZodType<T>, field: string): T | null {
  if (!field || field.length > 40_000) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(field));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface VerifiedRegistration {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  isBackedUp: boolean;
}

/** A new passkey's attestation, checked against the challenge, our origin and RP ID; null when refused. */
export async function checkRegistration(
  config: Config,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
): Promise<VerifiedRegistration | null> {
  const relyingParty = relyingPartyOf(config);
  try {
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: relyingParty.origin,
      expectedRPID: relyingParty.id,
      requireUserVerification: true,
    });
    if (!verification.verified) return null;
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: credential.publicKey,
      signCount: credential.counter,
      transports: response.response.transports ?? [],
      deviceType: credentialDeviceType,
      isBackedUp: credentialBackedUp,
    };
  } catch {
    return null;
  }
}

export type AssertionOutcome =
  | { kind: "verified"; newSignCount: number; isBackedUp: boolean }
  /** The counter did not grow: the passkey's key may have been copied to another authenticator. */
  | { kind: "counter_rejected" }
  | { kind: "rejected" };

/**
 * A sign-in's assertion, checked against the stored passkey: signature, challenge, origin, RP ID, user
 * verification where asked, and the signature counter, which must grow whenever either side is not
 * zero (an authenticator that does not count sends zero). The backup eligibility it reports must be
 * the one registered: it is fixed for a credential's life, so a change means another authenticator.
 */
export async function checkAssertion(
  config: Config,
  options: {
    response: AuthenticationResponseJSON;
    expectedChallenge: string;
    requireUserVerification: boolean;
    passkey: {
      credentialId: string;
      publicKey: Uint8Array;
      signCount: bigint;
      transports: string[];
      deviceType: string;
    };
  },
): Promise<AssertionOutcome> {
  const relyingParty = relyingPartyOf(config);
  const storedCount = Number(options.passkey.signCount);
  try {
    const verification = await verifyAuthenticationResponse({
      response: options.response,
      expectedChallenge: options.expectedChallenge,
      expectedOrigin: relyingParty.origin,
      expectedRPID: relyingParty.id,
      requireUserVerification: options.requireUserVerification,
      credential: {
        id: options.passkey.credentialId,
        publicKey: new Uint8Array(options.passkey.publicKey),
        counter: storedCount,
        transports: knownTransports(options.passkey.transports),
      },
    });
    if (!verification.verified) return { kind: "rejected" };
    const info = verification.authenticationInfo;
    if (info.credentialDeviceType !== options.passkey.deviceType) return { kind: "rejected" };
    return { kind: "verified", newSignCount: info.newCounter, isBackedUp: info.credentialBackedUp };
  } catch (error) {
    if (error instanceof Error && /counter value/i.test(error.message)) return { kind: "counter_rejected" };
    return { kind: "rejected" };
  }
}
