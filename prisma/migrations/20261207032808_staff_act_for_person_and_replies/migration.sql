-- CreateEnum
CREATE TYPE "ConsentKind" AS ENUM ('SIGNED_PAPER_FORM', 'VIDEO_CALL', 'EMAIL');

-- CreateEnum
CREATE TYPE "ClosureKind" AS ENUM ('SPAM', 'DUPLICATE', 'ABANDONED', 'PERSON_REQUEST');

-- AlterEnum
ALTER TYPE "CaseState" ADD VALUE 'CLOSED';

-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "closedAt" TIMESTAMPTZ(3),
ADD COLUMN     "privacyConsentKind" "ConsentKind",
ADD COLUMN     "privacyConsentNote" TEXT,
ADD COLUMN     "submittedById" UUID;

-- CreateTable
CREATE TABLE "case_closures" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "kind" "ClosureKind" NOT NULL,
    "duplicateOfCaseId" UUID,
    "reason" TEXT NOT NULL,
    "closedById" UUID NOT NULL,
    "closedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reopenedById" UUID,
    "reopenedAt" TIMESTAMPTZ(3),

    CONSTRAINT "case_closures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "case_replies" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "answersDecisionId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_replies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_closures_caseId_closedAt_idx" ON "case_closures"("caseId", "closedAt");

-- CreateIndex
CREATE INDEX "case_closures_duplicateOfCaseId_idx" ON "case_closures"("duplicateOfCaseId");

-- CreateIndex
CREATE INDEX "case_replies_caseId_createdAt_idx" ON "case_replies"("caseId", "createdAt");

-- CreateIndex
CREATE INDEX "case_replies_answersDecisionId_idx" ON "case_replies"("answersDecisionId");

-- AddForeignKey
ALTER TABLE "vetting_cases" ADD CONSTRAINT "vetting_cases_submittedById_fkey" FOREIGN KEY ("submittedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_closures" ADD CONSTRAINT "case_closures_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_closures" ADD CONSTRAINT "case_closures_duplicateOfCaseId_fkey" FOREIGN KEY ("duplicateOfCaseId") REFERENCES "vetting_cases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_closures" ADD CONSTRAINT "case_closures_closedById_fkey" FOREIGN KEY ("closedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_closures" ADD CONSTRAINT "case_closures_reopenedById_fkey" FOREIGN KEY ("reopenedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_replies" ADD CONSTRAINT "case_replies_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_replies" ADD CONSTRAINT "case_replies_answersDecisionId_fkey" FOREIGN KEY ("answersDecisionId") REFERENCES "case_decisions"("id") ON DELETE SET NULL ON UPDATE CASCADE;
