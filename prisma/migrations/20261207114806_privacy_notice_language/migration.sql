-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "privacyNoticeLanguage" TEXT;

-- Until now the built-in notice was shown in English only, so its consents were to the English text;
-- an operator's own notice was one file in a language the portal never knew, so those stay unknown.
UPDATE "vetting_cases" SET "privacyNoticeLanguage" = 'en'
 WHERE "privacyNoticeVersion" = 'built-in-1' AND "privacyConsentAt" IS NOT NULL;
