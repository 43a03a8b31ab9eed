// An action that can be refused for a reason the person should read on the page they came from: the
// case moved on, someone else decided first (409), or (where a handler says so) four eyes or a role (403).
// The command's message is shown on that page, re-rendered with the status; anything else propagates to
// the error middleware. A message that is a catalog id is said in the translator's language: the page's
// for applicant pages, English (the default) for staff pages, which print it as it is.
import { HttpError } from "../../errors.js";
import { englishTranslator, type Translator } from "../../i18n/translator.js";

export async function orShowRefusal<Result>(
  action: () => Promise<Result>,
  showRefusal: (message: string, status: number) => Promise<void>,
  statuses: readonly number[] = [409],
  translator: Translator = englishTranslator(),
): Promise<{ isDone: true; result: Result } | { isDone: false }> {
  try {
    return { isDone: true, result: await action() };
  } catch (error) {
    if (error instanceof HttpError && statuses.includes(error.status)) {
      await showRefusal(translator.message(error.message, error.messageValues), error.status);
      return { isDone: false };
    }
    throw error;
  }
}
