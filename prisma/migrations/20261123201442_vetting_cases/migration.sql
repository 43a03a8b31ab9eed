-- CreateEnum
CREATE TYPE "CaseState" AS ENUM ('DRAFT', 'SUBMITTED', 'IN_REVIEW', 'MORE_INFORMATION_REQUESTED', 'APPROVED', 'REJECTED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "CaseOrigin" AS ENUM ('APPLICANT', 'STAFF');

-- CreateEnum
CREATE TYPE "VerificationMethod" AS ENUM ('IN_PERSON', 'VIDEO_CALL', 'TRUSTED_REFERRAL');

-- CreateEnum
CREATE TYPE "Recommendation" AS ENUM ('APPROVE', 'REJECT', 'FURTHER_VERIFICATION');

-- CreateEnum
CREATE TYPE "DecisionKind" AS ENUM ('APPROVE', 'REJECT', 'REQUEST_MORE_INFORMATION');

-- CreateTable
CREATE TABLE "vetting_cases" (
    "id" UUID NOT NULL,
    "number" SERIAL NOT NULL,
    "state" "CaseState" NOT NULL DEFAULT 'DRAFT',
    "origin" "CaseOrigin" NOT NULL,
    "fullName" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "matrixId" TEXT,
    "phone" TEXT,
    "statement" TEXT NOT NULL,
    "privacyNoticeVersion" TEXT,
    "privacyConsentAt" TIMESTAMPTZ(3),
    "emailConfirmedAt" TIMESTAMPTZ(3),
    "createdById" UUID,
    "assignedToId" UUID,
    "isPossibleDuplicate" BOOLEAN NOT NULL DEFAULT false,
    "duplicateMatches" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "submittedAt" TIMESTAMPTZ(3),
    "lastSubmittedAt" TIMESTAMPTZ(3),
    "decidedAt" TIMESTAMPTZ(3),
    "withdrawnAt" TIMESTAMPTZ(3),
    "erasedAt" TIMESTAMPTZ(3),

    CONSTRAINT "vetting_cases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vetting_records" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "identityVerified" BOOLEAN NOT NULL,
    "method" "VerificationMethod" NOT NULL,
    "verifiedOn" DATE NOT NULL,
    "place" TEXT NOT NULL,
    "notes" TEXT NOT NULL,
    "score" INTEGER NOT NULL,
    "recommendation" "Recommendation" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vetting_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "case_comments" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "authorId" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "isVisibleToApplicant" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_comments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "case_decisions" (
    "id" UUID NOT NULL,
    "caseId" UUID NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "decidedById" UUID NOT NULL,
    "reason" TEXT,
    "isReasonSharedWithApplicant" BOOLEAN NOT NULL DEFAULT false,
    "decidedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "applicant_sessions" (
    "id" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "caseId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "applicant_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "vetting_cases_number_key" ON "vetting_cases"("number");

-- CreateIndex
CREATE INDEX "vetting_cases_state_lastSubmittedAt_idx" ON "vetting_cases"("state", "lastSubmittedAt");

-- CreateIndex
CREATE INDEX "vetting_cases_assignedToId_state_idx" ON "vetting_cases"("assignedToId", "state");

-- CreateIndex
CREATE INDEX "vetting_cases_email_idx" ON "vetting_cases"("email");

-- CreateIndex
CREATE INDEX "vetting_cases_phone_idx" ON "vetting_cases"("phone");

-- CreateIndex
CREATE INDEX "vetting_cases_matrixId_idx" ON "vetting_cases"("matrixId");

-- CreateIndex
CREATE INDEX "vetting_cases_createdAt_idx" ON "vetting_cases"("createdAt");

-- CreateIndex
CREATE INDEX "vetting_cases_decidedAt_idx" ON "vetting_cases"("decidedAt");

-- CreateIndex
CREATE INDEX "vetting_records_caseId_createdAt_idx" ON "vetting_records"("caseId", "createdAt");

-- CreateIndex
CREATE INDEX "vetting_records_agentId_idx" ON "vetting_records"("agentId");

-- CreateIndex
CREATE INDEX "case_comments_caseId_createdAt_idx" ON "case_comments"("caseId", "createdAt");

-- CreateIndex
CREATE INDEX "case_decisions_caseId_decidedAt_idx" ON "case_decisions"("caseId", "decidedAt");

-- CreateIndex
CREATE INDEX "case_decisions_decidedAt_idx" ON "case_decisions"("decidedAt");

-- CreateIndex
CREATE UNIQUE INDEX "applicant_sessions_tokenHash_key" ON "applicant_sessions"("tokenHash");

-- CreateIndex
CREATE INDEX "applicant_sessions_caseId_idx" ON "applicant_sessions"("caseId");

-- CreateIndex
CREATE INDEX "applicant_sessions_expiresAt_idx" ON "applicant_sessions"("expiresAt");

-- AddForeignKey
ALTER TABLE "vetting_cases" ADD CONSTRAINT "vetting_cases_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vetting_cases" ADD CONSTRAINT "vetting_cases_assignedToId_fkey" FOREIGN KEY ("assignedToId") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vetting_records" ADD CONSTRAINT "vetting_records_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vetting_records" ADD CONSTRAINT "vetting_records_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_comments" ADD CONSTRAINT "case_comments_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_comments" ADD CONSTRAINT "case_comments_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_decisions" ADD CONSTRAINT "case_decisions_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "case_decisions" ADD CONSTRAINT "case_decisions_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "applicant_sessions" ADD CONSTRAINT "applicant_sessions_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "vetting_cases"("id") ON DELETE CASCADE ON UPDATE CASCADE;
