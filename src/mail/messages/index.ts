// The message kinds the outbox can send, and the one way to render them. Enqueueing code picks a kind by
// name and stores its payload (validated with the kind's schema); delivery calls renderEmail with the
// stored payload and, for kinds with a link, the decrypted link.
import type nunjucks from "nunjucks";
import type { z } from "zod";
import { accountBlocked } from "./accountBlocked.js";
import { applicantReminder } from "./applicantReminder.js";
import { applicantReplied } from "./applicantReplied.js";
import { applicationReceived } from "./applicationReceived.js";
import { approvalNeeded } from "./approvalNeeded.js";
import { caseEmailChangeConfirmation, caseEmailChangedNotice } from "./caseEmailChange.js";
import { caseInvitation } from "./caseInvitation.js";
import { credentialsChanged } from "./credentialsChanged.js";
import { decisionApproved } from "./decisionApproved.js";
import { decisionRejected } from "./decisionRejected.js";
import { emailConfirmation } from "./emailConfirmation.js";
import { EmailRenderError, type MessageKind, type RenderContext, type RenderedEmail } from "./kind.js";
import { malwareRefused } from "./malwareRefused.js";
import { moreInformationRequested } from "./moreInformationRequested.js";
import { newCasesDigest } from "./newCasesDigest.js";
import { newCaseWaiting } from "./newCaseWaiting.js";
import { passwordReset } from "./passwordReset.js";
import { referenceRequest } from "./referenceRequest.js";
import { registrationTokenReady } from "./registrationTokenReady.js";
import { registrationTokenRevoked } from "./registrationTokenRevoked.js";
import { type EmailInput, renderMessageKind } from "./render.js";
import { resubmissionReceived } from "./resubmissionReceived.js";
import { signInLink } from "./signInLink.js";
import { staffDigest } from "./staffDigest.js";
import { staffInvitation } from "./staffInvitation.js";
import { staffNotice } from "./staffNotice.js";
import { submittedOnBehalf } from "./submittedOnBehalf.js";
import { superadminWelcome } from "./superadminWelcome.js";
import { testMessage } from "./testMessage.js";
import { withdrawalConfirmed } from "./withdrawalConfirmed.js";

export {
  EmailRenderError,
  type EmailRenderErrorReason,
  type LinkPurpose,
  type MessageKind,
  type RenderContext,
  type RenderedEmail,
  renderContextFor,
  type SubjectContext,
  ZDisplayName,
} from "./kind.js";
export type { EmailInput } from "./render.js";

/** Every key must equal its kind's `name`: the outbox finds kinds by the name it stored. */
type Registry<Kinds> = { [Name in keyof Kinds]: MessageKind<unknown> & { name: Name } };

function registry<const Kinds extends Registry<Kinds>>(kinds: Kinds): Kinds {
  return kinds;
}

export const messageKinds = registry({
  email_confirmation: emailConfirmation,
  sign_in_link: signInLink,
  staff_invitation: staffInvitation,
  password_reset: passwordReset,
  test_message: testMessage,
  superadmin_welcome: superadminWelcome,
  account_blocked: accountBlocked,
  credentials_changed: credentialsChanged,
  approval_needed: approvalNeeded,
  // vetting cases
  application_received: applicationReceived,
  more_information_requested: moreInformationRequested,
  resubmission_received: resubmissionReceived,
  decision_approved: decisionApproved,
  decision_rejected: decisionRejected,
  withdrawal_confirmed: withdrawalConfirmed,
  case_invitation: caseInvitation,
  new_case_waiting: newCaseWaiting,
  // Kept so that digests queued before the per-person digest (staff_digest) are still delivered.
  new_cases_digest: newCasesDigest,
  malware_refused: malwareRefused,
  applicant_reminder: applicantReminder,
  // staff notifications (domain/staffNotifications.ts)
  staff_notice: staffNotice,
  staff_digest: staffDigest,
  submitted_on_behalf: submittedOnBehalf,
  applicant_replied: applicantReplied,
  case_email_change_confirmation: caseEmailChangeConfirmation,
  case_email_changed_notice: caseEmailChangedNotice,
  // Matrix registration tokens
  registration_token_ready: registrationTokenReady,
  registration_token_revoked: registrationTokenRevoked,
  // referees who vouch for an applicant
  reference_request: referenceRequest,
});

export type MessageKindName = keyof typeof messageKinds;

/** The payload a kind stores, e.g. MessagePayload<"staff_invitation"> is { inviteeName, inviterName, roleLabel }. */
export type MessagePayload<Name extends MessageKindName> = z.output<
  (typeof messageKinds)[Name]["payloadSchema"]
>;

export function isMessageKindName(name: string): name is MessageKindName {
  return Object.hasOwn(messageKinds, name);
}

export function findMessageKind(name: string): MessageKind<unknown> | undefined {
  return isMessageKindName(name) ? messageKinds[name] : undefined;
}

/**
 * Validates the payload with the kind's schema (throws a clear error naming the kind when invalid),
 * then renders subject and both parts. `link` is given for kinds with `link`: the absolute URL and its expiry.
 * Every refusal is an EmailRenderError: retrying the same message will not help.
 */
export async function renderEmail(
  views: nunjucks.Environment,
  kindName: string,
  input: EmailInput,
  context: RenderContext,
): Promise<RenderedEmail> {
  const kind = findMessageKind(kindName);
  if (!kind) {
    throw new EmailRenderError(kindName, "unknown_kind", "there is no message kind by this name");
  }
  return renderMessageKind(views, kind, input, context);
}
