-- CreateEnum
CREATE TYPE "ReferenceStatus" AS ENUM ('REQUESTED', 'VOUCHED', 'DECLINED');

-- AlterTable
ALTER TABLE "vetting_records" ADD COLUMN     "citedReferenceId" UUID;

-- CreateTable
CREATE TABLE "case_references" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "refereeEmail" TEXT NOT NULL,
    "relationship" TEXT NOT NULL,
    "requestedById" UUID,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "ReferenceStatus" NOT NULL DEFAULT 'REQUESTED',
    "answeredAt" TIMESTAMPTZ(3),
    "knownHow" TEXT,
    "knownFor" TEXT,
    "statement" TEXT,

    CONSTRAINT "case_references_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_references_caseId_requestedAt_idx" ON "case_references"("caseId", "requestedAt");

-- CreateIndex
CREATE INDEX "case_references_requestedById_idx" ON "case_references"("requestedById");

-- CreateIndex
CREATE INDEX "vetting_records_citedReferenceId_idx" ON "vetting_records"("citedReferenceId");

-- AddForeignKey
ALTER TABLE "vetting_records" ADD CONSTRAINT "vetting_records_citedReferenceId_fkey" FOREIGN KEY ("citedReferenceId") REFERENCES "case_references"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_references" ADD CONSTRAINT "case_references_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_references" ADD CONSTRAINT "case_references_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
