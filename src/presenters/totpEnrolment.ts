// Enrolling an authenticator, as the invitation page and the profile page show it: the QR code, the key
// written out, and the sealed secret the form sends back (made and sealed by the route, never stored).
import { totpQrCode, totpUri } from "../domain/totp.js";

export async function presentTotpEnrolment(enrolment: {
  secret: string;
  /** The account's name in the authenticator app (the person's email) and the issuer (the site). */
  accountName: string;
  issuer: string;
  sealed: string;
}) {
  const { secret } = enrolment;
  return {
    qrCode: await totpQrCode(totpUri(secret, enrolment.accountName, enrolment.issuer)),
    // Grouped in fours for reading aloud or typing; apps ignore the spaces.
    secretGroups: secret.match(/.{1,4}/g)?.join(" ") ?? secret,
    sealed: enrolment.sealed,
  };
}

export type TotpEnrolmentView = Awaited<ReturnType<typeof presentTotpEnrolment>>;
