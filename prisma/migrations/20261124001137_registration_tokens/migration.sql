-- CreateEnum
CREATE TYPE "RegistrationTokenState" AS ENUM ('PENDING', 'CREATED', 'FAILED', 'REVOKED');

-- CreateTable
CREATE TABLE "registration_tokens" (
    "id" UUID NOT NULL,
    "caseId" UUID,
    "personName" TEXT NOT NULL,
    "personEmail" TEXT NOT NULL,
    "note" TEXT,
    "tokenSealed" TEXT NOT NULL,
    "tokenLookup" TEXT NOT NULL,
    "state" "RegistrationTokenState" NOT NULL DEFAULT 'PENDING',
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdOnHomeserverAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "failedAt" TIMESTAMPTZ(3),
    "revealedAt" TIMESTAMPTZ(3),
    "revealCount" INTEGER NOT NULL DEFAULT 0,
    "revokedAt" TIMESTAMPTZ(3),
    "revokedById" UUID,
    "replacesId" UUID,

    CONSTRAINT "registration_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registration_tokens_tokenLookup_key" ON "registration_tokens"("tokenLookup");

-- CreateIndex
CREATE UNIQUE INDEX "registration_tokens_replacesId_key" ON "registration_tokens"("replacesId");

-- CreateIndex
CREATE INDEX "registration_tokens_caseId_idx" ON "registration_tokens"("caseId");

-- CreateIndex
CREATE INDEX "registration_tokens_createdAt_idx" ON "registration_tokens"("createdAt");

-- CreateIndex
CREATE INDEX "registration_tokens_createdById_createdAt_idx" ON "registration_tokens"("createdById", "createdAt");

-- AddForeignKey
ALTER TABLE "registration_tokens" ADD CONSTRAINT "registration_tokens_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_tokens" ADD CONSTRAINT "registration_tokens_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_tokens" ADD CONSTRAINT "registration_tokens_revokedById_fkey" FOREIGN KEY ("revokedById") REFERENCES "staff_users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_tokens" ADD CONSTRAINT "registration_tokens_replacesId_fkey" FOREIGN KEY ("replacesId") REFERENCES "registration_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;
