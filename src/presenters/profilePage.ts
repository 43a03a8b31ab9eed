// One's own profile page (staff/profile/index.njk): the account, the forms' mistakes and values, the
// authenticator enrolment, the passkeys, the open sessions (this one marked), the theme choices and the forms' links.
import type { ThemePreference } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import type { ProfileFacts } from "../queries/profile.js";
import type { SignedInStaff } from "../sessions.js";
import { urls } from "../urls.js";
import { presentPasskeys } from "./passkeys.js";
import { formatDateTime } from "./staff.js";
import type { TotpEnrolmentView } from "./totpEnrolment.js";

type Errors = Record<string, string>;

/** What a form with mistakes shows again; a form not being answered shows none. */
export interface ProfileForms {
  passwordErrors?: Errors;
  authenticatorErrors?: Errors;
  contactDetailsErrors?: Errors;
  /** What was typed in the Matrix ID and phone form, kept across a form with mistakes. */
  contactDetailsValues?: { matrixId: string; phone: string };
  passkeyErrors?: Errors;
  /** The name typed for a new passkey, kept across a form with mistakes. */
  passkeyValues?: { name: string };
}

const THEMES: readonly ThemePreference[] = ["SYSTEM", "LIGHT", "DARK"];

export function presentProfilePage(
  staff: SignedInStaff,
  page: {
    currentSessionId: string;
    facts: ProfileFacts;
    totp: TotpEnrolmentView;
    forms: ProfileForms;
  },
  translator: Translator,
) {
  const { facts, forms } = page;
  return {
    passwordErrors: forms.passwordErrors ?? {},
    authenticatorErrors: forms.authenticatorErrors ?? {},
    contactDetailsErrors: forms.contactDetailsErrors ?? {},
    contactDetailsValues: forms.contactDetailsValues ?? {
      matrixId: facts.contactDetails.matrixId ?? "",
      phone: facts.contactDetails.phone ?? "",
    },
    person: {
      name: staff.name,
      email: staff.email,
      roleLabel: translator.t(`staff.role.${staff.role}`),
      singleSignOnLabel: facts.contactDetails.oidcLinkedAt
        ? translator.t("staff.singleSignOn.linkedSince", {
            date: formatDateTime(facts.contactDetails.oidcLinkedAt),
            issuer: facts.contactDetails.oidcIssuer ?? "",
          })
        : null,
    },
    hasSecondFactor: staff.hasSecondFactor,
    /** What an account moved from the original system must still do before anything else. */
    setUpSteps: [
      ...(staff.mustEnrolSecondFactor ? [translator.t("staff.profile.setUp.secondFactor")] : []),
      ...(staff.mustChangePassword ? [translator.t("staff.profile.setUp.password")] : []),
    ],
    unusedRecoveryCodes: facts.unusedRecoveryCodes,
    passkeys: presentPasskeys(facts.passkeys, translator),
    passkeyErrors: forms.passkeyErrors ?? {},
    passkeyValues: forms.passkeyValues ?? { name: "" },
    totp: page.totp,
    sessions: facts.sessions.map((session) => ({
      isCurrent: session.id === page.currentSessionId,
      createdAt: formatDateTime(session.createdAt),
      lastSeenAt: formatDateTime(session.lastSeenAt, translator.t("staff.never")),
      ipAddress: session.ipAddress ?? translator.t("staff.unknown"),
      userAgent: session.userAgent ?? translator.t("staff.unknown"),
      endUrl: urls.staffProfileEndSession(session.id),
    })),
    themeOptions: THEMES.map((value) => ({
      value,
      label: translator.t(`staff.theme.${value}`),
      isChosen: staff.themePreference === value,
    })),
    links: {
      password: urls.staffProfilePassword(),
      authenticator: urls.staffProfileAuthenticator(),
      recoveryCodes: urls.staffProfileRecoveryCodes(),
      theme: urls.staffProfileTheme(),
      contactDetails: urls.staffProfileContactDetails(),
      addPasskey: urls.staffProfilePasskeys(),
    },
  };
}
