// Passkeys as pages show them: a person's list (profile page, and their page for admins), and the page
// that runs a ceremony in the browser (staff/passkey-ceremony.njk, driven by static/js/passkeys.js).
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import type { Translator } from "../i18n/translator.js";
import { urls } from "../urls.js";
import { formatDateTime } from "./staff.js";

export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  isBackedUp: boolean;
}

/** `lastUsedAt` is null for a passkey never used. */
export function presentPasskeys(passkeys: PasskeyRow[], translator: Translator) {
  return passkeys.map((passkey) => ({
    id: passkey.id,
    name: passkey.name,
    createdAt: formatDateTime(passkey.createdAt),
    lastUsedAt: passkey.lastUsedAt ? formatDateTime(passkey.lastUsedAt) : null,
    lastUsedLabel: formatDateTime(passkey.lastUsedAt, translator.t("staff.never")),
    isSynced: passkey.isBackedUp,
    removeUrl: urls.staffProfilePasskeyRemove(passkey.id),
  }));
}

export function presentPasskeyCeremony(page: {
  ceremony: "register" | "authenticate";
  title: string;
  lead: string;
  action: string;
  buttonText: string;
  options: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON;
  cancelUrl: string;
  next?: string | null;
}) {
  return {
    ceremony: page.ceremony,
    title: page.title,
    lead: page.lead,
    action: page.action,
    buttonText: page.buttonText,
    // Read by the script from a data attribute (autoescaped): no inline script, so the CSP stays strict.
    optionsJson: JSON.stringify(page.options),
    cancelUrl: page.cancelUrl,
    next: page.next ?? null,
  };
}
