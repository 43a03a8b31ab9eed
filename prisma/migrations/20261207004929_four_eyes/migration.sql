-- CreateEnum
CREATE TYPE "ApprovalStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED');

-- AlterTable
ALTER TABLE "staff_users" ADD COLUMN     "matrixId" TEXT,
ADD COLUMN     "phone" TEXT;

-- CreateTable
CREATE TABLE "case_conflicts" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "staffUserId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "declaredById" UUID NOT NULL,
    "declaredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "withdrawnAt" TIMESTAMPTZ(3),
    "withdrawnById" UUID,

    CONSTRAINT "case_conflicts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_role_changes" (
    "id" UUID NOT NULL,
    "staffUserId" UUID NOT NULL,
    "fromRole" "StaffRole" NOT NULL,
    "toRole" "StaffRole" NOT NULL,
    "isReenable" BOOLEAN NOT NULL DEFAULT false,
    "status" "ApprovalStatus" NOT NULL DEFAULT 'PENDING',
    "requestedById" UUID NOT NULL,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedById" UUID,
    "decidedAt" TIMESTAMPTZ(3),
    "decisionNote" TEXT,

    CONSTRAINT "staff_role_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registration_token_requests" (
    "id" UUID NOT NULL,
    "personName" TEXT NOT NULL,
    "personEmail" TEXT NOT NULL,
    "note" TEXT,
    "status" "ApprovalStatus" NOT NULL DEFAULT 'PENDING',
    "requestedById" UUID NOT NULL,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedById" UUID,
    "decidedAt" TIMESTAMPTZ(3),
    "decisionNote" TEXT,
    "registrationTokenId" UUID,
    "purgedAt" TIMESTAMPTZ(3),

    CONSTRAINT "registration_token_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "case_conflicts_staffUserId_idx" ON "case_conflicts"("staffUserId");

-- CreateIndex
CREATE UNIQUE INDEX "case_conflicts_caseId_staffUserId_key" ON "case_conflicts"("caseId", "staffUserId");

-- CreateIndex
CREATE INDEX "staff_role_changes_status_requestedAt_idx" ON "staff_role_changes"("status", "requestedAt");

-- CreateIndex
CREATE INDEX "staff_role_changes_staffUserId_status_idx" ON "staff_role_changes"("staffUserId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "registration_token_requests_registrationTokenId_key" ON "registration_token_requests"("registrationTokenId");

-- CreateIndex
CREATE INDEX "registration_token_requests_status_requestedAt_idx" ON "registration_token_requests"("status", "requestedAt");

-- CreateIndex
CREATE INDEX "registration_token_requests_requestedById_requestedAt_idx" ON "registration_token_requests"("requestedById", "requestedAt");

-- AddForeignKey
ALTER TABLE "case_conflicts" ADD CONSTRAINT "case_conflicts_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_conflicts" ADD CONSTRAINT "case_conflicts_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_conflicts" ADD CONSTRAINT "case_conflicts_declaredById_fkey" FOREIGN KEY ("declaredById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_conflicts" ADD CONSTRAINT "case_conflicts_withdrawnById_fkey" FOREIGN KEY ("withdrawnById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_role_changes" ADD CONSTRAINT "staff_role_changes_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_role_changes" ADD CONSTRAINT "staff_role_changes_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_role_changes" ADD CONSTRAINT "staff_role_changes_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_token_requests" ADD CONSTRAINT "registration_token_requests_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_token_requests" ADD CONSTRAINT "registration_token_requests_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_token_requests" ADD CONSTRAINT "registration_token_requests_registrationTokenId_fkey" FOREIGN KEY ("registrationTokenId") REFERENCES "registration_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;
