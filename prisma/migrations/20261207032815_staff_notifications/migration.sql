-- CreateEnum
CREATE TYPE "StaffNotificationKind" AS ENUM ('NEW_CASE', 'CASE_ASSIGNED', 'APPLICANT_REPLY', 'NEW_EVIDENCE', 'DECISION_OVERDUE', 'APPROVAL_NEEDED', 'REGISTRATION_TOKEN_FAILED');

-- CreateEnum
CREATE TYPE "NotificationDelivery" AS ENUM ('IMMEDIATE', 'DIGEST', 'OFF');

-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "decisionReminderSentAt" TIMESTAMPTZ(3),
ADD COLUMN     "draftReminderSentAt" TIMESTAMPTZ(3),
ADD COLUMN     "moreInformationReminderSentAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "staff_notification_preferences" (
    "staffUserId" UUID NOT NULL,
    "kind" "StaffNotificationKind" NOT NULL,
    "delivery" "NotificationDelivery" NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "staff_notification_preferences_pkey" PRIMARY KEY ("staffUserId","kind")
);

-- CreateTable
CREATE TABLE "staff_digest_items" (
    "id" UUID NOT NULL,
    "staffUserId" UUID NOT NULL,
    "kind" "StaffNotificationKind" NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "digestId" UUID,

    CONSTRAINT "staff_digest_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_digests" (
    "id" UUID NOT NULL,
    "staffUserId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "outboxMessageId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_digests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "staff_digest_items_staffUserId_digestId_idx" ON "staff_digest_items"("staffUserId", "digestId");

-- CreateIndex
CREATE INDEX "staff_digest_items_digestId_idx" ON "staff_digest_items"("digestId");

-- CreateIndex
CREATE UNIQUE INDEX "staff_digests_staffUserId_day_key" ON "staff_digests"("staffUserId", "day");

-- AddForeignKey
ALTER TABLE "staff_notification_preferences" ADD CONSTRAINT "staff_notification_preferences_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "staff_users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_digest_items" ADD CONSTRAINT "staff_digest_items_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "staff_users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_digest_items" ADD CONSTRAINT "staff_digest_items_digestId_fkey" FOREIGN KEY ("digestId") REFERENCES "staff_digests"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_digests" ADD CONSTRAINT "staff_digests_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "staff_users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
