-- CreateEnum
CREATE TYPE "EvidenceUploaderKind" AS ENUM ('APPLICANT', 'STAFF');

-- CreateTable
CREATE TABLE "evidence_files" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "storageKey" UUID NOT NULL,
    "displayName" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "note" TEXT,
    "uploaderKind" "EvidenceUploaderKind" NOT NULL,
    "uploadedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evidence_files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upload_leases" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "holder" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upload_leases_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "evidence_files_storageKey_key" ON "evidence_files"("storageKey");

-- CreateIndex
CREATE INDEX "evidence_files_caseId_createdAt_idx" ON "evidence_files"("caseId", "createdAt");

-- CreateIndex
CREATE INDEX "upload_leases_holder_expiresAt_idx" ON "upload_leases"("holder", "expiresAt");

-- AddForeignKey
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_uploadedById_fkey" FOREIGN KEY ("uploadedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upload_leases" ADD CONSTRAINT "upload_leases_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;
