-- AlterTable
ALTER TABLE "evidence_files" ADD COLUMN     "activeContent" TEXT[] DEFAULT ARRAY[]::TEXT[];
