-- CreateEnum
CREATE TYPE "CspDisposition" AS ENUM ('ENFORCE', 'REPORT');

-- CreateTable
CREATE TABLE "csp_violations" (
    "id" UUID NOT NULL,
    "dedupKey" CHAR(64) NOT NULL,
    "directive" TEXT NOT NULL,
    "blockedUrl" TEXT NOT NULL,
    "documentUrl" TEXT NOT NULL,
    "disposition" "CspDisposition" NOT NULL,
    "sourceFile" TEXT,
    "lineNumber" INTEGER,
    "columnNumber" INTEGER,
    "sample" TEXT,
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "csp_violations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "csp_violations_dedupKey_lastSeenAt_idx" ON "csp_violations"("dedupKey", "lastSeenAt");

-- CreateIndex
CREATE INDEX "csp_violations_lastSeenAt_idx" ON "csp_violations"("lastSeenAt");
