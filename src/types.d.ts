import "koa";
import type { SignedInApplicant } from "./applicantSessions.js";
import type { Translator } from "./i18n/translator.js";
import type { LoadedSession, SignedInStaff } from "./sessions.js";

declare module "koa" {
  interface DefaultState {
    requestId: string;
    cspNonce: string;
    csrfToken: string;
    /** The same token under SESSION_SECRET_PREVIOUS during a rotation (accepted, never handed out). */
    previousCsrfToken?: string | null;
    /** The staff session from the cookie, if any (maybe still waiting for its second factor). */
    session: LoadedSession | null;
    /** The signed-in staff member (second factor done, account active), if any. */
    staff: SignedInStaff | null;
    /** The applicant signed in by an emailed link (a session apart from staff sessions), if any. */
    applicant: SignedInApplicant | null;
    /**
     * An evidence upload (multipart): the Origin check passed, but the token travels inside the body,
     * so the upload receiver checks it once the fields are parsed (assertDeferredCsrfToken).
     */
    isCsrfTokenDeferred?: boolean;
    /** The page's language: its messages, dates and numbers (middleware/language.ts). */
    translator: Translator;
  }
  interface DefaultContext {
    /** Renders views/<view> with the shared page context plus `data`, as the response body. */
    render(view: string, data?: Record<string, unknown>): Promise<void>;
  }
}
