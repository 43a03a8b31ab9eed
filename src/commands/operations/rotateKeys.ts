// npm run rotate-keys: after an operator has made a new key current and kept the old one as the
// previous (EVIDENCE_ENCRYPTION_KEY / _PREVIOUS, TOTP_ENCRYPTION_KEY / _PREVIOUS), moves everything
// stored under the previous key to the current one, so the previous key can be removed:
//   - each evidence file's data key is unwrapped and wrapped again under the current key-encryption
//     key: one row UPDATE, the file itself never touched (nor the backups that hold it);
//   - TOTP secrets and Matrix registration token strings are opened and sealed again under the current
//     key, and each token's lookup hash is recomputed.
// Batches of rows, each in its own transaction, each row updated only if it is still what was read
// (two runs at once, or a person re-enrolling meanwhile, lose nothing). Safe to run again: a row already
// under the current key is left alone. One audit row with the counts ("keys.rotated").
//
// What it cannot move: recovery codes are keyed hashes of codes nobody stored, so those made before a
// TOTP key rotation match only while TOTP_ENCRYPTION_KEY_PREVIOUS is set (they stop working once it is
// removed: people then make new ones on their profile). SESSION_SECRET signs nothing stored; see the
// README for how long to keep SESSION_SECRET_PREVIOUS.
import { recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import {
  isSealedWithCurrentKey,
  openRegistrationToken,
  registrationTokenLookup,
  sealRegistrationToken,
} from "../../matrix/tokenSecrets.js";
import { openSecretWithRing, sealSecret, totpKeyring } from "../../secrets.js";
import { EvidenceDecryptionError, rewrapDataKey } from "../../storage/evidenceEncryption.js";

const BATCH_SIZE = 200;

export interface KeyRotationOutcome {
  evidenceKeysRewrapped: number;
  /** Rows whose data key is wrapped by a key that is neither the current nor the previous one. */
  evidenceKeysUnderUnknownKey: number;
  totpSecretsResealed: number;
  registrationTokensResealed: number;
  /** Sealed values that no configured key opens (these need the key that sealed them). */
  secretsNotOpened: number;
}

export async function rotateKeys(
  db: Database,
  config: Pick<Config, "evidence"> & { staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious"> },
): Promise<KeyRotationOutcome> {
  const outcome: KeyRotationOutcome = {
    evidenceKeysRewrapped: 0,
    evidenceKeysUnderUnknownKey: 0,
    totpSecretsResealed: 0,
    registrationTokensResealed: 0,
    secretsNotOpened: 0,
  };
  await rewrapEvidenceKeys(db, config.evidence.encryption, outcome);
  await resealTotpSecrets(db, totpKeyring(config.staff), outcome);
  await resealRegistrationTokens(db, totpKeyring(config.staff), outcome);
  await db.$transaction((tx) => recordAudit(tx, { label: "terminal" }, "keys.rotated", null, { ...outcome }));
  return outcome;
}

async function rewrapEvidenceKeys(
  db: Database,
  keyring: Config["evidence"]["encryption"],
  outcome: KeyRotationOutcome,
): Promise<void> {
  if (!keyring) return;
  // Keyset over ids: rows re-wrapped leave the filter, rows that cannot be leave it by the cursor.
  let afterId: string | undefined;
  for (;;) {
    const rows = await db.evidenceFile.findMany({
      where: {
        encryptionKeyId: { not: keyring.current.id },
        wrappedDataKey: { not: null },
        ...(afterId ? { id: { gt: afterId } } : {}),
      },
      orderBy: { id: "asc" },
      take: BATCH_SIZE,
      select: { id: true, storageKey: true, encryptionKeyId: true, wrappedDataKey: true },
    });
    if (rows.length === 0) return;
    afterId = rows.at(-1)?.id;
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        if (row.encryptionKeyId === null || row.wrappedDataKey === null) continue;
        let rewrapped: { encryptionKeyId: string; wrappedDataKey: string };
        try {
          rewrapped = rewrapDataKey(keyring, row.storageKey, {
            encryptionKeyId: row.encryptionKeyId,
            wrappedDataKey: row.wrappedDataKey,
          });
        } catch (error) {
          if (!(error instanceof EvidenceDecryptionError)) throw error;
          outcome.evidenceKeysUnderUnknownKey += 1;
          continue;
        }
        const { count } = await tx.evidenceFile.updateMany({
          where: { id: row.id, wrappedDataKey: row.wrappedDataKey },
          data: rewrapped,
        });
        outcome.evidenceKeysRewrapped += count;
      }
    });
  }
}

async function resealTotpSecrets(db: Database, keys: Buffer[], outcome: KeyRotationOutcome): Promise<void> {
  if (keys.length < 2) return;
  const [currentKey] = keys;
  if (!currentKey) return;
  let afterId: string | undefined;
  for (;;) {
    const rows = await db.staffUser.findMany({
      where: { totpSecretSealed: { not: null }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: "asc" },
      take: BATCH_SIZE,
      select: { id: true, totpSecretSealed: true },
    });
    if (rows.length === 0) return;
    afterId = rows.at(-1)?.id;
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        if (row.totpSecretSealed === null) continue;
        let opened: { plaintext: string; keyIndex: number };
        try {
          opened = openSecretWithRing(keys, row.totpSecretSealed);
        } catch {
          outcome.secretsNotOpened += 1;
          continue;
        }
        if (opened.keyIndex === 0) continue;
        const { count } = await tx.staffUser.updateMany({
          where: { id: row.id, totpSecretSealed: row.totpSecretSealed },
          data: { totpSecretSealed: sealSecret(currentKey, opened.plaintext) },
        });
        outcome.totpSecretsResealed += count;
      }
    });
  }
}

async function resealRegistrationTokens(
  db: Database,
  keys: Buffer[],
  outcome: KeyRotationOutcome,
): Promise<void> {
  if (keys.length < 2) return;
  const [currentKey] = keys;
  if (!currentKey) return;
  let afterId: string | undefined;
  for (;;) {
    const rows = await db.registrationToken.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: "asc" },
      take: BATCH_SIZE,
      select: { id: true, tokenSealed: true },
    });
    if (rows.length === 0) return;
    afterId = rows.at(-1)?.id;
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        let token: string;
        try {
          if (isSealedWithCurrentKey(keys, row.tokenSealed)) continue;
          token = openRegistrationToken(keys, row.tokenSealed);
        } catch {
          outcome.secretsNotOpened += 1;
          continue;
        }
        const { count } = await tx.registrationToken.updateMany({
          where: { id: row.id, tokenSealed: row.tokenSealed },
          data: {
            tokenSealed: sealRegistrationToken(currentKey, token),
            tokenLookup: registrationTokenLookup(currentKey, token),
          },
        });
        outcome.registrationTokensResealed += count;
      }
    });
  }
}
