-- AlterTable
ALTER TABLE "staff_users" ADD COLUMN     "mustChangePassword" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mustEnrolSecondFactor" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "imported_records" (
    "sourceTable" TEXT NOT NULL,
    "sourceId" INTEGER NOT NULL,
    "targetId" TEXT,
    "details" TEXT,
    "importedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "imported_records_pkey" PRIMARY KEY ("sourceTable","sourceId")
);
