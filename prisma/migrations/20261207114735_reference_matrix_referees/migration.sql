-- AlterTable
ALTER TABLE "case_references" ADD COLUMN     "matrixAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "matrixFailure" TEXT,
ADD COLUMN     "matrixRoomId" TEXT,
ADD COLUMN     "matrixSentAt" TIMESTAMPTZ(3),
ADD COLUMN     "refereeMatrixId" TEXT,
ALTER COLUMN "refereeEmail" DROP NOT NULL;

-- Erasure blanked the address to '' while the column could not be null; an erased address is null now.
UPDATE "case_references" SET "refereeEmail" = NULL WHERE "refereeEmail" = '';
