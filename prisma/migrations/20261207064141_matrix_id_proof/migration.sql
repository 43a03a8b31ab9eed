-- CreateEnum
CREATE TYPE "MatrixIdProofStatus" AS ENUM ('QUEUED', 'SENT', 'FAILED');

-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "matrixIdVerifiedAt" TIMESTAMPTZ(3),
ADD COLUMN     "matrixIdVerifiedId" TEXT;

-- CreateTable
CREATE TABLE "matrix_id_proof_requests" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "matrixId" TEXT NOT NULL,
    "status" "MatrixIdProofStatus" NOT NULL DEFAULT 'QUEUED',
    "roomId" TEXT,
    "linkTokenId" UUID,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failure" TEXT,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "failedAt" TIMESTAMPTZ(3),

    CONSTRAINT "matrix_id_proof_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "matrix_id_proof_requests_caseId_requestedAt_idx" ON "matrix_id_proof_requests"("caseId", "requestedAt");

-- CreateIndex
CREATE INDEX "matrix_id_proof_requests_matrixId_idx" ON "matrix_id_proof_requests"("matrixId");

-- CreateIndex
CREATE INDEX "matrix_id_proof_requests_linkTokenId_idx" ON "matrix_id_proof_requests"("linkTokenId");

-- CreateIndex
CREATE INDEX "vetting_cases_matrixIdVerifiedAt_idx" ON "vetting_cases"("matrixIdVerifiedAt");

-- AddForeignKey
ALTER TABLE "matrix_id_proof_requests" ADD CONSTRAINT "matrix_id_proof_requests_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;
