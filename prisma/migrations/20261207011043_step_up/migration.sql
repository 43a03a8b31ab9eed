-- AlterTable
ALTER TABLE "staff_sessions" ADD COLUMN     "secondFactorAt" TIMESTAMPTZ(3);
