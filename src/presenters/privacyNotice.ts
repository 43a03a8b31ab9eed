// The privacy notice page (views/public/privacy.njk): the notice's text in the page's language, as
// paragraphs, with its version. The text's own language is said too, for the one case where it differs
// from the page's (the pseudo-language with an operator's notice), so the page marks it with `lang`.
import {
  BUILT_IN_NOTICE_PARAGRAPHS,
  noticeParagraphs,
  type PrivacyNoticeSettings,
  privacyNoticeFor,
} from "../domain/privacyNotice.js";
import type { Translator } from "../i18n/translator.js";

export function presentPrivacyNotice(privacy: PrivacyNoticeSettings, translator: Translator) {
  const notice = privacyNoticeFor(privacy, translator.language);
  return {
    noticeVersion: privacy.noticeVersion,
    noticeLanguage: notice.language,
    paragraphs:
      notice.text === null
        ? BUILT_IN_NOTICE_PARAGRAPHS.map((id) => translator.t(id))
        : noticeParagraphs(notice.text),
  };
}
