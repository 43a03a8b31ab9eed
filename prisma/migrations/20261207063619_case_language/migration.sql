-- AlterTable
ALTER TABLE "vetting_cases" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'en';
