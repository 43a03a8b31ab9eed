-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "pendingEmail" TEXT;

-- CreateTable
CREATE TABLE "case_detail_corrections" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "changedById" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "changes" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_detail_corrections_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_detail_corrections_caseId_createdAt_idx" ON "case_detail_corrections"("caseId", "createdAt");

-- AddForeignKey
ALTER TABLE "case_detail_corrections" ADD CONSTRAINT "case_detail_corrections_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_detail_corrections" ADD CONSTRAINT "case_detail_corrections_changedById_fkey" FOREIGN KEY ("changedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
