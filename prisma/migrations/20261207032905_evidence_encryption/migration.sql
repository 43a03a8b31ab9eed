-- AlterTable
ALTER TABLE "evidence_files" ADD COLUMN     "encryptionKeyId" TEXT,
ADD COLUMN     "wrappedDataKey" TEXT;
